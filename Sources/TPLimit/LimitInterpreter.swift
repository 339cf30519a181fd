import Foundation
import TPCore
import TPNumerics

/// The master-theorem interpreter (THEORY §3): walks a program once, giving every vector a node
/// `Z^x` over base Gaussians and every scalar its limit value.
public enum LimitInterpreter {
  /// Computes the infinite-width limit of `program`. With `options.replicates = R > 1` and any
  /// Monte Carlo expectation, the program is interpreted `R` times on independent particle sets
  /// of `samples` particles each, and every number is the replicate mean with standard error
  /// `max(sd_R, rms(se_r)) / √R` (see ``LimitResult/combining(_:)``): the replicate spread
  /// includes the error an output inherits from `Ż` coefficients and earlier moments, which a
  /// single run's sampling error of its final average leaves out. (Splitting `samples` over the
  /// replicates instead would cost no more, but errors compound non-linearly over SGD steps, so
  /// small replicates are far worse than one large run.)
  ///
  /// Without Monte Carlo, a program that used quadrature is run again once per rule family it
  /// used (Gauss–Hermite of each dimension, piecewise), with that family alone at lower
  /// resolution (``LimitOptions/coarse``), and each number's error is the larger of its own
  /// estimate and the sum of its changes — which includes the quadrature error inherited
  /// through `Ż` coefficients and earlier moments (the laws of `Ẑ`), not only that of the final
  /// rule. One twin with every rule coarser would let the families' errors cancel: on a depth-3
  /// tanh NNGP the 3-D rule's error at 45 nodes (+1.35e-9) and the 2-D rule's at 60 (−1.4e-9)
  /// left the twin within 2e-11 of a run that was 8.3e-11 off.
  ///
  /// `pools` says which scalars' replicate spreads may be pooled (``ReplicatePools``, see
  /// ``LimitResult/combining(_:pools:)``).
  ///
  /// With a `ledger` (sharded runs, docs/scaling.md), a `record` ledger runs only its replicate
  /// (with the seed the full run gives it) and records the raw result, and a `replay` ledger
  /// computes nothing and returns its next call's replicates combined as above — the full
  /// run's result, bit for bit, when the replicates are those of one run.
  public static func run(
    _ program: Program, options: LimitOptions = LimitOptions(), pools: ReplicatePools = ReplicatePools(),
    ledger: ReplicateLedger? = nil
  ) throws(NumericalError) -> LimitResult {
    try LimitCost(program, options: options).check(options)
    let r = max(1, options.replicates)
    if let ledger {
      switch ledger.mode {
      case .replay:
        let call = try ledger.next()
        guard let first = call.results.first else {
          throw NumericalError("a limit computation has no results")
        }
        if call.deterministic || call.results.count == 1 { return first }
        return LimitResult.combining(call.results, pools: pools)
      case .record(let index, let count):
        var o = options
        o.replicates = count
        if count > 1 { o.seed = replicateSeed(options.seed, index) }
        let (result, families) = try interpret(program, o)
        if result.methodCounts[.mc, default: 0] == 0 {
          let widened = withTwins(program, o, result, families)
          ledger.append(.init(deterministic: true, results: [widened]))
          return widened
        }
        ledger.append(.init(deterministic: false, results: [result]))
        return result
      }
    }
    var results: [LimitResult] = []
    for i in 0..<r {
      var o = options
      if r > 1 { o.seed = replicateSeed(options.seed, i) }
      ProgressMeter.shared.begin(
        r > 1 ? "limit replicate" : "limit", done: i, total: r,
        detail: options.coarse != nil ? "lower-resolution twin" : "")
      let (result, families) = try interpret(program, o)
      // Without Monte Carlo every replicate would be the same.
      if i == 0, result.methodCounts[.mc, default: 0] == 0 { return withTwins(program, o, result, families) }
      results.append(result)
    }
    return r == 1 ? results[0] : LimitResult.combining(results, pools: pools)
  }

  static func single(_ program: Program, _ options: LimitOptions) throws(NumericalError) -> LimitResult {
    try interpret(program, options).result
  }

  /// One interpretation, and the quadrature rule families it used.
  static func interpret(_ program: Program, _ options: LimitOptions) throws(NumericalError) -> (
    result: LimitResult, families: Set<QuadratureFamily>
  ) {
    var run = InterpreterRun(program: program, options: options)
    try run.execute()
    return (try run.result(), run.engine.quadratureFamilies)
  }

  /// `result` (no Monte Carlo) widened by its lower-resolution twins, one per quadrature family
  /// in `families` (none for a twin itself, or when no quadrature was used).
  static func withTwins(
    _ program: Program, _ options: LimitOptions, _ result: LimitResult, _ families: Set<QuadratureFamily>
  ) -> LimitResult {
    guard options.coarse == nil, result.methodCounts[.quadrature, default: 0] > 0 else { return result }
    let twins = families.sorted { $0.order < $1.order }.compactMap { family -> LimitResult? in
      var twin = options
      twin.coarse = family
      return try? single(program, twin)
    }
    return result.widened(by: twins)
  }

  /// An independent seed for replicate `i` (SplitMix64 of the pair).
  static func replicateSeed(_ seed: UInt64, _ i: Int) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The state of one interpretation.
struct InterpreterRun {
  let program: Program
  let options: LimitOptions
  let engine: ExpectationEngine
  /// Program vector → graph node.
  var vectorNode: [Int]
  var scalars: [Estimate?]
  /// Influence functions of Monte Carlo scalars that later scalar formulas read, on the first
  /// ``LimitOptions/influenceParticles`` particles: a formula's sampling error is then
  /// `sd(Σᵢ ∂f/∂θᵢ ψᵢ)/√N`, which accounts for the correlation of estimates made on the same
  /// particles (adding their standard errors as if independent overstates it severalfold).
  var influence: [Int: [Double]] = [:]
  /// For each scalar read by a scalar formula, the last instruction that reads it.
  let lastFormulaUse: [Int: Int]
  /// (matrix, transposed) → base group.
  var matmulGroups: [MatrixKey: Int] = [:]
  var derivations: [VectorDerivation] = []
  /// How each MatMul base is written in explanations, `W x`.
  var baseLabels: [Int: String] = [:]
  /// Memo of path-wise tangent nodes: (node, base) → expression over nodes.
  var tangents: [TangentKey: CoordExpr] = [:]
  /// Pseudo-inverses of group covariances by (members, cutoff): a transposed MatMul applied at
  /// many points (the backward passes of a kernel program) reuses its group's.
  var pseudoInverses: [PseudoInverseKey: Matrix] = [:]

  struct PseudoInverseKey: Hashable {
    var members: [Int]
    var cutoff: Double
  }

  struct MatrixKey: Hashable {
    var matrix: Int
    var transposed: Bool
  }

  struct TangentKey: Hashable {
    var node: Int
    var base: Int
  }

  init(program: Program, options: LimitOptions) {
    self.program = program
    self.options = options
    self.engine = ExpectationEngine(options: options)
    self.vectorNode = Array(repeating: -1, count: program.vectors.count)
    self.scalars = program.scalars.map { s in s.constantValue.map { Estimate.exact($0) } }
    var last: [Int: Int] = [:]
    for (k, instruction) in program.instructions.enumerated() {
      if case .scalar(_, let e) = instruction { for s in e.scalars { last[s.raw] = k } }
    }
    self.lastFormulaUse = last
  }

  /// Particles whose influence a Monte Carlo estimate keeps.
  var captureCount: Int { min(options.samples, options.influenceParticles) }

  mutating func execute() throws(NumericalError) {
    for group in program.initialGroups { addInitialGroup(group) }
    for k in program.instructions.indices {
      ProgressMeter.shared.inner("instruction", done: k, total: program.instructions.count)
      do throws(MethodUnavailable) {
        try execute(k)
      } catch {
        throw program.numericalError("the expectation \(error.message)", at: k)
      }
    }
  }

  mutating func addInitialGroup(_ group: InitialGroup) {
    let g = engine.bases.addGroup()
    for (i, v) in group.vectors.enumerated() {
      let covs = (0..<i).map { group.covariance(i, $0) }
      let b = engine.bases.addBase(group: g, covariances: covs, variance: group.covariance(i, i))
      let baseNode = engine.add(.base(b), label: program.name(v))
      let mean = group.mean[i]
      vectorNode[v.raw] =
        mean == 0
        ? baseNode : engine.add(.affine(constant: mean, terms: [(baseNode, 1)]), label: program.name(v))
    }
  }

  /// Replaces program vectors by nodes and scalars by their values.
  func nodeExpression(_ e: CoordExpr) -> CoordExpr {
    e.substituting { leaf in
      switch leaf {
      case .vector(let v): return ZGraph.node(vectorNode[v.raw])
      case .scalar(let s): return .constant(scalars[s.raw]?.value ?? .nan)
      default: return nil
      }
    }
  }

  mutating func execute(_ k: Int) throws(MethodUnavailable) {
    switch program.instructions[k] {
    case .nonlin(let dest, let e):
      vectorNode[dest.raw] = engine.add(.nonlin(nodeExpression(e)), label: program.name(dest))
    case .moment(let dest, let e):
      let wanted = lastFormulaUse[dest.raw] != nil ? captureCount : 0
      let (est, psi) = try engine.estimate(nodeExpression(e), capture: wanted)
      try store(est, psi, dest, k)
    case .scalar(let dest, let e):
      let (est, psi) = evaluateScalar(e)
      try store(est, lastFormulaUse[dest.raw] != nil ? psi : nil, dest, k)
      for s in e.scalars where lastFormulaUse[s.raw] == k { influence[s.raw] = nil }
    case .matmul(let dest, let m, let transposed, let operand):
      try matmul(dest, m, transposed, operand, k)
    }
  }

  mutating func store(_ est: Estimate, _ psi: [Double]?, _ dest: ScalarID, _ k: Int) throws(MethodUnavailable)
  {
    guard est.value.isFinite else {
      throw MethodUnavailable(message: "is not finite (\(est.value))")
    }
    scalars[dest.raw] = est
    if let psi { influence[dest.raw] = psi }
  }

  /// A scalar formula `f(θ)` and its error by first-order propagation: deterministic errors
  /// (quadrature) as `√Σ (∂f/∂θᵢ errᵢ)²`; the Monte Carlo part from the influence
  /// `ψ_f = Σ ∂f/∂θᵢ ψᵢ` when every sampled input kept one (else as if independent).
  func evaluateScalar(_ e: CoordExpr) -> (Estimate, [Double]?) {
    func valueOf(_ leaf: CoordExpr) -> Double {
      if case .scalar(let s) = leaf { return scalars[s.raw]?.value ?? .nan }
      return .nan
    }
    let value = e.evaluate(valueOf)
    var deterministic = 0.0
    var sampling = 0.0
    var method = Method.exact
    var psi: [Double]?
    var complete = true
    for s in e.scalars {
      guard let est = scalars[s.raw] else { continue }
      method = method.combined(est.method)
      guard est.error > 0 || est.standardError > 0 else { continue }
      let d = e.derivative(withRespectTo: .scalar(s)).evaluate(valueOf)
      if est.method == .mc {
        sampling += d * d * est.standardError * est.standardError
        if let p = influence[s.raw] {
          var acc = psi ?? [Double](repeating: 0, count: p.count)
          if acc.count == p.count { for i in acc.indices { acc[i] += d * p[i] } } else { complete = false }
          psi = acc
        } else {
          complete = false
        }
        // Beyond sampling, an inherited part of its error (after replicates) counts as deterministic.
        let beyond = max(0, est.error * est.error - est.standardError * est.standardError)
        deterministic += d * d * beyond
      } else {
        deterministic += d * d * est.error * est.error
      }
    }
    if !complete { psi = nil }
    let standardError =
      psi.map { ExpectationEngine.influenceStandardError($0, particles: options.samples) }
      ?? sampling.squareRoot()
    let error = (deterministic + standardError * standardError).squareRoot()
    return (Estimate(value: value, error: error, standardError: standardError, method: method), psi)
  }
}
