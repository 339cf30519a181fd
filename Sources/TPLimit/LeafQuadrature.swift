import Foundation
import TPCore
import TPNumerics

extension ExpectationEngine {
  /// The affine nodes `e` reaches through nonlin nodes only (a cut between `e` and the bases),
  /// or nil when `e` reads something else or the cut is large.
  func affineLeaves(of e: CoordExpr) -> [Int]? {
    var leaves: Set<Int> = []
    var seen: Set<Int> = []
    var stack = e.vectors.map(\.raw)
    while let k = stack.popLast() {
      guard seen.insert(k).inserted else { continue }
      if seen.count > 64 { return nil }
      if affine(k) != nil {
        leaves.insert(k)
        continue
      }
      guard case .nonlin(let x) = graph.nodes[k].kind else { return nil }
      stack.append(contentsOf: x.vectors.map(\.raw))
    }
    return leaves.sorted()
  }

  /// `E[e]` by Gauss–Hermite quadrature over the affine leaves of `e` rather than over the base
  /// Gaussians: `e` depends on the bases only through `a = μ + F ε` (`F` a pivoted Cholesky
  /// factor of the leaves' exact covariance), so the grid has the leaves' rank as dimension —
  /// e.g. 2 for `E[φ′(h) φ′(h′)]` however many input columns `h` mixes. Nil when that rank is
  /// above ``LimitOptions/quadratureMaximumDimension`` or the grid would be too large.
  func leafQuadrature(_ e: CoordExpr) -> Double? {
    guard let leaves = affineLeaves(of: e), !leaves.isEmpty else { return nil }
    let forms = leaves.map { affine($0)! }  // safe: leaves are affine
    var cov = Matrix(rows: leaves.count, cols: leaves.count)
    for i in leaves.indices {
      for j in 0...i {
        let c = forms[i].covariance(with: forms[j]) { self.bases.covariance($0, $1) }
        cov[i, j] = c
        cov[j, i] = c
      }
    }
    let chol = PivotedCholesky(cov)
    let r = chol.rank
    guard r <= options.quadratureMaximumDimension else { return nil }
    let degree = r == 0 ? 1 : options.degree(forDimension: r)
    guard pow(Double(degree), Double(r)) <= 4e6 else { return nil }
    let grid = GaussianQuadratureGrid(dimension: r, degree: degree)
    let count = grid.weights.count
    // The cut is closed, so base values are never asked for; the budget keeps every leaf.
    let set = PointSet(count: count, weights: grid.weights, threads: options.threads, budgetBytes: .max) {
      _ in [Double](repeating: 0, count: count)
    }
    for (i, k) in leaves.enumerated() {
      set.preset(k, Self.gridColumn(chol.factor, row: i, rank: r, grid).map { forms[i].constant + $0 })
    }
    return set.expectation(e, graph).mean
  }
}
