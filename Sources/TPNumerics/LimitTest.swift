import Foundation

/// The statistical test of `tp check`: do finite-width means approach a claimed limit?
///
/// Model under the null hypothesis: the seed mean at width `nᵢ` is
/// `mᵢ = L + B/nᵢ + noiseᵢ`, with independent Gaussian noise of variance `sᵢ²` (estimated from
/// `K` seeds) and an unknown `O(1/n)` bias `B`; the claimed limit `L̂` has its own error `e`, which
/// shifts every residual alike. With `r = m − L̂`, `x = 1/n` and `C = diag(s²) + e² 11ᵀ`, the
/// generalized least-squares fit of `B` leaves
///
///     S = rᵀC⁻¹r − (xᵀC⁻¹r)² / (xᵀC⁻¹x),
///
/// which is χ² with `W − 1` degrees of freedom when the `sᵢ` are exact. They are estimates from
/// `K − 1` degrees of freedom, which fattens the tail, so the critical value is found by
/// simulating the null with the same widths, variances and seed count (parametric bootstrap,
/// Efron & Tibshirani 1993, §16): `mᵢ ~ N(0, sᵢ²)`, `ŝᵢ² ~ sᵢ² χ²_{K−1}/(K−1)`, `ê` as given. The
/// test rejects when `S` exceeds the simulated `1 − α` quantile. The simulation uses a fixed
/// seed, so a verdict is reproducible.
public struct LimitTest: Sendable, Hashable {
  /// The statistic `S`.
  public var statistic: Double
  /// The simulated `1 − α` quantile of `S` under the null.
  public var critical: Double
  /// The fitted bias coefficient `B` (`m ≈ L + B/n`).
  public var bias: Double
  /// The limit extrapolated by the unconstrained fit `m ≈ L′ + B′/n`, with its standard error.
  public var extrapolated: Double
  public var extrapolatedError: Double
  /// Whether the finite widths are consistent with the limit at level `α`.
  public var passes: Bool { !(statistic > critical) }

  /// Tests `limit` (with error `limitError`) against seed means `means` with standard errors
  /// `standardErrors` at `widths`, each from `seeds` seeds, at false-alarm level `alpha`.
  /// Widths whose standard error is 0 or not finite are left out (exact agreement at a width
  /// carries no noise to test against; a disagreement there is judged by `exactTolerance`).
  public init(
    widths: [Int], means: [Double], standardErrors: [Double], seeds: Int, limit: Double, limitError: Double,
    alpha: Double, simulations: Int = 4000
  ) {
    let keep = widths.indices.filter {
      standardErrors[$0] > 0 && standardErrors[$0].isFinite && means[$0].isFinite
    }
    let x = keep.map { 1 / Double(widths[$0]) }
    let s = keep.map { standardErrors[$0] }
    let r = keep.map { means[$0] - limit }
    let e = limitError.isFinite ? max(0, limitError) : 0
    let fit = Self.fit(r: r, x: x, s: s, e: e)
    statistic = fit.statistic
    bias = fit.bias
    let free = Self.freeFit(y: keep.map { means[$0] }, x: x, s: s)
    extrapolated = free.intercept
    extrapolatedError = free.interceptError
    guard keep.count >= 1, seeds >= 2 else {
      critical = .infinity
      return
    }
    var rng = SplitMix64(seed: 0x7469_6d65 ^ UInt64(keep.count) &* 0x9E37_79B9)
    var draws: [Double] = []
    draws.reserveCapacity(simulations)
    let dof = seeds - 1
    for _ in 0..<simulations {
      // The limit's error shifts every residual alike.
      let shift = e * rng.gaussian()
      var rs: [Double] = []
      var ss: [Double] = []
      for i in s.indices {
        rs.append(s[i] * rng.gaussian() + shift)
        var chi = 0.0
        for _ in 0..<dof {
          let z = rng.gaussian()
          chi += z * z
        }
        ss.append(s[i] * (chi / Double(dof)).squareRoot())
      }
      draws.append(Self.fit(r: rs, x: x, s: ss, e: e).statistic)
    }
    draws.sort()
    let index = min(draws.count - 1, max(0, Int((1 - alpha) * Double(draws.count)) - 1))
    critical = draws.isEmpty ? .infinity : draws[index]
  }

  /// `S` and the fitted `B` for residuals `r` with noise `s` and a shared error `e`.
  static func fit(r: [Double], x: [Double], s: [Double], e: Double) -> (statistic: Double, bias: Double) {
    let w = s.count
    guard w > 0 else { return (0, 0) }
    // C⁻¹ for C = D + e² 11ᵀ (Sherman–Morrison): C⁻¹v = D⁻¹v − D⁻¹1 (e² 1ᵀD⁻¹v)/(1 + e² 1ᵀD⁻¹1).
    let d = s.map { 1 / ($0 * $0) }
    let sumD = d.reduce(0, +)
    func cinv(_ v: [Double]) -> [Double] {
      let dv = zip(d, v).map { $0 * $1 }
      let k = e * e * dv.reduce(0, +) / (1 + e * e * sumD)
      return (0..<w).map { dv[$0] - d[$0] * k }
    }
    let cr = cinv(r)
    let cx = cinv(x)
    let rr = zip(r, cr).reduce(0) { $0 + $1.0 * $1.1 }
    let xr = zip(x, cr).reduce(0) { $0 + $1.0 * $1.1 }
    let xx = zip(x, cx).reduce(0) { $0 + $1.0 * $1.1 }
    guard w >= 2, xx > 0 else { return (rr, 0) }
    return (rr - xr * xr / xx, xr / xx)
  }

  /// Weighted least squares `y ≈ a + b x` with weights `1/s²`: `a` and its standard error.
  static func freeFit(y: [Double], x: [Double], s: [Double]) -> (intercept: Double, interceptError: Double) {
    guard y.count >= 2 else { return (y.first ?? .nan, s.first ?? .nan) }
    let w = s.map { 1 / ($0 * $0) }
    let sw = w.reduce(0, +)
    let sx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 }
    let sy = zip(w, y).reduce(0) { $0 + $1.0 * $1.1 }
    let sxx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
    let sxy = (0..<y.count).reduce(0) { $0 + w[$1] * x[$1] * y[$1] }
    let det = sw * sxx - sx * sx
    guard det > 0 else { return (sy / sw, (1 / sw).squareRoot()) }
    return ((sxx * sy - sx * sxy) / det, (sxx / det).squareRoot())
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014) with Gaussian draws by Box–Muller, for simulations
/// and generators that must be reproducible: `z = state += 0x9E3779B97F4A7C15`, then two
/// xor-shift-multiply rounds. Also a `RandomNumberGenerator`, for the standard library's
/// `shuffled(using:)` and `random(in:using:)`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  var state: UInt64
  var spare: Double?

  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform on (0, 1).
  public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

  /// An integer in `0..<n` (`n > 0`), as `next() mod n` (bias below n/2⁶⁴: for test inputs).
  public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

  mutating func gaussian() -> Double {
    if let s = spare {
      spare = nil
      return s
    }
    let u = uniform()
    let v = uniform()
    let radius = (-2 * log(u)).squareRoot()
    spare = radius * sin(2 * Double.pi * v)
    return radius * cos(2 * Double.pi * v)
  }
}
