import Foundation
import TPCore

/// How the limit interpreter evaluates expectations.
public enum ExpectationMethod: String, Sendable, Hashable, CaseIterable {
  /// Exact where possible, quadrature in low dimension, Monte Carlo otherwise.
  case auto
  /// Closed forms and Gaussian moments only; anything else is an error.
  case exact
  /// Gauss–Hermite tensor quadrature (up to ``LimitOptions/quadratureMaximumDimension`` + 3 dimensions).
  case quadrature
  /// Monte Carlo over particles for everything.
  case mc
}

/// How `E[∂Z^x/∂Ẑ^{Wᵀy}]` in a `Ż` coefficient is computed.
public enum DerivativeRule: String, Sendable, Hashable {
  /// Path-wise where every function on the path is Lipschitz, Stein's identity where a jump lies on it.
  case auto
  /// Always path-wise (wrong through jumps; for tests that show why).
  case pathwise
  /// Always Gaussian integration by parts, `E[∇_G F] = C⁺ E[G F]`.
  case stein
}

/// Settings of a limit computation.
public struct LimitOptions: Sendable, Hashable {
  public var method: ExpectationMethod
  /// Monte Carlo particles.
  public var samples: Int
  /// Gauss–Hermite nodes per dimension; 0 chooses by dimension (100, 80, 60 for 1, 2, 3
  /// dimensions, then 20), enough for smooth integrands to reach about 1e-6.
  public var degree: Int
  public var seed: UInt64
  /// Largest number of base Gaussians integrated by quadrature under `.auto`.
  public var quadratureMaximumDimension: Int
  public var derivativeRule: DerivativeRule
  public var threads: Int

  public init(
    method: ExpectationMethod = .auto, samples: Int = 1 << 16, degree: Int = 0, seed: UInt64 = 0,
    quadratureMaximumDimension: Int = 3, derivativeRule: DerivativeRule = .auto,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) {
    self.method = method
    self.samples = samples
    self.degree = degree
    self.seed = seed
    self.quadratureMaximumDimension = quadratureMaximumDimension
    self.derivativeRule = derivativeRule
    self.threads = threads
  }

  /// The Gauss–Hermite degree used for a `dimension`-dimensional integral.
  public func degree(forDimension dimension: Int) -> Int {
    if degree > 0 { return degree }
    switch dimension {
    case ...1: return 100
    case 2: return 80
    case 3: return 60
    default: return 20
    }
  }
}

/// One `Ż` term of a MatMul: `coefficient · Z^{operand}`, with how the coefficient was found.
public struct ZDotTerm: Sendable, Hashable {
  /// The program vector `y_j` multiplied by the coefficient.
  public var operand: String
  public var coefficient: Double
  public var standardError: Double
  /// `E[∂Z^x/∂Ẑ^{Wᵀy}]` spelled out, and whether it was path-wise or Stein.
  public var derivation: String
}

/// How one vector's `Z` is built, for `tp explain`.
public struct VectorDerivation: Sendable, Hashable {
  public var vector: String
  /// E.g. `Z^{h} = Ẑ^{W g} + 2·Z^{y}`.
  public var formula: String
  public var zdot: [ZDotTerm]
}

/// A scalar's limit value.
public struct ScalarEstimate: Sendable, Hashable {
  public var value: Double
  public var standardError: Double
  public var method: Method
}

/// The infinite-width limit of a program.
public struct LimitResult: Sendable {
  public var outputs: [OutputResult]
  /// Every scalar of the program, by `ScalarID.raw`.
  public var scalars: [ScalarEstimate]
  public var derivations: [VectorDerivation]
  /// How many expectations each method computed.
  public var methodCounts: [Method: Int]
  /// For vector outputs: the density of `Z` as `(x, p(x))` points (a Gaussian curve when `Z` is
  /// affine in the base Gaussians, else a weighted histogram of the grid or particles).
  public var densities: [String: [[Double]]] = [:]

  /// The output named `name`.
  public func output(_ name: String) -> OutputResult? { outputs.first { $0.name == name } }
}
