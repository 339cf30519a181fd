import TPCore
import TPSyntax

/// The core program whose moments give the NNGP kernel `K` and the NTK `Θ` of a model under the
/// `ntk` parametrization (THEORY §6), with the moment scalars that assemble each entry.
public struct KernelProgram: Sendable {
  public var program: Program
  public var points: [[Double]]
  /// `K(p, q) = Σ_terms coefficient · moment`, for `p ≤ q` (index pairs into ``points``).
  public var nngp: [PairKey: [KernelTerm]]
  /// `Θ(p, q)` likewise: readout, hidden, input and bias contributions.
  public var ntk: [PairKey: [KernelTerm]]
  /// `E[x(p) x(q)]` for each model vector, for `observe kernel` (value = the moment).
  public var features: [String: [PairKey: ScalarID]]
  /// The initial groups that are an input layer's pre-activations at the points, with the scale
  /// `s = σ²/d` of their covariance `s · x_p·x_q` (member `p` at point `p`): what a
  /// ``PairwiseRecipe`` reads as functions of the points.
  public var pointGroups: [Int: Double] = [:]

  public struct PairKey: Sendable, Hashable {
    public var p: Int
    public var q: Int
    public init(_ p: Int, _ q: Int) {
      self.p = min(p, q)
      self.q = max(p, q)
    }
  }

  /// `coefficient · ∏ moments` (a product of one or two moments).
  public struct KernelTerm: Sendable, Hashable {
    public var coefficient: Double
    public var moments: [ScalarID]
    /// For an input layer's term, `s` with `coefficient = s · x_p·x_q` (nil otherwise).
    public var dotScale: Double?
    public init(coefficient: Double, moments: [ScalarID], dotScale: Double? = nil) {
      self.coefficient = coefficient
      self.moments = moments
      self.dotScale = dotScale
    }
  }
}

extension NetworkLowering {
  /// Builds the NNGP/NTK program at `points` for the model of `checked`: the kernels of the
  /// `ntk` parametrization, or with `scaling`, the training kernels of another kernel-regime
  /// parametrization (its vanishing NTK terms and, when `f₀ → 0`, the NNGP multiplied by 0, so
  /// the program's structure is the same).
  public static func kernelProgram(
    _ checked: CheckedUnit, points: [[Double]], scaling: KernelScaling? = nil
  ) throws(LoweringFailure)
    -> KernelProgram
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
    var core = CoreBuilder(widthName: net.widthName, range: model.range)
    // An input layer's pre-activations at the points are one initial group: `U x_p` has iid
    // coordinates `N(0, σ²/d · x_p·x_q)` jointly over the points (the columns of U enter only
    // through these dot products), so the program has one Gaussian per point, not per input
    // dimension.
    var preactivations: [String: [VectorID]] = [:]
    var matrices: [String: MatrixID] = [:]
    var readout: VectorID?
    var pointGroups: [Int: Double] = [:]
    for l in net.layers {
      switch l.role {
      case .input:
        guard case .finite(let d) = l.input else { continue }
        let scale = l.variance / Double(max(1, d))
        var covariance = [Double](repeating: 0, count: points.count * points.count)
        for p in points.indices {
          for q in p..<points.count {
            var dot = 0.0
            for k in 0..<min(d, points[p].count, points[q].count) { dot += points[p][k] * points[q][k] }
            covariance[p * points.count + q] = scale * dot
            covariance[q * points.count + p] = scale * dot
          }
        }
        pointGroups[core.program.initialGroups.count] = scale
        preactivations[l.name] = core.initialGroup(
          points.indices.map { "\(l.name) x[p\($0)]" }, covariance: covariance)
      case .hidden: matrices[l.name] = core.matrix(l.name, variance: l.variance)
      case .readout: readout = core.initial("ṽ", variance: l.variance)
      }
    }
    var biases: [String: VectorID] = [:]
    for b in net.biases { biases[b.name] = core.initial(b.name, variance: b.variance) }
    guard let v = readout else { throw .program(LoweringError("the model has no readout")) }

    // Forward and backward passes at every point.
    struct Pass {
      var values: [VectorID]
      var gradients: [Int: VectorID]
    }
    var passes: [Pass] = []
    for pi in points.indices {
      var values: [VectorID] = []
      let tag = "p\(pi)"
      for (i, op) in graph.ops.enumerated() {
        switch op {
        case .inputLayer(let u):
          values.append(
            core.vector(
              "\(graph.names[i])[\(tag)]", preactivations[u].map { .vector($0[pi]) } ?? .constant(0)))
        case .hidden(let w, let k):
          // safe
          values.append(core.matmul("\(graph.names[i])[\(tag)]", matrices[w]!, transposed: false, values[k]))
        case .bias(let b): values.append(biases[b]!)  // safe: declared
        case .pointwise(let e):
          values.append(
            core.vector(
              "\(graph.names[i])[\(tag)]",
              e.substituting { leaf in
                if case .vector(let k) = leaf { return .vector(values[k.raw]) }
                return nil
              }))
        }
      }
      // Backward from dx^L = ṽ (scaled by n^{1/2}).
      // Adjoints are collected as terms and added once complete (all readers come later).
      var adjoint = [[CoordExpr]](repeating: [], count: graph.ops.count)
      adjoint[graph.readoutOperand] = [.vector(v)]
      var gradients: [Int: VectorID] = [:]
      for i in graph.ops.indices.reversed() {
        guard !adjoint[i].isEmpty else { continue }
        let a = CoordExpr.sum(adjoint[i])
        adjoint[i] = []
        switch graph.ops[i] {
        case .pointwise(let e):
          for leaf in e.vectors {
            let d = e.derivative(withRespectTo: .vector(leaf)).substituting { l in
              if case .vector(let k) = l { return .vector(values[k.raw]) }
              return nil
            }
            adjoint[leaf.raw].append(d * a)
          }
        case .hidden(let w, let k):
          let dh = core.vector("d\(graph.names[i])[\(tag)]", a)
          gradients[i] = dh
          // safe
          let back = core.matmul("\(w)ᵀ d\(graph.names[i])[\(tag)]", matrices[w]!, transposed: true, dh)
          adjoint[k].append(.vector(back))
        case .inputLayer, .bias:
          gradients[i] = core.vector("d\(graph.names[i])[\(tag)]", a)
        }
      }
      passes.append(Pass(values: values, gradients: gradients))
    }

    var nngp: [KernelProgram.PairKey: [KernelProgram.KernelTerm]] = [:]
    var ntk: [KernelProgram.PairKey: [KernelProgram.KernelTerm]] = [:]
    var features: [String: [KernelProgram.PairKey: ScalarID]] = [:]
    let readoutVar = net.layers.first { $0.role == .readout }?.variance ?? 1
    let readoutName = net.layers.first { $0.role == .readout }?.name ?? ""
    // 1 for a term that drives training, 0 for one that vanishes under `scaling`.
    func weight(_ layer: String) -> Double { scaling.map { $0.layers.contains(layer) ? 1 : 0 } ?? 1 }
    let initialWeight: Double = scaling.map { $0.initialOutput ? 1 : 0 } ?? 1
    func moment(_ name: String, _ a: VectorID, _ b: VectorID) -> ScalarID {
      guard case .scalar(let s) = core.moment(name, .vector(a) * .vector(b)) else { return ScalarID(0) }
      return s
    }
    for p in points.indices {
      for q in p..<points.count {
        let key = KernelProgram.PairKey(p, q)
        let xx = moment(
          "E[x^L(p\(p)) x^L(p\(q))]", passes[p].values[graph.readoutOperand],
          passes[q].values[graph.readoutOperand])
        // ṽ has variance σ_V²: Cov(f(p), f(q)) = σ_V² E[x^L x^L′].
        nngp[key] = [KernelProgram.KernelTerm(coefficient: readoutVar * initialWeight, moments: [xx])]
        var terms = [KernelProgram.KernelTerm(coefficient: readoutVar * weight(readoutName), moments: [xx])]
        // A weight used at several places (ops i and j) contributes Σ_{i,j} of its per-use
        // terms: ∂f/∂W sums over uses, so Θ_W(p, q) pairs every use at p with every use at q.
        for (i, opI) in graph.ops.enumerated() {
          for (j, opJ) in graph.ops.enumerated() where Self.sameWeight(opI, opJ) {
            guard let gp = passes[p].gradients[i], let gq = passes[q].gradients[j] else { continue }
            let dd = moment("E[d\(graph.names[i])(p\(p)) d\(graph.names[j])(p\(q))]", gp, gq)
            switch (opI, opJ) {
            case (.hidden(let w, let k), .hidden(_, let l)):
              let variance = net.layer(named: w)?.variance ?? 1
              let xin = moment(
                "E[\(graph.names[k])(p\(p)) \(graph.names[l])(p\(q))]", passes[p].values[k],
                passes[q].values[l])
              terms.append(KernelProgram.KernelTerm(coefficient: variance * weight(w), moments: [dd, xin]))
            case (.inputLayer(let u), _):
              let layer = net.layer(named: u)
              let d = Double(points[p].count)
              let dot = zip(points[p], points[q]).reduce(0) { $0 + $1.0 * $1.1 }
              let scale = (layer?.variance ?? 1) / d * weight(u)
              terms.append(KernelProgram.KernelTerm(coefficient: scale * dot, moments: [dd], dotScale: scale))
            case (.bias(let b), _):
              let variance = net.biases.first { $0.name == b }?.variance ?? 0
              let biasWeight: Double = scaling.map { $0.biases ? 1 : 0 } ?? 1
              terms.append(KernelProgram.KernelTerm(coefficient: variance * biasWeight, moments: [dd]))
            default: break
            }
          }
        }
        ntk[key] = terms
        for (name, k) in graph.locals {
          features[name, default: [:]][key] = moment(
            "E[\(name)(p\(p)) \(name)(p\(q))]", passes[p].values[k], passes[q].values[k])
        }
      }
    }
    return KernelProgram(
      program: core.program, points: points, nngp: nngp, ntk: ntk, features: features,
      pointGroups: pointGroups)
  }

  /// Whether two ops apply the same trainable weight (a hidden matrix, input layer or bias).
  static func sameWeight(_ a: ModelGraph.Op, _ b: ModelGraph.Op) -> Bool {
    switch (a, b) {
    case (.hidden(let w, _), .hidden(let v, _)): return w == v
    case (.inputLayer(let u), .inputLayer(let v)): return u == v
    case (.bias(let x), .bias(let y)): return x == y
    default: return false
    }
  }
}
