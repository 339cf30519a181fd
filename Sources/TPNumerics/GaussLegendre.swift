import Foundation

/// Gauss–Legendre quadrature on `[−1, 1]`: `∫ f(x) dx ≈ Σᵢ wᵢ f(xᵢ)`, exact for polynomials
/// of degree `≤ 2m − 1` with `m` nodes; for `f` analytic in a Bernstein ellipse with
/// foci ±1 and semi-axis sum `ρ` the error is `O(ρ^{−2m})` (Trefethen, *Approximation
/// Theory and Approximation Practice*, ch. 19).
public struct GaussLegendreRule: Sendable {
  /// The nodes `x₀ < x₁ < … < x_{m−1}` in `(−1, 1)`, symmetric about 0.
  public let nodes: [Double]
  /// The positive weights, symmetric like the nodes, summing to 2 up to rounding.
  public let weights: [Double]

  /// The `m`-node rule, `m ≥ 1`.
  ///
  /// Nodes start from Tricomi's asymptotic guess `cos(π(4i − 1)/(4m + 2))` and are refined
  /// by Newton's method on `P_m`, evaluated by the three-term recurrence
  /// `(k+1) P_{k+1} = (2k+1) x P_k − k P_{k−1}`; the weights are
  /// `2 / ((1 − x²) P_m′(x)²)` with `P_m′ = m (x P_m − P_{m−1}) / (x² − 1)`. Both are accurate
  /// to a few ulps for the sizes used here (m ≤ 100).
  public init(nodes m: Int) {
    precondition(m >= 1, "a Gauss–Legendre rule needs at least one node")
    var x = [Double](repeating: 0, count: m)
    var w = [Double](repeating: 0, count: m)
    for i in 0..<((m + 1) / 2) {
      var z = cos(Double.pi * (Double(i) + 0.75) / (Double(m) + 0.5))
      var derivative = 1.0
      for _ in 0..<100 {
        let (p, dp) = Self.legendre(m, z)
        derivative = dp
        let step = p / dp
        z -= step
        if abs(step) <= 1e-16 { break }
      }
      derivative = Self.legendre(m, z).derivative
      let weight = 2 / ((1 - z * z) * derivative * derivative)
      x[m - 1 - i] = z
      x[i] = -z
      w[i] = weight
      w[m - 1 - i] = weight
    }
    if m % 2 == 1 { x[m / 2] = 0 }
    nodes = x
    weights = w
  }

  /// `P_m(x)` and `P_m′(x)`.
  static func legendre(_ m: Int, _ x: Double) -> (value: Double, derivative: Double) {
    var p0 = 1.0
    var p1 = x
    if m == 0 { return (1, 0) }
    for k in 1..<m {
      let p2 = (Double(2 * k + 1) * x * p1 - Double(k) * p0) / Double(k + 1)
      p0 = p1
      p1 = p2
    }
    let derivative = Double(m) * (x * p1 - p0) / (x * x - 1)
    return (p1, derivative)
  }
}
