import Foundation
import TPCore
import TPNetwork
import TPNumerics
import TPSyntax

extension DirectNetwork {
  // MARK: Linear algebra on the held weights

  /// `s · (A x)` for a row-major `n × n` matrix `A`, or `s · (Aᵀ x)` when `transposed`.
  func multiply(_ a: [Double], _ x: [Double], scale s: Double, transposed: Bool) -> [Double] {
    var y = [Double](repeating: 0, count: n)
    a.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
          if transposed {
            Dense.matvecTransposed(a, rows: n, cols: n, x, into: y, threads: threads)
          } else {
            Dense.matvec(a, rows: n, cols: n, x, into: y, threads: threads)
          }
        }
      }
    }
    for i in 0..<n { y[i] *= s }
    return y
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
  }

  /// `y += s · x`.
  static func axpy(_ s: Double, _ x: [Double], _ y: inout [Double]) {
    for i in y.indices { y[i] += s * x[i] }
  }

  /// `e` coordinatewise, its op leaves read from `values`.
  func pointwise(_ e: CoordExpr, _ values: [[Double]]) -> [Double] {
    (0..<n).map { i in
      e.evaluate { leaf in
        if case .vector(let v) = leaf { return values[v.raw][i] }
        return .nan
      }
    }
  }

  // MARK: Forward and backward

  /// The forward pass at `xi` with the current weights.
  func forward(_ xi: [Double]) -> Pass {
    var values: [[Double]] = []
    for op in graph.ops {
      switch op {
      case .inputLayer(let u):
        var h = [Double](repeating: 0, count: n)
        let m = layerMultiplier[u] ?? 0
        // Zero inputs are skipped (a one-hot input touches one column); adding 0 · column changes nothing.
        for (k, column) in (inputWeights[u] ?? []).enumerated() where xi[k] != 0 {
          Self.axpy(m * xi[k], column, &h)
        }
        values.append(h)
      case .hidden(let w, let k):
        values.append(
          multiply(hiddenWeights[w] ?? [], values[k], scale: layerMultiplier[w] ?? 0, transposed: false))
      case .bias(let b):
        let m = biasMultiplier[b] ?? 0
        values.append((biasWeights[b] ?? []).map { m * $0 })
      case .pointwise(let e):
        values.append(pointwise(e, values))
      }
    }
    let x = values[graph.readoutOperand]
    let m = layerMultiplier[graph.readout] ?? 0
    return Pass(values: values, outputs: readoutWeights.map { m * Self.dot($0, x) })
  }

  /// Gradients of one example's loss with respect to the effective weights, kept factored:
  /// a hidden layer's gradient is a sum of outer products `dh ⊗ x`.
  struct Gradients {
    var hidden: [String: [(dh: [Double], x: [Double])]] = [:]
    /// Input-layer gradients by column, only for the columns of non-zero inputs.
    var input: [String: [Int: [Double]]] = [:]
    var bias: [String: [Double]] = [:]
    var readout: [[Double]] = []
  }

  /// Reverse-mode differentiation of `χ · f` through the pass, accumulated into `grads`.
  func backward(_ pass: Pass, chi: [Double], xi: [Double], into grads: inout Gradients) {
    var adjoint = [[Double]?](repeating: nil, count: graph.ops.count)
    func add(_ k: Int, _ v: [Double]) {
      if adjoint[k] == nil { adjoint[k] = v } else { Self.axpy(1, v, &adjoint[k]!) }  // safe: checked non-nil
    }
    let mV = layerMultiplier[graph.readout] ?? 0
    var g = [Double](repeating: 0, count: n)
    for (j, row) in readoutWeights.enumerated() { Self.axpy(chi[j] * mV, row, &g) }
    add(graph.readoutOperand, g)
    let x = pass.values[graph.readoutOperand]
    for (j, c) in chi.enumerated() {
      if grads.readout.count <= j { grads.readout.append([Double](repeating: 0, count: n)) }
      Self.axpy(c, x, &grads.readout[j])
    }
    for i in graph.ops.indices.reversed() {
      guard let a = adjoint[i] else { continue }
      switch graph.ops[i] {
      case .pointwise:
        for (leaf, d) in partials[i] {
          let slope = pointwise(d, pass.values)
          add(leaf, (0..<n).map { slope[$0] * a[$0] })
        }
      case .hidden(let w, let k):
        grads.hidden[w, default: []].append((a, pass.values[k]))
        add(k, multiply(hiddenWeights[w] ?? [], a, scale: layerMultiplier[w] ?? 0, transposed: true))
      case .inputLayer(let u):
        let d = inputWeights[u]?.count ?? 0
        var g = grads.input.removeValue(forKey: u) ?? [:]
        for k in 0..<d where xi[k] != 0 {
          Self.axpy(xi[k], a, &g[k, default: [Double](repeating: 0, count: n)])
        }
        grads.input[u] = g
      case .bias(let b):
        var g = grads.bias[b] ?? [Double](repeating: 0, count: n)
        Self.axpy(1, a, &g)
        grads.bias[b] = g
      }
    }
  }

  /// `w ← w − η n^{-c} · (σ c n^{-a}) · ∂L/∂W` with `L` the batch's mean loss.
  mutating func apply(_ grads: Gradients, batch: Int) {
    let base = step / Double(batch)
    for (w, terms) in grads.hidden {
      let s = -base * (layerMultiplier[w] ?? 0)
      // Moved out of the dictionary, so the update does not copy n² doubles.
      guard var weights = hiddenWeights.removeValue(forKey: w) else { continue }
      weights.withUnsafeMutableBufferPointer { m in
        for (dh, x) in terms {
          for i in 0..<n {
            let r = s * dh[i]
            for j in 0..<n { m[i * n + j] += r * x[j] }
          }
        }
      }
      hiddenWeights[w] = weights
    }
    for (u, g) in grads.input {
      let s = -base * (layerMultiplier[u] ?? 0)
      // safe: the gradient has the layer's columns
      for (k, column) in g { Self.axpy(s, column, &inputWeights[u]![k]) }
    }
    // safe: as above
    for (b, g) in grads.bias { Self.axpy(-base * (biasMultiplier[b] ?? 0), g, &biasWeights[b]!) }
    let s = -base * (layerMultiplier[graph.readout] ?? 0)
    for (j, g) in grads.readout.enumerated() { Self.axpy(s, g, &readoutWeights[j]) }
  }

  // MARK: Training

  /// A numerical failure about the statement at `range` (a caret under it when printed).
  func failure(_ message: String, at range: SourceRange) -> DirectTrainingFailure {
    .numerical(NumericalError(message, at: range, in: file))
  }

  /// The first op of `pass` with a NaN or ±Inf coordinate.
  func firstNonFinite(_ pass: Pass) -> Int? {
    pass.values.firstIndex { v in v.contains { !$0.isFinite } }
  }

  /// Op `k`'s model statement, quoted.
  func statement(_ k: Int) -> String {
    guard let file, k < graph.statements.count else { return "'\(graph.names[k])'" }
    let text = file.text(graph.statements[k]).trimmingCharacters(in: .whitespacesAndNewlines)
    return "'" + (text.count > 60 ? String(text.prefix(57)) + "…" : text) + "'"
  }

  /// "after step 3" (observations at step `t` are after `t` updates).
  static func after(_ t: Int) -> String { t == 0 ? "at initialization" : "after step \(t)" }

  /// An observation in the user's terms: "the output f at (1, 0)", "the training loss", ….
  func describe(_ o: DirectObservation) -> String {
    let points = o.points.map(Self.format).joined(separator: ", ")
    switch o.observable {
    case "loss": return "the training loss"
    case "movement": return "the movement of \(o.target ?? "") at \(points)"
    case "kernel": return "the feature kernel of \(o.target ?? "") at \(points)"
    default:
      let output = model.outputDimension > 1 ? "[\(o.output)]" : ""
      return "the output \(o.observable)\(output) at \(points)"
    }
  }

  static func format(_ p: [Double]) -> String { Program.format(point: p) }

  /// A non-finite or diverging value seen in training, at the `train` statement: after how many
  /// updates, and what overflowed.
  func divergence(_ what: String, step t: Int, _ training: TrainingSpec) -> DirectTrainingFailure {
    failure(
      "training diverged \(Self.after(t)): \(what) (width \(n), seed \(seed)); lower the learning rate"
        + " (lr: \(Program.format(learningRate)))", at: training.range)
  }

  /// Runs every step and returns the observations.
  mutating func train(initialPoints: [[Double]] = []) throws(DirectTrainingFailure) -> [DirectObservation] {
    let training = network.training
    let steps = training?.steps ?? 0
    let data = training.flatMap { network.datasets[$0.data] } ?? []
    var out: [DirectObservation] = []
    var initial: [[Double]: Pass] = [:]
    // The scale a diverging loss is measured against: the first batch's loss, or the loss of the
    // zero function on the data when that is larger (a tiny initial loss is no scale).
    var lossScale = 0.0
    if let training {
      for ex in data {
        for y in ex.label { lossScale += Self.loss(0, y, training.loss) / Double(data.count) }
      }
    }
    for t in 0...steps {
      ProgressMeter.shared.inner("step", done: t, total: steps + 1)
      var cache: [[Double]: Pass] = [:]
      func pass(_ p: [Double]) -> Pass {
        if let hit = cache[p] { return hit }
        let r = forward(p)
        cache[p] = r
        if t == 0 { initial[p] = r }
        return r
      }
      for obs in network.observations where t % obs.every == 0 || t == steps {
        func record(_ kind: String, _ target: String?, _ points: [[Double]], _ output: Int, _ value: Double) {
          out.append(
            DirectObservation(
              observable: kind, target: target, points: points, output: output, step: t, value: value))
        }
        switch obs.kind {
        case .function:
          for p in obs.points {
            for (j, f) in pass(p).outputs.enumerated() { record(model.name, nil, [p], j, f) }
          }
        case .loss:
          guard let training, !data.isEmpty else {
            throw .program(LoweringError("'observe loss' needs a 'train' statement", range: obs.range))
          }
          var total = 0.0
          for ex in data {
            for (j, f) in pass(ex.input).outputs.enumerated() {
              total += Self.loss(f, ex.label[j], training.loss)
            }
          }
          record("loss", nil, [], 0, total / Double(data.count))
        case .movement(let v):
          let k = try local(v, obs)
          let p = obs.points[0]
          let now = pass(p).values[k]
          let start = initial[p]?.values[k] ?? now
          record(
            "movement", v, [p], 0,
            (0..<n).reduce(0.0) { $0 + (now[$1] - start[$1]) * (now[$1] - start[$1]) } / Double(n))
        case .kernel(let v), .alignment(let v, _):
          let k = try local(v, obs)
          let passes = obs.points.map { pass($0).values[k] }
          var observable = "kernel"
          var recorded = v
          if case .alignment(_, let data) = obs.kind {
            observable = FeatureAlignment.kernelObservable
            recorded = FeatureAlignment.entryTarget(v, data: data)
          }
          for a in obs.points.indices {
            for b in a..<obs.points.count {
              record(
                observable, recorded, [obs.points[a], obs.points[b]], 0,
                Self.dot(passes[a], passes[b]) / Double(n))
            }
          }
        }
      }
      if !probes.isEmpty {
        let probed = probes.map(pass)
        recordTrace(step: t, probed)
      }
      if t == 0 {
        for p in initialPoints {
          for (j, f) in pass(p).outputs.enumerated() {
            out.append(
              DirectObservation(observable: "initial", target: nil, points: [p], output: j, step: 0, value: f)
            )
          }
        }
      }
      if let bad = out.first(where: { !$0.value.isFinite }) {
        // Name the model statement where the first NaN or ±Inf appeared, when there is one.
        if let p = bad.points.first, let hit = cache[p] ?? initial[p], let k = firstNonFinite(hit) {
          throw failure(
            "\(statement(k)) is not finite in the forward pass at \(Self.format(p)) \(Self.after(t))"
              + " (width \(n), seed \(seed))"
              + (t > 0
                ? "; training diverged: lower the learning rate (lr: \(Program.format(learningRate)))" : ""),
            at: graph.statements[k])
        }
        let range =
          network.observations.first { obs in
            switch (obs.kind, bad.observable) {
            case (.loss, "loss"), (.movement, "movement"), (.kernel, "kernel"): return true
            case (.function, let f): return f == model.name && obs.points.contains(bad.points.first ?? [])
            default: return false
            }
          }?.range ?? training?.range ?? model.range
        let how = bad.value.isNaN ? "NaN" : "\(bad.value)"
        throw failure(
          "\(describe(bad)) is \(how) \(Self.after(t)) (width \(n), seed \(seed))"
            + (t > 0
              ? "; training diverged: lower the learning rate (lr: \(Program.format(learningRate)))" : ""),
          at: range)
      }
      guard t < steps, let training, !data.isEmpty else { continue }
      let batch = training.batch ?? data.count
      var grads = Gradients()
      var batchLoss = 0.0
      for b in 0..<batch {
        let k = (t * batch + b) % data.count
        let ex = data[k]
        let p = forward(ex.input)
        for (j, f) in p.outputs.enumerated() {
          batchLoss += Self.loss(f, ex.label[j], training.loss) / Double(batch)
        }
        let chi = p.outputs.enumerated().map {
          Self.lossDerivative($0.element, ex.label[$0.offset], training.loss)
        }
        guard chi.allSatisfy(\.isFinite), p.outputs.allSatisfy(\.isFinite) else {
          if t == 0, let op = firstNonFinite(p) {
            throw failure(
              "\(statement(op)) is not finite in the forward pass on training example \(k + 1) at initialization"
                + " (width \(n), seed \(seed))", at: graph.statements[op])
          }
          throw divergence(
            "the output \(model.name) on training example \(k + 1) \(Self.format(ex.input)) is not finite",
            step: t,
            training)
        }
        backward(p, chi: chi, xi: ex.input, into: &grads)
      }
      if t == 0 { lossScale = max(lossScale, batchLoss) }
      guard batchLoss.isFinite, batchLoss <= DirectTrainer.divergenceFactor * lossScale || lossScale == 0
      else {
        throw divergence(
          "the loss on the batch of step \(t + 1) is \(Program.format(batchLoss)), more than 10⁶ times its initial scale"
            + " \(Program.format(lossScale))", step: t, training)
      }
      apply(grads, batch: batch)
    }
    return out
  }

  func local(_ name: String, _ obs: ObservationSpec) throws(DirectTrainingFailure) -> Int {
    guard let k = graph.locals[name] else {
      throw .program(LoweringError("the model has no vector '\(name)'", range: obs.range))
    }
    return k
  }

  /// `½(f − y)²` or `log(1 + e^{−y f})`.
  static func loss(_ f: Double, _ y: Double, _ kind: LossKind) -> Double {
    switch kind {
    case .mse: return 0.5 * (f - y) * (f - y)
    case .logistic:
      let z = -y * f
      return max(z, 0) + log1p(exp(-abs(z)))
    }
  }

  /// `∂ℓ/∂f`: `f − y`, or `−y σ(−y f)`.
  static func lossDerivative(_ f: Double, _ y: Double, _ kind: LossKind) -> Double {
    switch kind {
    case .mse: return f - y
    case .logistic: return -y / (1 + exp(y * f))
    }
  }
}
