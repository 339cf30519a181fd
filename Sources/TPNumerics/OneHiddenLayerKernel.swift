/// The NNGP and NTK of a one-hidden-layer network as dot-product kernels on the unit sphere,
/// from the Hermite coefficients of its activation.
///
/// Network (NTK parametrization, every layer trained): for inputs `x, x′` on the unit
/// sphere with `ρ = x·x′ ∈ [−1, 1]`, hidden pre-activations `hᵢ(x) = wᵢ·x + bᵢ` with
/// weights of variance `σ_w²` (so `Var(wᵢ·x) = σ_w²` on the sphere) and bias variance
/// `σ_b²`, output `f(x) = σ_v n^{−1/2} Σᵢ vᵢ φ(hᵢ(x))`. The pre-activation covariance is
/// `Σ(ρ) = σ_w² ρ + σ_b²`, its diagonal `q = σ_w² + σ_b²`, the correlation
/// `c(ρ) = Σ(ρ)/q ∈ [−1, 1]`. Let `aₖ` be the Hermite coefficients of `z ↦ φ(√q z)` (the
/// activation at unit pre-activation variance; `HermiteExpansion`). Then:
///
/// - **NNGP** (Neal 1996; Lee et al. 2018): `K(ρ) = σ_v² E[φ(u)φ(v)] = σ_v² Σₖ aₖ² c(ρ)ᵏ`,
///   by Mehler's formula `E[hⱼ(z)hₖ(z′)] = δⱼₖ cᵏ` for a standard pair with correlation `c`
///   (O'Donnell, "Analysis of Boolean Functions", Prop. 11.33; Daniely, Frostig & Singer,
///   "Toward deeper understanding of neural networks", NeurIPS 2016, Lemma 11).
/// - **NTK** (Jacot, Gabriel & Hongler 2018, Thm. 1 for one hidden layer): the readout's
///   gradients give `K(ρ)`; the input weights' and bias gradients give
///   `σ_v² Σ(ρ) E[φ′(u)φ′(v)]`. With `hₖ′ = √k h_{k−1}`, the derivative of `φ(√q z)` has
///   coefficients `√(k+1) a_{k+1}`, so `E[φ′(u)φ′(v)] = (1/q) Σₖ k aₖ² c^{k−1}` and
///
///       Θ(ρ) = σ_v² (Σₖ aₖ² cᵏ + c Σₖ k aₖ² c^{k−1}) = σ_v² Σₖ (k + 1) aₖ² cᵏ.
///
///   For `σ_w² = 1`, `σ_b² = σ_v² = 1` this is `Θ(ρ) = K(ρ) + ρ Σₖ k aₖ² ρ^{k−1}`.
///
/// Checks (the tests): relu gives the arc-cosine kernels of Cho & Saul 2009,
/// `K = (q/2π)(sin θ + (π − θ) cos θ)` and `E[φ′φ′] = (π − θ)/(2π)` with `cos θ = c`;
/// erf gives Williams' `(2/π) arcsin(2Σ/(1 + 2q))` (Williams 1997).
///
/// **Errors.** A truncated series (`K` terms) misses `Σ_{k>K} aₖ² cᵏ`, at most
/// `|c|^{K+1} (E[φ²] − Σ_{k≤K} aₖ²)` in absolute value; the NTK misses at most
/// `|c|^{K+1} (E[φ²] + E[φ′²] − Σ_{k≤K} (k+1) aₖ²)`, known when `E[φ′²]` is. Quadrature
/// errors `eₖ` of the coefficients add `Σₖ 2|aₖ| eₖ |c|ᵏ` (times `k + 1` for the NTK). Near
/// `|c| = 1` the truncation bound dominates for activations with kinks (their `aₖ²` decay
/// only like `k^{−5/2}` for relu).
///
/// `ρ` outside `[−1, 1]` is clamped (as in `GaussianIntegrals`); NaN gives NaN.
public struct OneHiddenLayerKernel: Sendable, Equatable {
  /// The Hermite coefficients of `z ↦ φ(√q z)`.
  public let expansion: HermiteExpansion
  /// `σ_w²`, the input-weight variance (the variance of `w·x` on the unit sphere).
  public let weightVariance: Double
  /// `σ_b²`, the bias variance.
  public let biasVariance: Double
  /// `σ_v²`, the readout variance (an overall factor).
  public let readoutVariance: Double

  /// The kernels of the activation whose unit-variance expansion is `expansion` (already
  /// of `z ↦ φ(√q z)`). Requires `σ_w² ≥ 0`, `σ_b² ≥ 0`, `σ_w² + σ_b² > 0`, `σ_v² ≥ 0`,
  /// all finite.
  public init(
    expansion: HermiteExpansion, weightVariance: Double = 1, biasVariance: Double = 0,
    readoutVariance: Double = 1
  ) throws(KernelAnalysisError) {
    try Self.checkVariances(weightVariance, biasVariance, readoutVariance)
    self.expansion = expansion
    self.weightVariance = weightVariance
    self.biasVariance = biasVariance
    self.readoutVariance = readoutVariance
  }

  /// The kernels of `activation` (kinks or jumps at `breakpoints`, optional derivative for
  /// the NTK error bound), expanded to `degree` by `HermiteExpansion` after the rescaling
  /// `z ↦ activation(√q z)`.
  public init(
    activation: (Double) -> Double, breakpoints: [Double] = [], derivative: ((Double) -> Double)? = nil,
    degree: Int, weightVariance: Double = 1, biasVariance: Double = 0, readoutVariance: Double = 1
  ) throws(KernelAnalysisError) {
    try Self.checkVariances(weightVariance, biasVariance, readoutVariance)
    let s = (weightVariance + biasVariance).squareRoot()
    let scaledDerivative: ((Double) -> Double)?
    if let derivative {
      scaledDerivative = { s * derivative(s * $0) }
    } else {
      scaledDerivative = nil
    }
    let expansion = try HermiteExpansion(
      of: { activation(s * $0) }, degree: degree, breakpoints: breakpoints.map { $0 / s },
      derivative: scaledDerivative)
    try self.init(
      expansion: expansion, weightVariance: weightVariance, biasVariance: biasVariance,
      readoutVariance: readoutVariance)
  }

  static func checkVariances(_ w: Double, _ b: Double, _ v: Double) throws(KernelAnalysisError) {
    for (name, value) in [("weightVariance", w), ("biasVariance", b), ("readoutVariance", v)]
    where !(value.isFinite && value >= 0) {
      throw .invalidParameter(name: name, value: value, requirement: "must be finite and ≥ 0")
    }
    guard w + b > 0 else {
      throw .invalidParameter(
        name: "weightVariance + biasVariance", value: w + b, requirement: "must be positive")
    }
  }

  /// `q = σ_w² + σ_b²`, the pre-activation variance on the sphere.
  public var preactivationVariance: Double { weightVariance + biasVariance }

  /// `c(ρ) = (σ_w² ρ + σ_b²)/q` for `ρ` clamped to `[−1, 1]`.
  public func correlation(_ rho: Double) -> Double {
    guard !rho.isNaN else { return .nan }
    let r = min(max(rho, -1), 1)
    return min(max((weightVariance * r + biasVariance) / preactivationVariance, -1), 1)
  }

  /// The series coefficients in `c`: `σ_v² aₖ²` (NNGP).
  var nngpSeries: [Double] { expansion.coefficients.map { readoutVariance * $0 * $0 } }
  /// The series coefficients in `c`: `σ_v² (k+1) aₖ²` (NTK).
  var ntkSeries: [Double] {
    expansion.coefficients.enumerated().map { readoutVariance * Double($0.0 + 1) * $0.1 * $0.1 }
  }

  /// The NNGP kernel `K(ρ) = σ_v² Σₖ aₖ² c(ρ)ᵏ` (truncated at the expansion's degree).
  public func nngp(_ rho: Double) -> Double { Self.horner(nngpSeries, correlation(rho)) }

  /// The NTK `Θ(ρ) = σ_v² Σₖ (k+1) aₖ² c(ρ)ᵏ` (truncated at the expansion's degree).
  public func ntk(_ rho: Double) -> Double { Self.horner(ntkSeries, correlation(rho)) }

  /// A bound on `|K_true(ρ) − nngp(ρ)|`: truncation plus propagated quadrature error.
  public func nngpError(_ rho: Double) -> Double {
    let c = abs(correlation(rho))
    let a = expansion.coefficients
    var propagated = 0.0
    var power = 1.0
    for k in a.indices {
      propagated += 2 * abs(a[k]) * expansion.errors[k] * power
      power *= c
    }
    // `power` is now |c|^{K+1}.
    let tail = (expansion.truncatedPower + expansion.secondMomentError) * power
    return readoutVariance * (propagated + tail)
  }

  /// A bound on `|Θ_true(ρ) − ntk(ρ)|`, or `nil` when `E[φ′²]` is unknown (no derivative
  /// was supplied to the quadrature), since the NTK's truncation needs it.
  public func ntkError(_ rho: Double) -> Double? {
    guard let derivativeMoment = expansion.derivativeSecondMoment else { return nil }
    let c = abs(correlation(rho))
    let a = expansion.coefficients
    var propagated = 0.0
    var captured = 0.0
    var power = 1.0
    for k in a.indices {
      propagated += Double(k + 1) * 2 * abs(a[k]) * expansion.errors[k] * power
      captured += Double(k + 1) * a[k] * a[k]
      power *= c
    }
    let total = expansion.secondMoment + derivativeMoment
    let tail = (max(0, total - captured) + expansion.secondMomentError) * power
    return readoutVariance * (propagated + tail)
  }

  /// The NNGP as a power series in `ρ`: `K(ρ) = Σⱼ bⱼ ρʲ` (degree `K`). With `σ_b = 0` this
  /// is `bⱼ = σ_v² aⱼ²`; otherwise `c = αρ + β` (`α = σ_w²/q`, `β = σ_b²/q`) is substituted,
  /// `bⱼ = σ_v² Σ_{k ≥ j} aₖ² C(k, j) αʲ β^{k−j}`, by Horner's scheme on polynomials (all
  /// terms non-negative, so nothing cancels).
  public var nngpCoefficients: [Double] { powerSeriesInRho(nngpSeries) }

  /// The NTK as a power series in `ρ` (as `nngpCoefficients`, from `σ_v² (k+1) aₖ²`).
  public var ntkCoefficients: [Double] { powerSeriesInRho(ntkSeries) }

  func powerSeriesInRho(_ series: [Double]) -> [Double] {
    let alpha = weightVariance / preactivationVariance
    let beta = biasVariance / preactivationVariance
    var q: [Double] = []
    for k in stride(from: series.count - 1, through: 0, by: -1) {
      // q ← q·(αρ + β) + s_k
      var next = [Double](repeating: 0, count: q.count + 1)
      for (j, c) in q.enumerated() {
        next[j] += beta * c
        next[j + 1] += alpha * c
      }
      next[0] += series[k]
      q = next
    }
    return q
  }

  /// `Σ cₖ xᵏ` by Horner's rule.
  static func horner(_ c: [Double], _ x: Double) -> Double {
    var s = 0.0
    for k in stride(from: c.count - 1, through: 0, by: -1) { s = s * x + c[k] }
    return s
  }
}
