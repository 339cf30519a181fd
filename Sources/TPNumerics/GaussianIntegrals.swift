import Foundation

/// Closed-form expectations over a centered Gaussian — the exact cases that make NNGP and
/// NTK Gram matrices cheap.
///
/// The bivariate forms take `(u, v) ~ N(0, [[k11, k12], [k12, k22]])`. Write
/// `s = √(k11·k22)`, `ρ = k12 / s` and `θ = arccos ρ ∈ [0, π]`. Conventions shared by all:
/// - `step(x) = 1[x > 0]`, so `step(0) = 0`, and `relu(x) = max(x, 0)`;
/// - negative variances (rounding) count as 0; a variable with zero variance is the
///   constant 0, and the forms return the exact value for that case instead of dividing
///   by zero;
/// - `ρ` is clamped to `[−1, 1]`, since `|k12| ≤ √(k11 k22)` can fail by rounding;
/// - finite inputs never give NaN;
/// - `arccos` and `arcsin` are ``InverseTrigonometric``'s (within 2 ulp, no library call), so
///   loops over many pairs vectorize.
public enum GaussianIntegrals {
  /// `E[relu(u)·relu(v)] = s/(2π) · (sin θ + (π − θ) cos θ)`, the degree-1 arc-cosine
  /// kernel (Cho & Saul 2009). `ρ = 1` gives `k/2` for `u = v`; `ρ = 0` gives `s/(2π)`;
  /// `ρ = −1` gives 0. Zero variance on either side gives 0.
  @inlinable
  public static func reluRelu(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    guard let (s, rho) = scaleAndCorrelation(k11, k12, k22) else { return 0 }
    let sinTheta = (1 - rho * rho).squareRoot()
    return s / (2 * .pi) * (sinTheta + (.pi - InverseTrigonometric.acos(rho)) * rho)
  }

  /// `E[step(u)·step(v)] = P(u > 0, v > 0) = (π − θ)/(2π)`, the degree-0 arc-cosine
  /// kernel (Sheppard's formula). `ρ = 1` gives ½, `ρ = 0` gives ¼, `ρ = −1` gives 0; zero
  /// variance on either side gives 0 (the constant is 0 and `step(0) = 0`).
  @inlinable
  public static func stepStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    guard let (_, rho) = scaleAndCorrelation(k11, k12, k22) else { return 0 }
    return (.pi - InverseTrigonometric.acos(rho)) / (2 * .pi)
  }

  /// `E[erf(u)·erf(v)] = (2/π) · arcsin(2k12 / √((1 + 2k11)(1 + 2k22)))` (Williams 1997),
  /// for the standard `erf`. The denominator is at least 1, so zero variances need no
  /// special case; the arcsine argument is clamped to `[−1, 1]`.
  @inlinable
  public static func erfErf(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let a = max(k11, 0)
    let b = max(k22, 0)
    let argument = 2 * k12 / ((1 + 2 * a) * (1 + 2 * b)).squareRoot()
    return 2 / .pi * InverseTrigonometric.asin(min(max(argument, -1), 1))
  }

  /// `E[exp(−u²)·exp(−v²)] = ((1 + 2k11)(1 + 2k22) − 4k12²)^{−1/2}`, written as
  /// `(1 + 2(a + b) + 4(ab − c²))^{−1/2}` with `c` clamped to `|c| ≤ √(ab)` so that the
  /// determinant term is never negative (the kernel of `erf′ = (2/√π) e^{−x²}`); where `ab`
  /// overflows the determinant term is dropped (the value is then below `(2(a + b))^{−1/2}`,
  /// under 10⁻¹⁵⁰, rather than NaN).
  @inlinable
  public static func gaussianGaussian(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let a = max(k11, 0)
    let b = max(k22, 0)
    let product = a * b
    let bound = product.squareRoot()
    let c = min(max(k12, -bound), bound)
    let determinant = product < .infinity ? max(product - c * c, 0) : 0
    return 1 / (1 + 2 * (a + b) + 4 * determinant).squareRoot()
  }

  /// `E[u·relu(v)] = k12 / 2` (Stein's lemma: `k12·E[step(v)]`); 0 when `k22 = 0`.
  public static func identityRelu(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    k22 > 0 ? k12 / 2 : 0
  }

  /// `E[u·step(v)] = k12 / √(2π k22)` (Stein's lemma: `k12·E[δ(v)] = k12·p_v(0)`);
  /// 0 when `k22 = 0` (then `step(v) = 0`).
  public static func identityStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    k22 > 0 ? k12 / (2 * .pi * k22).squareRoot() : 0
  }

  /// `E[relu(u)·step(v)] = √k11 · (1 + ρ) / (2√(2π))`.
  ///
  /// By Stein's lemma for the standardized pair, `E[x·1{x>0}·1{y>0}] = p(0)·P(y>0 | x=0) +
  /// ρ·p(0)·P(x>0 | y=0)` with `p(0) = 1/√(2π)` and both conditional probabilities ½.
  /// `ρ = 1` gives `E[relu(u)] = √(k11/(2π))`, `ρ = −1` gives 0; zero variance on either side
  /// gives 0.
  public static func reluStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    guard let (_, rho) = scaleAndCorrelation(k11, k12, k22) else { return 0 }
    return k11.squareRoot() * (1 + rho) / (2 * (2 * .pi).squareRoot())
  }

  /// `E[relu(u)] = √(k/(2π))` for `u ~ N(0, k)`; 0 for `k ≤ 0`.
  public static func reluMean(_ k: Double) -> Double {
    k > 0 ? (k / (2 * .pi)).squareRoot() : 0
  }

  /// `E[step(u)] = ½` for `u ~ N(0, k)`, `k > 0`; 0 for `k ≤ 0` (`step(0) = 0`).
  public static func stepMean(_ k: Double) -> Double {
    k > 0 ? 0.5 : 0
  }

  /// `E[∏ᵢ Zᵢ^{eᵢ}]` for a centered Gaussian vector `Z` with the given covariance, by
  /// Isserlis' (Wick's) theorem: the sum over all pairings of the factors of the product
  /// of the paired covariances.
  ///
  /// Computed by the recursion `E[Z_i·R] = Σ_j Cov(Z_i, Z_j)·E[∂R/∂Z_j]` (Gaussian
  /// integration by parts), memoized on the exponent vector, so the cost is
  /// `O(D·∏(eᵢ + 1))` rather than the number of pairings. An odd total degree gives 0; all
  /// exponents 0 gives 1. Exponents must be non-negative, one per row of the square
  /// `covariance`.
  public static func gaussianMoment(of exponents: [Int], covariance: Matrix) -> Double {
    precondition(covariance.rows == covariance.cols, "covariance must be square")
    precondition(exponents.count == covariance.rows, "one exponent per variable")
    precondition(exponents.allSatisfy { $0 >= 0 }, "exponents must be non-negative")
    let used = exponents.indices.filter { exponents[$0] > 0 }
    let total = exponents.reduce(0, +)
    if total % 2 == 1 { return 0 }
    let c = used.map { i in used.map { j in covariance[i, j] } }
    var memo: [[Int]: Double] = [:]
    func moment(_ e: [Int]) -> Double {
      guard let i = e.firstIndex(where: { $0 > 0 }) else { return 1 }
      if let known = memo[e] { return known }
      var rest = e
      rest[i] -= 1
      var s = 0.0
      for j in rest.indices where rest[j] > 0 && c[i][j] != 0 {
        var reduced = rest
        reduced[j] -= 1
        s += Double(rest[j]) * c[i][j] * moment(reduced)
      }
      memo[e] = s
      return s
    }
    return moment(used.map { exponents[$0] })
  }

  /// `(√(k11 k22), clamped ρ)`, or nil when either variance is not positive.
  @usableFromInline @inline(__always)
  static func scaleAndCorrelation(_ k11: Double, _ k12: Double, _ k22: Double) -> (Double, Double)? {
    guard k11 > 0, k22 > 0 else { return nil }
    let s = rootProduct(k11, k22)
    return (s, min(max(k12 / s, -1), 1))
  }

  /// `√(a·b)` for `a, b > 0`, the scale of a correlation `ρ = c/√(ab)`.
  ///
  /// Computed as `√(a·b)` when the product is a normal number: then equal variances and
  /// covariance (`u = v`, a kernel's diagonal) give `√(a·a) = a` and `ρ = 1` exactly (in binary
  /// floating point `√(x²) = |x|`), where `√a·√b` can fall an ulp short and `arccos(1 − ε) ≈
  /// 1.5·10⁻⁸` would move `E[step step]` by `2.4·10⁻⁹`. As `√a·√b` where the product
  /// overflows or underflows.
  @usableFromInline @inline(__always)
  static func rootProduct(_ a: Double, _ b: Double) -> Double {
    let product = a * b
    return product >= .leastNormalMagnitude && product <= .greatestFiniteMagnitude
      ? product.squareRoot() : a.squareRoot() * b.squareRoot()
  }
}
