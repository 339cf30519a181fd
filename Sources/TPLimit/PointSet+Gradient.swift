import TPCore

extension PointSet {
  /// Path-wise `E[∂Z^x/∂Ẑ_b]` for every base `b` in `bases` at once, by reverse-mode
  /// differentiation at each point: adjoints `ā_k = ∂Z^x/∂Z^k` flow from `x` down the graph in
  /// descending node order (a reverse topological order),
  ///
  ///     ā_j += c_j · ā_k            for an affine node  k = c + Σ_j c_j Z^j,
  ///     ā_j += (∂e/∂Z^j) · ā_k      for a nonlin node   k = e(Z^j, …),
  ///
  /// and `E[∂Z^x/∂Ẑ_b]` is the average of `ā` at base `b`'s node. Each point gets exactly the
  /// chain-rule value that forward-mode tangent nodes would give; the cost is one sweep over
  /// `x`'s ancestors instead of one tangent chain per base. Only nodes whose support meets
  /// `bases` are visited. `partial(k, j)` is `∂e/∂Z^j` of nonlin node `k`, a constant or a
  /// graph node (so its values are cached across sweeps).
  func gradientExpectations(
    of x: Int, bases: Set<Int>, _ graph: ZGraph, partial: (Int, Int) -> CoordExpr
  ) -> [Int: (mean: Double, standardError: Double)] {
    evict()
    _ = values(x, graph)
    var adjoints: [Int: UnsafeMutablePointer<Double>] = [:]
    defer { for p in adjoints.values { p.deallocate() } }
    func adjoint(_ k: Int) -> UnsafeMutablePointer<Double> {
      if let a = adjoints[k] { return a }
      let a = UnsafeMutablePointer<Double>.allocate(capacity: count)
      a.initialize(repeating: 0, count: count)
      adjoints[k] = a
      return a
    }
    func matters(_ k: Int) -> Bool { graph.nodes[k].support.contains { bases.contains($0) } }
    adjoint(x).update(repeating: 1, count: count)
    var pending: Set<Int> = [x]
    var out: [Int: (mean: Double, standardError: Double)] = [:]
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: count)
    defer { scratch.deallocate() }
    // A max-heap would do; the frontier is small, so take its largest index each time.
    while let k = pending.max() {
      pending.remove(k)
      let a = adjoint(k)
      switch graph.nodes[k].kind {
      case .base(let b):
        if bases.contains(b) { out[b] = average(a) }
      case .affine(_, let terms):
        for t in terms where matters(t.node) {
          let target = adjoint(t.node)
          let c = t.coefficient
          for p in 0..<count { target[p] += c * a[p] }
          pending.insert(t.node)
        }
      case .nonlin(let e):
        let adjointID = graph.nodes.count
        for leaf in e.vectors where matters(leaf.raw) {
          let d = partial(k, leaf.raw)
          let target = adjoint(leaf.raw)
          if let c = d.constantValue {
            if c == 0 { continue }
            for p in 0..<count { target[p] += c * a[p] }
          } else if case .vector(let v) = d {
            let dv = values(v.raw, graph)
            for p in 0..<count { target[p] += dv[p] * a[p] }
          } else {
            for l in d.vectors { _ = values(l.raw, graph) }
            evaluate(d * .vector(VectorID(adjointID)), into: scratch, extra: [adjointID: UnsafePointer(a)])
            for p in 0..<count { target[p] += scratch[p] }
          }
          pending.insert(leaf.raw)
        }
      }
      adjoints.removeValue(forKey: k)?.deallocate()
    }
    for b in bases where out[b] == nil { out[b] = (0, 0) }
    return out
  }

  /// The weighted average of a buffer and, for equal weights, its standard error (two passes:
  /// the mean, then the squared deviations).
  func average(_ v: UnsafePointer<Double>) -> (mean: Double, standardError: Double) {
    if let w = weights {
      var s = 0.0
      for p in 0..<count { s += w[p] * v[p] }
      return (s, 0)
    }
    var s = 0.0
    for p in 0..<count { s += v[p] }
    let m = s / Double(count)
    var ss = 0.0
    for p in 0..<count {
      let d = v[p] - m
      ss += d * d
    }
    let variance = count > 1 ? ss / Double(count - 1) : 0
    return (m, (variance / Double(count)).squareRoot())
  }
}
