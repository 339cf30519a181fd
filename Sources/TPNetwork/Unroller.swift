import Foundation
import TPCore
import TPSyntax

/// The state of unrolling SGD: per-layer update histories and the core program being built.
///
/// Units: the backward pass is scaled by `n^α` (`α = a+b` of the readout) so every vector is
/// `O(1)`; `dh` already includes the loss derivative `χ`. An update of layer `l` at step `s`
/// contributes `κ · dh_s · mean(x_s ⊙ x′)` to a later `W x′`, with `κ = −η σ² n^{e}/B`.
struct Unroller {
  let network: NetworkSpec
  let model: ModelSpec
  let mode: LoweringMode
  let graph: ModelGraph
  let parametrization: ResolvedParametrization
  let classification: Classification
  var core: CoreBuilder
  /// The source file, for quoting model statements in error messages.
  let file: SourceFile?
  var trajectory: [TrajectoryPoint] = []
  var dropped: [String] = []
  let width: Double

  // Core objects per layer.
  var inputColumns: [String: [VectorID]] = [:]
  var matrices: [String: MatrixID] = [:]
  var hiddenScale: [String: Double] = [:]
  var readoutRows: [VectorID] = []
  var biasInit: [String: VectorID] = [:]

  // Update histories.
  struct HiddenUpdate {
    var kappa: Double
    var dh: VectorID
    var input: VectorID
  }
  struct InputUpdate {
    var kappa: Double
    var dh: VectorID
    var xi: [Double]
  }
  struct BiasUpdate {
    var kappa: Double
    var dh: VectorID
  }
  struct ReadoutUpdate {
    var forward: Double?
    var backward: Double?
    var chi: [CoordExpr]
    var x: VectorID
  }
  var hiddenHistory: [String: [HiddenUpdate]] = [:]
  var inputHistory: [String: [InputUpdate]] = [:]
  var biasHistory: [String: [BiasUpdate]] = [:]
  var readoutHistory: [ReadoutUpdate] = []
  /// Coefficient of the initial readout term `n^{1−α} mean(ṽ x)` (nil when it vanishes).
  var initialOutputScale: Double?

  // Per-step caches of forward passes at a point, and the step-0 passes for movement.
  var stepCache: [[Double]: Pass] = [:]
  var initialPasses: [[Double]: Pass] = [:]
  var biasAtStep: [String: VectorID] = [:]

  struct Pass {
    var values: [VectorID]
    var outputs: [CoordExpr]
  }

  init(checked: CheckedUnit, network: NetworkSpec, model: ModelSpec, mode: LoweringMode) throws {
    self.network = network
    self.model = model
    self.mode = mode
    var constants: [String: Double] = [:]
    for s in checked.program.scalars { if let v = s.constantValue { constants[s.name] = v } }
    graph = try ModelGraph(model: model, network: network, functions: checked.functions, constants: constants)
    parametrization = try ResolvedParametrization.resolve(network.parametrization, layers: network.layers)
    classification = Classification.classify(parametrization, layers: network.layers)
    core = CoreBuilder(widthName: network.widthName, range: model.range)
    file = checked.program.file
    if case .finite(let n) = mode { width = Double(n) } else { width = .infinity }
  }

  /// Instructions emitted from now on come from `range` and compute `origin`.
  mutating func at(_ range: SourceRange, _ origin: String) {
    core.range = range
    core.origin = origin
  }

  /// The model statement of op `i`, quoted (cut to about 60 characters).
  func statement(_ i: Int) -> String {
    guard let file, i < graph.statements.count else { return graph.names[i] }
    let text = file.text(graph.statements[i]).trimmingCharacters(in: .whitespacesAndNewlines)
    return "'" + (text.count > 60 ? String(text.prefix(57)) + "…" : text) + "'"
  }

  var training: TrainingSpec? { network.training }
  var lr: Double { training?.learningRate ?? 0 }
  var c: Rational { parametrization.c }
  func exps(_ name: String) -> LayerExponents {
    parametrization.layers[name] ?? LayerExponents(a: .zero, b: .zero)
  }
  var readoutSpec: LayerSpec { network.layer(named: graph.readout)! }  // safe: the model graph checked it
  var alpha: Rational { exps(graph.readout).scale }

  /// `base · n^e` at finite width; in the limit `base` for `e = 0`, nil for `e < 0`, an
  /// instability for `e > 0`.
  mutating func scaled(_ base: Double, _ e: Rational, _ what: String) throws(LoweringFailure) -> Double? {
    switch mode {
    case .finite: return base * pow(width, e.doubleValue)
    case .limit:
      if e.isZero { return base }
      if e < .zero {
        dropped.append("\(what) (∝ n^\(e))")
        return nil
      }
      throw .unstable("\(what) grows like n^\(e)")
    }
  }

  /// About how many instructions ``run()`` emits, in saturating arithmetic: every pass (the
  /// batch's forward and backward passes and one per observed point, each step) has a few per
  /// op, plus one moment per earlier update of each hidden layer it multiplies by (per use)
  /// and per earlier readout update.
  func estimatedInstructions() -> Int {
    let steps = training.map { $0.steps ?? 0 } ?? 0
    let data = training.flatMap { network.datasets[$0.data] } ?? []
    let batch = training == nil ? 0 : (training?.batch ?? data.count)
    var points = Set<[Double]>()
    for o in network.observations {
      points.formUnion(o.points)
      if case .loss = o.kind { points.formUnion(data.map(\.input)) }
    }
    var uses: [String: Int] = [:]
    for op in graph.ops { if case .hidden(let w, _) = op { uses[w, default: 0] += 1 } }
    let squaredUses = uses.values.reduce(0) { Saturating.sum($0, $1 * $1) }
    let passes = Saturating.sum(points.count, Saturating.product(2, batch))
    var outputs = 1
    if case .finite(let k) = network.layer(named: graph.readout)?.output { outputs = k }
    let perPass = Saturating.sum(Saturating.product(2, graph.ops.count), Saturating.sum(outputs, 4))
    let triangle = Saturating.product(steps, steps + 1) / 2
    return Saturating.sum(
      Saturating.product(steps + 1, passes, perPass),
      Saturating.product(passes, Saturating.product(batch, squaredUses + 1), triangle))
  }

  static func count(_ n: Int) -> String { n < 1_000_000 ? String(n) : String(format: "%.2g", Double(n)) }

  // MARK: Setup

  mutating func declareLayers() throws(LoweringFailure) {
    // Biases scale like the input layer (a bias is an input weight on a constant 1).
    let inputScale = network.layers.first { $0.role == .input }.map { exps($0.name).scale } ?? .zero
    for l in network.layers {
      let e = exps(l.name)
      switch l.role {
      case .input:
        guard case .finite(let d) = l.input else { continue }
        let v =
          try scaled(l.variance / Double(d), -2 * e.scale, "input layer \(l.name) at initialization") ?? 0
        inputColumns[l.name] = (0..<d).map { core.initial("\(l.name)[:, \($0)]", variance: v) }
      case .hidden:
        matrices[l.name] = core.matrix(l.name, variance: l.variance)
        hiddenScale[l.name] = try scaled(1, .half - e.scale, "hidden layer \(l.name) at initialization") ?? 0
      case .readout:
        guard case .finite(let k) = l.output else { continue }
        readoutRows = (0..<k).map { core.initial(k == 1 ? "ṽ" : "ṽ[\($0)]", variance: l.variance) }
      }
    }
    for b in network.biases {
      let v = try scaled(b.variance, -2 * inputScale, "bias \(b.name) at initialization") ?? 0
      biasInit[b.name] = core.initial(b.name, variance: v)
    }
    do {
      initialOutputScale = try scaled(1, .one - alpha, "the output at initialization")
    } catch {
      throw .kernelRegime
    }
  }

  // MARK: Driver

  mutating func run() throws(LoweringFailure) {
    let estimate = estimatedInstructions()
    if estimate > NetworkLowering.maximumInstructions {
      let steps = training.map { $0.steps ?? 0 } ?? 0
      throw .tooLarge(
        "unrolling \(steps) SGD step\(steps == 1 ? "" : "s") makes an estimated \(Self.count(estimate)) instructions,"
          + " more than \(Self.count(NetworkLowering.maximumInstructions)) (every step adds a term to every later"
          + " pass, so they grow like steps²); use fewer steps, a smaller batch or fewer observed points")
    }
    try declareLayers()
    let steps = training.map { $0.steps ?? 0 } ?? 0
    if training?.steps == nil && training != nil {
      throw .program(
        LoweringError("'steps: inf' is only defined in the kernel regime", range: training?.range))
    }
    let data = training.flatMap { network.datasets[$0.data] } ?? []
    for t in 0...steps {
      stepCache = [:]
      biasAtStep = [:]
      try observe(step: t, data: data)
      if t == steps { break }
      try trainStep(t, data: data)
    }
  }

  mutating func trainStep(_ t: Int, data: [Example]) throws(LoweringFailure) {
    guard let training, !data.isEmpty else { return }
    let batch = training.batch ?? data.count
    let examples = (0..<batch).map { data[(t * batch + $0) % data.count] }
    let invB = 1 / Double(batch)
    var newHidden: [String: [HiddenUpdate]] = [:]
    var newInput: [String: [InputUpdate]] = [:]
    var newBias: [String: [BiasUpdate]] = [:]
    var newReadout: [ReadoutUpdate] = []
    for (b, ex) in examples.enumerated() {
      let example = (t * batch + b) % data.count
      let tag = "t=\(t), ex=\(example)"
      let context = "on training example \(example + 1) \(Unroller.format(ex.input)) at step \(t + 1)"
      let pass = try forward(ex.input, tag: tag, context: context)
      at(training.range, "the loss derivative \(context)")
      let chi = pass.outputs.enumerated().map { (j, f) in
        CoordExpr.scalar(
          core.scalar(
            "χ[\(tag)]\(pass.outputs.count > 1 ? "[\(j)]" : "")",
            lossDerivative(f, ex.label[j], training.loss)))
      }
      try backward(
        pass, chi: chi, xi: ex.input, tag: tag, context: context, invB: invB, hidden: &newHidden,
        input: &newInput, bias: &newBias)
      let v = readoutSpec.variance
      let a = exps(graph.readout).a
      newReadout.append(
        ReadoutUpdate(
          forward: try scaled(-lr * v * invB, .one - c - 2 * a, "the readout update of \(graph.readout)"),
          backward: try scaled(
            -lr * v * invB, alpha - c - 2 * a, "the readout update seen by the backward pass"),
          chi: chi, x: pass.values[graph.readoutOperand]))
    }
    for (k, v) in newHidden { hiddenHistory[k, default: []] += v }
    for (k, v) in newInput { inputHistory[k, default: []] += v }
    for (k, v) in newBias { biasHistory[k, default: []] += v }
    readoutHistory += newReadout
  }

  /// `∂ℓ/∂f`: `f − y` for `½(f − y)²`, `−y σ(−y f)` for `log(1 + e^{−y f})`.
  func lossDerivative(_ f: CoordExpr, _ y: Double, _ loss: LossKind) -> CoordExpr {
    switch loss {
    case .mse: return f - .constant(y)
    case .logistic: return .constant(-y) * .call(.sigmoid, .constant(-y) * f)
    }
  }

  /// The loss `ℓ(f, y)` of one example.
  func loss(_ f: CoordExpr, _ y: Double, _ loss: LossKind) -> CoordExpr {
    switch loss {
    case .mse: return 0.5 * .pow(f - .constant(y), 2)
    case .logistic: return .call(.softplus, .constant(-y) * f)
    }
  }
}
