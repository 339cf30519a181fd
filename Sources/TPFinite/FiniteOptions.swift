import Foundation
import TPCore
import TPNumerics

/// How a finite run holds a random matrix.
public enum MatrixStorage: String, Sendable, Hashable, Codable {
  /// Cache a matrix used more than twice; regenerate the others (the default).
  case automatic
  /// Materialize the `n × n` matrix once and multiply with the dense kernels.
  case cached
  /// Never store the matrix: regenerate its rows from the counter-based stream at every product.
  case regenerated
}

/// Settings of one finite-width execution.
public struct FiniteOptions: Sendable {
  /// The width `n` (≥ 1).
  public var width: Int
  /// The run's seed: matrices and initial groups draw from counter-based streams keyed by it.
  public var seed: UInt64
  /// Worker threads (results do not depend on it); values below 1 mean 1.
  public var threads: Int
  /// The run refuses to start when its estimated peak memory exceeds this (see ``MemoryLimit``).
  public var memoryLimit: MemoryLimit
  /// The run refuses to start when its estimated arithmetic exceeds this many operations
  /// (multiply-adds; drawing a normal number counts as ``normalCost``).
  public var workLimit: Int
  /// Cached or regenerated matrices; `.automatic` caches a matrix used more than twice.
  public var matrixStorage: MatrixStorage

  /// The default ``workLimit``: 10¹² operations, about 40 minutes on a two-core machine.
  public static let defaultWorkLimit = 1_000_000_000_000

  /// What drawing one standard normal costs in multiply-adds (counter-based Philox and the
  /// Gaussian transform), for the work estimates.
  public static let normalCost = 8

  /// The memory limit in bytes (setting it makes it a requested limit).
  public var memoryLimitBytes: Int {
    get { memoryLimit.bytes }
    set { memoryLimit = MemoryLimit(bytes: newValue, source: .requested) }
  }

  public init(
    width: Int, seed: UInt64 = 0, threads: Int = Parallel.defaultThreads,
    memoryLimit: MemoryLimit = .system(), workLimit: Int = FiniteOptions.defaultWorkLimit,
    matrixStorage: MatrixStorage = .automatic
  ) {
    self.width = width
    self.seed = seed
    self.threads = threads
    self.memoryLimit = memoryLimit
    self.workLimit = workLimit
    self.matrixStorage = matrixStorage
  }
}

/// The result of one finite-width execution.
public struct FiniteRun: Sendable {
  public var width: Int
  public var seed: UInt64
  /// Every scalar's value, indexed by `ScalarID.raw` (constants included).
  public var scalars: [Double]
  /// The coordinates of the vectors that outputs name, by vector.
  public var vectors: [VectorID: [Double]]
  /// The program's outputs in order: scalars by value, vectors by their empirical law
  /// (method `.finite`, standard error 0).
  public var outputs: [OutputResult]
  /// How each matrix was held (`.cached` or `.regenerated`), indexed by `MatrixID.raw`.
  public var matrixStorage: [MatrixStorage]
  /// The peak memory estimate the run was admitted with, in bytes.
  public var estimatedPeakBytes: Double

  /// The output named `name`, if any.
  public func output(_ name: String) -> OutputResult? { outputs.first { $0.name == name } }
}

/// Where a run's randomness comes from: key `seed`, and one Philox stream per matrix and per
/// initial group (the high byte says which kind, the rest is the index), so every entry of every
/// matrix and every initial coordinate is addressable and the sources are independent.
enum Streams {
  static func matrix(_ m: MatrixID) -> UInt64 { 1 << 56 | UInt64(m.raw) }
  static func initialGroup(_ g: Int) -> UInt64 { 2 << 56 | UInt64(g) }
}
