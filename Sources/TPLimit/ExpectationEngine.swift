import Foundation
import TPCore
import TPNumerics

/// Why an expectation could not be computed with the requested method.
struct MethodUnavailable: Error {
  var message: String
}

/// Computes `E[f(Z)]` for expressions over graph nodes. ``expectation(_:capture:)`` asks the
/// planner (``IntegrationPlanner``) which integrator fits each expectation — exact algebra and
/// closed forms, Gauss–Hermite over bases or affine leaves, the kink-aware piecewise rule, or
/// Monte Carlo — and returns one ``Estimate`` with its error (THEORY §4, docs/theory.md).
final class ExpectationEngine {
  var graph = ZGraph()
  var bases = BaseGaussians()
  let options: LimitOptions
  var affineCache: [Int: Affine?] = [:]
  /// Interned kink hyperplanes (``KinkAnalysis``).
  var kinkTable = KinkTable()
  /// Point sets of quadrature rules, by space and rule.
  var rules: [RuleKey: PointSet] = [:]
  var counts: [Method: Int] = [:]
  var integratorCounts: [Integrator: Int] = [:]
  /// The quadrature rule families used (each gets its own lower-resolution twin run).
  var quadratureFamilies: Set<QuadratureFamily> = []
  /// Memo of group parities (``parity(_:flipping:)``); `.some(nil)` is "undecided".
  var groupParities: [GroupParityKey: ZGraph.Parity?] = [:]
  /// Memo of ``localPartial(_:_:)``.
  var partials: [PartialKey: CoordExpr] = [:]
  /// The Monte Carlo particles, made on first use.
  var monteCarloPoints_: PointSet?

  init(options: LimitOptions) { self.options = options }

  /// Adds a node and records where it stops being smooth; nodes are immutable once added.
  func add(_ kind: ZGraph.Kind, label: String) -> Int {
    let k = graph.add(kind, label: label)
    switch kind {
    case .base: break
    case .affine(_, let terms):
      graph.nodes[k].kinks = terms.reduce(.smooth) { $0.union(graph.nodes[$1.node].kinks) }
    case .nonlin(let e): graph.nodes[k].kinks = kinks(of: e)
    }
    return k
  }

  func covariance(_ a: Int, _ b: Int) -> Double { bases.covariance(a, b) }

  /// `E[e]` for an expression over nodes, by the method the options ask for (`auto`: the
  /// planner's choice). With `capture > 0`, a Monte Carlo estimate also returns its influence
  /// on the first `capture` particles (``PointSet/expectation(_:_:capture:)``); other methods
  /// return none (they have no sampling error).
  func estimate(_ e: CoordExpr, capture: Int = 0) throws(MethodUnavailable) -> (Estimate, [Double]?) {
    if let c = e.constantValue {
      record(.exact)
      return (.exact(c), nil)
    }
    let result: (Estimate, [Double]?)
    switch options.method {
    case .exact:
      guard let v = exact(e) else {
        throw MethodUnavailable(
          message: "has no exact form (it is not a polynomial in Gaussians nor a known closed form)")
      }
      record(.exact)
      result = (.exact(v), nil)
    case .quadrature:
      switch quadraturePlan(e, forced: true) {
      case .success(let plan): result = (integrate(e, plan), nil)
      case .failure(let why): throw why
      }
    case .mc:
      result = monteCarloEstimate(e, capture: capture)
    case .auto:
      if let v = exact(e) {
        record(.exact)
        result = (.exact(v), nil)
      } else if let (scale, groups) = independentFactors(e) {
        result = try product(scale, groups, capture: capture)
      } else if case .success(let plan) = quadraturePlan(e, forced: false) {
        result = (integrate(e, plan), nil)
      } else {
        result = monteCarloEstimate(e, capture: capture)
      }
    }
    counts[result.0.method, default: 0] += 1
    return result
  }

  /// `E[e]` without an influence function.
  func expectation(_ e: CoordExpr) throws(MethodUnavailable) -> Estimate { try estimate(e, capture: 0).0 }

  func record(_ integrator: Integrator) { integratorCounts[integrator, default: 0] += 1 }

  /// `scale · ∏ E[group]` over independent groups, each by the cheapest method that fits it.
  /// Its error by first-order propagation, `errᵢ` weighted by `scale ∏_{j≠i} mⱼ` and added in
  /// quadrature; Monte Carlo influences combine the same way (they are over the same
  /// particles, so the groups' sampling errors are correlated and must not be added as
  /// independent).
  func product(_ scale: Double, _ groups: [CoordExpr], capture: Int) throws(MethodUnavailable) -> (
    Estimate, [Double]?
  ) {
    var estimates: [(Estimate, [Double]?)] = []
    for g in groups { estimates.append(try estimate(g, capture: capture)) }
    let value = estimates.reduce(scale) { $0 * $1.0.value }
    var deterministic = 0.0
    var sampling = 0.0
    var influence: [Double]?
    for (i, (est, psi)) in estimates.enumerated() {
      let others = estimates.enumerated().reduce(scale) { $1.offset == i ? $0 : $0 * $1.element.0.value }
      if est.method == .mc {
        sampling += (others * est.standardError) * (others * est.standardError)
        if let psi {
          var acc = influence ?? [Double](repeating: 0, count: psi.count)
          for p in acc.indices { acc[p] += others * psi[p] }
          influence = acc
        }
      } else {
        deterministic += (others * est.error) * (others * est.error)
      }
    }
    let method = estimates.reduce(Method.exact) { $0.combined($1.0.method) }
    var standardError = sampling.squareRoot()
    if let influence, method == .mc {
      standardError = Self.influenceStandardError(influence, particles: options.samples)
    }
    let error = (deterministic + standardError * standardError).squareRoot()
    return (Estimate(value: value, error: error, standardError: standardError, method: method), influence)
  }

  /// The standard error of an average over `particles` points whose influence on the first
  /// `ψ.count` of them is `ψ`: `sd(ψ)/√particles` (the sample standard deviation over the
  /// captured points estimates that of the whole set).
  static func influenceStandardError(_ psi: [Double], particles: Int) -> Double {
    guard psi.count > 1 else { return 0 }
    return (Statistics.sampleVariance(psi) / Double(particles)).squareRoot()
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

  /// The numerical rank of the covariance of `support`.
  func effectiveRank(_ support: [Int]) -> Int {
    if support.isEmpty { return 0 }
    return PivotedCholesky(bases.covarianceMatrix(support)).rank
  }

  /// Path-wise `E[∂Z^x/∂Ẑ_b]` for each `b` in `bases`, by reverse mode over the particles.
  func pathwiseGradient(of x: Int, bases: Set<Int>) -> [Int: (mean: Double, standardError: Double)] {
    counts[.mc, default: 0] += bases.count
    integratorCounts[.monteCarlo, default: 0] += bases.count
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
