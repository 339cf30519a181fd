import Foundation

/// Gauss–Laguerre quadrature: `∫₀^∞ f(u) e^{−u} du ≈ Σᵢ wᵢ f(uᵢ)`, exact for polynomials of
/// degree `≤ 2m − 1` with `m` nodes.
///
/// Used for Gaussian tails: on `[a, ∞)` with `a > 0`, `x = √(a² + 2u)` turns
/// `∫_a^∞ f(x) φ(x) dx` into `φ(a) ∫₀^∞ f(x(u)) e^{−u} / x(u) du`, whose integrand is smooth
/// and slowly varying when `f` is, so ten nodes reach about 10⁻¹² of `φ(3)` from `a = 3`.
public struct GaussLaguerreRule: Sendable {
  /// The nodes `0 < u₀ < … < u_{m−1}`.
  public let nodes: [Double]
  /// The positive weights, summing to 1 up to rounding.
  public let weights: [Double]

  /// The `m`-node rule, `1 ≤ m ≤ 40`.
  ///
  /// Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the Laguerre
  /// polynomials (diagonal `2k + 1`, off-diagonal `k`), each refined by Newton's method on
  /// `L_m` (recurrence `(k+1) L_{k+1} = (2k + 1 − u) L_k − k L_{k−1}`); the weights are
  /// `uᵢ / ((m+1)² L_{m+1}(uᵢ)²)`.
  public init(nodes m: Int) {
    precondition(m >= 1 && m <= 40, "a Gauss–Laguerre rule of 1 to 40 nodes")
    var noRows: [Double] = []
    let guesses = SymmetricTridiagonal.eigen(
      diagonal: (0..<m).map { Double(2 * $0 + 1) }, offDiagonal: (1..<max(m, 1)).map(Double.init),
      rows: &noRows, width: 0)
    var u = [Double](repeating: 0, count: m)
    var w = [Double](repeating: 0, count: m)
    for i in 0..<m {
      var x = guesses[i]
      for _ in 0..<20 {
        let (p, dp) = Self.laguerre(m, x)
        let step = p / dp
        x -= step
        if abs(step) <= 1e-15 * max(1, x) { break }
      }
      let next = Self.laguerre(m + 1, x).value
      u[i] = x
      w[i] = x / (Double((m + 1) * (m + 1)) * next * next)
    }
    nodes = u
    weights = w
  }

  /// `L_m(u)` and `L_m′(u) = m (L_m − L_{m−1}) / u`.
  static func laguerre(_ m: Int, _ u: Double) -> (value: Double, derivative: Double) {
    var p0 = 1.0
    var p1 = 1 - u
    if m == 0 { return (1, 0) }
    for k in 1..<m {
      let p2 = (Double(2 * k + 1) - u) * p1 / Double(k + 1) - Double(k) * p0 / Double(k + 1)
      p0 = p1
      p1 = p2
    }
    return (p1, Double(m) * (p1 - p0) / u)
  }
}
