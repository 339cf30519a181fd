import Foundation

/// Orthant probabilities of the bivariate normal law, by Genz's BVNU algorithm.
///
/// Source: A. Genz, "Numerical computation of rectangular bivariate and trivariate normal and
/// t probabilities", Statistics and Computing 14 (2004) 251–260, after Drezner and Wesolowsky
/// (1990); this is a transcription of the `BVU` function of Genz's TVPACK, with its
/// Gauss–Legendre tables, written in Swift. The absolute error is about `10⁻¹⁵` for every
/// `h`, `k` and every `ρ ∈ [−1, 1]`, including `|ρ| → 1` and `ρ = ±1` exactly.
public enum BivariateNormal {
  /// `P(Z₁ > h, Z₂ > k)` for standard normals `Z₁, Z₂` with correlation `ρ`.
  ///
  /// Three regimes, as in Genz (2004):
  /// - `ρ = 0`: `Φ(−h)Φ(−k)`.
  /// - `|ρ| < 0.925`: Plackett's identity `∂P/∂ρ = φ₂(h, k; ρ)` integrated from 0, with the
  ///   substitution `ρ = sin θ`: `P = Φ(−h)Φ(−k) + (1/2π) ∫₀^{asin ρ} exp(−(h² + k² − 2hk sin θ)
  ///   / (2cos²θ)) dθ`, by Gauss–Legendre with 6, 12 or 20 nodes for `|ρ|` below 0.3, below
  ///   0.75, and above.
  /// - `|ρ| ≥ 0.925`: the integral from `ρ = ±1` instead, where the integrand is singular;
  ///   Drezner and Wesolowsky's substitution `x = √(1 − ρ²)`, a two-term Taylor expansion of
  ///   the singular part integrated in closed form, and 20-point Gauss–Legendre for the
  ///   remainder. `ρ = 1` gives `Φ(−max(h, k))`, `ρ = −1` gives `max(0, Φ(−k) − Φ(h))`.
  ///
  /// `ρ` is clamped to `[−1, 1]`. `h`, `k` may be infinite; beyond `|·| = 40` they are treated
  /// as infinite (`Φ(−40) < 10⁻³⁴⁰` underflows anyway), which also keeps `hk` from overflowing.
  /// The result is in `[0, 1]`; finite inputs never give NaN.
  public static func upperOrthant(_ h: Double, _ k: Double, correlation: Double) -> Double {
    let r = min(max(correlation, -1), 1)
    if h >= cutoff || k >= cutoff { return 0 }
    if h <= -cutoff { return k <= -cutoff ? 1 : StandardNormal.cdf(-k) }
    if k <= -cutoff { return StandardNormal.cdf(-h) }
    if r == 0 { return StandardNormal.cdf(-h) * StandardNormal.cdf(-k) }
    let absR = abs(r)
    let rule = absR < 0.3 ? 0 : (absR < 0.75 ? 1 : 2)
    let (nodes, weights) = (legendreNodes[rule], legendreWeights[rule])
    let twoPi = 2 * Double.pi
    var k = k
    var hk = h * k
    var bvn = 0.0
    if absR < 0.925 {
      let hs = (h * h + k * k) / 2
      let asr = asin(r)
      // The nodes x ∈ (−1, 0) of the tables and their mirror images, mapped to θ ∈ (0, asin ρ).
      for i in 0..<nodes.count {
        var sn = sin(asr * (nodes[i] + 1) / 2)
        bvn += weights[i] * exp((sn * hk - hs) / (1 - sn * sn))
        sn = sin(asr * (1 - nodes[i]) / 2)
        bvn += weights[i] * exp((sn * hk - hs) / (1 - sn * sn))
      }
      bvn = bvn * asr / (2 * twoPi) + StandardNormal.cdf(-h) * StandardNormal.cdf(-k)
    } else {
      if r < 0 {
        k = -k
        hk = -hk
      }
      if absR < 1 {
        let aSquared = (1 - r) * (1 + r)
        var a = aSquared.squareRoot()
        let bs = (h - k) * (h - k)
        let c = (4 - hk) / 8
        let d = (12 - hk) / 16
        // The Taylor part, integrated in closed form; its exponents are ≤ 0 since
        // bs/(1 − ρ²) + hk ≥ h² − hk + k² ≥ 0.
        bvn =
          a * exp(-(bs / aSquared + hk) / 2)
          * (1 - c * (bs - aSquared) * (1 - d * bs / 5) / 3 + c * d * aSquared * aSquared / 5)
        // exp(−hk/2) overflows for very negative hk, where Φ(−b/a) is far smaller still.
        if hk > -160 {
          let b = bs.squareRoot()
          bvn -=
            exp(-hk / 2) * (twoPi).squareRoot() * StandardNormal.cdf(-b / a) * b
            * (1 - c * bs * (1 - d * bs / 5) / 3)
        }
        a /= 2
        // The remainder, by Gauss–Legendre on both halves of (0, √(1 − ρ²)); the exponentials
        // are combined so that no factor overflows.
        for i in 0..<nodes.count {
          var xs = (a * (nodes[i] + 1)) * (a * (nodes[i] + 1))
          var rs = (1 - xs).squareRoot()
          bvn +=
            a * weights[i]
            * (exp(-bs / (2 * xs) - hk / (1 + rs)) / rs - exp(-(bs / xs + hk) / 2)
              * (1 + c * xs * (1 + d * xs)))
          xs = aSquared * (1 - nodes[i]) * (1 - nodes[i]) / 4
          rs = (1 - xs).squareRoot()
          bvn +=
            a * weights[i] * exp(-(bs / xs + hk) / 2)
            * (exp(-hk * (1 - rs) / (2 * (1 + rs))) / rs - (1 + c * xs * (1 + d * xs)))
        }
        bvn = -bvn / twoPi
      }
      if r > 0 {
        bvn += StandardNormal.cdf(-max(h, k))
      } else {
        bvn = -bvn
        if k > h {
          // P(h < Z₁ < −k_original), from whichever tail keeps its accuracy.
          bvn +=
            h < 0
            ? StandardNormal.cdf(k) - StandardNormal.cdf(h) : StandardNormal.cdf(-h) - StandardNormal.cdf(-k)
        }
      }
    }
    // Also turns −0 into +0.
    return bvn > 0 ? min(bvn, 1) : 0
  }

  /// `Φ₂(h, k; ρ) = P(Z₁ ≤ h, Z₂ ≤ k)` for standard normals with correlation `ρ`, which by
  /// the symmetry `Z ↦ −Z` is ``upperOrthant(_:_:correlation:)`` at `(−h, −k)`.
  public static func cdf(_ h: Double, _ k: Double, correlation: Double) -> Double {
    upperOrthant(-h, -k, correlation: correlation)
  }

  /// `P(X > 0, Y > 0)` for a (possibly non-centred, possibly degenerate) Gaussian pair:
  /// `upperOrthant(−μ₁/σ₁, −μ₂/σ₂, ρ)`.
  ///
  /// A zero-variance variable is its mean, so its indicator is `1{μ > 0}` (`step(0) = 0`):
  /// `k11 = 0` gives `1{μ₁ > 0}·Φ(μ₂/σ₂)`, and both zero give `1{μ₁ > 0}·1{μ₂ > 0}`.
  public static func positiveOrthant(_ pair: GaussianPair) -> Double {
    let p = pair.normalized
    switch (p.a > 0, p.b > 0) {
    case (true, true): return upperOrthant(-p.m1 / p.s1, -p.m2 / p.s2, correlation: p.rho)
    case (true, false): return p.m2 > 0 ? StandardNormal.cdf(p.m1 / p.s1) : 0
    case (false, true): return p.m1 > 0 ? StandardNormal.cdf(p.m2 / p.s2) : 0
    case (false, false): return p.m1 > 0 && p.m2 > 0 ? 1 : 0
    }
  }

  /// Where `|h|`, `|k|` count as infinite.
  static let cutoff = 40.0

  /// The negative halves of the 6-, 12- and 20-point Gauss–Legendre rules on `[−1, 1]`; the
  /// positive nodes are their mirror images with the same weights. TVPACK's tables, but to 20
  /// digits (TVPACK lists 16, some of them off by a few ulps).
  static let legendreNodes: [[Double]] = [
    [-0.93246951420315202781, -0.66120938646626451366, -0.23861918608319690863],
    [
      -0.98156063424671925069, -0.90411725637047485668, -0.76990267419430468704, -0.58731795428661744730,
      -0.36783149899818019375, -0.12523340851146891547,
    ],
    [
      -0.99312859918509492479, -0.96397192727791379127, -0.91223442825132590587, -0.83911697182221882339,
      -0.74633190646015079261, -0.63605368072651502545, -0.51086700195082709800, -0.37370608871541956067,
      -0.22778585114164507808, -0.076526521133497333755,
    ],
  ]

  /// The weights of ``legendreNodes``.
  static let legendreWeights: [[Double]] = [
    [0.17132449237917034504, 0.36076157304813860757, 0.46791393457269104739],
    [
      0.047175336386511827195, 0.10693932599531843096, 0.16007832854334622633, 0.20316742672306592175,
      0.23349253653835480876, 0.24914704581340278500,
    ],
    [
      0.017614007139152118312, 0.040601429800386941331, 0.062672048334109063570, 0.083276741576704748725,
      0.10193011981724043504, 0.11819453196151841731, 0.13168863844917662690, 0.14209610931838205133,
      0.14917298647260374679, 0.15275338713072585070,
    ],
  ]
}
