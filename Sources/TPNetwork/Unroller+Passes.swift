import TPCore
import TPSyntax

extension Unroller {
  static func format(_ p: [Double]) -> String { Program.format(point: p) }

  /// The forward pass at input `xi` with the weights of the current step; `context` says which
  /// pass it is in the user's terms ("at (1, 0) after step 2").
  mutating func forward(_ xi: [Double], tag: String, context: String) throws(LoweringFailure) -> Pass {
    var values: [VectorID] = []
    for (i, op) in graph.ops.enumerated() {
      let name = "\(graph.names[i])[\(tag)]"
      at(graph.statements[i], "the forward pass of \(statement(i)) \(context)")
      switch op {
      case .inputLayer(let u):
        // One term per input column and per earlier update: a balanced sum, whatever their number.
        var terms: [CoordExpr] = []
        for (k, col) in (inputColumns[u] ?? []).enumerated() { terms.append(.constant(xi[k]) * .vector(col)) }
        for up in inputHistory[u] ?? [] {
          let dot = zip(up.xi, xi).reduce(0) { $0 + $1.0 * $1.1 }
          terms.append(.constant(up.kappa * dot) * .vector(up.dh))
        }
        values.append(core.vector(name, .sum(terms)))
      case .hidden(let w, let k):
        let x = values[k]
        // safe: declared
        let m = core.matmul("\(w) \(graph.names[k])[\(tag)]", matrices[w]!, transposed: false, x)
        var terms = [.constant(hiddenScale[w] ?? 1) * .vector(m)]
        for up in hiddenHistory[w] ?? [] {
          let s = core.moment("%m", .vector(up.input) * .vector(x))
          terms.append(.constant(up.kappa) * s * .vector(up.dh))
        }
        values.append(core.vector(name, .sum(terms)))
      case .bias(let b):
        values.append(biasVector(b))
      case .pointwise(let e):
        values.append(core.vector(name, substitute(e, values)))
      }
    }
    let x = values[graph.readoutOperand]
    at(graph.returnStatement, "the output of model '\(model.name)' \(context)")
    let overlaps = readoutHistory.map { up in
      up.forward == nil ? nil : core.moment("%m", .vector(up.x) * .vector(x))
    }
    var outputs: [CoordExpr] = []
    for (j, row) in readoutRows.enumerated() {
      var terms: [CoordExpr] = []
      if let s = initialOutputScale {
        terms.append(.constant(s) * core.moment("%m", .vector(row) * .vector(x)))
      }
      for (up, overlap) in zip(readoutHistory, overlaps) {
        guard let kf = up.forward, let overlap else { continue }
        terms.append(.constant(kf) * up.chi[j] * overlap)
      }
      outputs.append(.sum(terms))
    }
    return Pass(values: values, outputs: outputs)
  }

  /// `b_t = b_0 + Σ_s κ_s dh_s`, built once per step.
  mutating func biasVector(_ b: String) -> VectorID {
    if let v = biasAtStep[b] { return v }
    var terms = [CoordExpr.vector(biasInit[b]!)]  // safe: declared for every bias
    for up in biasHistory[b] ?? [] { terms.append(.constant(up.kappa) * .vector(up.dh)) }
    let v = core.vector("\(b)[t]", .sum(terms))
    biasAtStep[b] = v
    return v
  }

  /// Replaces op leaves by the pass's vectors.
  func substitute(_ e: CoordExpr, _ values: [VectorID]) -> CoordExpr {
    e.substituting { leaf in
      if case .vector(let k) = leaf { return .vector(values[k.raw]) }
      return nil
    }
  }

  /// Reverse-mode differentiation of the pass, scaled by `n^α`, recording each layer's update.
  mutating func backward(
    _ pass: Pass, chi: [CoordExpr], xi: [Double], tag: String, context: String, invB: Double,
    hidden: inout [String: [HiddenUpdate]], input: inout [String: [InputUpdate]],
    bias: inout [String: [BiasUpdate]]
  ) throws(LoweringFailure) {
    let t = Int(tag.dropFirst(2).prefix { $0.isNumber }) ?? 0
    let step = "step \(t + 1)"
    // Each op's adjoint is the sum of what its readers send back, collected as terms and added
    // once it is complete (all readers come later in the graph).
    var adjointTerms = [[CoordExpr]](repeating: [], count: graph.ops.count)
    var g: [CoordExpr] = []
    for (j, row) in readoutRows.enumerated() { g.append(chi[j] * .vector(row)) }
    for up in readoutHistory {
      guard let kb = up.backward else { continue }
      let s = CoordExpr.sum(chi.indices.map { chi[$0] * up.chi[$0] })
      g.append(.constant(kb) * s * .vector(up.x))
    }
    adjointTerms[graph.readoutOperand] = g
    at(graph.returnStatement, "the backward pass from the output of '\(model.name)' \(context)")
    let readoutA = exps(graph.readout).scale
    let inputA = network.layers.first { $0.role == .input }.map { exps($0.name).a } ?? .zero
    for i in graph.ops.indices.reversed() {
      guard !adjointTerms[i].isEmpty else { continue }
      let a = CoordExpr.sum(adjointTerms[i])
      adjointTerms[i] = []
      guard a.constantValue != 0 else { continue }
      let name = graph.names[i]
      at(graph.statements[i], "the backward pass through \(statement(i)) \(context)")
      switch graph.ops[i] {
      case .pointwise(let e):
        for leaf in e.vectors {
          let d = substitute(e.derivative(withRespectTo: .vector(leaf)), pass.values)
          adjointTerms[leaf.raw].append(d * a)
        }
      case .hidden(let w, let k):
        let layer = network.layer(named: w)!  // safe: the model graph checked it
        let dh = core.vector("d\(name)[\(tag)]", a)
        let e = .one - c - 2 * exps(w).a - readoutA
        if let kappa = try scaled(
          -lr * layer.variance * invB, e, "\(name), the output of layer \(w), after \(step)")
        {
          hidden[w, default: []].append(HiddenUpdate(kappa: kappa, dh: dh, input: pass.values[k]))
        }
        let mt = core.matmul("\(w)ᵀ d\(name)[\(tag)]", matrices[w]!, transposed: true, dh)  // safe: declared
        var back = [.constant(hiddenScale[w] ?? 1) * .vector(mt)]
        for up in hiddenHistory[w] ?? [] {
          let s = core.moment("%m", .vector(up.dh) * .vector(dh))
          back.append(.constant(up.kappa) * s * .vector(up.input))
        }
        adjointTerms[k].append(.sum(back))
      case .inputLayer(let u):
        let layer = network.layer(named: u)!  // safe: the model graph checked it
        guard case .finite(let d) = layer.input else { continue }
        let dh = core.vector("d\(name)[\(tag)]", a)
        let e = -c - 2 * exps(u).a - readoutA
        if let kappa = try scaled(
          -lr * layer.variance / Double(d) * invB, e, "\(name), the output of layer \(u), after \(step)")
        {
          input[u, default: []].append(InputUpdate(kappa: kappa, dh: dh, xi: xi))
        }
      case .bias(let b):
        let spec = network.biases.first { $0.name == b }!  // safe: the model graph checked it
        let dh = core.vector("d\(b)[\(tag)]", a)
        let e = -c - 2 * inputA - readoutA
        if let kappa = try scaled(-lr * spec.variance * invB, e, "bias \(b) after \(step)") {
          bias[b, default: []].append(BiasUpdate(kappa: kappa, dh: dh))
        }
      }
    }
  }

  /// A forward pass at `p` with this step's weights, shared by all observations of the step.
  mutating func pass(at p: [Double], step t: Int) throws(LoweringFailure) -> Pass {
    if let hit = stepCache[p] { return hit }
    let pass = try forward(
      p, tag: "t=\(t), at=\(Unroller.format(p))", context: "at \(Unroller.format(p)) \(Self.after(t))")
    stepCache[p] = pass
    if t == 0 { initialPasses[p] = pass }
    return pass
  }

  /// "at initialization" or "after step 3".
  static func after(_ t: Int) -> String { t == 0 ? "at initialization" : "after step \(t)" }

  mutating func record(
    _ observable: String, target: String? = nil, _ points: [[Double]], output: Int = 0, step: Int,
    _ e: CoordExpr, name: String
  ) {
    let id = core.scalar(name, e)
    trajectory.append(
      TrajectoryPoint(
        observable: observable, target: target, points: points, output: output, step: step, scalar: id))
    core.program.outputs.append(OutputItem(name: name, value: .scalar(id), isShow: false))
  }

  /// Observations at step `t` (after `t` updates).
  mutating func observe(step t: Int, data: [Example]) throws(LoweringFailure) {
    let steps = training?.steps ?? 0
    for obs in network.observations where t % obs.every == 0 || t == steps {
      switch obs.kind {
      case .function:
        for p in obs.points {
          let pass = try pass(at: p, step: t)
          at(obs.range, "observe \(model.name) at \(Unroller.format(p)) \(Self.after(t))")
          for (j, f) in pass.outputs.enumerated() {
            let suffix = pass.outputs.count > 1 ? "[\(j)]" : ""
            record(
              model.name, [p], output: j, step: t, f,
              name: "\(model.name)\(suffix)[\(t)] at \(Unroller.format(p))")
          }
        }
      case .loss:
        guard let training, !data.isEmpty else {
          throw .program(LoweringError("'observe loss' needs a 'train' statement", range: obs.range))
        }
        var total: [CoordExpr] = []
        for ex in data {
          let pass = try pass(at: ex.input, step: t)
          for (j, f) in pass.outputs.enumerated() { total.append(loss(f, ex.label[j], training.loss)) }
        }
        at(obs.range, "observe loss \(Self.after(t))")
        record("loss", [], step: t, .sum(total) / .constant(Double(data.count)), name: "loss[\(t)]")
      case .movement(let v):
        let k = try local(v, obs.range)
        let p = obs.points[0]
        let now = try pass(at: p, step: t)
        let start = initialPasses[p] ?? now
        at(obs.range, "observe movement \(v) at \(Unroller.format(p)) \(Self.after(t))")
        let diff = CoordExpr.vector(now.values[k]) - .vector(start.values[k])
        let m = core.moment("%m", diff * diff)
        record("movement", target: v, [p], step: t, m, name: "movement \(v)[\(t)] at \(Unroller.format(p))")
      case .kernel(let v):
        let k = try local(v, obs.range)
        var passes: [Pass] = []
        for p in obs.points { passes.append(try pass(at: p, step: t)) }
        at(obs.range, "observe kernel \(v) \(Self.after(t))")
        for a in obs.points.indices {
          for b in a..<obs.points.count {
            let m = core.moment("%m", .vector(passes[a].values[k]) * .vector(passes[b].values[k]))
            record(
              "kernel", target: v, [obs.points[a], obs.points[b]], step: t, m,
              name:
                "kernel \(v)[\(t)] at \(Unroller.format(obs.points[a])), \(Unroller.format(obs.points[b]))")
          }
        }
      case .alignment(let v, let dataName):
        // A(F, Y) = Σ_ab (YYᵀ)_ab F_ab / (‖F‖_F ‖Y‖²) as one scalar of the core program, so its
        // error (Monte Carlo replicates included) is that of the whole formula, not of the
        // entries one by one (FeatureAlignment).
        let k = try local(v, obs.range)
        let examples = network.datasets[dataName] ?? []
        var passes: [Pass] = []
        for p in obs.points { passes.append(try pass(at: p, step: t)) }
        at(obs.range, "observe alignment \(v) on \(dataName) \(Self.after(t))")
        var numerator: [CoordExpr] = []
        var squares: [CoordExpr] = []
        var norm2 = 0.0
        for ex in examples { for y in ex.label { norm2 += y * y } }
        for a in obs.points.indices {
          for b in a..<obs.points.count {
            let m = core.moment("%m", .vector(passes[a].values[k]) * .vector(passes[b].values[k]))
            let weight: Double = a == b ? 1 : 2
            var yy = 0.0
            if a < examples.count, b < examples.count {
              for (ya, yb) in zip(examples[a].label, examples[b].label) { yy += ya * yb }
            }
            if yy != 0 { numerator.append(.constant(weight * yy) * m) }
            squares.append(.constant(weight) * m * m)
          }
        }
        let frobenius = CoordExpr.call(.sqrt, .sum(squares))
        let alignment = CoordExpr.sum(numerator) / (frobenius * .constant(norm2))
        record("alignment", target: v, [], step: t, alignment, name: "alignment \(v)[\(t)] on \(dataName)")
      }
    }
  }

  func local(_ name: String, _ range: SourceRange) throws(LoweringFailure) -> Int {
    guard let k = graph.locals[name] else {
      throw .program(
        LoweringError(
          "the model has no vector '\(name)'"
            + (closestMatch(to: name, among: graph.locals.keys).map { "; did you mean '\($0)'?" } ?? ""),
          range: range))
    }
    return k
  }
}
