import Foundation

/// Gauss–Hermite quadrature for the standard normal law: `E f(Z) ≈ Σ_k w_k f(x_k)`, exact for
/// polynomials of degree `< 2·degree`; weights sum to 1.
///
/// Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the probabilists'
/// Hermite polynomials (zero diagonal, off-diagonal `√k`), and each weight is the squared first
/// component of the normalized eigenvector. The symmetric tridiagonal eigenproblem is solved by
/// implicit QL with Wilkinson shifts, stable up to degree 200 and beyond.
public struct GaussHermiteRule: Sendable {
  public let nodes: [Double]
  public let weights: [Double]

  public static func probabilists(degree: Int) -> GaussHermiteRule {
    let n = max(1, degree)
    var d = [Double](repeating: 0, count: n)
    var e = (0..<n).map { $0 + 1 < n ? Double($0 + 1).squareRoot() : 0 }
    // z holds only the first row of the eigenvector matrix: that is all the weights need.
    var z = [Double](repeating: 0, count: n)
    z[0] = 1
    for l in 0..<n {
      var iter = 0
      while true {
        var m = l
        while m < n - 1 {
          let dd = abs(d[m]) + abs(d[m + 1])
          if abs(e[m]) <= Double.ulpOfOne * dd { break }
          m += 1
        }
        if m == l { break }
        iter += 1
        if iter > 60 { break }
        var g = (d[l + 1] - d[l]) / (2 * e[l])
        var r = hypot(g, 1)
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? abs(r) : -abs(r)))
        var s = 1.0, c = 1.0, p = 0.0
        var i = m - 1
        var underflow = false
        while i >= l {
          var f = s * e[i]
          let b = c * e[i]
          r = hypot(f, g)
          e[i + 1] = r
          if r == 0 {
            d[i + 1] -= p
            e[m] = 0
            underflow = true
            break
          }
          s = f / r
          c = g / r
          g = d[i + 1] - p
          r = (d[i] - g) * s + 2 * c * b
          p = s * r
          d[i + 1] = g + p
          g = c * r - b
          f = z[i + 1]
          z[i + 1] = s * z[i] + c * f
          z[i] = c * z[i] - s * f
          i -= 1
        }
        if underflow { continue }
        d[l] -= p
        e[l] = g
        e[m] = 0
      }
    }
    let order = (0..<n).sorted { d[$0] < d[$1] }
    var nodes = order.map { d[$0] }
    var weights = order.map { z[$0] * z[$0] }
    // Symmetrize: the rule is exactly symmetric about 0; averaging removes rounding asymmetry.
    for k in 0..<(n / 2) {
      let x = (nodes[n - 1 - k] - nodes[k]) / 2
      let w = (weights[k] + weights[n - 1 - k]) / 2
      nodes[k] = -x
      nodes[n - 1 - k] = x
      weights[k] = w
      weights[n - 1 - k] = w
    }
    if n % 2 == 1 { nodes[n / 2] = 0 }
    let total = weights.reduce(0, +)
    return GaussHermiteRule(nodes: nodes, weights: weights.map { $0 / total })
  }
}

/// A tensor-product Gauss–Hermite grid for `E f(Z)`, `Z ~ N(0, I_D)`: `degree^D` points.
public struct GaussianQuadratureGrid: Sendable {
  public let points: [[Double]]
  public let weights: [Double]

  public init(dimension: Int, degree: Int) {
    let rule = GaussHermiteRule.probabilists(degree: degree)
    var points: [[Double]] = [[]]
    var weights: [Double] = [1]
    for _ in 0..<max(0, dimension) {
      var np: [[Double]] = []
      var nw: [Double] = []
      np.reserveCapacity(points.count * rule.nodes.count)
      for (p, w) in zip(points, weights) {
        for (x, v) in zip(rule.nodes, rule.weights) {
          np.append(p + [x])
          nw.append(w * v)
        }
      }
      points = np
      weights = nw
    }
    self.points = points
    self.weights = weights
  }
}
