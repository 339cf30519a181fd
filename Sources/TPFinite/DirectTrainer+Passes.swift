import Foundation
import TPCore
import TPNetwork
import TPNumerics

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
        for (k, column) in (inputWeights[u] ?? []).enumerated() { Self.axpy(m * xi[k], column, &h) }
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
    var input: [String: [[Double]]] = [:]
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
        var g = grads.input[u] ?? Array(repeating: [Double](repeating: 0, count: n), count: d)
        for k in 0..<d { Self.axpy(xi[k], a, &g[k]) }
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
      guard var weights = hiddenWeights[w] else { continue }
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
      for k in g.indices { Self.axpy(s, g[k], &inputWeights[u]![k]) }
    }
    // safe: as above
    for (b, g) in grads.bias { Self.axpy(-base * (biasMultiplier[b] ?? 0), g, &biasWeights[b]!) }
    let s = -base * (layerMultiplier[graph.readout] ?? 0)
    for (j, g) in grads.readout.enumerated() { Self.axpy(s, g, &readoutWeights[j]) }
  }

  // MARK: Training

  func failure(_ what: String, step t: Int) -> DirectTrainingFailure {
    .numerical(NumericalError("\(what) is NaN or ±Inf at step \(t) (width \(n), seed \(seed))"))
  }

  /// Runs every step and returns the observations.
  mutating func train(initialPoints: [[Double]] = []) throws(DirectTrainingFailure) -> [DirectObservation] {
    let training = network.training
    let steps = training?.steps ?? 0
    let data = training.flatMap { network.datasets[$0.data] } ?? []
    var out: [DirectObservation] = []
    var initial: [[Double]: Pass] = [:]
    for t in 0...steps {
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
        case .kernel(let v):
          let k = try local(v, obs)
          let passes = obs.points.map { pass($0).values[k] }
          for a in obs.points.indices {
            for b in a..<obs.points.count {
              record(
                "kernel", v, [obs.points[a], obs.points[b]], 0, Self.dot(passes[a], passes[b]) / Double(n))
            }
          }
        }
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
      if let bad = out.last(where: { !$0.value.isFinite }) { throw failure("\(bad.observable)", step: t) }
      guard t < steps, let training, !data.isEmpty else { continue }
      let batch = training.batch ?? data.count
      var grads = Gradients()
      for b in 0..<batch {
        let ex = data[(t * batch + b) % data.count]
        let p = forward(ex.input)
        let chi = p.outputs.enumerated().map {
          Self.lossDerivative($0.element, ex.label[$0.offset], training.loss)
        }
        guard chi.allSatisfy(\.isFinite) else { throw failure("the loss derivative", step: t) }
        backward(p, chi: chi, xi: ex.input, into: &grads)
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
