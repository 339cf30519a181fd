import TPCore

/// Exact zeros and products from the structure of the Gaussian law, before any numerics:
///
/// * **Parity.** The joint law of all base Gaussians is centred, hence invariant under the
///   global sign flip `Ẑ → −Ẑ`, and, groups being independent, under flipping one group's
///   bases alone; an integrand odd under either has expectation 0.
/// * **Independence.** Factors that depend on uncorrelated (hence independent) sets of base
///   Gaussians factorize: `E[∏ groups] = ∏ E[group]`.
///
/// These make `f₀ = mean(ṽ · φ(U ξ)) = 0` exact for μP, rather than a quadrature `1e-18`.
extension ZGraph {
  /// The parity of `e` under the global sign flip, when it can be decided symbolically; nodes
  /// carry their own parity (computed once, when added), so this never walks the graph.
  func parity(_ e: CoordExpr) -> Parity? { Self.parity(e) { nodes[$0].parity } }

  /// The parity of `e` given the parity of each node it reads.
  static func parity(_ e: CoordExpr, node: (Int) -> Parity?) -> Parity? {
    func go(_ e: CoordExpr) -> Parity? {
      switch e {
      case .constant: return .even
      case .scalar, .argument: return nil
      case .vector(let v): return node(v.raw)
      case .negate(let a): return go(a)
      case .add(let a, let b), .subtract(let a, let b):
        guard let x = go(a), let y = go(b) else { return nil }
        if x == y { return x }
        // An odd part plus a zero constant is still odd.
        if x == .odd, b.constantValue == 0 { return .odd }
        if y == .odd, a.constantValue == 0 { return .odd }
        return nil
      case .multiply(let a, let b), .divide(let a, let b):
        guard let x = go(a), let y = go(b) else { return nil }
        return x == y ? .even : .odd
      case .power(let a, let b):
        guard let k = b.constantValue, k == k.rounded(), let x = go(a) else { return nil }
        return x == .odd && Int(k) % 2 != 0 ? .odd : .even
      case .apply(let f, let a):
        guard let x = go(a) else { return nil }
        switch f {
        case .tanh, .erf, .sin, .sign, .identity: return x
        case .cos, .abs: return .even
        default: return x == .even ? .even : nil
        }
      }
    }
    return go(e)
  }

  /// The parity of `constant + Σ cᵢ Zᵢ` from its terms' parities.
  static func affineParity(constant c: Double, terms: [Parity?]) -> Parity? {
    if terms.allSatisfy({ $0 == .even }) { return .even }
    return c == 0 && terms.allSatisfy({ $0 == .odd }) ? .odd : nil
  }

  /// The parity of a node about to be added with `kind`.
  func nodeParity(_ kind: Kind) -> Parity? {
    switch kind {
    case .base: return .odd
    case .affine(let c, let terms):
      return Self.affineParity(constant: c, terms: terms.map { nodes[$0.node].parity })
    case .nonlin(let e): return parity(e)
    }
  }
}

extension ExpectationEngine {
  func parity(_ e: CoordExpr) -> ZGraph.Parity? { graph.parity(e) }

  /// The parity of `e` under flipping the sign of group `g`'s bases only. Groups are
  /// independent of each other, so this too leaves the joint law unchanged: an integrand odd
  /// in one group (e.g. linear in an independent backward Gaussian) has expectation 0 even
  /// when it is neither odd nor even globally.
  func parity(_ e: CoordExpr, flipping g: Int) -> ZGraph.Parity? {
    for leaf in e.vectors { ensureGroupParity(leaf.raw, g) }
    return ZGraph.parity(e) { self.groupParity($0, g) }
  }

  /// A node's parity under flipping group `g` (after ``ensureGroupParity(_:_:)``).
  private func groupParity(_ k: Int, _ g: Int) -> ZGraph.Parity? {
    if !graph.nodes[k].support.contains(where: { bases.location[$0].group == g }) { return .even }
    return groupParities[GroupParityKey(node: k, group: g)] ?? nil
  }

  /// Computes and memoizes group parities of `k` and its ancestors, iteratively in index order.
  private func ensureGroupParity(_ k: Int, _ g: Int) {
    func known(_ j: Int) -> Bool {
      !graph.nodes[j].support.contains(where: { bases.location[$0].group == g })
        || groupParities[GroupParityKey(node: j, group: g)] != nil
    }
    var needed: Set<Int> = []
    var stack = [k]
    while let j = stack.popLast() {
      guard !known(j), needed.insert(j).inserted else { continue }
      stack.append(contentsOf: graph.inputs(of: j))
    }
    for j in needed.sorted() {
      let p: ZGraph.Parity?
      switch graph.nodes[j].kind {
      case .base: p = .odd
      case .affine(let c, let terms):
        p = ZGraph.affineParity(constant: c, terms: terms.map { groupParity($0.node, g) })
      case .nonlin(let e): p = ZGraph.parity(e) { self.groupParity($0, g) }
      }
      groupParities[GroupParityKey(node: j, group: g)] = .some(p)
    }
  }

  /// `E[e]` from symmetry and independence alone, when they decide it.
  func structuralExpectation(_ e: CoordExpr) -> Double? {
    if parity(e) == .odd { return 0 }
    let baseGroups = Set(graph.support(of: e).map { bases.location[$0].group })
    if baseGroups.count > 1, baseGroups.contains(where: { parity(e, flipping: $0) == .odd }) { return 0 }
    guard let (scale, groups) = independentFactors(e) else { return nil }
    var product = scale
    var unknown = false
    for g in groups {
      if parity(g) == .odd { return 0 }
      if let v = exact(g) { product *= v } else { unknown = true }
    }
    return unknown ? nil : product
  }

  /// `e = scale · ∏ groups` with each group's bases uncorrelated with (hence independent of)
  /// every other group's, so `E[e] = scale · ∏ E[group]`; nil with fewer than two groups.
  /// Products inside nonlin nodes are opened up too: `E[(ṽ φ′(h))(ṽ φ′(h′))]` becomes
  /// `E[ṽ²] · E[φ′(h) φ′(h′)]`, which has a closed form or a low-dimensional quadrature.
  func independentFactors(_ e: CoordExpr) -> (scale: Double, groups: [CoordExpr])? {
    var factors: [CoordExpr] = []
    var scale = 1.0
    func flatten(_ x: CoordExpr) {
      switch x {
      case .multiply(let a, let b):
        flatten(a)
        flatten(b)
      case .negate(let a):
        scale = -scale
        flatten(a)
      case .constant(let c): scale *= c
      case .vector(let v):
        if case .nonlin(let inner) = graph.nodes[v.raw].kind, case .multiply = inner {
          flatten(inner)
        } else {
          factors.append(x)
        }
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
    // In a fixed order, so that products round the same way in every run.
    return (scale, groups.keys.sorted().map { groups[$0]! })  // safe: keys of groups
  }
}
