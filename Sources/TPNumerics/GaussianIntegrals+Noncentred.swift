import Foundation

/// A coordinatewise function whose Gaussian expectations — alone, or times another one of a
/// jointly Gaussian argument — have exact closed forms for any means and covariances.
public enum ClosedFormFunction: Sendable, Hashable, CaseIterable {
  /// The constant 1.
  case one
  /// `x`.
  case identity
  /// `max(x, 0) = x·1{x>0}`.
  case relu
  /// `1{x > 0}`, with `step(0) = 0`.
  case step
  /// `|x| = x·1{x>0} − x·1{x<0}`.
  case abs
  /// `1{x>0} − 1{x<0}`, with `sign(0) = 0`.
  case sign
  /// The error function `erf(x) = (2/√π)∫₀ˣ e^{−t²} dt`.
  case erf
  /// The Gaussian factor `exp(−x²)` (so `erf′(x) = (2/√π)·exp(−x²)`).
  case gaussian

  /// `f = Σ coefficient·monomial` for the piecewise-polynomial cases, at most two terms
  /// (`abs` and `sign` have a second term with coefficient −1); nil for `erf` and `gaussian`.
  public var piecewiseTerms: (first: PiecewiseMonomial, second: PiecewiseMonomial?)? {
    switch self {
    case .one: return (PiecewiseMonomial(power: 0, indicator: .one), nil)
    case .identity: return (PiecewiseMonomial(power: 1, indicator: .one), nil)
    case .relu: return (PiecewiseMonomial(power: 1, indicator: .positive), nil)
    case .step: return (PiecewiseMonomial(power: 0, indicator: .positive), nil)
    case .abs:
      return (
        PiecewiseMonomial(power: 1, indicator: .positive), PiecewiseMonomial(power: 1, indicator: .negative)
      )
    case .sign:
      return (
        PiecewiseMonomial(power: 0, indicator: .positive), PiecewiseMonomial(power: 0, indicator: .negative)
      )
    case .erf, .gaussian: return nil
    }
  }

  /// `f(x) = x^power·(one + positive·1{x>0})` for `x ≠ 0`: `abs = x(−1 + 2·1{x>0})`,
  /// `sign = −1 + 2·1{x>0}`; nil for `erf` and `gaussian`.
  var halfLineForm: (power: Int, one: Double, positive: Double)? {
    switch self {
    case .one: return (0, 1, 0)
    case .identity: return (1, 1, 0)
    case .relu: return (1, 0, 1)
    case .step: return (0, 0, 1)
    case .abs: return (1, -1, 2)
    case .sign: return (0, -1, 2)
    case .erf, .gaussian: return nil
    }
  }
}

/// Closed-form expectations over non-centred Gaussians, with the conventions of the centred
/// forms (`step(0) = sign(0) = 0`; negative variances count as 0; correlations are clamped to
/// `[−1, 1]`; a zero-variance variable is the constant equal to its mean; finite inputs never
/// give NaN). `X ~ N(μ, σ²)`, `t = μ/σ`; pairs are ``GaussianPair``s.
///
/// The piecewise-polynomial functions reduce to truncated moments
/// (``TruncatedGaussianMoments``); `erf` and the Gaussian factor reduce to those as well:
/// - `erf(x) = E[sign(x√2 − W)]` for an independent `W ~ N(0, 1)` (since
///   `erf(z) = 2Φ(z√2) − 1`), so a factor `erf(X)` is `sign(A)` with `A = √2·X − W`, a Gaussian
///   with mean `√2 μ`, variance `2σ² + 1` and covariance `√2·Cov(X, Y)` with the other
///   variable;
/// - `exp(−X²)` times the density of `N(μ, K)` is `c·` the density of another Gaussian
///   (completing the square), so `E[exp(−X²)·g(Y)] = c·E[g(Y′)]`.
extension GaussianIntegrals {
  /// `E[f(X)]` for `X ~ N(mean, variance)`:
  /// - `step`: `Φ(t)`; `relu`: `μΦ(t) + σφ(t)`; `identity`: `μ`; `one`: 1;
  /// - `sign`: `Φ(t) − Φ(−t)`; `abs`: `μ(Φ(t) − Φ(−t)) + 2σφ(t)`;
  /// - `erf`: `erf(μ/√(1 + 2σ²))`;
  /// - `gaussian`: `E[exp(−X²)] = (1 + 2σ²)^{−1/2} · exp(−μ²/(1 + 2σ²))`.
  ///
  /// `σ = 0` gives `f(μ)`.
  public static func expectation(_ f: ClosedFormFunction, mean: Double, variance: Double) -> Double {
    let v = max(variance, 0)
    switch f {
    case .erf: return Foundation.erf(mean / (1 + 2 * v).squareRoot())
    case .gaussian: return exp(-mean * mean / (1 + 2 * v)) / (1 + 2 * v).squareRoot()
    default:
      guard let (first, second) = f.piecewiseTerms else { return 0 }
      var value = expectation(first, mean: mean, variance: v)
      if let second { value -= expectation(second, mean: mean, variance: v) }
      return value
    }
  }

  /// `E[Xⁱ·s(X)]` for `X ~ N(mean, variance)` and the monomial `xⁱ s(x)`, e.g. `i = 2`,
  /// `s = 1{x>0}` for `E[relu(X)²]`. See ``TruncatedGaussianMoments/univariate(mean:variance:indicator:maxPower:)``.
  public static func expectation(_ f: PiecewiseMonomial, mean: Double, variance: Double) -> Double {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: f.power + 1) { buffer in
      TruncatedGaussianMoments.univariate(
        mean: mean, variance: variance, indicator: f.indicator, into: buffer)
      return buffer[f.power]
    }
  }

  /// `E[Xⁱ Yʲ·s(X)·t(Y)]` for the monomials `xⁱ s(x)` and `yʲ t(y)` of a Gaussian pair: the
  /// corner of the table of ``TruncatedGaussianMoments/bivariate(_:_:_:maxPowerX:maxPowerY:)``,
  /// computed on the stack.
  public static func expectation(_ f: PiecewiseMonomial, _ g: PiecewiseMonomial, _ pair: GaussianPair)
    -> Double
  {
    let n = (f.power + 1) * (g.power + 1)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { buffer in
      TruncatedGaussianMoments.fillBivariate(
        pair, f.indicator, g.indicator, f.power, g.power, buffer.baseAddress!)  // safe: n ≥ 1
      return buffer[n - 1]
    }
  }

  /// `E[f(X)·g(Y)]` for a Gaussian pair and any two closed-form functions (64 pairs).
  ///
  /// - Piecewise-polynomial `f`, `g`: a sum of at most four truncated moments, e.g.
  ///   `E[relu(X) relu(Y)] = E[XY 1{X>0} 1{Y>0}]`, which at zero means is the arc-cosine kernel
  ///   ``reluRelu(_:_:_:)``, and `E[step(X) step(Y)] = P(X > 0, Y > 0)`. When both variances
  ///   are positive, `1{x<0} = 1 − 1{x>0}` almost surely, so `abs = x(2·1{x>0} − 1)` and
  ///   `sign = 2·1{x>0} − 1` need only the one orthant probability `P(X > 0, Y > 0)`; with a
  ///   zero variance (mass at 0, where that identity fails) the exact terms of
  ///   ``ClosedFormFunction/piecewiseTerms`` are used.
  /// - `erf` on either side: replaced by `sign(A)`, `A = √2X − W` (see the extension's
  ///   documentation); `E[erf(X) erf(Y)] = E[sign(A) sign(B)]`, whose centred case is
  ///   Williams' ``erfErf(_:_:_:)``.
  /// - `gaussian` on one side: `E[exp(−X²) g(Y)] = c·E[g(Y′)]` with
  ///   `c = (1 + 2k₁₁)^{−1/2} exp(−μ₁²/(1 + 2k₁₁))` and
  ///   `Y′ ~ N(μ₂ − 2k₁₂μ₁/(1 + 2k₁₁), k₂₂ − 2k₁₂²/(1 + 2k₁₁))`.
  /// - `gaussian` on both sides: ``gaussianFactorPair(_:)``.
  public static func expectation(_ f: ClosedFormFunction, _ g: ClosedFormFunction, _ pair: GaussianPair)
    -> Double
  {
    if f == .gaussian && g == .gaussian { return gaussianFactorPair(pair) }
    if f == .gaussian {
      let (scale, mean, variance) = tiltedByGaussianFactor(pair)
      return scale * expectation(g, mean: mean, variance: variance)
    }
    if g == .gaussian { return expectation(g, f, pair.swapped) }
    var p = pair
    var (f, g) = (f, g)
    if f == .erf {
      p = p.liftingFirstErf
      f = .sign
    }
    if g == .erf {
      p = p.swapped.liftingFirstErf.swapped
      g = .sign
    }
    guard let (f1, f2) = f.piecewiseTerms, let (g1, g2) = g.piecewiseTerms else { return 0 }
    if p.k11 > 0 && p.k22 > 0, let (power1, one1, positive1) = f.halfLineForm,
      let (power2, one2, positive2) = g.halfLineForm
    {
      // Both variables have densities, so 1{x<0} = 1 − 1{x>0} almost surely and every term is
      // in the basis {1, 1{·>0}}: one orthant probability instead of up to four.
      // Written out rather than looped over an array literal, which would allocate.
      func term(_ c1: Double, _ s: Indicator, _ c2: Double, _ t: Indicator) -> Double {
        guard c1 != 0 && c2 != 0 else { return 0 }
        return c1 * c2
          * expectation(
            PiecewiseMonomial(power: power1, indicator: s), PiecewiseMonomial(power: power2, indicator: t), p)
      }
      return term(positive1, .positive, positive2, .positive) + term(positive1, .positive, one2, .one)
        + term(one1, .one, positive2, .positive) + term(one1, .one, one2, .one)
    }
    // A zero variance puts mass on 0, where 1{x<0} ≠ 1 − 1{x>0}: use the exact terms.
    var value = expectation(f1, g1, p)
    if let g2 { value -= expectation(f1, g2, p) }
    if let f2 {
      value -= expectation(f2, g1, p)
      if let g2 { value += expectation(f2, g2, p) }
    }
    return value
  }

  /// `E[exp(−X² − Y²)] = det(I + 2K)^{−1/2} · exp(−μᵀ(I + 2K)⁻¹μ)`.
  ///
  /// Completing the square: `xᵀx + ½(x − μ)ᵀK⁻¹(x − μ) = ½(x − ν)ᵀ(K⁻¹ + 2I)(x − ν) +
  /// μᵀ(I + 2K)⁻¹μ`, and the Gaussian integral of the first part is
  /// `det(I + 2K)^{−1/2}` relative to the original density (the formula is continuous in `K`,
  /// so it also holds for singular `K`). For 2×2, `det = 1 + 2(k₁₁ + k₂₂) + 4(k₁₁k₂₂ − k₁₂²) ≥ 1`
  /// and `μᵀ(I + 2K)⁻¹μ = ((1 + 2k₂₂)μ₁² − 4k₁₂μ₁μ₂ + (1 + 2k₁₁)μ₂²) / det`. At zero means this is
  /// the centred `E[exp(−A² − B²)] = det(I + 2K)^{−1/2}`.
  public static func gaussianFactorPair(_ pair: GaussianPair) -> Double {
    let p = pair.normalized
    // The clamped covariance keeps k₁₁k₂₂ − k₁₂² ≥ 0 up to rounding; writing the determinant
    // around it avoids the cancellation of (1 + 2k₁₁)(1 + 2k₂₂) − 4k₁₂².
    let det = 1 + 2 * (p.a + p.b) + 4 * max(p.a * p.b - p.c * p.c, 0)
    let q = ((1 + 2 * p.b) * p.m1 * p.m1 - 4 * p.c * p.m1 * p.m2 + (1 + 2 * p.a) * p.m2 * p.m2) / det
    return exp(-max(q, 0)) / det.squareRoot()
  }

  /// `(c, mean, variance)` with `E[exp(−X²)·g(Y)] = c·E[g(Y′)]`, `Y′ ~ N(mean, variance)`: with
  /// `d = 1 + 2k₁₁`, `c = d^{−1/2} exp(−μ₁²/d)`, mean `μ₂ − 2k₁₂μ₁/d`, variance `k₂₂ − 2k₁₂²/d`
  /// (the covariance `K − 2K e₁e₁ᵀK/d` of the tilted law `∝ exp(−x₁²)·N(μ, K)`).
  static func tiltedByGaussianFactor(_ pair: GaussianPair) -> (Double, Double, Double) {
    let p = pair.normalized
    let d = 1 + 2 * p.a
    return (
      exp(-p.m1 * p.m1 / d) / d.squareRoot(), p.m2 - 2 * p.c * p.m1 / d, max(p.b - 2 * p.c * p.c / d, 0)
    )
  }
}

extension GaussianPair {
  /// `(A, Y)` with `A = √2·X − W`, `W ~ N(0, 1)` independent, so that `E[sign(A) | X, Y] = erf(X)`.
  var liftingFirstErf: GaussianPair {
    // From the normalized pair, so that a variance rounded below 0 drops its covariance too.
    let p = normalized
    let root2 = 2.0.squareRoot()
    return GaussianPair(mean1: root2 * p.m1, mean2: p.m2, k11: 2 * p.a + 1, k12: root2 * p.c, k22: p.b)
  }
}
