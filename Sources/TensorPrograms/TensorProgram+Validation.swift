import TPFinite

extension TensorProgram {
  /// Checks every number `report` would print: a NaN or ±Inf anywhere, or a training loss that
  /// grows past ``DirectTrainer/divergenceFactor`` times its initial scale, is a numerical
  /// failure at the statement that asked for it (`out`, `observe`, `kernel`, `posterior` or
  /// `train`), never a success with `inf` or `null` in the output.
  func validate(_ report: RunReport) throws(RunFailure) {
    let file = unit.file
    func fail(_ message: String, _ range: SourceRange?) -> RunFailure {
      guard let range else { return .numerical(NumericalError(message).rendered(in: nil)) }
      return .numerical(NumericalError(message, at: range, in: file).rendered(in: file))
    }
    let at = report.width.map { " at width \($0)" } ?? " in the limit"
    for (k, o) in report.outputs.enumerated() {
      let numbers: [Double]
      switch o.value {
      case .scalar(let v): numbers = [v]
      case .vector(let law): numbers = [law.mean, law.variance] + law.quantiles
      }
      guard let bad = numbers.first(where: { !$0.isFinite }) else { continue }
      var range: SourceRange?
      if k < core.outputs.count {
        switch core.outputs[k].value {
        case .scalar(let s): range = core.scalars[s.raw].range
        case .vector(let v): range = core.vectors[v.raw].range
        }
      }
      throw fail("the output '\(o.name)' is \(Self.name(bad))\(at)", range)
    }
    guard let net = network else { return }
    for t in report.trajectory where !t.value.isFinite || !t.variance.isFinite {
      let range = net.observations.first { Self.observes($0, t, model: net.model?.name) }?.range
      throw fail("\(Self.describe(t)) is \(Self.name(t.value.isFinite ? t.variance : t.value))\(at)", range)
    }
    for m in report.kernels where m.values.contains(where: { !$0.isFinite }) {
      throw fail(
        "the \(m.name.uppercased()) kernel has entries that are NaN or ±Inf\(at)", net.kernels.first?.range)
    }
    for p in report.posterior where !p.mean.isFinite || !p.variance.isFinite {
      let range = net.kernels.first { $0.posteriorData != nil }?.range
      throw fail("the posterior at \(Self.format(p.point)) is NaN or ±Inf\(at)", range)
    }
    // A loss that explodes while staying finite is divergence too.
    guard let training = net.training else { return }
    let losses = report.trajectory.filter { $0.observable == "loss" && $0.step != nil }
    guard let first = losses.first(where: { $0.step == 0 }) else { return }
    let data = net.datasets[training.data] ?? []
    var scale = first.value
    for ex in data {
      for y in ex.label {
        scale = max(scale, DirectTrainer.loss(0, y, training.loss) / Double(max(1, data.count)))
      }
    }
    if let bad = losses.first(where: { $0.value > DirectTrainer.divergenceFactor * scale }), scale > 0 {
      throw fail(
        "training diverged\(at): the loss after step \(bad.step ?? 0) is \(Program.format(bad.value)), more than"
          + " 10⁶ times its initial scale \(Program.format(scale)); lower the learning rate"
          + " (lr: \(Program.format(training.learningRate)))", training.range)
    }
  }

  static func name(_ v: Double) -> String { v.isNaN ? "NaN" : (v > 0 ? "inf" : "-inf") }

  static func format(_ p: [Double]) -> String { Program.format(point: p) }

  /// A trajectory value in the user's terms: "the output f at (1, 0) after step 3".
  static func describe(_ t: TrajectoryValue) -> String {
    let points = t.points.map(format).joined(separator: ", ")
    let when = t.step.map { $0 == 0 ? "at initialization" : "after step \($0)" } ?? "after training"
    switch t.observable {
    case "loss": return "the training loss \(when)"
    case "movement": return "the movement of \(t.target ?? "") at \(points) \(when)"
    case "kernel": return "the feature kernel of \(t.target ?? "") at \(points) \(when)"
    case "alignment": return "the feature-kernel alignment of \(t.target ?? "") \(when)"
    default: return "the output \(t.observable)\(t.output > 0 ? "[\(t.output)]" : "") at \(points) \(when)"
    }
  }

  /// Whether observation `o` is the statement that reports `t`.
  static func observes(_ o: ObservationSpec, _ t: TrajectoryValue, model: String?) -> Bool {
    switch o.kind {
    case .loss: return t.observable == "loss"
    case .movement(let v): return t.observable == "movement" && t.target == v
    case .kernel(let v): return t.observable == "kernel" && t.target == v
    case .alignment(let v, _):
      return (t.observable == "alignment" || t.observable == FeatureAlignment.kernelObservable)
        && t.target == v
    case .function: return t.observable == model && o.points.contains(t.points.first ?? [])
    }
  }
}

extension TensorProgram {
  /// A lowering error rendered like a diagnostic (with its line and a caret) when it has a
  /// range, else its message alone.
  public func rendered(_ e: LoweringError) -> String {
    guard let range = e.range, range.end <= unit.file.bytes.count else { return e.message }
    return Diagnostic(.error, e.message, at: range).render(in: unit.file)
  }
}

extension TensorProgram {
  /// A lowering failure as a run failure: program errors rendered at their line, instability
  /// and size refusals numerical (at the `train` statement), and `kernelRegime` for the
  /// caller's meaning of a network whose output does not vanish at initialization.
  public func failure(_ e: LoweringFailure, kernelRegime: RunFailure) -> RunFailure {
    switch e {
    case .program(let e): return .program(rendered(e))
    case .unstable(let m): return .numerical("instability: \(m)")
    case .tooLarge(let m): return .numerical(atTraining(m))
    case .kernelRegime: return kernelRegime
    }
  }
}

extension TensorProgram {
  /// `message` as a numerical error at the `train` statement (rendered with its line), or bare.
  func atTraining(_ message: String) -> String {
    guard let range = network?.training?.range else { return "error: " + message }
    return NumericalError(message, at: range, in: unit.file).rendered(in: unit.file)
  }
}
