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
  /// The affine form of node `k`, when it has one (memoized in `cache`).
  func affine(_ k: Int, _ cache: inout [Int: Affine?]) -> Affine? {
    if let hit = cache[k] { return hit }
    let result: Affine?
    switch nodes[k].kind {
    case .base(let b): result = .base(b)
    case .affine(let c, let terms):
      var acc = Affine.constant(c)
      var ok = true
      for t in terms {
        guard let a = affine(t.node, &cache) else {
          ok = false
          break
        }
        acc = acc + t.coefficient * a
      }
      result = ok ? acc : nil
    case .nonlin(let e): result = affine(of: e, &cache)
    }
    cache[k] = result
    return result
  }

  /// The affine form of a node expression, when it is affine.
  func affine(of e: CoordExpr, _ cache: inout [Int: Affine?]) -> Affine? {
    switch e {
    case .constant(let c): return .constant(c)
    case .vector(let v): return affine(v.raw, &cache)
    case .scalar, .argument: return nil
    case .negate(let a): return affine(of: a, &cache).map { -$0 }
    case .add(let a, let b):
      guard let x = affine(of: a, &cache), let y = affine(of: b, &cache) else { return nil }
      return x + y
    case .subtract(let a, let b):
      guard let x = affine(of: a, &cache), let y = affine(of: b, &cache) else { return nil }
      return x + (-y)
    case .multiply(let a, let b):
      guard let x = affine(of: a, &cache), let y = affine(of: b, &cache) else { return nil }
      if x.isConstant { return x.constant * y }
      if y.isConstant { return y.constant * x }
      return nil
    case .divide(let a, let b):
      guard let x = affine(of: a, &cache), let y = affine(of: b, &cache), y.isConstant, y.constant != 0 else {
        return nil
      }
      return (1 / y.constant) * x
    case .apply(.identity, let a): return affine(of: a, &cache)
    case .apply, .power:
      return nil  // constants were folded when the expression was built
    }
  }
}
