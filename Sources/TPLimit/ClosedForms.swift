import TPCore
import TPNumerics

/// Exact expectations of products of coordinatewise functions of affine Gaussians, for the
/// functions with known Gaussian integrals, at any means and covariances.
///
/// Two families:
///
/// * **Piecewise polynomials in at most two affine arguments.** `relu`, `step`, `abs`, `sign`
///   of affine `X` and `Y` are monomials times indicators (`relu(X) = X·1{X>0}`,
///   `abs(X) = X(1{X>0} − 1{X<0})`, …), and the identity (or a power) of any other affine `Z`
///   is regressed on them: `Z = γ + αX + βY + R` with `R` Gaussian and independent of
///   `(X, Y)`. The product expands into terms `c · Xᵃ Yᵇ Rʳ · s(X) t(Y)`, whose expectation is
///   `E[Rʳ]` (Isserlis) times a truncated bivariate moment (``TruncatedGaussianMoments``,
///   from Genz's orthant probabilities). Degree at most 8.
/// * **Any two factors** from `{identity, relu, step, abs, sign, erf, exp(−A²)}` of affine
///   arguments (``GaussianIntegrals/expectation(_:_:_:)-(ClosedFormFunction,ClosedFormFunction,GaussianPair)``):
///   the non-centred Williams kernel for `erf`, completing the square for Gaussian factors.
///
/// With centred arguments these are the arc-cosine kernels (Cho & Saul 2009), Williams' erf
/// kernel (1997) and Stein's lemma for mixed pairs.
enum ClosedForms {
  /// `φ(A)` with `A` affine; for `function == .gaussian` the factor is `exp(−A²)` (as in
  /// `erf′(A) = (2/√π) exp(−A²)`).
  struct Factor {
    var function: ClosedFormFunction
    var argument: Affine
  }

  /// `A` when `e` is `−A·A` or `−A²` for an affine `A`.
  static func negativeSquare(_ e: CoordExpr, _ graph: ZGraph, _ cache: inout [Int: Affine?]) -> Affine? {
    var inner: CoordExpr
    switch e {
    case .negate(let x): inner = x
    case .multiply(let c, let x) where c.constantValue == -1: inner = x
    default: return nil
    }
    switch inner {
    case .multiply(let a, let b) where a == b: inner = a
    case .power(let a, let k) where k.constantValue == 2: inner = a
    default: return nil
    }
    return graph.affine(of: inner, &cache)
  }

  /// Splits `e` into `scale · ∏ factors`; nil when some factor is not of the form φ(affine).
  /// Node leaves are looked through: a node defined by a product of such factors factorizes.
  static func factorize(_ e: CoordExpr, _ graph: ZGraph, _ cache: inout [Int: Affine?]) -> (Double, [Factor])?
  {
    switch e {
    case .constant(let c): return (c, [])
    case .multiply(let a, let b):
      guard let (sa, fa) = factorize(a, graph, &cache), let (sb, fb) = factorize(b, graph, &cache) else {
        return nil
      }
      return (sa * sb, fa + fb)
    case .negate(let a):
      guard let (s, f) = factorize(a, graph, &cache) else { return nil }
      return (-s, f)
    case .divide(let a, let b):
      guard let c = b.constantValue, c != 0, let (s, f) = factorize(a, graph, &cache) else { return nil }
      return (s / c, f)
    case .power(let a, let b):
      guard let k = b.constantValue, k == k.rounded(), k >= 0, k <= 8,
        let (s, f) = factorize(a, graph, &cache)
      else { return nil }
      var scale = 1.0
      var factors: [Factor] = []
      for _ in 0..<Int(k) {
        scale *= s
        factors += f
      }
      return (scale, factors)
    case .apply(.exp, let a):
      guard let x = negativeSquare(a, graph, &cache) else { return nil }
      return (1, [Factor(function: .gaussian, argument: x)])
    case .apply(let fn, let a):
      guard let f = Self.function(fn), let x = graph.affine(of: a, &cache) else { return nil }
      return (1, [Factor(function: f, argument: x)])
    case .vector(let v):
      if let x = graph.affine(v.raw, &cache) { return (1, [Factor(function: .identity, argument: x)]) }
      // A node defined by a coordinatewise expression: look through it.
      guard case .nonlin(let inner) = graph.nodes[v.raw].kind else { return nil }
      return factorize(inner, graph, &cache)
    default:
      guard let x = graph.affine(of: e, &cache) else { return nil }
      return (1, [Factor(function: .identity, argument: x)])
    }
  }

  static func function(_ f: Function) -> ClosedFormFunction? {
    switch f {
    case .relu: return .relu
    case .step: return .step
    case .abs: return .abs
    case .sign: return .sign
    case .erf: return .erf
    case .identity: return .identity
    default: return nil
    }
  }

  /// `E[e]` when `e` is one of the two families above.
  static func expectation(
    _ e: CoordExpr, _ graph: ZGraph, _ cache: inout [Int: Affine?], cov: (Int, Int) -> Double
  ) -> Double? {
    guard let (scale, factors) = factorize(e, graph, &cache) else { return nil }
    if scale == 0 { return 0 }
    if factors.isEmpty { return scale }
    func moments(_ a: Affine) -> (mean: Double, variance: Double) {
      (a.constant, max(0, a.covariance(with: a, cov)))
    }
    if factors.count == 1 {
      let (m, v) = moments(factors[0].argument)
      return scale * GaussianIntegrals.expectation(factors[0].function, mean: m, variance: v)
    }
    if factors.count == 2 {
      let (f, g) = (factors[0], factors[1])
      let pair = GaussianPair(
        mean1: f.argument.constant, mean2: g.argument.constant,
        k11: max(0, f.argument.covariance(with: f.argument, cov)),
        k12: f.argument.covariance(with: g.argument, cov),
        k22: max(0, g.argument.covariance(with: g.argument, cov)))
      return scale * GaussianIntegrals.expectation(f.function, g.function, pair)
    }
    return piecewisePolynomial(scale, factors, cov).map { $0 }
  }

  /// The piecewise-polynomial family: at most two distinct kink arguments, identity factors of
  /// anything affine, total degree at most 8.
  static func piecewisePolynomial(_ scale: Double, _ factors: [Factor], _ cov: (Int, Int) -> Double)
    -> Double?
  {
    guard factors.count <= 8, factors.allSatisfy({ $0.function != .erf && $0.function != .gaussian }) else {
      return nil
    }
    // Canonical kink arguments: A = c·X with c > 0 and X normalized (ExpectationEngine.KinkTable.Key).
    var arguments: [Affine] = []
    var keys: [ExpectationEngine.KinkTable.Key] = []
    // Each factor as Σ coefficient · X_slot^power · indicator(X_slot), or an identity to regress.
    struct Piece {
      var coefficient: Double
      var power: Int
      var indicator: Indicator
    }
    var kinkFactors: [(slot: Int, pieces: [Piece])] = []
    var identities: [Affine] = []
    for f in factors {
      if f.function == .identity || f.function == .one {
        if f.function == .identity { identities.append(f.argument) }
        continue
      }
      guard !f.argument.isConstant else {
        // A kink function of a constant is a constant.
        let v = GaussianIntegrals.expectation(f.function, mean: f.argument.constant, variance: 0)
        kinkFactors.append((-1, [Piece(coefficient: v, power: 0, indicator: .one)]))
        continue
      }
      let key = ExpectationEngine.KinkTable.Key(f.argument)
      // A = c·X: the key's coefficients are A's divided by c (c > 0 after the sign flip).
      let first = f.argument.terms[key.bases[0]] ?? 1
      let c = first / key.coefficients[0]
      let slot: Int
      if let i = keys.firstIndex(of: key) {
        slot = i
      } else {
        guard keys.count < 2 else { return nil }
        keys.append(key)
        var normalized = Affine.constant(key.constant)
        for (b, coefficient) in zip(key.bases, key.coefficients) { normalized.terms[b] = coefficient }
        arguments.append(normalized)
        slot = keys.count - 1
      }
      // φ(cX) for c ≠ 0 in terms of X.
      let positive = c > 0
      let pieces: [Piece]
      switch f.function {
      case .relu:
        pieces =
          positive
          ? [Piece(coefficient: c, power: 1, indicator: .positive)]
          : [Piece(coefficient: c, power: 1, indicator: .negative)]
      case .step:
        pieces = [Piece(coefficient: 1, power: 0, indicator: positive ? .positive : .negative)]
      case .abs:
        let a = Swift.abs(c)
        pieces = [
          Piece(coefficient: a, power: 1, indicator: .positive),
          Piece(coefficient: -a, power: 1, indicator: .negative),
        ]
      case .sign:
        let s: Double = positive ? 1 : -1
        pieces = [
          Piece(coefficient: s, power: 0, indicator: .positive),
          Piece(coefficient: -s, power: 0, indicator: .negative),
        ]
      default: return nil
      }
      kinkFactors.append((slot, pieces))
    }
    // Polynomial in (X, Y, R_1…R_m) with indicators: terms keyed by exponents and indicators.
    struct Term: Hashable {
      var x: Int
      var y: Int
      var r: [Int]
      var sx: Indicator
      var sy: Indicator
    }
    let m = identities.count
    var terms: [Term: Double] = [
      Term(x: 0, y: 0, r: [Int](repeating: 0, count: m), sx: .one, sy: .one): scale
    ]
    func combine(_ a: Indicator, _ b: Indicator) -> Indicator? {
      switch (a, b) {
      case (.one, let x), (let x, .one): return x
      case (.positive, .positive): return .positive
      case (.negative, .negative): return .negative
      default: return nil
      }
    }
    for (slot, pieces) in kinkFactors {
      var next: [Term: Double] = [:]
      for (t, v) in terms {
        for p in pieces {
          var u = t
          if slot == 0 {
            guard let s = combine(t.sx, p.indicator) else { continue }
            u.sx = s
            u.x += p.power
          } else if slot == 1 {
            guard let s = combine(t.sy, p.indicator) else { continue }
            u.sy = s
            u.y += p.power
          }
          next[u, default: 0] += v * p.coefficient
        }
      }
      terms = next
    }
    // Regress each identity factor on the kink arguments: Z = γ + αX + βY + R.
    let k = arguments.count
    var sxx = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for i in 0..<k { for j in 0..<k { sxx[i][j] = arguments[i].covariance(with: arguments[j], cov) } }
    let solve = regression(sxx)
    var coefficients: [(gamma: Double, beta: [Double])] = []
    for z in identities {
      let czx = (0..<k).map { z.covariance(with: arguments[$0], cov) }
      let beta = solve(czx)
      let gamma = z.constant - (0..<k).reduce(0) { $0 + beta[$1] * arguments[$1].constant }
      coefficients.append((gamma, beta))
    }
    // Cov(R_i, R_j) = Cov(Z_i, Z_j) − β_iᵀ Σ β_j.
    var rcov = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
    for i in 0..<m {
      for j in 0..<m {
        var s = identities[i].covariance(with: identities[j], cov)
        for a in 0..<k {
          for b in 0..<k { s -= coefficients[i].beta[a] * sxx[a][b] * coefficients[j].beta[b] }
        }
        rcov[i][j] = s
      }
    }
    for (i, (gamma, beta)) in coefficients.enumerated() {
      var next: [Term: Double] = [:]
      for (t, v) in terms {
        // × (γ + β₀X + β₁Y + Rᵢ)
        if gamma != 0 { next[t, default: 0] += v * gamma }
        if k > 0, beta[0] != 0 {
          var u = t
          u.x += 1
          next[u, default: 0] += v * beta[0]
        }
        if k > 1, beta[1] != 0 {
          var u = t
          u.y += 1
          next[u, default: 0] += v * beta[1]
        }
        var u = t
        u.r[i] += 1
        next[u, default: 0] += v
      }
      terms = next
      if terms.count > 4000 { return nil }
    }
    guard terms.keys.allSatisfy({ $0.x + $0.y + $0.r.reduce(0, +) <= 8 }) else { return nil }
    // E[Rʳ] by Isserlis over the residual covariance; truncated moments of (X, Y).
    var isserlis = IsserlisEvaluator { rcov[$0][$1] }
    var tables: [String: TruncatedMomentTable] = [:]
    let pair: GaussianPair
    switch k {
    case 0: pair = GaussianPair(k11: 0, k12: 0, k22: 0)
    case 1:
      pair = GaussianPair(mean1: arguments[0].constant, mean2: 0, k11: max(0, sxx[0][0]), k12: 0, k22: 0)
    default:
      pair = GaussianPair(
        mean1: arguments[0].constant, mean2: arguments[1].constant, k11: max(0, sxx[0][0]), k12: sxx[0][1],
        k22: max(0, sxx[1][1]))
    }
    var total = 0.0
    for (t, v) in terms where v != 0 {
      var monomial: [Int] = []
      for (i, e) in t.r.enumerated() { monomial += [Int](repeating: i, count: e) }
      let er = isserlis.moment(monomial)
      if er == 0 { continue }
      let key = "\(t.sx)\(t.sy)"
      let table =
        tables[key]
        ?? TruncatedGaussianMoments.bivariate(pair, t.sx, t.sy, maxPowerX: 8, maxPowerY: 8)
      tables[key] = table
      total += v * er * table[t.x, t.y]
    }
    return total
  }

  /// `c ↦ β` solving `Σ β = c` for a 0, 1 or 2-dimensional covariance `Σ`, by the
  /// pseudo-inverse (a zero-variance or perfectly correlated argument regresses on the rest).
  static func regression(_ s: [[Double]]) -> ([Double]) -> [Double] {
    let k = s.count
    if k == 0 { return { _ in [] } }
    let m = Matrix(s)
    let inverse = pseudoInverse(m, relativeCutoff: 1e-13)
    return { c in (0..<k).map { i in (0..<k).reduce(0) { $0 + inverse[i, $1] * c[$1] } } }
  }
}
