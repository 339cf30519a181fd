import TPCore
import TPNumerics

/// Exact expectations of products of at most two coordinatewise functions of centred affine
/// Gaussians, for the functions with known Gaussian integrals (arc-cosine kernels for relu and
/// step, Williams' kernel for erf, Gaussian factors `exp(−A²)` such as `erf′`, and mixtures
/// with the identity).
enum ClosedForms {
  /// `φ(A)` with `A` a centred affine form; with `gaussian`, the factor is `exp(−A²)` (as in
  /// `erf′(A) = (2/√π) exp(−A²)`) and `function` is `.exp`.
  struct Factor {
    var function: Function
    var argument: Affine
    var gaussian = false
  }

  /// `A` when `e` is `−A·A` or `−A²` for a centred affine `A`.
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
    guard let x = graph.affine(of: inner, &cache), x.constant == 0 else { return nil }
    return x
  }

  /// Splits `e` into `scale · ∏ factors`; nil when some factor is not of the form φ(affine).
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
    case .power(let a, let b) where b.constantValue == 2:
      guard let (s, f) = factorize(a, graph, &cache) else { return nil }
      return (s * s, f + f)
    case .apply(.exp, let a):
      guard let x = negativeSquare(a, graph, &cache) else { return nil }
      return (1, [Factor(function: .exp, argument: x, gaussian: true)])
    case .apply(let fn, let a) where [.relu, .step, .erf].contains(fn):
      guard let x = graph.affine(of: a, &cache), x.constant == 0 else { return nil }
      return (1, [Factor(function: fn, argument: x)])
    case .vector(let v):
      if let x = graph.affine(v.raw, &cache) {
        guard x.constant == 0 else { return nil }
        return (1, [Factor(function: .identity, argument: x)])
      }
      // A node defined by a coordinatewise expression: look through it.
      guard case .nonlin(let inner) = graph.nodes[v.raw].kind else { return nil }
      return factorize(inner, graph, &cache)
    default:
      guard let x = graph.affine(of: e, &cache), x.constant == 0 else { return nil }
      return (1, [Factor(function: .identity, argument: x)])
    }
  }

  /// `E[e]` when `e` is a product of at most two closed-form factors.
  static func expectation(
    _ e: CoordExpr, _ graph: ZGraph, _ cache: inout [Int: Affine?], cov: (Int, Int) -> Double
  )
    -> Double?
  {
    guard let (scale, factors) = factorize(e, graph, &cache), factors.count <= 2 else { return nil }
    if scale == 0 { return 0 }
    if factors.isEmpty { return scale }
    if factors.count == 1 {
      let f = factors[0]
      let k = f.argument.covariance(with: f.argument, cov)
      switch f.function {
      case .relu: return scale * (max(0, k) / (2 * Double.pi)).squareRoot()
      case .step: return scale * (k > 0 ? 0.5 : 0)
      case .erf, .identity: return 0
      // E[exp(−A²)] = (1 + 2k)^{-1/2}.
      case .exp: return scale / (1 + 2 * k).squareRoot()
      default: return nil
      }
    }
    var (f, g) = (factors[0], factors[1])
    // Order the pair so the table below only needs one orientation.
    let rank: [Function: Int] = [.identity: 0, .relu: 1, .step: 2, .erf: 3, .exp: 4]
    if rank[f.function]! > rank[g.function]! { swap(&f, &g) }
    let k11 = f.argument.covariance(with: f.argument, cov)
    let k12 = f.argument.covariance(with: g.argument, cov)
    let k22 = g.argument.covariance(with: g.argument, cov)
    let value: Double?
    switch (f.function, g.function) {
    case (.identity, .identity): value = k12
    case (.identity, .relu): value = GaussianIntegrals.identityRelu(k11, k12, k22)
    case (.identity, .step): value = GaussianIntegrals.identityStep(k11, k12, k22)
    case (.identity, .erf):
      // Stein: E[u erf(v)] = Cov(u, v) E[erf′(v)] = k12 · (2/√π) / √(1 + 2 k22).
      value = k12 * 2 / (Double.pi * (1 + 2 * k22)).squareRoot()
    case (.relu, .relu): value = GaussianIntegrals.reluRelu(k11, k12, k22)
    case (.relu, .step): value = GaussianIntegrals.reluStep(k11, k12, k22)
    case (.step, .step): value = GaussianIntegrals.stepStep(k11, k12, k22)
    case (.erf, .erf): value = GaussianIntegrals.erfErf(k11, k12, k22)
    // E[exp(−A² − B²)] = det(I + 2K)^{-1/2}; odd times even is 0.
    case (.exp, .exp): value = 1 / ((1 + 2 * k11) * (1 + 2 * k22) - 4 * k12 * k12).squareRoot()
    case (.identity, .exp), (.erf, .exp): value = 0
    default: value = nil
    }
    return value.map { scale * $0 }
  }
}
