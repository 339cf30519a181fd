import Foundation

/// Closed-form expectations over a centred bivariate Gaussian `(u, v)` with covariance
/// `[[k11, k12], [k12, k22]]`. Every function accepts degenerate inputs (a zero variance,
/// correlation ±1, a correlation pushed past ±1 by rounding) and never returns NaN.
public enum GaussianIntegrals {
  /// The angle `θ = arccos(k12/√(k11 k22))`, clamped; `π/2` when a variance is zero.
  static func angle(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let s = (max(0, k11) * max(0, k22)).squareRoot()
    guard s > 0 else { return .pi / 2 }
    return acos(max(-1, min(1, k12 / s)))
  }

  /// `E[relu(u) relu(v)] = √(k11 k22)/(2π) · (sin θ + (π − θ) cos θ)` (arc-cosine kernel of degree 1).
  public static func reluRelu(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let t = angle(k11, k12, k22)
    return (max(0, k11) * max(0, k22)).squareRoot() / (2 * .pi) * (sin(t) + (.pi - t) * cos(t))
  }

  /// `E[step(u) step(v)] = (π − θ)/(2π)` (arc-cosine kernel of degree 0); 0 when a variance is
  /// zero, since `step(0) = 0`.
  public static func stepStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    guard k11 > 0, k22 > 0 else { return 0 }
    return (.pi - angle(k11, k12, k22)) / (2 * .pi)
  }

  /// `E[erf(u) erf(v)] = (2/π) arcsin(2 k12 / √((1 + 2k11)(1 + 2k22)))` (Williams 1997).
  public static func erfErf(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let x = 2 * k12 / ((1 + 2 * max(0, k11)) * (1 + 2 * max(0, k22))).squareRoot()
    return 2 / .pi * asin(max(-1, min(1, x)))
  }

  /// `E[u relu(v)] = k12 / 2` (Stein: `Cov(u, v) E[step(v)]`); 0 when `k22 = 0`.
  public static func identityRelu(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    k22 > 0 ? k12 / 2 : 0
  }

  /// `E[u step(v)] = k12 / √(2π k22)` (Stein: `Cov(u, v) E[δ(v)]`); 0 when `k22 = 0`.
  public static func identityStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    k22 > 0 ? k12 / (2 * .pi * k22).squareRoot() : 0
  }

  /// `E[relu(u) step(v)] = √k11 (1 + ρ) / (2√(2π))` with `ρ = cos θ` (condition `v` on `u`;
  /// the ends check out: `ρ = 0` gives `E[relu(u)]/2`, `ρ = 1` gives `E[relu(u)]`).
  public static func reluStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    guard k11 > 0, k22 > 0 else { return 0 }
    let rho = cos(angle(k11, k12, k22))
    return k11.squareRoot() * (1 + rho) / (2 * (2 * Double.pi).squareRoot())
  }
}
