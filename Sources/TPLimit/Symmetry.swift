import TPCore

/// Exact zeros and products from the structure of the Gaussian law, before any numerics:
///
/// * **Parity.** The joint law of all base Gaussians is centred, hence invariant under the
///   global sign flip `Ẑ → −Ẑ`; an integrand that is odd under that flip has expectation 0.
/// * **Independence.** Factors that depend on uncorrelated (hence independent) sets of base
///   Gaussians factorize: `E[∏ groups] = ∏ E[group]`.
///
/// These make `f₀ = mean(ṽ · φ(U ξ)) = 0` exact for μP, rather than a quadrature `1e-18`.
extension ZGraph {
  /// The parity of `e` under the global sign flip, when it can be decided symbolically; nodes
  /// carry their own parity (computed once, when added), so this never walks the graph.
  func parity(_ e: CoordExpr) -> Parity? {
    switch e {
    case .constant: return .even
    case .scalar, .argument: return nil
    case .vector(let v): return nodes[v.raw].parity
    case .negate(let a): return parity(a)
    case .add(let a, let b), .subtract(let a, let b):
      guard let x = parity(a), let y = parity(b) else { return nil }
      if x == y { return x }
      // An odd part plus a zero constant is still odd.
      if x == .odd, b.constantValue == 0 { return .odd }
      if y == .odd, a.constantValue == 0 { return .odd }
      return nil
    case .multiply(let a, let b), .divide(let a, let b):
      guard let x = parity(a), let y = parity(b) else { return nil }
      return x == y ? .even : .odd
    case .power(let a, let b):
      guard let k = b.constantValue, k == k.rounded(), let x = parity(a) else { return nil }
      return x == .odd && Int(k) % 2 != 0 ? .odd : .even
    case .apply(let f, let a):
      guard let x = parity(a) else { return nil }
      switch f {
      case .tanh, .erf, .sin, .sign, .identity: return x
      case .cos, .abs: return .even
      default: return x == .even ? .even : nil
      }
    }
  }

  /// The parity of a node about to be added with `kind`.
  func nodeParity(_ kind: Kind) -> Parity? {
    switch kind {
    case .base: return .odd
    case .affine(let c, let terms):
      guard terms.allSatisfy({ nodes[$0.node].parity == .odd }) else {
        return terms.isEmpty ? .even : nil
      }
      return c == 0 ? .odd : nil
    case .nonlin(let e): return parity(e)
    }
  }
}

extension ExpectationEngine {
  func parity(_ e: CoordExpr) -> ZGraph.Parity? { graph.parity(e) }

  /// `E[e]` from symmetry and independence alone, when they decide it.
  func structuralExpectation(_ e: CoordExpr) -> Double? {
    if parity(e) == .odd { return 0 }
    var factors: [CoordExpr] = []
    var scale = 1.0
    func flatten(_ x: CoordExpr) {
      switch x {
      case .multiply(let a, let b):
        flatten(a)
        flatten(b)
      case .constant(let c): scale *= c
      default: factors.append(x)
      }
    }
    flatten(e)
    guard factors.count >= 2 else { return nil }
    let supports = factors.map { graph.support(of: $0) }
    guard supports.reduce(0, { $0 + $1.count }) <= 64 else { return nil }
    // Union–find over factors: joined when some pair of their bases is correlated.
    var parent = Array(factors.indices)
    func find(_ i: Int) -> Int { parent[i] == i ? i : find(parent[i]) }
    for i in factors.indices {
      for j in (i + 1)..<factors.count where find(i) != find(j) {
        let linked = supports[i].contains { a in supports[j].contains { b in a == b || covariance(a, b) != 0 }
        }
        if linked { parent[find(j)] = find(i) }
      }
    }
    var groups: [Int: CoordExpr] = [:]
    for (i, f) in factors.enumerated() { groups[find(i)] = groups[find(i)].map { $0 * f } ?? f }
    guard groups.count >= 2 else { return nil }
    var product = scale
    var unknown = false
    for g in groups.values {
      if parity(g) == .odd { return 0 }
      if let v = exact(g) { product *= v } else { unknown = true }
    }
    return unknown ? nil : product
  }
}
