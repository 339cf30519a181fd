import Foundation

/// The standard normal law `N(0, 1)`: density and distribution function.
public enum StandardNormal {
  /// `φ(x) = exp(−x²/2) / √(2π)`. Underflows to 0 for `|x| ≳ 38.6`; never NaN for finite `x`.
  @inlinable
  public static func density(_ x: Double) -> Double {
    // 1/√(2π), written out so the compiler folds it.
    0.398_942_280_401_432_677_94 * exp(-0.5 * x * x)
  }

  /// `Φ(x) = P(Z ≤ x) = ½ erfc(−x/√2)`.
  ///
  /// Through `erfc` rather than `½(1 + erf(x/√2))`, so the lower tail keeps its relative
  /// accuracy (`Φ(−8) ≈ 6.2·10⁻¹⁶` to a few ulps, where `1 + erf` would give 0 or noise);
  /// the upper tail is `1 − Φ(−x)` with an absolute error of an ulp of 1. Use
  /// `cdf(−x)` for upper-tail probabilities. `Φ(±∞) = 1, 0`.
  @inlinable
  public static func cdf(_ x: Double) -> Double {
    0.5 * erfc(-x * 0.707_106_781_186_547_524_40)
  }
}
