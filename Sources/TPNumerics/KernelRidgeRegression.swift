import Foundation

/// Kernel ridge regression on a finite population, fitted for real: the reference that the
/// eigenlearning estimates (`EigenlearningProblem`) are compared with.
///
/// The population is `M` points with kernel matrix `K` (`M × M`) and clean targets `y`.
/// A draw picks `n` distinct points `X` uniformly without replacement, labels them
/// `y_X + η` with `η ~ N(0, ε² Iₙ)`, and fits
///
///     f̂(x) = K(x, X) α,   (K(X, X) + δ Iₙ) α = y_X + η
///
/// by the blocked Cholesky factorization (`Cholesky`). It reports
///
/// - the **test MSE** `(1/M) Σ_{x} (f̂(x) − y(x))² + ε²`: the population MSE against noisy
///   labels (the expected test-label noise `ε²` added exactly), the quantity eigenlearning
///   predicts;
/// - the **train MSE** `(1/n) Σ_{x ∈ X} (f̂(x) − y(x) − η(x))²` against the noisy training
///   labels.
public enum KernelRidgeRegression {
  /// The predictions `f̂(x)` at all `M` population points for training indices `training`
  /// (distinct, in `0..<M`) with labels `labels` (one per training index) and ridge `δ`.
  ///
  /// Throws `.singularTrainingKernel` (draw 0) when `K(X, X) + δI` is not numerically
  /// positive definite (a repeated index at `δ = 0`, for one), and for an invalid kernel
  /// (empty, non-square, non-finite, asymmetric beyond `symmetryTolerance`), indices, labels
  /// or ridge.
  public static func predictions(
    kernel: Matrix, training: [Int], labels: [Double], ridge delta: Double, symmetryTolerance: Double = 1e-8
  ) throws(KernelAnalysisError) -> [Double] {
    try KernelValidation.checkKernel(kernel, symmetryTolerance: symmetryTolerance)
    try KernelValidation.checkFinite(labels, what: "training label")
    guard delta.isFinite, delta >= 0 else {
      throw .invalidParameter(name: "ridge", value: delta, requirement: "must be finite and ≥ 0")
    }
    return try predictions(kernel: kernel, training: training, labels: labels, ridge: delta, draw: 0)
  }

  static func predictions(
    kernel: Matrix, training: [Int], labels: [Double], ridge delta: Double, draw: Int
  ) throws(KernelAnalysisError) -> [Double] {
    let m = kernel.rows
    let n = training.count
    guard n > 0 else { throw .emptyData(what: "training set") }
    guard labels.count == n else {
      throw .sizeMismatch(what: "training labels", expected: n, actual: labels.count)
    }
    for i in training where i < 0 || i >= m {
      throw .invalidParameter(name: "training index", value: Double(i), requirement: "must be in 0..<\(m)")
    }
    var system = Matrix(rows: n, cols: n)
    var cross = Matrix(rows: m, cols: n)
    for (a, i) in training.enumerated() {
      for (b, j) in training.enumerated() { system.elements[a * n + b] = kernel.elements[i * m + j] }
      system.elements[a * n + a] += delta
    }
    for r in 0..<m {
      for (b, j) in training.enumerated() { cross.elements[r * n + b] = kernel.elements[r * m + j] }
    }
    let factor: Cholesky
    do throws(CholeskyError) {
      factor = try Cholesky(system, threads: 1)
    } catch {
      throw .singularTrainingKernel(draw: draw, detail: error)
    }
    let alpha = factor.solve(labels)
    return cross.multiply(alpha)
  }

  /// The average over `draws` independent training draws (seeded, reproducible) of the
  /// test and train MSE, with standard errors of the means.
  ///
  /// Draw `d` reads the counter-based stream `(seed, d)` (`RandomStream`): `n` uniform
  /// integers for a partial Fisher–Yates shuffle (Lemire's unbiased bounded integers),
  /// then `n` standard normals for the label noise (only when `noise > 0`). Results do not
  /// depend on the thread count.
  ///
  /// Requirements (else a typed error): `kernel` square, finite, symmetric; `target` of
  /// length `M`, finite; `1 ≤ n ≤ M`; `δ ≥ 0` and `ε² ≥ 0` finite; `draws ≥ 2` (for a
  /// standard error). A singular training kernel (e.g. duplicate points at `δ = 0`) throws
  /// `.singularTrainingKernel` naming the draw.
  public static func experiment(
    kernel: Matrix, target: [Double], samples n: Int, ridge delta: Double, noise: Double = 0,
    draws: Int = 100, seed: UInt64 = 0, symmetryTolerance: Double = 1e-8
  ) throws(KernelAnalysisError) -> KernelRidgeExperiment {
    try KernelValidation.checkKernel(kernel, symmetryTolerance: symmetryTolerance)
    let m = kernel.rows
    guard target.count == m else {
      throw .sizeMismatch(what: "target (one value per data point)", expected: m, actual: target.count)
    }
    try KernelValidation.checkFinite(target, what: "target")
    guard n >= 1, n <= m else {
      throw .invalidParameter(
        name: "samples", value: Double(n), requirement: "must be in 1…\(m) (drawn without replacement)")
    }
    guard delta.isFinite, delta >= 0 else {
      throw .invalidParameter(name: "ridge", value: delta, requirement: "must be finite and ≥ 0")
    }
    guard noise.isFinite, noise >= 0 else {
      throw .invalidParameter(
        name: "noise", value: noise, requirement: "the variance ε² must be finite and ≥ 0")
    }
    guard draws >= 2 else {
      throw .invalidParameter(name: "draws", value: Double(draws), requirement: "must be at least 2")
    }
    let sigma = noise.squareRoot()
    var tests: [Double] = []
    var trains: [Double] = []
    for d in 0..<draws {
      var stream = RandomStream(seed: seed, stream: UInt64(d))
      let training = sampleWithoutReplacement(n, from: m, &stream)
      var labels = training.map { target[$0] }
      if noise > 0 {
        for a in 0..<n { labels[a] += sigma * stream.nextGaussian() }
      }
      let f = try predictions(kernel: kernel, training: training, labels: labels, ridge: delta, draw: d)
      var test = CompensatedSum()
      for x in 0..<m {
        let e = f[x] - target[x]
        test.add(e * e)
      }
      var train = CompensatedSum()
      for (a, i) in training.enumerated() {
        let e = f[i] - labels[a]
        train.add(e * e)
      }
      tests.append(test.value / Double(m) + noise)
      trains.append(train.value / Double(n))
    }
    return KernelRidgeExperiment(
      samples: n, ridge: delta, noise: noise, draws: draws, testMSE: Statistics.mean(tests),
      testMSEStandardError: Statistics.standardErrorOfMean(tests), trainMSE: Statistics.mean(trains),
      trainMSEStandardError: Statistics.standardErrorOfMean(trains))
  }

  /// `n` distinct indices of `0..<m`, uniformly (the first `n` entries of a Fisher–Yates
  /// shuffle), in draw order.
  static func sampleWithoutReplacement(_ n: Int, from m: Int, _ stream: inout RandomStream) -> [Int] {
    var pool = Array(0..<m)
    for i in 0..<n {
      let j = i + boundedInteger(UInt64(m - i), &stream)
      pool.swapAt(i, j)
    }
    return Array(pool.prefix(n))
  }

  /// A uniform integer in `0..<bound` (`bound ≥ 1`) by Lemire's multiply-and-reject method
  /// ("Fast random integer generation in an interval", ACM TOMACS 2019): exact, no modulo
  /// bias.
  static func boundedInteger(_ bound: UInt64, _ stream: inout RandomStream) -> Int {
    var product = stream.nextUInt64().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold { product = stream.nextUInt64().multipliedFullWidth(by: bound) }
    }
    return Int(product.high)
  }
}

/// Averages of kernel ridge regression over random training draws (see
/// `KernelRidgeRegression.experiment`).
public struct KernelRidgeExperiment: Sendable, Equatable {
  /// `n`, the training-set size.
  public let samples: Int
  /// `δ`.
  public let ridge: Double
  /// `ε²`.
  public let noise: Double
  /// The number of draws averaged.
  public let draws: Int
  /// Mean over draws of the population test MSE (against noisy labels).
  public let testMSE: Double
  /// Standard error of `testMSE` over draws.
  public let testMSEStandardError: Double
  /// Mean over draws of the train MSE.
  public let trainMSE: Double
  /// Standard error of `trainMSE` over draws.
  public let trainMSEStandardError: Double
}
