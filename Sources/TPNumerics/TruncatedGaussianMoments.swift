import Foundation

/// Which part of the real line an indicator factor keeps.
public enum Indicator: Sendable, Hashable, CaseIterable {
  /// The constant 1 (no truncation).
  case one
  /// `1{x > 0}`, so 0 at `x = 0` (the `step` convention).
  case positive
  /// `1{x < 0} = 1{−x > 0}`, also 0 at `x = 0`.
  case negative
}

/// `x^power · indicator(x)`: the building block of piecewise-polynomial functions with a kink
/// or a jump at 0 (`relu = x·1{x>0}`, `step = 1{x>0}`, `abs = x·1{x>0} − x·1{x<0}`, …).
public struct PiecewiseMonomial: Sendable, Hashable {
  /// The exponent, `≥ 0`.
  public var power: Int
  public var indicator: Indicator

  public init(power: Int, indicator: Indicator) {
    precondition(power >= 0, "a monomial needs a non-negative power")
    self.power = power
    self.indicator = indicator
  }
}

/// Truncated moments of non-centred Gaussians: `E[X^i·s(X)]` and `E[X^i Y^j·s(X)·t(Y)]` with
/// `s, t ∈ {1, 1{·>0}, 1{·<0}}`, all powers up to a bound at once.
///
/// Both come from Gaussian integration by parts (Stein's identity),
/// `E[X·g(X, Y)] = μ_X E[g] + Var(X) E[∂_X g] + Cov(X, Y) E[∂_Y g]`, applied to
/// `g = X^{i−1} Y^j 1{X>0} 1{Y>0}`. The derivative of an indicator is a delta function, so
/// besides the lower moments each step picks up a boundary term: a density at 0 times a
/// truncated moment of the *conditional* law (normal, by the usual regression formulas). For
/// the standardized `tᵢ = μᵢ/σᵢ`, correlation `ρ`, and
///
///     αⱼ = φ(t₁)·E[Yʲ t(Y) | X = 0],   Y | X = 0 ~ N(σ₂(t₂ − ρt₁), σ₂²(1 − ρ²)),
///     βᵢ = φ(t₂)·E[Xⁱ s(X) | Y = 0],   X | Y = 0 ~ N(σ₁(t₁ − ρt₂), σ₁²(1 − ρ²)),
///
/// (α = 0 when `s = 1`, β = 0 when `t = 1`), the table `F_{ij} = E[Xⁱ Yʲ s(X) t(Y)]` obeys
///
///     F₀₀ = P(s(X) t(Y) = 1)                     (bivariate orthant, Φ, or 1)
///     F_{i0} = μ₁F_{i−1,0} + k₁₁(i−1)F_{i−2,0} + σ₁([i = 1]α₀ + ρβ_{i−1})
///     F_{ij} = μ₂F_{i,j−1} + k₁₂·i·F_{i−1,j−1} + k₂₂(j−1)F_{i,j−2} + σ₂([i = 0]ρα_{j−1} + [j = 1]βᵢ)
///
/// — the recursion of Kan and Robotti, "On moments of folded and truncated multivariate normal
/// distributions", J. Comput. Graph. Stat. 26 (2017), specialised to two variables and to one
/// truncation point per variable. `s(x) = 1{x<0}` is `1{−x>0}`: the recursion runs for `−X`
/// and odd powers change sign.
///
/// Degenerate laws need no division: a zero-variance variable is its mean (independent of the
/// other), and at `ρ = ±1` the conditional laws are point masses. A point mass exactly at 0
/// then counts ½ in α and β — the limit `|ρ| → 1`, and the only choice for which the boundary
/// terms of `1{X>0}` and `1{Y>0}` add up correctly when both thresholds coincide (e.g.
/// `X = Y`); the moments themselves keep `step(0) = 0` and are continuous there.
///
/// Accuracy: the recursion adds terms of mixed sign when a mean is far below its threshold, so
/// the absolute error is a few ulps of the untruncated scale `E[|X|ⁱ|Y|ʲ]` rather than of the
/// (then tiny) moment itself; `F₀₀` carries the ~`10⁻¹⁵` absolute error of
/// ``BivariateNormal/upperOrthant(_:_:correlation:)``.
public enum TruncatedGaussianMoments {
  /// `[E[X⁰ s(X)], …, E[X^K s(X)]]` for `X ~ N(mean, variance)`, `K = maxPower ≥ 0`.
  ///
  /// For `s = 1{x>0}` and `σ > 0`: `m₀ = Φ(μ/σ)`, `m₁ = μΦ(μ/σ) + σφ(μ/σ)`,
  /// `mᵢ = μm_{i−1} + σ²(i−1)m_{i−2}`; for `s = 1` the same recursion from `m₀ = 1`, `m₁ = μ`
  /// (the non-central moments). Zero variance gives `μⁱ·s(μ)`.
  public static func univariate(mean: Double, variance: Double, indicator: Indicator, maxPower: Int)
    -> [Double]
  {
    precondition(maxPower >= 0, "maxPower must be non-negative")
    return [Double](unsafeUninitializedCapacity: maxPower + 1) { buffer, count in
      univariate(mean: mean, variance: variance, indicator: indicator, into: buffer)
      count = maxPower + 1
    }
  }

  /// ``univariate(mean:variance:indicator:maxPower:)`` written into `moments`
  /// (`moments[i] = E[Xⁱ s(X)]` for every index), without allocating.
  public static func univariate(
    mean: Double, variance: Double, indicator: Indicator, into moments: UnsafeMutableBufferPointer<Double>
  ) {
    guard let m = moments.baseAddress else { return }
    let v = max(variance, 0)
    let flip = indicator == .negative
    fillUnivariate(
      mean: flip ? -mean : mean, variance: v, sd: v.squareRoot(), truncated: indicator != .one,
      tieHalf: false, m,
      moments.count)
    if flip { negateOddPowers(m, moments.count) }
  }

  /// The table `E[Xⁱ Yʲ s(X) t(Y)]`, `0 ≤ i ≤ maxPowerX`, `0 ≤ j ≤ maxPowerY` (so every
  /// total degree up to `min(maxPowerX, maxPowerY)`), for `(X, Y)` the given pair,
  /// `s = indicatorX`, `t = indicatorY`.
  public static func bivariate(
    _ pair: GaussianPair, _ indicatorX: Indicator, _ indicatorY: Indicator, maxPowerX: Int, maxPowerY: Int
  ) -> TruncatedMomentTable {
    TruncatedMomentTable(pair, indicatorX, indicatorY, maxPowerX: maxPowerX, maxPowerY: maxPowerY)
  }

  /// ``bivariate(_:_:_:maxPowerX:maxPowerY:)`` written into `table`, row-major
  /// (`table[i·(maxPowerY + 1) + j]`), without allocating; `table` must hold
  /// `(maxPowerX + 1)(maxPowerY + 1)` values.
  public static func bivariate(
    _ pair: GaussianPair, _ indicatorX: Indicator, _ indicatorY: Indicator, maxPowerX: Int, maxPowerY: Int,
    into table: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(maxPowerX >= 0 && maxPowerY >= 0, "powers must be non-negative")
    precondition(table.count >= (maxPowerX + 1) * (maxPowerY + 1), "the table is too small")
    guard let t = table.baseAddress else { return }
    fillBivariate(pair, indicatorX, indicatorY, maxPowerX, maxPowerY, t)
  }

  // MARK: - Kernels

  /// `m[i] = E[Xⁱ s(X)]`, `i < n`, for `X ~ N(mean, sd²)` and `s = 1{x>0}` (`truncated`) or 1.
  /// With `tieHalf`, a point mass at exactly 0 counts ½ (used for the conditional laws only).
  static func fillUnivariate(
    mean mu: Double, variance v: Double, sd: Double, truncated: Bool, tieHalf: Bool,
    _ m: UnsafeMutablePointer<Double>,
    _ n: Int
  ) {
    guard n > 0 else { return }
    if !truncated {
      m[0] = 1
    } else if sd > 0 {
      m[0] = StandardNormal.cdf(mu / sd)
    } else {
      m[0] = mu > 0 ? 1 : (mu == 0 && tieHalf ? 0.5 : 0)
    }
    guard n > 1 else { return }
    // The boundary term σ²·p(0) = σφ(μ/σ) of E[X·1{X>0}]; 0 when σ = 0 (even for μ = 0,
    // where μ/σ is NaN, hence the explicit test).
    m[1] = mu * m[0] + (truncated && sd > 0 ? sd * StandardNormal.density(mu / sd) : 0)
    var i = 2
    while i < n {
      m[i] = mu * m[i - 1] + v * Double(i - 1) * m[i - 2]
      i += 1
    }
  }

  static func negateOddPowers(_ m: UnsafeMutablePointer<Double>, _ n: Int) {
    var i = 1
    while i < n {
      m[i] = -m[i]
      i += 2
    }
  }

  /// The recursion of the type's documentation into `f[i·(J+1) + j]`, `i ≤ I`, `j ≤ J`.
  static func fillBivariate(
    _ pair: GaussianPair, _ x: Indicator, _ y: Indicator, _ I: Int, _ J: Int,
    _ f: UnsafeMutablePointer<Double>
  ) {
    var p = pair.normalized
    // 1{X<0} = 1{−X>0}: work with −X (mean and covariance change sign), fix the signs at the end.
    if x == .negative {
      p.m1 = -p.m1
      p.c = -p.c
      p.rho = -p.rho
    }
    if y == .negative {
      p.m2 = -p.m2
      p.c = -p.c
      p.rho = -p.rho
    }
    let hx = x != .one
    let hy = y != .one
    let stride = J + 1
    if !(p.a > 0 && p.b > 0) {
      // A constant is independent of everything: the table is an outer product.
      withUnsafeTemporaryAllocation(of: Double.self, capacity: I + J + 2) { buffer in
        let u = buffer.baseAddress!  // safe: capacity ≥ 2
        let v = u + (I + 1)
        fillUnivariate(mean: p.m1, variance: p.a, sd: p.s1, truncated: hx, tieHalf: false, u, I + 1)
        fillUnivariate(mean: p.m2, variance: p.b, sd: p.s2, truncated: hy, tieHalf: false, v, J + 1)
        for i in 0...I {
          for j in 0...J { f[i * stride + j] = u[i] * v[j] }
        }
      }
    } else {
      let t1 = p.m1 / p.s1
      let t2 = p.m2 / p.s2
      let rho = p.rho
      let f00: Double
      switch (hx, hy) {
      case (true, true): f00 = BivariateNormal.upperOrthant(-t1, -t2, correlation: rho)
      case (true, false): f00 = StandardNormal.cdf(t1)
      case (false, true): f00 = StandardNormal.cdf(t2)
      case (false, false): f00 = 1
      }
      let oneMinusRhoSquared = (1 - rho) * (1 + rho)
      let conditionalFactor = oneMinusRhoSquared > 0 ? oneMinusRhoSquared.squareRoot() : 0
      let countA = max(J, 1)
      withUnsafeTemporaryAllocation(of: Double.self, capacity: countA + I + 1) { buffer in
        let alpha = buffer.baseAddress!  // safe: capacity ≥ 2
        let beta = alpha + countA
        // α: the boundary of 1{X>0}, with Y | X = 0; written with t's so that at ρ = ±1 the two
        // conditional means σ₂(t₂ − ρt₁) and σ₁(t₁ − ρt₂) have exactly consistent signs.
        if hx {
          let sd = p.s2 * conditionalFactor
          fillUnivariate(
            mean: p.s2 * (t2 - rho * t1), variance: sd * sd, sd: sd, truncated: hy, tieHalf: true, alpha,
            countA)
          let density = StandardNormal.density(t1)
          for q in 0..<countA { alpha[q] *= density }
        } else {
          for q in 0..<countA { alpha[q] = 0 }
        }
        if hy {
          let sd = p.s1 * conditionalFactor
          fillUnivariate(
            mean: p.s1 * (t1 - rho * t2), variance: sd * sd, sd: sd, truncated: hx, tieHalf: true, beta, I + 1
          )
          let density = StandardNormal.density(t2)
          for q in 0...I { beta[q] *= density }
        } else {
          for q in 0...I { beta[q] = 0 }
        }
        let (m1, m2, a, b, c, s1, s2) = (p.m1, p.m2, p.a, p.b, p.c, p.s1, p.s2)
        f[0] = f00
        if I >= 1 {
          for i in 1...I {
            var value = m1 * f[(i - 1) * stride] + s1 * rho * beta[i - 1]
            if i == 1 { value += s1 * alpha[0] }
            if i >= 2 { value += a * Double(i - 1) * f[(i - 2) * stride] }
            f[i * stride] = value
          }
        }
        if J >= 1 {
          for j in 1...J {
            for i in 0...I {
              var value = m2 * f[i * stride + j - 1]
              if i >= 1 { value += c * Double(i) * f[(i - 1) * stride + j - 1] }
              if j >= 2 { value += b * Double(j - 1) * f[i * stride + j - 2] }
              if i == 0 { value += s2 * rho * alpha[j - 1] }
              if j == 1 { value += s2 * beta[i] }
              f[i * stride + j] = value
            }
          }
        }
      }
    }
    if x == .negative {
      var i = 1
      while i <= I {
        for j in 0...J { f[i * stride + j] = -f[i * stride + j] }
        i += 2
      }
    }
    if y == .negative {
      for i in 0...I {
        var j = 1
        while j <= J {
          f[i * stride + j] = -f[i * stride + j]
          j += 2
        }
      }
    }
  }
}

/// `E[Xⁱ Yʲ s(X) t(Y)]` for `0 ≤ i ≤ maxPowerX`, `0 ≤ j ≤ maxPowerY`, from
/// ``TruncatedGaussianMoments``.
public struct TruncatedMomentTable: Sendable, Hashable {
  public let maxPowerX: Int
  public let maxPowerY: Int
  /// Row-major: `values[i·(maxPowerY + 1) + j]`.
  public let values: [Double]

  /// The table for `pair` with indicators `s = indicatorX` on `X` and `t = indicatorY` on `Y`.
  public init(
    _ pair: GaussianPair, _ indicatorX: Indicator, _ indicatorY: Indicator, maxPowerX: Int, maxPowerY: Int
  ) {
    precondition(maxPowerX >= 0 && maxPowerY >= 0, "powers must be non-negative")
    let n = (maxPowerX + 1) * (maxPowerY + 1)
    self.maxPowerX = maxPowerX
    self.maxPowerY = maxPowerY
    self.values = [Double](unsafeUninitializedCapacity: n) { buffer, count in
      TruncatedGaussianMoments.fillBivariate(
        pair, indicatorX, indicatorY, maxPowerX, maxPowerY, buffer.baseAddress!)  // safe: n ≥ 1
      count = n
    }
  }

  /// `E[Xⁱ Yʲ s(X) t(Y)]`; `0 ≤ i ≤ maxPowerX`, `0 ≤ j ≤ maxPowerY`.
  public subscript(i: Int, j: Int) -> Double {
    precondition((0...maxPowerX).contains(i) && (0...maxPowerY).contains(j), "power out of the table")
    return values[i * (maxPowerY + 1) + j]
  }
}
