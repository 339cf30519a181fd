import Foundation
import TPCore
import TPNumerics

/// Finite runs of one program over several widths and seeds: per output and width, the value
/// of every seed, their mean and the standard error of that mean.
public struct SweepResult: Sendable {
  /// One output at one width.
  public struct WidthSummary: Sendable, Hashable {
    public var width: Int
    /// One value per seed, in the order of ``SweepResult/seeds`` (for a vector, its law's mean).
    public var values: [Double]
    /// The mean over seeds.
    public var mean: Double
    /// The standard error of ``mean`` (sample standard deviation over seeds / √seeds; NaN for
    /// one seed).
    public var standardError: Double

    public init(width: Int, values: [Double]) {
      self.width = width
      self.values = values
      self.mean = Statistics.mean(values)
      self.standardError = Statistics.standardErrorOfMean(values)
    }
  }

  /// One output across the widths.
  public struct Series: Sendable, Hashable {
    public var name: String
    /// Parallel to ``SweepResult/widths``.
    public var perWidth: [WidthSummary]

    public init(name: String, perWidth: [WidthSummary]) {
      self.name = name
      self.perWidth = perWidth
    }

    /// The slope of `log e(n)` against `log n`, where `e(n)` is the root-mean-square error of
    /// the single-seed values at width `n` against `limit`, `√((1/K) Σₛ (v_s − limit)²)`.
    ///
    /// Fluctuations of size `n^{-1/2}` give a slope near `−½`; a pure `O(1/n)` bias gives `−1`;
    /// a slope near 0 means the widths do not approach `limit`. The RMS error over seeds is used
    /// rather than the error of the seed mean, which can pass near 0 by chance at one width and
    /// wreck a log–log fit.
    public func fitSlope(limit: Double) -> SlopeFit {
      let errors = perWidth.map { w in
        (w.values.reduce(0) { $0 + ($1 - limit) * ($1 - limit) } / Double(max(w.values.count, 1)))
          .squareRoot()
      }
      return SlopeFit(widths: perWidth.map(\.width), errors: errors)
    }
  }

  /// The widths, in the order given.
  public var widths: [Int]
  /// The seeds run at every width: `baseSeed, baseSeed + 1, …` (so `tp run --width N --seed S`
  /// reproduces any single value).
  public var seeds: [UInt64]
  /// One series per output of the program, in output order.
  public var outputs: [Series]

  public init(widths: [Int], seeds: [UInt64], outputs: [Series]) {
    self.widths = widths
    self.seeds = seeds
    self.outputs = outputs
  }

  /// The series of the output named `name`.
  public func output(_ name: String) -> Series? { outputs.first { $0.name == name } }

  /// ``Series/fitSlope(limit:)`` for every output that has a limit in `limits` (by name).
  public func fitSlopes(limits: [String: Double]) -> [String: SlopeFit] {
    var fits: [String: SlopeFit] = [:]
    for s in outputs { if let limit = limits[s.name] { fits[s.name] = s.fitSlope(limit: limit) } }
    return fits
  }
}

/// A least-squares line `log e ≈ slope · log n + intercept` through positive errors.
public struct SlopeFit: Sendable, Hashable {
  public var widths: [Int]
  /// The error at each width (as given).
  public var errors: [Double]
  /// NaN when fewer than two widths have a positive, finite error.
  public var slope: Double
  public var intercept: Double
  /// The classical standard error of the slope (NaN with fewer than three points).
  public var slopeStandardError: Double

  /// Fits `log errors` against `log widths`, skipping widths whose error is 0 or not finite
  /// (an exactly right value has no logarithm).
  public init(widths: [Int], errors: [Double]) {
    self.widths = widths
    self.errors = errors
    let points = zip(widths, errors).filter { $0.1 > 0 && $0.1.isFinite && $0.0 > 0 }
    let fit = Statistics.linearFit(x: points.map { log(Double($0.0)) }, y: points.map { log($0.1) })
    slope = fit.slope
    intercept = fit.intercept
    slopeStandardError = fit.slopeStandardError
  }
}

/// Width/seed sweeps of finite runs, the data of `tp check`.
public enum FiniteSweep {
  /// Runs `program` at every width with seeds `baseSeed ..< baseSeed + seeds`, each run on
  /// `threads` threads; stops at the first numerical error.
  public static func run(
    _ program: Program, widths: [Int], seeds: Int, baseSeed: UInt64 = 0,
    threads: Int = Parallel.defaultThreads,
    memoryLimit: MemoryLimit = .system()
  ) throws(NumericalError) -> SweepResult {
    guard seeds >= 1 else { throw NumericalError("a sweep needs at least one seed, got \(seeds)") }
    let seedList = (0..<seeds).map { baseSeed &+ UInt64($0) }
    // values[output][width][seed]
    var values = [[[Double]]](
      repeating: [[Double]](repeating: [], count: widths.count), count: program.outputs.count)
    for (w, width) in widths.enumerated() {
      for seed in seedList {
        let options = FiniteOptions(
          width: width, seed: seed, threads: threads, memoryLimit: memoryLimit)
        let run = try FiniteExecutor.run(program, options: options)
        for (o, output) in run.outputs.enumerated() { values[o][w].append(output.scalarValue) }
      }
    }
    let series = program.outputs.enumerated().map { o, item in
      SweepResult.Series(
        name: item.name,
        perWidth: widths.enumerated().map { w, width in
          SweepResult.WidthSummary(width: width, values: values[o][w])
        })
    }
    return SweepResult(widths: widths, seeds: seedList, outputs: series)
  }
}
