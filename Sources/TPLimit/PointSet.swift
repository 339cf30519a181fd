import Foundation
import TPCore

/// A set of points in base-Gaussian space with weights, on which graph nodes are evaluated as
/// whole arrays (one `[Double]` per node): Monte Carlo particles or a quadrature grid.
final class PointSet {
  let count: Int
  /// Quadrature weights; nil means equal weights `1/count` (Monte Carlo).
  let weights: [Double]?
  /// Supplies the values of a base Gaussian at every point.
  let baseValues: (Int) -> [Double]
  var cache: [Int: [Double]] = [:]

  init(count: Int, weights: [Double]?, baseValues: @escaping (Int) -> [Double]) {
    self.count = count
    self.weights = weights
    self.baseValues = baseValues
  }

  /// The values of node `k` at every point, computing and caching ancestors as needed.
  func values(_ k: Int, _ graph: ZGraph) -> [Double] {
    if let v = cache[k] { return v }
    // Evaluate missing ancestors in index order (a topological order) to avoid deep recursion.
    for a in graph.ancestors(of: ZGraph.node(k)) where cache[a] == nil {
      cache[a] = compute(a, graph)
    }
    return cache[k]!  // safe: just computed
  }

  private func compute(_ k: Int, _ graph: ZGraph) -> [Double] {
    switch graph.nodes[k].kind {
    case .base(let b): return baseValues(b)
    case .affine(let c, let terms):
      var out = [Double](repeating: c, count: count)
      for t in terms {
        let x = cache[t.node]!  // safe: ancestors are computed first
        let s = t.coefficient
        out.withUnsafeMutableBufferPointer { o in
          x.withUnsafeBufferPointer { xb in for p in 0..<count { o[p] += s * xb[p] } }
        }
      }
      return out
    case .nonlin(let e):
      return evaluate(e) { self.cache[$0]! }  // safe: ancestors are computed first
    }
  }

  /// Evaluates a node expression at every point, array at a time.
  func evaluate(_ e: CoordExpr, leaf: (Int) -> [Double]) -> [Double] {
    ArrayEvaluator(count: count).evaluate(e, leaf: leaf)
  }

  /// `Σ_p w_p f_p` and, for equal weights, the standard error `sd(f)/√count`.
  func average(_ f: [Double]) -> (mean: Double, standardError: Double) {
    if let w = weights {
      var s = 0.0
      for p in 0..<count { s += w[p] * f[p] }
      return (s, 0)
    }
    var s = 0.0
    for x in f { s += x }
    let m = s / Double(count)
    var ss = 0.0
    for x in f { ss += (x - m) * (x - m) }
    let se = count > 1 ? (ss / Double(count - 1) / Double(count)).squareRoot() : 0
    return (m, se)
  }
}

/// Evaluates a ``CoordExpr`` over arrays: each operation is one loop over all points.
struct ArrayEvaluator {
  let count: Int

  func evaluate(_ e: CoordExpr, leaf: (Int) -> [Double]) -> [Double] {
    switch e {
    case .constant(let c): return [Double](repeating: c, count: count)
    case .vector(let v): return leaf(v.raw)
    case .scalar, .argument: return [Double](repeating: .nan, count: count)
    case .negate(let a): return evaluate(a, leaf: leaf).map { -$0 }
    case .apply(let f, let a):
      var x = evaluate(a, leaf: leaf)
      for p in 0..<count { x[p] = f(x[p]) }
      return x
    case .add(let a, let b): return binary(a, b, leaf, +)
    case .subtract(let a, let b): return binary(a, b, leaf, -)
    case .multiply(let a, let b): return binary(a, b, leaf, *)
    case .divide(let a, let b): return binary(a, b, leaf, /)
    case .power(let a, let b):
      if let k = b.constantValue {
        var x = evaluate(a, leaf: leaf)
        if k == 2 {
          for p in 0..<count { x[p] *= x[p] }
        } else {
          for p in 0..<count { x[p] = Foundation.pow(x[p], k) }
        }
        return x
      }
      return binary(a, b, leaf, Foundation.pow)
    }
  }

  private func binary(_ a: CoordExpr, _ b: CoordExpr, _ leaf: (Int) -> [Double], _ op: (Double, Double) -> Double)
    -> [Double]
  {
    if let c = b.constantValue {
      var x = evaluate(a, leaf: leaf)
      for p in 0..<count { x[p] = op(x[p], c) }
      return x
    }
    if let c = a.constantValue {
      var y = evaluate(b, leaf: leaf)
      for p in 0..<count { y[p] = op(c, y[p]) }
      return y
    }
    var x = evaluate(a, leaf: leaf)
    let y = evaluate(b, leaf: leaf)
    for p in 0..<count { x[p] = op(x[p], y[p]) }
    return x
  }
}
