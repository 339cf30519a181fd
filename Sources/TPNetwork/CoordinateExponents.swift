import TPCore

/// The width exponents `tp coordcheck` expects: how the RMS coordinate size of every vector of
/// the model body (and of the output) scales with the width `n` at initialization, and how its
/// change after one SGD step scales, for the file's abc-parametrization (THEORY §5).
///
/// The exponents are derived from the model graph by the bookkeeping of THEORY §5, generalized
/// to any graph (skips, shared matrices, biases), linearizing every coordinatewise function
/// (`φ(h + Δh) − φ(h) ≈ φ′(h) Δh`, which overstates the change of a saturating `φ` past 0) and
/// assuming `O(1)` loss derivatives and correlations between inputs:
///
/// * sizes at init: `s(U ξ) = −(a+b)_U`, `s(W v) = ½ − (a+b)_W + s(v)`, a pointwise op the
///   largest of its operands', the output `½ − (a+b)_V + s(x)` for `f = V x`;
/// * backward scales `g(v)` (coordinates of `∂f/∂v`): `−(a+b)_V` at `x`, `+½ − (a+b)_W` through
///   `Wᵀ`;
/// * one step moves `W v′` by `−c − 2a_W + g(h_u) + 1 + s(v_u) + s(v′)` (largest over the uses
///   `h_u = W v_u`), `U ξ` by `−c − 2a_U + g(h)`, a bias likewise, plus the change of the operand
///   carried through the initial weights; the output by the larger of the readout's own term
///   `1 − c − 2a_V + 2s(x)` and `1 − (a+b)_V + δ(x)`.
///
/// After one step the exponents persist when nothing grows (a stable parametrization); when
/// something grows the later steps compound and are not predicted.
public struct CoordinateExponents: Sendable, Hashable {
  /// The vectors, in the order of ``TPFinite``'s coordinate trace: the model's ops in forward
  /// order without the biases, then the output (the model's name).
  public var names: [String]
  /// The exponent of each vector's RMS size at initialization.
  public var initialSize: [Double]
  /// The exponent of each vector's RMS change after one step (`−∞`: it does not move).
  public var change: [Double]

  /// True when no vector's size or change grows after one step, so the exponents of step 1
  /// hold at every later step.
  public var persists: Bool {
    !change.contains { $0 > 1e-12 } && !initialSize.contains { $0 > 1e-12 }
  }

  /// The expected exponent of a vector's RMS size after `step` updates; nil when not predicted.
  public func size(_ v: Int, step: Int) -> Double? {
    if step == 0 { return initialSize[v] }
    guard step == 1 || persists else { return nil }
    return max(initialSize[v], change[v])
  }

  /// The expected exponent of a vector's RMS change after `step ≥ 1` updates (`−∞`: none);
  /// nil when not predicted.
  public func change(_ v: Int, step: Int) -> Double? {
    guard step >= 1, step == 1 || persists else { return nil }
    return change[v]
  }

  /// The exponents of the network of `checked` under its parametrization.
  public static func predict(_ checked: CheckedUnit) throws(LoweringError) -> CoordinateExponents {
    guard let net = checked.network, let model = net.model else {
      throw LoweringError("the file declares no model")
    }
    var constants: [String: Double] = [:]
    for s in checked.program.scalars { if let v = s.constantValue { constants[s.name] = v } }
    let graph = try ModelGraph(model: model, network: net, functions: checked.functions, constants: constants)
    let p = try ResolvedParametrization.resolve(net.parametrization, layers: net.layers)
    func exps(_ name: String) -> LayerExponents { p.layers[name] ?? LayerExponents(a: .zero, b: .zero) }
    let c = p.c.doubleValue
    let inputLayer = net.layers.first { $0.role == .input }?.name ?? ""
    let ops = graph.ops
    let none = -Double.infinity

    // Sizes at initialization, forward.
    var s = [Double](repeating: 0, count: ops.count)
    for (k, op) in ops.enumerated() {
      switch op {
      case .inputLayer(let u): s[k] = -exps(u).scale.doubleValue
      case .bias: s[k] = -exps(inputLayer).scale.doubleValue
      case .hidden(let w, let v): s[k] = 0.5 - exps(w).scale.doubleValue + s[v]
      case .pointwise(let e): s[k] = e.vectors.map { s[$0.raw] }.max() ?? 0
      }
    }
    // Backward scales.
    let readout = exps(graph.readout)
    var g = [Double](repeating: none, count: ops.count)
    g[graph.readoutOperand] = -readout.scale.doubleValue
    for k in ops.indices.reversed() where g[k] > none {
      switch ops[k] {
      case .pointwise(let e): for v in e.vectors { g[v.raw] = max(g[v.raw], g[k]) }
      case .hidden(let w, let v): g[v] = max(g[v], g[k] + 0.5 - exps(w).scale.doubleValue)
      case .inputLayer, .bias: break
      }
    }
    // Changes after one step, forward.
    let trains = (net.training?.learningRate ?? 0) != 0 && (net.training?.steps ?? 1) > 0
    var d = [Double](repeating: none, count: ops.count)
    for (k, op) in ops.enumerated() where trains {
      switch op {
      case .inputLayer(let u):
        let a = exps(u).a.doubleValue
        for (j, o) in ops.enumerated() {
          if case .inputLayer(u) = o, g[j] > none { d[k] = max(d[k], -c - 2 * a + g[j]) }
        }
      case .bias(let b):
        let a = exps(inputLayer).a.doubleValue
        for (j, o) in ops.enumerated() {
          if case .bias(b) = o, g[j] > none { d[k] = max(d[k], -c - 2 * a + g[j]) }
        }
      case .hidden(let w, let v):
        let a = exps(w).a.doubleValue
        for (j, o) in ops.enumerated() {
          if case .hidden(w, let vu) = o, g[j] > none {
            d[k] = max(d[k], -c - 2 * a + g[j] + 1 + s[vu] + s[v])
          }
        }
        if d[v] > none {
          let carried = 0.5 - exps(w).scale.doubleValue + d[v]
          // The update acting on the operand's change: own term × relative change of v.
          let cross = d[k] > none ? d[k] + d[v] - s[v] : none
          d[k] = max(d[k], carried, cross)
        }
      case .pointwise(let e):
        d[k] = e.vectors.map { d[$0.raw] }.max() ?? none
      }
    }
    let x = graph.readoutOperand
    let outputSize = 0.5 - readout.scale.doubleValue + s[x]
    var outputChange = none
    if trains {
      outputChange = 1 - c - 2 * readout.a.doubleValue + 2 * s[x]
      if d[x] > none { outputChange = max(outputChange, 1 - readout.scale.doubleValue + d[x]) }
    }
    let kept = ops.indices.filter {
      if case .bias = ops[$0] { return false }
      return true
    }
    return CoordinateExponents(
      names: kept.map { graph.displayName($0) } + [model.name],
      initialSize: kept.map { s[$0] } + [outputSize],
      change: kept.map { d[$0] } + [outputChange])
  }
}
