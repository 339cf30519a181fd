import Foundation

extension StandardNormal {
  /// `Φ⁻¹(p)` for `p ∈ (0, 1)`, to a few ulps: Acklam's rational approximation (relative
  /// error below 1.15·10⁻⁹; P. J. Acklam, "An algorithm for computing the inverse normal
  /// cumulative distribution function", 2003) followed by one Halley step on
  /// `Φ(x) − p` with `Φ` through `erfc` (cubic convergence takes it to full precision).
  /// `Φ⁻¹(0) = −∞`, `Φ⁻¹(1) = +∞`; NaN outside `[0, 1]`.
  public static func quantile(_ p: Double) -> Double {
    guard p > 0, p < 1 else { return p == 0 ? -.infinity : (p == 1 ? .infinity : .nan) }
    var x = approximateQuantile(p)
    // Halley: e = Φ(x) − p (the upper tail through Φ(−x) keeps its digits), u = e/φ(x).
    let e = x > 0 ? (1 - p) - cdf(-x) : cdf(x) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
    x -= u / (1 + 0.5 * x * u)
    return x
  }

  /// Acklam's rational approximation of `Φ⁻¹(p)` alone (relative error below 1.15·10⁻⁹),
  /// for `p ∈ (0, 1)`: a few multiplications in the centre, a logarithm in the tails.
  @inlinable
  public static func approximateQuantile(_ p: Double) -> Double {
    let a = (
      -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00
    )
    let b = (
      -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01
    )
    let c = (
      -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00
    )
    let d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    let low = 0.02425
    let x: Double
    if p < low {
      let q = (-2 * log(p)).squareRoot()
      x =
        (((((c.0 * q + c.1) * q + c.2) * q + c.3) * q + c.4) * q + c.5)
        / ((((d.0 * q + d.1) * q + d.2) * q + d.3) * q + 1)
    } else if p <= 1 - low {
      let q = p - 0.5
      let r = q * q
      x =
        (((((a.0 * r + a.1) * r + a.2) * r + a.3) * r + a.4) * r + a.5) * q
        / (((((b.0 * r + b.1) * r + b.2) * r + b.3) * r + b.4) * r + 1)
    } else {
      let q = (-2 * log1p(-p)).squareRoot()
      x =
        -(((((c.0 * q + c.1) * q + c.2) * q + c.3) * q + c.4) * q + c.5)
        / ((((d.0 * q + d.1) * q + d.2) * q + d.3) * q + 1)
    }
    return x
  }
}

/// A randomly shifted rank-1 lattice rule (Korobov form) for randomized quasi-Monte Carlo:
/// point `i` of `N`, coordinate `j`, is
///
///     u_{i,j} = frac(i · z_j / N + Δ_j),    z_j = a^j mod N,
///
/// with one independent uniform shift `Δ_j` per coordinate and randomization (Cranley &
/// Patterson, "Randomization of number theoretic methods for multiple integration", SIAM J.
/// Numer. Anal. 13, 1976; Korobov 1959; L'Ecuyer & Lemieux, "Variance reduction via lattice
/// rules", Management Science 46, 2000). Each shifted point is uniform on the unit cube, so
/// the average over the points is an unbiased estimate of the integral; independent shifts
/// give independent estimates, whose spread is an honest error (Owen, "Monte Carlo theory,
/// methods and examples", ch. 17). Mapped through `Φ⁻¹` (Acklam's approximation without the
/// refinement step, relative error below 1.15·10⁻⁹: a fixed monotone map whose law differs
/// from `N(0, 1)` by far less than any sampling error), coordinates are standard normals.
///
/// The multiplier `a` is chosen once per `N` among odd candidates by the weighted
/// figure of merit `P₂ = Σ_{i} ∏_{j<s} (1 + γ_j·2π² B₂(frac(i z_j/N))) − 1` over the first
/// `s = 16` coordinates with product weights `γ_j = 0.9^j` (`B₂(x) = x² − x + 1/6`): the
/// worst-case squared error of the unshifted rule in a weighted Korobov space of smoothness 1
/// (Sloan & Joe, "Lattice methods for multiple integration", 1994, §4).
public struct RankOneLattice: Sendable {
  public let count: Int
  public let multiplier: Int

  /// The lattice of `count` points with a searched multiplier.
  public init(count: Int) {
    self.count = count
    self.multiplier = Self.searchMultiplier(count)
  }

  /// `z_j = a^j mod N` (reduced each step, so it never overflows for `N < 2³¹`).
  public func generator(_ j: Int) -> Int {
    guard count > 1 else { return 0 }
    var z = 1
    var base = multiplier % count
    var e = j
    while e > 0 {
      if e & 1 == 1 { z = (z * base) % count }
      base = (base * base) % count
      e >>= 1
    }
    return z
  }

  /// Standard normal values of coordinate `j` at every point, shifted by `shift ∈ [0, 1)`.
  public func gaussians(coordinate j: Int, shift: Double) -> [Double] {
    let z = generator(j)
    let n = count
    return [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
      for i in 0..<n {
        // i·z mod N exactly in integers, then the shift; u stays in [0, 1).
        let r = Double((i * z) % n) / Double(n) + shift
        var u = r >= 1 ? r - 1 : r
        // Keep away from 0, where Φ⁻¹ is −∞ (probability 0 for a random shift).
        if u <= 0 { u = 0x1p-53 }
        buffer[i] = StandardNormal.approximateQuantile(u)
      }
      initialized = n
    }
  }

  /// The odd multiplier `a` in `[2, N)` with the smallest weighted `P₂` over up to 64
  /// candidates spread over `[2, N)` by the golden ratio.
  static func searchMultiplier(_ n: Int) -> Int {
    guard n > 3 else { return 1 }
    let dims = 16
    let candidates = min(64, n / 2)
    // The merit on every `stride`-th point (a sublattice) when N is large: the search costs
    // at most 64 × 8192 × 16 operations.
    let stride = max(1, n / 8192)
    var best = 1
    var bestMerit = Double.infinity
    let b2 = { (x: Double) in x * x - x + 1.0 / 6 }
    for c in 0..<candidates {
      // Spread over [2, N) by the golden ratio, made odd and coprime-ish to N.
      var a =
        2 + Int((Double(c) * 0.618_033_988_749_894_8).truncatingRemainder(dividingBy: 1) * Double(n - 3))
      if a % 2 == 0 { a += 1 }
      if a >= n { continue }
      var z = [Int](repeating: 1, count: dims)
      for j in 1..<dims { z[j] = (z[j - 1] * a) % n }
      var merit = 0.0
      for i in Swift.stride(from: 0, to: n, by: stride) {
        var p = 1.0
        var g = 1.0
        for j in 0..<dims {
          p *= 1 + g * 2 * Double.pi * Double.pi * b2(Double((i * z[j]) % n) / Double(n))
          g *= 0.9
        }
        merit += p
      }
      merit = merit / Double((n + stride - 1) / stride) - 1
      if merit < bestMerit {
        bestMerit = merit
        best = a
      }
    }
    return best
  }
}
