/// The normalised probabilists' Hermite polynomials `hₖ = Heₖ/√(k!)`, orthonormal for the
/// standard normal law: `E[hⱼ(Z) hₖ(Z)] = δⱼₖ`, `Z ~ N(0, 1)` (DLMF §18.3, with
/// `Heₖ(x) = 2^{−k/2} Hₖ(x/√2)`).
///
/// They satisfy the normalised three-term recurrence (DLMF 18.9.1 for `Heₖ`, rescaled)
///
///     h₀ = 1,  h₁ = z,  h_{k+1} = (z hₖ − √k h_{k−1}) / √(k+1),
///
/// which is evaluated as written: every step is a rotation-like combination of numbers of
/// the same size, so no factorials (which overflow past `k ≈ 170`) and no cancellation
/// appear, unlike the explicit sum `Heₖ = k! Σ_m (−1)^m z^{k−2m} / (m! (k−2m)! 2^m)`.
/// Derivatives follow from `hₖ′ = √k h_{k−1}`.
///
/// Domain: any finite `z`; `|hₖ(z)|` grows like `|z|^k/√(k!)`, so it overflows to `±∞`
/// only for `|z|` far beyond where the Gaussian weight is representable (e.g. `|z| > 10³`
/// at `k = 100`).
public enum NormalisedHermite {
  /// `[h₀(z), …, h_K(z)]` for `K = degree ≥ 0` (`[]` for a negative degree).
  public static func values(through degree: Int, at z: Double) -> [Double] {
    guard degree >= 0 else { return [] }
    var out = [Double](repeating: 0, count: degree + 1)
    out[0] = 1
    if degree >= 1 { out[1] = z }
    if degree >= 2 {
      for k in 1..<degree {
        out[k + 1] = (z * out[k] - Double(k).squareRoot() * out[k - 1]) / Double(k + 1).squareRoot()
      }
    }
    return out
  }

  /// `hₖ(z)` for one `k ≥ 0`; 0 for `k < 0` (the convention `h₋₁ = 0` of the recurrence).
  public static func value(_ k: Int, at z: Double) -> Double {
    guard k >= 0 else { return 0 }
    return values(through: k, at: z)[k]
  }

  /// `Σₖ aₖ hₖ(z)` by Clenshaw's recurrence for the normalised three-term recurrence
  /// (`h_{k+1} = αₖ hₖ + βₖ h_{k−1}` with `αₖ = z/√(k+1)`, `βₖ = −√k/√(k+1)`):
  /// `bₖ = aₖ + αₖ b_{k+1} + β_{k+1} b_{k+2}`, sum `= b₀`. Backward stable; `0` for no
  /// coefficients.
  public static func series(_ coefficients: [Double], at z: Double) -> Double {
    var b1 = 0.0  // b_{k+1}
    var b2 = 0.0  // b_{k+2}
    for k in stride(from: coefficients.count - 1, through: 0, by: -1) {
      let alpha = z / Double(k + 1).squareRoot()
      let beta = -Double(k + 1).squareRoot() / Double(k + 2).squareRoot()
      let b = coefficients[k] + alpha * b1 + beta * b2
      b2 = b1
      b1 = b
    }
    return b1
  }

  /// The monomial coefficients `c₀ … c_K` of `Σₖ aₖ hₖ(z) = Σⱼ cⱼ zʲ` (`K + 1 =
  /// coefficients.count`).
  ///
  /// Runs the three-term recurrence on coefficient vectors,
  /// `h_{k+1} = (z·hₖ − √k h_{k−1})/√(k+1)`, accumulating `aₖ hₖ`. Exact in exact
  /// arithmetic; in floating point each `cⱼ` has error `≲ K ε Σₖ |aₖ| |[zʲ] hₖ|`. The
  /// monomial form is ill-conditioned for high degree (`Σ_j |cⱼ||z|ʲ` can exceed
  /// `|Σ cⱼ zʲ|` by orders of magnitude at `|z| ≈ 5`); `series(_:at:)` is the accurate
  /// evaluation, this form is for printing a polynomial.
  public static func monomialCoefficients(of coefficients: [Double]) -> [Double] {
    let degree = coefficients.count - 1
    guard degree >= 0 else { return [] }
    var result = [Double](repeating: 0, count: degree + 1)
    var previous = [Double](repeating: 0, count: degree + 1)  // h_{k−1}
    var current = [Double](repeating: 0, count: degree + 1)  // h_k
    current[0] = 1
    result[0] = coefficients[0]
    for k in 0..<degree {
      var next = [Double](repeating: 0, count: degree + 1)
      let root = Double(k).squareRoot()
      let inverse = 1 / Double(k + 1).squareRoot()
      for j in 0...k { next[j + 1] += current[j] * inverse }
      if k >= 1 {
        for j in 0..<k { next[j] -= root * previous[j] * inverse }
      }
      previous = current
      current = next
      let a = coefficients[k + 1]
      if a != 0 {
        for j in 0...(k + 1) { result[j] += a * current[j] }
      }
    }
    return result
  }
}
