/// A pair of jointly Gaussian variables `(X, Y) ~ N((mean1, mean2), [[k11, k12], [k12, k22]])`,
/// not necessarily centred, and possibly degenerate.
///
/// The closed forms that take a pair read it under the conventions of ``GaussianIntegrals``:
/// negative variances (rounding) count as 0, a zero-variance variable is the constant equal
/// to its mean, and `k12` is clamped to `[−√(k11 k22), √(k11 k22)]` (correlation in
/// `[−1, 1]`).
public struct GaussianPair: Sendable, Hashable {
  public var mean1: Double
  public var mean2: Double
  public var k11: Double
  public var k12: Double
  public var k22: Double

  public init(mean1: Double = 0, mean2: Double = 0, k11: Double, k12: Double, k22: Double) {
    self.mean1 = mean1
    self.mean2 = mean2
    self.k11 = k11
    self.k12 = k12
    self.k22 = k22
  }

  /// `(Y, X)`.
  public var swapped: GaussianPair {
    GaussianPair(mean1: mean2, mean2: mean1, k11: k22, k12: k12, k22: k11)
  }

  /// The pair with its conventions applied: variances `≥ 0`, standard deviations, the
  /// clamped covariance and the correlation (0 when either variance is 0).
  struct Normalized {
    var m1: Double
    var m2: Double
    var a: Double
    var b: Double
    var c: Double
    var s1: Double
    var s2: Double
    var rho: Double
  }

  var normalized: Normalized {
    let a = max(k11, 0)
    let b = max(k22, 0)
    let s1 = a.squareRoot()
    let s2 = b.squareRoot()
    guard a > 0, b > 0 else {
      return Normalized(m1: mean1, m2: mean2, a: a, b: b, c: 0, s1: s1, s2: s2, rho: 0)
    }
    let bound = GaussianIntegrals.rootProduct(a, b)
    let c = min(max(k12, -bound), bound)
    return Normalized(
      m1: mean1, m2: mean2, a: a, b: b, c: c, s1: s1, s2: s2, rho: min(max(c / bound, -1), 1))
  }
}
