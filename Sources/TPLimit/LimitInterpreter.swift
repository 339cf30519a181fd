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
  public static func run(_ program: Program, options: LimitOptions = LimitOptions()) throws(NumericalError)
    -> LimitResult
  {
    let r = max(1, options.replicates)
    if r == 1 { return try single(program, options) }
    var results: [LimitResult] = []
    for i in 0..<r {
      var o = options
      o.seed = replicateSeed(options.seed, i)
      let result = try single(program, o)
      // Without Monte Carlo every replicate would be the same.
      if i == 0, result.methodCounts[.mc, default: 0] == 0 { return result }
      results.append(result)
    }
    return LimitResult.combining(results)
  }

  static func single(_ program: Program, _ options: LimitOptions) throws(NumericalError) -> LimitResult {
    var run = InterpreterRun(program: program, options: options)
    try run.execute()
    return try run.result()
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
  var scalars: [ScalarEstimate?]
  /// (matrix, transposed) → base group.
  var matmulGroups: [MatrixKey: Int] = [:]
  var derivations: [VectorDerivation] = []
  /// How each MatMul base is written in explanations, `W x`.
  var baseLabels: [Int: String] = [:]
  /// Memo of path-wise tangent nodes: (node, base) → expression over nodes.
  var tangents: [TangentKey: CoordExpr] = [:]

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
    self.scalars = program.scalars.map { s in
      s.constantValue.map { ScalarEstimate(value: $0, standardError: 0, method: .exact) }
    }
  }

  mutating func execute() throws(NumericalError) {
    for group in program.initialGroups { addInitialGroup(group) }
    for k in program.instructions.indices {
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
      let est = try engine.expectation(nodeExpression(e))
      try store(est, dest, k)
    case .scalar(let dest, let e):
      try store(evaluateScalar(e), dest, k)
    case .matmul(let dest, let m, let transposed, let operand):
      try matmul(dest, m, transposed, operand, k)
    }
  }

  mutating func store(_ est: Estimate, _ dest: ScalarID, _ k: Int) throws(MethodUnavailable) {
    guard est.value.isFinite else {
      throw MethodUnavailable(message: "is not finite (\(est.value))")
    }
    scalars[dest.raw] = ScalarEstimate(value: est.value, standardError: est.standardError, method: est.method)
  }

  /// A scalar formula; its standard error by first-order propagation, `√Σ (∂f/∂θ_i)² se_i²`.
  func evaluateScalar(_ e: CoordExpr) -> Estimate {
    let value = e.evaluate { leaf in
      if case .scalar(let s) = leaf { return scalars[s.raw]?.value ?? .nan }
      return .nan
    }
    var variance = 0.0
    var method = Method.exact
    for s in e.scalars {
      guard let est = scalars[s.raw] else { continue }
      method = method.combined(est.method)
      guard est.standardError > 0 else { continue }
      let d = e.derivative(withRespectTo: .scalar(s)).evaluate { leaf in
        if case .scalar(let t) = leaf { return scalars[t.raw]?.value ?? .nan }
        return .nan
      }
      variance += d * d * est.standardError * est.standardError
    }
    return Estimate(value: value, standardError: variance.squareRoot(), method: method)
  }
}
