import Foundation
import TPCore
import TPNumerics

/// An expectation's value, its Monte Carlo standard error (0 otherwise) and method.
struct Estimate {
  var value: Double
  var standardError: Double
  var method: Method
}

extension Method {
  /// The least exact of two methods (Monte Carlo over quadrature over exact): how a number
  /// computed from both was obtained.
  func combined(_ other: Method) -> Method {
    let order: [Method] = [.exact, .quadrature, .mc, .finite]
    // safe: every case is listed
    return order.firstIndex(of: self)! >= order.firstIndex(of: other)! ? self : other
  }
}

/// Why an expectation could not be computed with the requested method.
struct MethodUnavailable: Error {
  var message: String
}

/// Computes `E[f(Z)]` for expressions over graph nodes, choosing exact, quadrature or Monte
/// Carlo per expectation (THEORY §4).
final class ExpectationEngine {
  var graph = ZGraph()
  var bases = BaseGaussians()
  let options: LimitOptions
  var affineCache: [Int: Affine?] = [:]
  var quadratureSets: [[Int]: PointSet] = [:]
  var counts: [Method: Int] = [:]
  /// Memo of group parities (``parity(_:flipping:)``); `.some(nil)` is "undecided".
  var groupParities: [GroupParityKey: ZGraph.Parity?] = [:]
  /// Memo of ``localPartial(_:_:)``.
  var partials: [PartialKey: CoordExpr] = [:]

  init(options: LimitOptions) { self.options = options }

  /// Adds a node; invalidates nothing (nodes are immutable once added).
  func add(_ kind: ZGraph.Kind, label: String) -> Int { graph.add(kind, label: label) }

  func covariance(_ a: Int, _ b: Int) -> Double { bases.covariance(a, b) }

  /// `E[e]` for an expression over nodes.
  func expectation(_ e: CoordExpr) throws(MethodUnavailable) -> Estimate {
    if let c = e.constantValue { return Estimate(value: c, standardError: 0, method: .exact) }
    let result: Estimate
    switch options.method {
    case .exact:
      guard let v = exact(e) else {
        throw MethodUnavailable(
          message: "has no exact form (it is not a polynomial in Gaussians nor a known closed form)")
      }
      result = Estimate(value: v, standardError: 0, method: .exact)
    case .quadrature:
      let support = graph.support(of: e)
      guard support.count <= options.quadratureMaximumDimension + 3 else {
        throw MethodUnavailable(message: "depends on \(support.count) Gaussians, too many for quadrature")
      }
      result = Estimate(value: quadrature(e, support), standardError: 0, method: .quadrature)
    case .mc:
      result = monteCarloEstimate(e)
    case .auto:
      if let v = exact(e) {
        result = Estimate(value: v, standardError: 0, method: .exact)
      } else if let (scale, groups) = independentFactors(e) {
        result = try product(scale, groups)
      } else {
        let support = graph.support(of: e)
        // The rank needs a factorization of the support's covariance, O(D³): only worth it when
        // a small rank is plausible (degenerate copies are rare beyond a few extra dimensions).
        let rank =
          support.count <= options.quadratureMaximumDimension + 4 ? effectiveRank(support) : support.count
        if rank <= options.quadratureMaximumDimension
          && pow(Double(options.degree(forDimension: rank)), Double(rank)) <= 4e6
        {
          result = Estimate(value: quadrature(e, support), standardError: 0, method: .quadrature)
        } else if let v = leafQuadrature(e) {
          // Too many bases, but they enter through few affine combinations.
          result = Estimate(value: v, standardError: 0, method: .quadrature)
        } else {
          result = monteCarloEstimate(e)
        }
      }
    }
    counts[result.method, default: 0] += 1
    return result
  }

  /// `scale · ∏ E[group]` over independent groups, each by the cheapest method that fits it,
  /// with `se² = Σᵢ (scale · seᵢ ∏_{j≠i} mⱼ)²`.
  func product(_ scale: Double, _ groups: [CoordExpr]) throws(MethodUnavailable) -> Estimate {
    var estimates: [Estimate] = []
    for g in groups { estimates.append(try expectation(g)) }
    let value = estimates.reduce(scale) { $0 * $1.value }
    var variance = 0.0
    for (i, est) in estimates.enumerated() {
      let others = estimates.enumerated().reduce(scale) { $1.offset == i ? $0 : $0 * $1.element.value }
      variance += (others * est.standardError) * (others * est.standardError)
    }
    let method = estimates.reduce(Method.exact) { $0.combined($1.method) }
    return Estimate(value: value, standardError: variance.squareRoot(), method: method)
  }

  // MARK: Exact

  func exact(_ e: CoordExpr) -> Double? {
    let cov = { (a: Int, b: Int) in self.bases.covariance(a, b) }
    if let v = structuralExpectation(e) { return v }
    if let v = ClosedForms.expectation(e, graph, &affineCache, cov: cov) { return v }
    if let p = graph.polynomial(of: e, &affineCache) {
      var isserlis = IsserlisEvaluator(covariance: cov)
      return isserlis.expectation(p)
    }
    return nil
  }

  /// The affine form of node `k`, if it has one.
  func affine(_ k: Int) -> Affine? { graph.affine(k, &affineCache) }

  // MARK: Quadrature

  /// The numerical rank of the covariance of `support` (quadrature integrates over that many dims).
  func effectiveRank(_ support: [Int]) -> Int {
    if support.isEmpty { return 0 }
    return PivotedCholesky(bases.covarianceMatrix(support)).rank
  }

  func quadrature(_ e: CoordExpr, _ support: [Int]) -> Double {
    quadraturePoints(support).expectation(e, graph).mean
  }

  /// A tensor Gauss–Hermite grid over the bases in `support`, via a pivoted Cholesky factor
  /// `F` of their covariance (`base = F ε`, `ε ~ N(0, I_r)`), cached per support.
  func quadraturePoints(_ support: [Int]) -> PointSet {
    if let s = quadratureSets[support] { return s }
    // Grids are cheap to rebuild; keep the dictionary from growing without bound over long runs.
    if quadratureSets.count >= 64 { quadratureSets.removeAll() }
    let chol = PivotedCholesky(bases.covarianceMatrix(support))
    let r = chol.rank
    let grid = GaussianQuadratureGrid(dimension: r, degree: r == 0 ? 1 : options.degree(forDimension: r))
    let count = grid.weights.count
    var columns: [Int: [Double]] = [:]
    for (i, b) in support.enumerated() { columns[b] = Self.gridColumn(chol.factor, row: i, rank: r, grid) }
    let set = PointSet(
      count: count, weights: grid.weights, threads: options.threads, budgetBytes: options.cacheBytes / 16
    ) { b in
      columns[b] ?? [Double](repeating: 0, count: count)
    }
    quadratureSets[support] = set
    return set
  }

  /// `Σ_k F[i, k] · ε_k` at every grid point: row `i` of a factor `F` evaluated on the grid.
  static func gridColumn(_ factor: Matrix, row i: Int, rank r: Int, _ grid: GaussianQuadratureGrid)
    -> [Double]
  {
    grid.points.map { point in (0..<r).reduce(0.0) { $0 + factor[i, $1] * point[$1] } }
  }

  // MARK: Monte Carlo

  func monteCarloEstimate(_ e: CoordExpr) -> Estimate {
    let (m, se) = monteCarloPoints().expectation(e, graph)
    return Estimate(value: m, standardError: se, method: .mc)
  }

  /// The particle set: innovation `ε_b` of base `b` is the counter-based stream `(seed, b)`, so a
  /// particle's value never depends on how many threads or which order bases were sampled in.
  /// Base `b`, the `i`-th member of its group, is `Σ_{j≤i} L_ij ε_{member j}` — conditional
  /// sampling given the earlier members, one Cholesky row at a time.
  func monteCarloPoints() -> PointSet {
    if let s = monteCarloPoints_ { return s }
    let count = options.samples
    let seed = options.seed
    var innovations: [Int: [Double]] = [:]
    let set = PointSet(count: count, weights: nil, threads: options.threads, budgetBytes: options.cacheBytes)
    {
      [unowned self] b in
      let (g, i) = self.bases.location[b]
      let group = self.bases.groups[g]
      let row = group.cholesky.loadings[i]
      var out = [Double](repeating: 0, count: count)
      for (j, l) in row.enumerated() where l != 0 {
        let member = group.members[j]
        if innovations[member] == nil {
          innovations[member] = GaussianFill.gaussians(count: count, seed: seed, stream: UInt64(member))
        }
        let eps = innovations[member]!  // safe: filled above
        for p in 0..<count { out[p] += l * eps[p] }
      }
      return out
    }
    monteCarloPoints_ = set
    return set
  }

  var monteCarloPoints_: PointSet?

  /// Path-wise `E[∂Z^x/∂Ẑ_b]` for each `b` in `bases`, by reverse mode over the particles.
  func pathwiseGradient(of x: Int, bases: Set<Int>) -> [Int: (mean: Double, standardError: Double)] {
    counts[.mc, default: 0] += bases.count
    // Create every local partial the sweep needs first: the sweep reads a fixed graph.
    var seen: Set<Int> = []
    var stack = [x]
    while let k = stack.popLast() {
      guard seen.insert(k).inserted else { continue }
      let inputs = graph.inputs(of: k)
      for j in inputs where graph.nodes[j].support.contains(where: bases.contains) {
        if case .nonlin = graph.nodes[k].kind { _ = localPartial(k, j) }
        stack.append(j)
      }
    }
    let partials = self.partials
    return monteCarloPoints().gradientExpectations(of: x, bases: bases, graph) { k, j in
      partials[PartialKey(node: k, input: j)] ?? 0
    }
  }

  /// `∂e/∂Z^j` of nonlin node `k = e(…)` as a constant or a graph node, memoized. Inside it,
  /// `e` itself is read back as `Z^k` (e.g. `tanh′ = 1 − Z^k²`), so `tanh` is not recomputed.
  func localPartial(_ k: Int, _ j: Int) -> CoordExpr {
    if let d = partials[PartialKey(node: k, input: j)] { return d }
    guard case .nonlin(let e) = graph.nodes[k].kind else { return 0 }
    var d = Self.replacing(e, with: ZGraph.node(k), in: e.derivative(withRespectTo: ZGraph.node(j)))
    if d.constantValue == nil, case .vector = d {
    } else if d.constantValue == nil {
      d = ZGraph.node(add(.nonlin(d), label: "∂\(graph.nodes[k].label)/∂\(graph.nodes[j].label)"))
    }
    partials[PartialKey(node: k, input: j)] = d
    return d
  }

  struct GroupParityKey: Hashable {
    var node: Int
    var group: Int
  }

  struct PartialKey: Hashable {
    var node: Int
    var input: Int
  }

  /// `d` with every occurrence of the subexpression `target` replaced by `node`.
  static func replacing(_ target: CoordExpr, with node: CoordExpr, in d: CoordExpr) -> CoordExpr {
    if d == target { return node }
    switch d {
    case .constant, .vector, .scalar, .argument: return d
    case .negate(let a): return -replacing(target, with: node, in: a)
    case .apply(let f, let a): return .call(f, replacing(target, with: node, in: a))
    case .add(let a, let b):
      return replacing(target, with: node, in: a) + replacing(target, with: node, in: b)
    case .subtract(let a, let b):
      return replacing(target, with: node, in: a) - replacing(target, with: node, in: b)
    case .multiply(let a, let b):
      return replacing(target, with: node, in: a) * replacing(target, with: node, in: b)
    case .divide(let a, let b):
      return replacing(target, with: node, in: a) / replacing(target, with: node, in: b)
    case .power(let a, let b):
      return .pow(replacing(target, with: node, in: a), replacing(target, with: node, in: b))
    }
  }
}
