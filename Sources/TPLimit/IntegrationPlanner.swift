import Foundation
import TPCore
import TPNumerics

/// The integrators the planner chooses between (docs/theory.md, "Expectations", has the
/// policy table with the accuracy of each).
public enum Integrator: String, Sendable, Hashable, CaseIterable, Codable {
  /// Constants, structural zeros, Isserlis' theorem, closed forms: error 0.
  case exact
  /// A tensor Gauss–Hermite grid over bases or affine leaves, for smooth integrands.
  case gaussHermite = "gauss-hermite"
  /// The piecewise Gauss–Legendre rule split at affine kinks and jumps.
  case piecewise
  /// Particles.
  case monteCarlo = "monte-carlo"
}

/// The planner: which integrator computes an expectation, from the integrand's properties.
///
/// 1. Exact when it can be (``ExpectationEngine/exact(_:)``); independent factors are split
///    and each planned on its own.
/// 2. Otherwise a quadrature rule when the integrand depends on at most
///    ``LimitOptions/quadratureMaximumDimension`` Gaussian directions — the rank of its
///    support's covariance, or of its affine leaves' when that is smaller — and the rule fits
///    ``LimitOptions/gridBudget`` points:
///    * **smooth** integrand → Gauss–Hermite with ``LimitOptions/degree(forDimension:)``
///      nodes per axis; error `|Q_p − Q_{p'}|`, `p' = ⌊3p/4⌋`;
///    * kinks and jumps only on **affine hyperplanes** → ``PiecewiseGaussRule`` with
///      ``LimitOptions/piecewiseNodes`` nodes per piece; error `|Q_m − Q_{m−2}|`;
///    * a kink or jump anywhere else (its argument is not affine in the Gaussians), a pole or
///      a non-integer power → no quadrature: Gauss–Hermite would print a wrong number.
/// 3. Otherwise Monte Carlo, with a standard error.
///
/// `--method quadrature` forces step 2 with three more dimensions allowed, and fails (exit 3)
/// with the reason — including the grid size when it would not fit — instead of falling back.
extension ExpectationEngine {
  /// A quadrature rule chosen for one expectation.
  enum QuadraturePlan {
    /// The integrand is a constant function of a rank-0 space: one evaluation at the mean.
    case point(IntegrationSpace)
    case gaussHermite(IntegrationSpace, degree: Int, lower: Int)
    case piecewise(IntegrationSpace, [Hyperplane], kinks: [Int], nodes: Int, lower: Int)
  }

  /// A cached rule's identity.
  struct RuleKey: Hashable {
    var space: IntegrationSpace.Key
    var rule: Rule
    enum Rule: Hashable {
      case point
      case gaussHermite(degree: Int)
      case piecewise(kinks: [Int], nodes: Int)
    }
  }

  /// The quadrature rule for `E[e]`, or why there is none.
  func quadraturePlan(_ e: CoordExpr, forced: Bool) -> Result<QuadraturePlan, MethodUnavailable> {
    let kinks = kinks(of: e)
    if kinks == .general {
      return .failure(
        MethodUnavailable(
          message:
            "has a kink or jump whose argument is not affine in the Gaussians, a pole or a non-integer power; no quadrature rule is accurate for it"
        ))
    }
    let support = graph.support(of: e)
    let maxDim = options.quadratureMaximumDimension + (forced ? 3 : 0)
    var space: IntegrationSpace?
    // The rank needs a factorization of the support's covariance, O(D³): only worth it when a
    // small rank is plausible (degenerate copies are rare beyond a few extra dimensions).
    if support.count <= maxDim + 4 {
      let s = IntegrationSpace(bases: support, bases)
      if s.rank <= maxDim { space = s }
    }
    if space.map({ $0.rank > 1 }) ?? true, let leaves = affineLeaves(of: e) {
      let forms = leaves.map { affine($0) ?? .constant(0) }
      let s = IntegrationSpace(leaves: leaves, forms: forms, bases)
      if s.rank <= maxDim, s.rank < (space?.rank ?? .max) { space = s }
    }
    guard let space else {
      return .failure(
        MethodUnavailable(
          message:
            "depends on \(support.count) Gaussians, more than quadrature handles (\(maxDim) directions)"))
    }
    let r = space.rank
    if r == 0 { return .success(.point(space)) }
    let budget = options.gridBudget
    switch kinks {
    case .general: preconditionFailure("handled above")
    case .smooth:
      let p = options.degree(forDimension: r)
      guard let count = GaussianQuadratureGrid.pointCount(dimension: r, degree: p), count <= budget else {
        let size = GaussianQuadratureGrid.pointCount(dimension: r, degree: p).map(String.init) ?? "too many"
        return .failure(
          MethodUnavailable(
            message:
              "needs a Gauss–Hermite grid of \(p)^\(r) = \(size) points, above the budget of \(budget) (lower --degree)"
          ))
      }
      return .success(.gaussHermite(space, degree: p, lower: max(1, 3 * p / 4)))
    case .hyperplanes(let ids):
      var planes: [Hyperplane] = []
      for id in ids {
        guard let h = space.hyperplane(kinkTable.forms[id]) else {
          return .failure(MethodUnavailable(message: "has a kink outside its integration space"))
        }
        // A kink whose argument does not vary here has constant sign: no breakpoint.
        if h.normalized != nil { planes.append(h) }
      }
      let m = options.nodesPerPiece
      guard
        PiecewiseGaussRule.pointCount(dimension: r, hyperplanes: planes, nodesPerPiece: m, limit: budget)
          != nil
      else {
        return .failure(
          MethodUnavailable(
            message:
              "needs a piecewise rule over \(planes.count) kinks in \(r) dimensions with more than \(budget) points"
          ))
      }
      return .success(.piecewise(space, planes, kinks: ids, nodes: m, lower: max(2, m - 2)))
    }
  }

  /// `E[e]` by a quadrature plan: the rule's value and, as its error, the difference from the
  /// same rule at lower resolution.
  func integrate(_ e: CoordExpr, _ plan: QuadraturePlan) -> Estimate {
    switch plan {
    case .point(let space):
      record(.exact)
      let set = rulePoints(space, .point) { ([], [1]) }
      return .exact(set.expectation(e, graph).mean)
    case .gaussHermite(let space, let p, let lower):
      record(.gaussHermite)
      quadratureFamilies.insert(.gaussHermite(dimension: space.rank))
      let high = gridPoints(space, degree: p).expectation(e, graph).mean
      let low = gridPoints(space, degree: lower).expectation(e, graph).mean
      return Estimate(value: high, error: abs(high - low), method: .quadrature)
    case .piecewise(let space, let planes, let kinks, let m, let lower):
      record(.piecewise)
      quadratureFamilies.insert(.piecewise)
      let high = piecewisePoints(space, planes, kinks, nodes: m).expectation(e, graph).mean
      let low = piecewisePoints(space, planes, kinks, nodes: lower).expectation(e, graph).mean
      return Estimate(value: high, error: abs(high - low), method: .quadrature)
    }
  }

  /// The point set of a rule on `space`, built by `make` (standard normal coordinates and
  /// weights) when not cached. Quadrature sets keep 1/32 of the node-value budget each, and at
  /// most 32 of them are kept.
  func rulePoints(
    _ space: IntegrationSpace, _ rule: RuleKey.Rule, _ make: () -> (coordinates: [Double], weights: [Double])
  ) -> PointSet {
    let key = RuleKey(space: space.key, rule: rule)
    if let s = rules[key] { return s }
    if rules.count >= 32 { rules.removeAll() }
    let (coordinates, weights) = make()
    let set = space.pointSet(
      coordinates: coordinates, weights: weights, threads: options.threads,
      budgetBytes: options.cacheBytes / 32)
    rules[key] = set
    return set
  }

  /// A tensor Gauss–Hermite grid on `space`.
  func gridPoints(_ space: IntegrationSpace, degree p: Int) -> PointSet {
    rulePoints(space, .gaussHermite(degree: p)) {
      let grid = GaussianQuadratureGrid(dimension: space.rank, degree: p)
      return (grid.coordinates, grid.weights)
    }
  }

  /// The piecewise rule on `space` for the given kinks.
  func piecewisePoints(_ space: IntegrationSpace, _ planes: [Hyperplane], _ kinks: [Int], nodes m: Int)
    -> PointSet
  {
    rulePoints(space, .piecewise(kinks: kinks, nodes: m)) {
      // safe: the plan counted the points of the finer rule against the budget; this one is
      // that rule or a coarser one.
      let rule = PiecewiseGaussRule(
        dimension: space.rank, hyperplanes: planes, nodesPerPiece: m, maximumPoints: .max)!
      return (rule.coordinates, rule.weights)
    }
  }

  /// The affine nodes `e` reaches through nonlin nodes only (a cut between `e` and the bases),
  /// or nil when the cut is large.
  func affineLeaves(of e: CoordExpr) -> [Int]? {
    var leaves: Set<Int> = []
    var seen: Set<Int> = []
    var stack = e.vectors.map(\.raw)
    while let k = stack.popLast() {
      guard seen.insert(k).inserted else { continue }
      if seen.count > 64 { return nil }
      if graph.nodes[k].isAffine {
        leaves.insert(k)
        continue
      }
      guard case .nonlin(let x) = graph.nodes[k].kind else { return nil }
      stack.append(contentsOf: x.vectors.map(\.raw))
    }
    return leaves.isEmpty ? nil : leaves.sorted()
  }

  // MARK: Monte Carlo

  /// `E[e]` over the particles, with its standard error and, for `capture > 0`, its influence.
  func monteCarloEstimate(_ e: CoordExpr, capture: Int) -> (Estimate, [Double]?) {
    record(.monteCarlo)
    let (m, se, psi) = monteCarloPoints().expectation(e, graph, capture: capture)
    return (.monteCarlo(m, standardError: se), psi)
  }

  /// The particle set: innovation `ε_b` of base `b` is the counter-based stream `(seed, b)`, so a
  /// particle's value never depends on how many threads or which order bases were sampled in.
  /// Base `b`, the `i`-th member of its group, is `Σ_{j≤i} L_ij ε_{member j}` — conditional
  /// sampling given the earlier members, one Cholesky row at a time.
  ///
  /// With ``Sampler/rqmc``, `ε_b` is coordinate `b` of a rank-1 lattice (``RankOneLattice``)
  /// shifted by a uniform drawn from stream `(seed, b)`: each replicate (its own seed) is an
  /// independent randomization of the same lattice.
  ///
  /// With the antithetic samplers (``Sampler/isAntithetic``) the particle count is rounded
  /// down to even and `ε_b` has `N/2` fresh values (pseudo-random, or the lattice of `N/2`
  /// points) at the even particles and their negations at the odd ones: particle `2i + 1` is
  /// particle `2i` reflected through the origin in every base at once (the bases are linear
  /// in the innovations), and the point set computes errors from pair means.
  func monteCarloPoints() -> PointSet {
    if let s = monteCarloPoints_ { return s }
    let sampler = options.sampler
    let paired = sampler.isAntithetic
    let count = paired ? max(2, options.samples & ~1) : options.samples
    let fresh = paired ? count / 2 : count
    let seed = options.seed
    let lattice = sampler.isLattice ? RankOneLattice(count: fresh) : nil
    var innovations: [Int: [Double]] = [:]
    let set = PointSet(
      count: count, weights: nil, threads: options.threads, budgetBytes: options.cacheBytes, paired: paired
    ) {
      [unowned self] b in
      let (g, i) = self.bases.location[b]
      let group = self.bases.groups[g]
      let row = group.cholesky.loadings[i]
      var out = [Double](repeating: 0, count: count)
      for (j, l) in row.enumerated() where l != 0 {
        let member = group.members[j]
        if innovations[member] == nil {
          var eps: [Double]
          if let lattice {
            let word = CounterRandom.bits(seed: seed, stream: UInt64(member), counter: 1 << 62).0
            eps = lattice.gaussians(coordinate: member, shift: CounterRandom.uniform(word))
          } else {
            eps = GaussianFill.gaussians(count: fresh, seed: seed, stream: UInt64(member))
          }
          if paired {
            eps = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
              for p in 0..<fresh {
                buffer[2 * p] = eps[p]
                buffer[2 * p + 1] = -eps[p]
              }
              initialized = count
            }
          }
          innovations[member] = eps
        }
        let eps = innovations[member]!  // safe: filled above
        for p in 0..<count { out[p] += l * eps[p] }
      }
      return out
    }
    monteCarloPoints_ = set
    return set
  }
}
