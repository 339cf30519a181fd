import TPCore

/// `constant + Σ_b coefficient_b · base_b`: a node that is affine in the (centred) base Gaussians.
struct Affine: Equatable {
  var constant: Double
  /// Base index → coefficient; zero coefficients are dropped.
  var terms: [Int: Double]

  static func base(_ b: Int) -> Affine { Affine(constant: 0, terms: [b: 1]) }
  static func constant(_ c: Double) -> Affine { Affine(constant: c, terms: [:]) }

  var isConstant: Bool { terms.isEmpty }

  static func + (a: Affine, b: Affine) -> Affine {
    var t = a.terms
    for (k, v) in b.terms { t[k, default: 0] += v }
    return Affine(constant: a.constant + b.constant, terms: t.filter { $0.value != 0 })
  }

  static func * (s: Double, a: Affine) -> Affine {
    if s == 0 { return .constant(0) }
    return Affine(constant: s * a.constant, terms: a.terms.mapValues { s * $0 })
  }

  static prefix func - (a: Affine) -> Affine { -1 * a }

  /// `Cov(self, other)` given base covariances.
  func covariance(with other: Affine, _ cov: (Int, Int) -> Double) -> Double {
    var s = 0.0
    for (i, a) in terms { for (j, b) in other.terms { s += a * b * cov(i, j) } }
    return s
  }
}

extension ZGraph {
  /// The affine form of node `k`, when it has one (memoized in `memo`). Affine ancestors are
  /// visited with an explicit stack, so a long chain of affine nodes (a loop of many steps)
  /// cannot overflow the call stack.
  func affine(_ k: Int, _ memo: inout [Int: Affine?]) -> Affine? {
    if let hit = memo[k] { return hit }
    guard nodes[k].isAffine else {
      memo[k] = .some(nil)
      return nil
    }
    var stack = [k]
    while let top = stack.last {
      if memo[top] != nil {
        stack.removeLast()
        continue
      }
      let missing = inputs(of: top).filter { memo[$0] == nil && nodes[$0].isAffine }
      if !missing.isEmpty {
        stack.append(contentsOf: missing)
        continue
      }
      stack.removeLast()
      switch nodes[top].kind {
      case .base(let b): memo[top] = .base(b)
      case .affine(let c, let terms):
        var acc = Affine.constant(c)
        var ok = true
        for t in terms {
          guard let a = memo[t.node] ?? nil else {
            ok = false
            break
          }
          acc = acc + t.coefficient * a
        }
        memo[top] = ok ? acc : .some(nil)
      case .nonlin(let e): memo[top] = .some(nodes[top].isAffine ? affine(of: e, &memo) : nil)
      }
    }
    return memo[k] ?? nil
  }

  /// The affine form of a node expression, when it is affine. Recursion here follows the
  /// expression's own tree, not the graph.
  func affine(of e: CoordExpr, _ memo: inout [Int: Affine?]) -> Affine? {
    switch e {
    case .constant(let c): return .constant(c)
    case .vector(let v): return affine(v.raw, &memo)
    case .scalar, .argument: return nil
    case .negate(let a): return affine(of: a, &memo).map { -$0 }
    case .add(let a, let b):
      guard let x = affine(of: a, &memo), let y = affine(of: b, &memo) else { return nil }
      return x + y
    case .subtract(let a, let b):
      guard let x = affine(of: a, &memo), let y = affine(of: b, &memo) else { return nil }
      return x + (-y)
    case .multiply(let a, let b):
      guard let x = affine(of: a, &memo), let y = affine(of: b, &memo) else { return nil }
      if x.isConstant { return x.constant * y }
      if y.isConstant { return y.constant * x }
      return nil
    case .divide(let a, let b):
      guard let x = affine(of: a, &memo), let y = affine(of: b, &memo), y.isConstant, y.constant != 0 else {
        return nil
      }
      return (1 / y.constant) * x
    case .apply(.identity, let a): return affine(of: a, &memo)
    case .apply, .power:
      return nil  // constants were folded when the expression was built
    }
  }
}
