import Foundation
import TPCore
import TPNetwork
import TPNumerics

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
  public static func run(_ checked: CheckedUnit, options: FiniteOptions, initialPoints: [[Double]] = [])
    throws(DirectTrainingFailure)
    -> [DirectObservation]
  {
    var net = try DirectNetwork(checked: checked, options: options)
    return try net.train(initialPoints: initialPoints)
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

  init(checked: CheckedUnit, options: FiniteOptions) throws(DirectTrainingFailure) {
    guard let net = checked.network, let model = net.model else {
      throw .program(LoweringError("the file declares no model"))
    }
    guard options.width >= 1 else {
      throw .numerical(NumericalError("the width must be at least 1, got \(options.width)"))
    }
    network = net
    self.model = model
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
    let width = Double(n)
    func power(_ e: Rational) -> Double { pow(width, e.doubleValue) }
    func exps(_ name: String) -> LayerExponents { p.layers[name] ?? LayerExponents(a: .zero, b: .zero) }
    step = (net.training?.learningRate ?? 0) * power(-p.c)
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
    let sampled: SampledDeclarations
    do {
      sampled = try FiniteExecutor.sampleDeclarations(decl, options: options)
    } catch {
      throw .numerical(error)
    }

    // Effective weights → trainable weights `w = W / (σ c n^{-a})`.
    func trainable(_ effective: [Double], _ factor: Double, _ multiplier: Double) -> [Double] {
      multiplier == 0
        ? [Double](repeating: 0, count: effective.count) : effective.map { $0 * factor / multiplier }
    }
    for (name, ids) in columns {
      inputWeights[name] = ids.map { trainable(sampled.vectors[$0.raw] ?? [], 1, layerMultiplier[name] ?? 0) }
    }
    for (name, m) in matrices {
      // The lowering multiplies the core matrix (entries σ/√n·z) by n^{1/2 − (a+b)}.
      hiddenWeights[name] = trainable(
        sampled.matrices[m.raw], power(.half - exps(name).scale), layerMultiplier[name] ?? 0)
    }
    // The readout is `V = n^{-(a+b)} ṽ`.
    let readout = graph.readout
    readoutWeights = (rows[readout] ?? []).map {
      trainable(sampled.vectors[$0.raw] ?? [], power(-exps(readout).scale), layerMultiplier[readout] ?? 0)
    }
    for (name, id) in biases {
      biasWeights[name] = trainable(sampled.vectors[id.raw] ?? [], 1, biasMultiplier[name] ?? 0)
    }
  }
}
