import Foundation

/// The eigenlearning estimates of kernel ridge regression (Simon, Dickens, Karkada &
/// DeWeese, "The Eigenlearning Framework: A Conservation Law Perspective on Kernel
/// Regression and Wide Neural Networks", TMLR 2023; arXiv:2110.03922 — the "eigenlearning
/// equations" for κ, the learnabilities, `E₀` and the test and train MSE).
///
/// Setting: a kernel with eigenvalues `λᵢ ≥ 0` and orthonormal eigenfunctions `φᵢ` on the
/// population measure (here: `KernelEigenstructure` of the data set), a target
/// `y = Σ vᵢ φᵢ`, `n` training points drawn from the population with labels
/// `y(x) + η`, `η ~ N(0, ε²)`, and the predictor `f̂(x) = K(x, X)(K(X, X) + δIₙ)⁻¹ y_X`
/// with ridge `δ ≥ 0` (LANGUAGE.md's convention; `K` is the kernel itself, not `K/M`).
/// The estimates, exact in the limit of many modes and samples and accurate in practice
/// for a few samples already:
///
/// - the **effective regularisation** `κ > 0` solves `Σᵢ λᵢ/(λᵢ + κ) + δ/κ = n`;
/// - mode **learnabilities** `Lᵢ = λᵢ/(λᵢ + κ) ∈ [0, 1)`, the expected fraction of mode `i`
///   that is learned: `E[v̂ᵢ] = Lᵢ vᵢ`;
/// - the **conservation law** `Σᵢ Lᵢ = n − δ/κ`, so `Σᵢ Lᵢ = n` at `δ = 0`;
/// - the **target learnability** `L(y) = Σᵢ Lᵢ vᵢ² / Σᵢ vᵢ²`;
/// - the **overfitting coefficient** `E₀ = n / (n − Σᵢ Lᵢ²)`;
/// - the predicted **test MSE** `E = E₀ (Σᵢ (1 − Lᵢ)² vᵢ² + ε²)` — the population MSE
///   against noisy labels (the `E₀ ε²` term is the test noise `ε²` plus the fitted noise
///   `(E₀ − 1) ε²`);
/// - the predicted **train MSE** `E_tr = (δ/(nκ))² E` (the paper's train-risk estimate,
///   stated in LANGUAGE.md; it is 0 at `δ = 0`, where KRR interpolates). Checked against
///   the authors' reference code (github.com/james-simon/eigenlearning, `theory.py`,
///   `theoretical_predictions`: `mse_tr = (ridge / (n * kappa))**2 * mse_te`, with
///   `mse_te = e0 · (Σ (1 − L)² v² + noise_std²)`), and here against real kernel ridge
///   regression (`EigenlearningVersusKernelRegressionTests`).
///
/// The estimates treat the `n` samples as i.i.d. draws from the population;
/// `KernelRidgeRegression.experiment` draws them without replacement (no duplicate
/// points), the difference being `O(n/M)`.
///
/// Numerics: `n − Σ Lᵢ²` is evaluated as `Σᵢ λᵢκ/(λᵢ + κ)² + δ/κ` (equal by the κ
/// equation) and `1 − Lᵢ` as `κ/(λᵢ + κ)`, so nothing cancels; sums are compensated.
public struct EigenlearningProblem: Sendable {
  /// The eigenvalues `λᵢ`, cleaned: non-negative, rounding-level values set to 0.
  public let eigenvalues: [Double]
  /// The target coefficients `vᵢ`, one per eigenvalue.
  public let targetCoefficients: [Double]
  /// `r`, the number of nonzero eigenvalues after cleaning.
  public let rank: Int

  /// A problem from a spectrum and the target's coefficients on it (same length, any
  /// order). The spectrum must be complete: modes left out are neither learned nor counted
  /// in the κ equation, so a truncated spectrum gives wrong predictions.
  ///
  /// Eigenvalues with `|λᵢ| ≤ zeroTolerance · maxⱼ λⱼ` count as exact zeros (the rounding
  /// level of a numerically computed spectrum is `≈ M·ε·λ_max`); a more negative one
  /// throws `.notPositiveSemidefinite`. Non-finite entries, empty or mismatched inputs and
  /// an all-zero spectrum throw.
  public init(
    eigenvalues: [Double], targetCoefficients: [Double], zeroTolerance: Double = 1e-12
  ) throws(KernelAnalysisError) {
    guard !eigenvalues.isEmpty else { throw .emptyData(what: "eigenvalue list") }
    guard targetCoefficients.count == eigenvalues.count else {
      throw .sizeMismatch(
        what: "target coefficients (one per eigenvalue)", expected: eigenvalues.count,
        actual: targetCoefficients.count)
    }
    guard zeroTolerance >= 0, zeroTolerance < 1 else {
      throw .invalidParameter(name: "zeroTolerance", value: zeroTolerance, requirement: "must be in [0, 1)")
    }
    try KernelValidation.checkFinite(eigenvalues, what: "eigenvalue")
    try KernelValidation.checkFinite(targetCoefficients, what: "target coefficient")
    let largest = eigenvalues.reduce(0) { max($0, $1) }
    guard largest > 0 else { throw .zeroKernel }
    let cutoff = zeroTolerance * largest
    var cleaned = [Double](repeating: 0, count: eigenvalues.count)
    var rank = 0
    for (i, lambda) in eigenvalues.enumerated() {
      if lambda < -cutoff { throw .notPositiveSemidefinite(eigenvalue: lambda, largest: largest) }
      if lambda > cutoff {
        cleaned[i] = lambda
        rank += 1
      }
    }
    self.eigenvalues = cleaned
    self.targetCoefficients = targetCoefficients
    self.rank = rank
  }

  /// The problem for a kernel matrix on an `M`-point population and a target on it: the
  /// full eigenstructure of `K/M` (`KernelEigenstructure`) and `vᵢ = uᵢᵀy/√M`.
  public init(
    kernel: Matrix, target: [Double], zeroTolerance: Double = 1e-12,
    threads: Int = Parallel.defaultThreads
  ) throws(KernelAnalysisError) {
    let structure = try KernelEigenstructure(kernel: kernel, threads: threads)
    try self.init(
      eigenvalues: structure.eigenvalues, targetCoefficients: try structure.targetCoefficients(target),
      zeroTolerance: zeroTolerance)
  }

  /// The effective regularisation `κ > 0` with `Σᵢ λᵢ/(λᵢ + κ) + δ/κ = n`.
  ///
  /// The left side `g(κ) + n` is strictly decreasing and convex in `κ`, from
  /// `+∞` (`δ > 0`) or `r` (`δ = 0`) at `κ → 0⁺` down to 0 at `κ → ∞`, so a root exists and
  /// is unique iff `δ > 0` or `n < r`. It is bracketed by
  /// `κ_hi = (Σλᵢ + δ)/n` (where `g ≤ 0` since `λ/(λ+κ) ≤ λ/κ`) and
  /// `κ_lo = δ/n` for `δ > 0`, `κ_lo = λ_min⁺ (r − n)/n` for `δ = 0` (where `g ≥ 0`, each
  /// term being at least the smallest one), and found by Newton's method in `log κ`
  /// safeguarded by bisection of the bracket (quadratic convergence, never leaving the
  /// bracket). The residual is at rounding level, `≲ 10⁻¹⁵ n`.
  ///
  /// Throws for `n < 1`, `δ < 0` or non-finite `δ`, and `.interpolationThreshold` for
  /// `δ = 0` with `n ≥ r` (no root: `κ → 0`).
  public func effectiveRegularization(samples n: Int, ridge delta: Double) throws(KernelAnalysisError)
    -> Double
  {
    guard n >= 1 else {
      throw .invalidParameter(name: "samples", value: Double(n), requirement: "must be at least 1")
    }
    guard delta.isFinite, delta >= 0 else {
      throw .invalidParameter(name: "ridge", value: delta, requirement: "must be finite and ≥ 0")
    }
    let samples = Double(n)
    if delta == 0 && n >= rank { throw .interpolationThreshold(samples: n, rank: rank) }
    var total = CompensatedSum()
    var smallestPositive = Double.infinity
    for lambda in eigenvalues where lambda > 0 {
      total.add(lambda)
      smallestPositive = min(smallestPositive, lambda)
    }
    var hi = (total.value + delta) / samples
    var lo = delta > 0 ? delta / samples : smallestPositive * Double(rank - n) / samples
    guard lo > 0, hi.isFinite, lo <= hi else { throw .noConvergence(what: "bracketing of κ") }
    // g(κ) = Σ λ/(λ+κ) + δ/κ − n and −dg/d(log κ) = Σ λκ/(λ+κ)² + δ/κ.
    func residual(_ kappa: Double) -> (g: Double, slope: Double) {
      var sum = CompensatedSum()
      var slope = CompensatedSum()
      for lambda in eigenvalues where lambda > 0 {
        let denominator = lambda + kappa
        sum.add(lambda / denominator)
        slope.add(lambda * kappa / (denominator * denominator))
      }
      sum.add(delta / kappa)
      sum.add(-samples)
      slope.add(delta / kappa)
      return (sum.value, slope.value)
    }
    var kappa = lo
    for _ in 0..<300 {
      let (g, slope) = residual(kappa)
      if g == 0 { return kappa }
      if g > 0 { lo = kappa } else { hi = kappa }
      if hi - lo <= 2 * Double.ulpOfOne * hi || abs(g) <= 4 * Double.ulpOfOne * samples { return kappa }
      // Newton in t = log κ: t ← t + g / slope.
      var next = slope > 0 ? kappa * exp(g / slope) : .nan
      if !(next > lo && next < hi) { next = (lo * hi).squareRoot() }
      if next == kappa { return kappa }
      kappa = next
    }
    throw .noConvergence(what: "Newton iteration for κ")
  }

  /// The eigenlearning estimates for `n` samples, ridge `δ` and label-noise variance `ε²`
  /// (`noise`), as described on the type. Throws like `effectiveRegularization`, and for a
  /// negative or non-finite `noise`.
  public func predict(samples n: Int, ridge delta: Double, noise: Double = 0) throws(KernelAnalysisError)
    -> EigenlearningPrediction
  {
    guard noise.isFinite, noise >= 0 else {
      throw .invalidParameter(
        name: "noise", value: noise, requirement: "the variance ε² must be finite and ≥ 0")
    }
    let kappa = try effectiveRegularization(samples: n, ridge: delta)
    let samples = Double(n)
    var learnabilities = [Double](repeating: 0, count: eigenvalues.count)
    var learnabilitySum = CompensatedSum()
    var stiffness = CompensatedSum()  // n − Σ L² = Σ λκ/(λ+κ)² + δ/κ
    var unlearned = CompensatedSum()  // Σ (1 − L)² v²
    var learnedPower = CompensatedSum()  // Σ L v²
    var power = CompensatedSum()
    for (i, lambda) in eigenvalues.enumerated() {
      let denominator = lambda + kappa
      let l = lambda / denominator
      let oneMinus = kappa / denominator
      let v2 = targetCoefficients[i] * targetCoefficients[i]
      learnabilities[i] = l
      learnabilitySum.add(l)
      stiffness.add(l * oneMinus)
      unlearned.add(oneMinus * oneMinus * v2)
      learnedPower.add(l * v2)
      power.add(v2)
    }
    stiffness.add(delta / kappa)
    let overfitting = samples / stiffness.value
    let testMSE = overfitting * (unlearned.value + noise)
    let trainFactor = delta / (samples * kappa)
    return EigenlearningPrediction(
      samples: n, ridge: delta, noise: noise, kappa: kappa, learnabilities: learnabilities,
      learnabilitySum: learnabilitySum.value,
      kappaResidual: learnabilitySum.value + delta / kappa - samples,
      targetLearnability: power.value > 0 ? learnedPower.value / power.value : nil,
      overfittingCoefficient: overfitting, testMSE: testMSE, trainMSE: trainFactor * trainFactor * testMSE)
  }

  /// Predictions along a learning curve, one per entry of `samples` (in the given order);
  /// a sample count that fails (e.g. `n ≥ r` at `δ = 0`) gives its error in place.
  public func learningCurve(samples: [Int], ridge delta: Double, noise: Double = 0)
    -> [Result<EigenlearningPrediction, KernelAnalysisError>]
  {
    samples.map { n in
      do throws(KernelAnalysisError) {
        return .success(try predict(samples: n, ridge: delta, noise: noise))
      } catch {
        return .failure(error)
      }
    }
  }
}

/// The eigenlearning estimates for one sample count (see `EigenlearningProblem`).
public struct EigenlearningPrediction: Sendable, Equatable {
  /// `n`.
  public let samples: Int
  /// `δ`.
  public let ridge: Double
  /// `ε²`, the label-noise variance.
  public let noise: Double
  /// The effective regularisation `κ`.
  public let kappa: Double
  /// `Lᵢ = λᵢ/(λᵢ + κ)`, in the order of the problem's eigenvalues.
  public let learnabilities: [Double]
  /// `Σᵢ Lᵢ`, equal to `n − δ/κ` (the conservation law; `n` at `δ = 0`).
  public let learnabilitySum: Double
  /// `Σᵢ Lᵢ + δ/κ − n`, the residual of the κ equation (rounding level).
  public let kappaResidual: Double
  /// `Σᵢ Lᵢ vᵢ² / Σᵢ vᵢ²`; `nil` for a zero target.
  public let targetLearnability: Double?
  /// `E₀ = n/(n − Σᵢ Lᵢ²) ≥ 1`.
  public let overfittingCoefficient: Double
  /// `E₀ (Σᵢ (1 − Lᵢ)² vᵢ² + ε²)`.
  public let testMSE: Double
  /// `(δ/(nκ))² · testMSE`.
  public let trainMSE: Double
}
