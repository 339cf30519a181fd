import TPCore

/// A polynomial in base Gaussians: monomial (sorted base indices, with repeats) → coefficient.
struct BasePolynomial {
  var terms: [[Int]: Double]

  static func constant(_ c: Double) -> BasePolynomial { BasePolynomial(terms: c == 0 ? [:] : [[]: c]) }

  init(terms: [[Int]: Double]) { self.terms = terms }

  init(_ a: Affine) {
    var t: [[Int]: Double] = [:]
    if a.constant != 0 { t[[]] = a.constant }
    for (b, c) in a.terms { t[[b]] = c }
    terms = t
  }

  var degree: Int { terms.keys.map(\.count).max() ?? 0 }

  static func + (a: BasePolynomial, b: BasePolynomial) -> BasePolynomial {
    var t = a.terms
    for (k, v) in b.terms { t[k, default: 0] += v }
    return BasePolynomial(terms: t)
  }

  static func * (a: BasePolynomial, b: BasePolynomial) -> BasePolynomial {
    var t: [[Int]: Double] = [:]
    for (ka, va) in a.terms {
      for (kb, vb) in b.terms { t[(ka + kb).sorted(), default: 0] += va * vb }
    }
    return BasePolynomial(terms: t)
  }

  static func * (s: Double, a: BasePolynomial) -> BasePolynomial {
    BasePolynomial(terms: a.terms.mapValues { s * $0 })
  }
}

extension ZGraph {
  /// Expands `e` into a polynomial in base Gaussians when every leaf is affine and the
  /// expression uses only `+ − ×`, division by constants and small integer powers.
  /// Gives up (nil) beyond degree 8 or 4000 monomials.
  func polynomial(of e: CoordExpr, _ cache: inout [Int: Affine?]) -> BasePolynomial? {
    func go(_ e: CoordExpr) -> BasePolynomial? {
      switch e {
      case .constant(let c): return .constant(c)
      case .vector(let v):
        guard let a = affine(v.raw, &cache) else { return nil }
        return BasePolynomial(a)
      case .scalar, .argument: return nil
      case .negate(let a): return go(a).map { -1 * $0 }
      case .add(let a, let b):
        guard let x = go(a), let y = go(b) else { return nil }
        return x + y
      case .subtract(let a, let b):
        guard let x = go(a), let y = go(b) else { return nil }
        return x + (-1 * y)
      case .multiply(let a, let b):
        guard let x = go(a), let y = go(b), x.degree + y.degree <= 8 else { return nil }
        let p = x * y
        return p.terms.count <= 4000 ? p : nil
      case .divide(let a, let b):
        guard let x = go(a), let c = b.constantValue, c != 0 else { return nil }
        return (1 / c) * x
      case .power(let a, let b):
        guard let k = b.constantValue, k == k.rounded(), k >= 0, k <= 8, let x = go(a) else { return nil }
        var p = BasePolynomial.constant(1)
        for _ in 0..<Int(k) {
          p = p * x
          if p.degree > 8 || p.terms.count > 4000 { return nil }
        }
        return p
      case .apply(.identity, let a): return go(a)
      case .apply: return nil
      }
    }
    return go(e)
  }
}

/// `E[∏ Z_{i}]` for centred jointly Gaussian `Z` by Isserlis' theorem: the sum over perfect
/// pairings of the product of covariances (zero for an odd count). Memoized by monomial.
struct IsserlisEvaluator {
  let covariance: (Int, Int) -> Double
  var memo: [[Int]: Double] = [:]

  mutating func moment(_ monomial: [Int]) -> Double {
    if monomial.isEmpty { return 1 }
    if monomial.count % 2 == 1 { return 0 }
    if let m = memo[monomial] { return m }
    // Pair the first factor with each other one: E[z₁ R] = Σ_j Cov(z₁, z_j) E[R ∖ z_j].
    let first = monomial[0]
    var rest = Array(monomial.dropFirst())
    var total = 0.0
    var seen = Set<Int>()
    for j in 0..<rest.count {
      let c = covariance(first, rest[j])
      if c == 0 { continue }
      // Identical factors give identical sub-moments: count them once, with multiplicity.
      if !seen.insert(rest[j]).inserted { continue }
      let multiplicity = rest.filter { $0 == rest[j] }.count
      var sub = rest
      sub.remove(at: j)
      total += Double(multiplicity) * c * moment(sub)
    }
    rest.removeAll()
    memo[monomial] = total
    return total
  }

  mutating func expectation(_ p: BasePolynomial) -> Double {
    p.terms.reduce(0) { $0 + $1.value * moment($1.key) }
  }
}
