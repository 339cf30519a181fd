import Foundation
import TPCore
import TPNetwork
import TPNumerics
import TPSyntax

/// One value a direct training run reports: the model output at a point, the mean training loss,
/// the movement of a vector or a feature-kernel entry, at one step.
public struct DirectObservation: Sendable, Hashable {
  /// `f` (the model's name), `loss`, `movement` or `kernel`.
  public var observable: String
  public var target: String?
  public var points: [[Double]]
  public var output: Int
  public var step: Int
  public var value: Double
}

/// Why a direct training run stopped: the program cannot be trained (exit 2) or a number
/// overflowed (exit 3).
public enum DirectTrainingFailure: Error, Sendable {
  case program(LoweringError)
  case numerical(NumericalError)
}

/// A finite-width network trained by real SGD, independently of the lowering (THEORY §7).
///
/// It holds the trainable weights `w` of every layer (input `n × d`, hidden `n × n`, readout
/// `k × n`, biases) and applies the abc multipliers of THEORY §5: the effective weights are
/// `W = σ c n^{-a} w` with `c = d^{-1/2}` for the input layer (biases use the input layer's
/// exponents), and SGD with step `η n^{-c}` on `w` moves `W` by `−η σ² c² n^{-c-2a} ∂L/∂W`.
/// Each step runs real forward passes and reverse-mode differentiation of the model body on the
/// batch (examples taken cyclically, mean loss), then updates every layer at once.
///
/// The initial weights are those of the lowered program at the same width and seed: the trainer
/// declares the lowering's initial vectors and matrices in its order (for each layer in
/// declaration order the input columns `U[:, k]`, the hidden matrix, the readout rows `ṽ[j]`;
/// then the biases) and samples them with ``FiniteExecutor/sampleDeclarations(_:options:)``.
public enum DirectTrainer {
  /// Trains the network of `checked` at `options.width` from the weights drawn with
  /// `options.seed`, and reports its observations in the order the lowering reports them.
  /// Each point of `initialPoints` adds the untrained network's outputs there, as observable
  /// `"initial"` at step 0 (the kernel-regime check needs `f₀` on the training inputs too).
  ///
  /// Before anything is allocated, the run's memory and arithmetic are estimated
  /// (``estimate(_:options:initialPoints:)``) and it is refused past `options.memoryLimit` or
  /// `options.workLimit`. A NaN or ±Inf anywhere, or a training loss that grows past
  /// ``divergenceFactor`` times its initial scale, stops the run with an error that names the
  /// step, the observable and the statement.
  public static func run(_ checked: CheckedUnit, options: FiniteOptions, initialPoints: [[Double]] = [])
    throws(DirectTrainingFailure)
    -> [DirectObservation]
  {
    var net = try DirectNetwork(checked: checked, options: options, initialPoints: initialPoints)
    return try net.train(initialPoints: initialPoints)
  }

  /// The loss of output `f` against label `y`: `½(f − y)²` or `log(1 + e^{−y f})`.
  public static func loss(_ f: Double, _ y: Double, _ kind: LossKind) -> Double {
    DirectNetwork.loss(f, y, kind)
  }

  /// Training is said to diverge when a batch's loss exceeds this many times the larger of the
  /// initial loss on the first batch and the loss of the zero function on the data.
  public static let divergenceFactor = 1e6

  /// The peak memory and the arithmetic of ``run(_:options:initialPoints:)``, estimated from the
  /// network's shapes without allocating anything (sizes saturate instead of overflowing).
  public static func estimate(_ checked: CheckedUnit, options: FiniteOptions, initialPoints: [[Double]] = [])
    throws(DirectTrainingFailure) -> ResourceEstimate
  {
    guard let net = checked.network, let model = net.model else {
      throw .program(LoweringError("the file declares no model"))
    }
    var constants: [String: Double] = [:]
    for s in checked.program.scalars { if let v = s.constantValue { constants[s.name] = v } }
    let graph: ModelGraph
    do {
      graph = try ModelGraph(model: model, network: net, functions: checked.functions, constants: constants)
    } catch {
      throw .program(error)
    }
    return estimate(graph: graph, network: net, options: options, initialPoints: initialPoints)
  }

  static func estimate(
    graph: ModelGraph, network net: NetworkSpec, options: FiniteOptions, initialPoints: [[Double]]
  )
    -> ResourceEstimate
  {
    let n = max(options.width, 1)
    var inputColumns = 0
    var hidden = 0
    var outputs = 0
    for l in net.layers {
      switch (l.role, l.input, l.output) {
      case (.input, .finite(let d), _): inputColumns = Saturating.sum(inputColumns, d)
      case (.hidden, _, _): hidden += 1
      case (.readout, _, .finite(let k)): outputs = Saturating.sum(outputs, k)
      default: break
      }
    }
    var hiddenUses = 0
    var inputUses = 0
    var pointwiseNodes = 0
    for op in graph.ops {
      switch op {
      case .hidden: hiddenUses += 1
      case .inputLayer: inputUses += 1
      case .pointwise(let e): pointwiseNodes = Saturating.sum(pointwiseNodes, e.nodeCount)
      case .bias: break
      }
    }
    let data = net.training.flatMap { net.datasets[$0.data] } ?? []
    let steps = net.training?.steps ?? 0
    let batch = net.training.map { $0.batch ?? data.count } ?? 0
    var points = Set(initialPoints)
    // Passes of observations: each at the steps it is observed (`every`), over its points.
    var observedPasses = Saturating.product(steps + 1, initialPoints.count)
    for o in net.observations {
      points.formUnion(o.points)
      var own = Set(o.points)
      if case .loss = o.kind {
        points.formUnion(data.map(\.input))
        own.formUnion(data.map(\.input))
      }
      let every = max(o.every, 1)
      let observed = steps / every + 1 + (steps % every == 0 ? 0 : 1)
      observedPasses = Saturating.sum(observedPasses, Saturating.product(observed, own.count))
    }
    // The forward pass skips zero inputs: a one-hot input costs one column, not d.
    let activeColumns = min(
      inputColumns,
      max(
        1, (data.map(\.input) + Array(points)).map { x in x.reduce(0) { $0 + ($1 == 0 ? 0 : 1) } }.max() ?? 1)
        * max(1, net.layers.filter { $0.role == .input }.count))
    let vectors = Saturating.sum(inputColumns, outputs, net.biases.count)
    let entries = Saturating.product(n, n)
    // Weights (held once: sampled, then scaled in place), the passes cached within a step and
    // the step-0 passes kept for movement, one pass and its adjoints, the factored gradients
    // of a batch and the partial vectors of a transposed product.
    let weights = Saturating.sum(Saturating.product(hidden, entries), Saturating.product(vectors, n))
    let passes = Saturating.product(graph.ops.count + 1, n, 2 * points.count + 2)
    let gradients = Saturating.product(n, Saturating.sum(Saturating.product(batch, 2, hiddenUses), vectors))
    let scratch = Saturating.product(33, n, max(options.threads, 1))
    let bytes = Saturating.product(8, Saturating.sum(weights, passes, gradients, scratch))
    // One forward pass; a backward pass costs about twice as much; a hidden update of a batch
    // adds one rank-one product per use and example.
    let forward = Saturating.sum(
      Saturating.product(hiddenUses, entries), Saturating.product(inputUses, activeColumns, n),
      Saturating.product(n, pointwiseNodes), Saturating.product(outputs, n))
    let sampling = Saturating.product(weights, FiniteOptions.normalCost)
    let observing = Saturating.product(observedPasses, forward)
    let training = Saturating.product(
      steps, batch, Saturating.sum(Saturating.product(3, forward), Saturating.product(hiddenUses, entries)))
    // Empirical kernels: a forward and a backward pass per point and output.
    let kernelPoints = Set(net.kernels.flatMap { $0.points }).count
    let kernels = Saturating.product(kernelPoints, max(outputs, 1), 3, forward)
    let kernelBytes = Saturating.product(
      8, kernelPoints, max(outputs, 1), n, Saturating.sum(Saturating.product(2, hiddenUses), inputColumns, 2))
    return ResourceEstimate(
      bytes: Saturating.sum(bytes, kernelBytes),
      multiplyAdds: Saturating.sum(sampling, observing, training, kernels))
  }
}

/// The state of one direct training run.
struct DirectNetwork {
  let network: NetworkSpec
  let model: ModelSpec
  let graph: ModelGraph
  let n: Int
  let seed: UInt64
  let threads: Int
  /// `η n^{-c}`: the SGD step on the trainable weights.
  let step: Double
  /// `n^{-c}`: the learning rate's width factor (the empirical NTK's overall scale).
  let learningRateScale: Double
  /// The variance of the trainable readout weights at initialization.
  var readoutVariance = 0.0
  /// Inputs at which ``train(initialPoints:)`` records ``trace`` (none: no trace).
  var probes: [[Double]] = []
  /// The RMS size and change of every hidden vector at `probes`, per step (filled by training).
  var trace = CoordinateTrace()
  /// The passes at `probes` at initialization.
  var traceInitial: [Pass] = []
  /// `σ c n^{-a}` per layer and per bias.
  var layerMultiplier: [String: Double] = [:]
  var biasMultiplier: [String: Double] = [:]
  /// Trainable weights: input columns, hidden matrices (row-major), readout rows, biases.
  var inputWeights: [String: [[Double]]] = [:]
  var hiddenWeights: [String: [Double]] = [:]
  var readoutWeights: [[Double]] = []
  var biasWeights: [String: [Double]] = [:]
  /// Per op: the partial derivatives of a pointwise op with respect to its operands.
  let partials: [[(Int, CoordExpr)]]

  struct Pass {
    var values: [[Double]]
    var outputs: [Double]
  }

  /// " (2 hidden 512×512 weight matrices)", or nothing without hidden layers.
  static func matrixDetail(_ count: Int, _ n: Int) -> String {
    count == 0 ? "" : " (\(count) hidden \(n)×\(n) weight matri\(count == 1 ? "x" : "ces"))"
  }

  /// The source file, for locating errors at the `train` and `observe` statements.
  let file: SourceFile?
  let learningRate: Double

  init(checked: CheckedUnit, options: FiniteOptions, initialPoints: [[Double]] = [])
    throws(DirectTrainingFailure)
  {
    guard let net = checked.network, let model = net.model else {
      throw .program(LoweringError("the file declares no model"))
    }
    guard options.width >= 1 else {
      throw .numerical(NumericalError("the width must be at least 1, got \(options.width)"))
    }
    network = net
    self.model = model
    file = checked.program.file
    learningRate = net.training?.learningRate ?? 0
    n = options.width
    seed = options.seed
    threads = max(options.threads, 1)
    var constants: [String: Double] = [:]
    for s in checked.program.scalars { if let v = s.constantValue { constants[s.name] = v } }
    let p: ResolvedParametrization
    do {
      graph = try ModelGraph(model: model, network: net, functions: checked.functions, constants: constants)
      p = try ResolvedParametrization.resolve(net.parametrization, layers: net.layers)
    } catch {
      throw .program(error)
    }
    if net.training != nil && net.training?.steps == nil {
      throw .program(
        LoweringError("'steps: inf' cannot be trained at a finite width", range: net.training?.range))
    }
    let cost = DirectTrainer.estimate(
      graph: graph, network: net, options: options, initialPoints: initialPoints)
    guard cost.bytes <= options.memoryLimit.bytes else {
      throw .numerical(
        NumericalError(
          Message.memoryRefused(
            "training at width \(n)", estimate: cost.bytes,
            detail: Self.matrixDetail(net.layers.filter { $0.role == .hidden }.count, n),
            limit: options.memoryLimit)))
    }
    guard cost.multiplyAdds <= options.workLimit else {
      throw .numerical(
        NumericalError(
          Message.workRefused("training at width \(n)", estimate: cost.multiplyAdds, limit: options.workLimit)
        ))
    }
    let width = Double(n)
    func power(_ e: Rational) -> Double { pow(width, e.doubleValue) }
    func exps(_ name: String) -> LayerExponents { p.layers[name] ?? LayerExponents(a: .zero, b: .zero) }
    step = (net.training?.learningRate ?? 0) * power(-p.c)
    learningRateScale = power(-p.c)
    let graphOps = graph.ops
    partials = graphOps.map { op in
      guard case .pointwise(let e) = op else { return [] }
      return e.vectors.map { ($0.raw, e.derivative(withRespectTo: .vector($0))) }
    }

    // The lowering's declarations, in its order and with its variances.
    var decl = Program()
    decl.widthName = net.widthName
    func initial(_ name: String, _ variance: Double) -> VectorID {
      decl.vectors.append(VectorInfo(name: name, isTemporary: false, range: model.range))
      let id = VectorID(decl.vectors.count - 1)
      decl.initialGroups.append(InitialGroup(vectors: [id], mean: [0], covariance: [variance]))
      return id
    }
    var columns: [String: [VectorID]] = [:]
    var matrices: [String: MatrixID] = [:]
    var rows: [String: [VectorID]] = [:]
    var biases: [String: VectorID] = [:]
    for l in net.layers {
      let e = exps(l.name)
      let sigma = l.variance.squareRoot()
      switch l.role {
      case .input:
        guard case .finite(let d) = l.input else { continue }
        let v = l.variance / Double(d) * power(-2 * e.scale)
        columns[l.name] = (0..<d).map { initial("\(l.name)[:, \($0)]", v) }
        layerMultiplier[l.name] = sigma / Double(d).squareRoot() * power(-e.a)
      case .hidden:
        decl.matrices.append(MatrixInfo(name: l.name, variance: l.variance, range: model.range))
        matrices[l.name] = MatrixID(decl.matrices.count - 1)
        layerMultiplier[l.name] = sigma * power(-e.a)
      case .readout:
        guard case .finite(let k) = l.output else { continue }
        rows[l.name] = (0..<k).map { initial("\(l.name)[\($0)]", l.variance) }
        layerMultiplier[l.name] = sigma * power(-e.a)
      }
    }
    let inputExps = exps(net.layers.first { $0.role == .input }?.name ?? "")
    for b in net.biases {
      biases[b.name] = initial(b.name, b.variance * power(-2 * inputExps.scale))
      biasMultiplier[b.name] = b.variance.squareRoot() * power(-inputExps.a)
    }
    var sampled: SampledDeclarations
    do {
      sampled = try FiniteExecutor.sampleDeclarations(decl, options: options)
    } catch {
      throw .numerical(error)
    }

    // Effective weights → trainable weights `w = W / (σ c n^{-a})`, scaled in place: each
    // array is moved out of `sampled` first, so it is never copied (a matrix is n² doubles).
    func trainable(_ effective: inout [Double], _ factor: Double, _ multiplier: Double) -> [Double] {
      effective.withUnsafeMutableBufferPointer { b in
        for i in b.indices { b[i] = multiplier == 0 ? 0 : b[i] * factor / multiplier }
      }
      return effective
    }
    func take(_ v: VectorID) -> [Double] {
      let x = sampled.vectors[v.raw] ?? []
      sampled.vectors[v.raw] = nil
      return x
    }
    for (name, ids) in columns {
      inputWeights[name] = ids.map { id in
        var x = take(id)
        return trainable(&x, 1, layerMultiplier[name] ?? 0)
      }
    }
    for (name, m) in matrices {
      // The lowering multiplies the core matrix (entries σ/√n·z) by n^{1/2 − (a+b)}.
      var entries = sampled.matrices[m.raw]
      sampled.matrices[m.raw] = []
      hiddenWeights[name] = trainable(&entries, power(.half - exps(name).scale), layerMultiplier[name] ?? 0)
    }
    // The readout is `V = n^{-(a+b)} ṽ`.
    let readout = graph.readout
    if let m = layerMultiplier[readout], m != 0, let l = net.layer(named: readout) {
      // ṽ ~ N(0, σ²) scaled by n^{-(a+b)} and divided by σ n^{-a}: variance n^{-2b}.
      readoutVariance = l.variance * pow(power(-exps(readout).scale) / m, 2)
    }
    readoutWeights = (rows[readout] ?? []).map { id in
      var x = take(id)
      return trainable(&x, power(-exps(readout).scale), layerMultiplier[readout] ?? 0)
    }
    for (name, id) in biases {
      var x = take(id)
      biasWeights[name] = trainable(&x, 1, biasMultiplier[name] ?? 0)
    }
  }
}
