import TPSyntax

/// Where a data set's first example is, so dimension errors point into the data.
struct DataSite {
  var input: SourceRange
  var label: SourceRange
}

extension CheckerState {
  mutating func checkNetworkStatement(_ s: Stmt) throws(Failure) {
    switch s.kind {
    case .layer(let target, let input, let output, let options):
      let width = try requireWidth(s.range)
      let name = try targetName(target)
      try checkFreshName(name, s.range)
      let i = try layerDimension(input, width)
      let o = try layerDimension(output, width)
      if case .finite = i, case .finite = o {
        throw error(
          "layer '\(name)' connects two fixed dimensions; one side must be the width '\(width)'", s.range)
      }
      let options = try optionValues(options, allowed: ["var"])
      let variance = options["var"] ?? 1
      guard variance > 0 else { throw error("a layer's var must be positive", s.range) }
      network.layers.append(LayerSpec(name: name, input: i, output: o, variance: variance, range: s.range))
      bindings[name] = .network("layer")
    case .bias(let target, let dim, let options):
      let width = try requireWidth(s.range)
      let name = try targetName(target)
      try checkFreshName(name, s.range)
      guard try layerDimension(dim, width) == .width else {
        throw error("a bias must have the width '\(width)' as its size", dim.range)
      }
      let options = try optionValues(options, allowed: ["var"])
      let variance = options["var"] ?? 1
      guard variance >= 0 else { throw error("a bias var must be non-negative", s.range) }
      network.biases.append(BiasSpec(name: name, variance: variance, range: s.range))
      bindings[name] = .network("bias")
    case .model(let name, let params, let body):
      do throws(Failure) {
        _ = try requireWidth(s.range)
        try checkFreshName(name, s.range)
        if network.model != nil { throw error("only one model can be declared", s.range) }
        guard params.count == 1 else {
          throw error("a model takes exactly one input, found \(params.count)", s.range)
        }
        let straight = try straightLineModelBody(body)
        let (d, k) = try checkModelBody(params[0], straight, s.range)
        network.model = ModelSpec(
          name: name, parameter: params[0], body: straight, inputDimension: d, outputDimension: k,
          range: s.range)
        bindings[name] = .network("model")
      } catch {
        // Statements that use the model would only repeat this error.
        if network.model == nil { modelDropped = true }
        throw error
      }
    case .parametrization(let preset):
      guard ["mup", "ntk", "sp", "mf"].contains(preset) else {
        let hint = closestMatch(to: preset, among: ["mup", "ntk", "sp", "mf", "abc"])
        throw error(
          "unknown parametrization '\(preset)'"
            + (hint.map { "; did you mean '\($0)'?" } ?? "; use mup, ntk, sp, mf or abc { … }"), s.range)
      }
      try setParametrization(.preset(preset), s.range)
    case .abcParametrization(let entries):
      var layers: [String: ABCExponents] = [:]
      var c: Double?
      for entry in entries {
        guard let layer = entry.layer else {
          if c != nil { throw error("'c' is given twice", entry.layerRange) }
          c = try constant(entry.assignments[0].value, "the exponent c")
          continue
        }
        // A family's name (`W` for `W[1]`, `W[2]`, …) gives every member the same exponents.
        let members =
          network.layer(named: layer) != nil
          ? [layer] : network.layers.map(\.name).filter { $0.hasPrefix(layer + "[") }
        guard !members.isEmpty else {
          throw error(
            "unknown layer '\(layer)' in the abc block"
              + (closestMatch(to: layer, among: network.layers.map(\.name)).map { "; did you mean '\($0)'?" }
                ?? ""),
            entry.layerRange)
        }
        if members.contains(where: { layers[$0] != nil }) {
          throw error("layer '\(layer)' appears twice in the abc block", entry.layerRange)
        }
        var a: Double?
        var b: Double?
        for asg in entry.assignments {
          switch asg.key {
          case "a": a = try constant(asg.value, "the exponent a")
          case "b": b = try constant(asg.value, "the exponent b")
          default: throw error("unknown exponent '\(asg.key)'; a layer takes 'a' and 'b'", asg.range)
          }
        }
        guard let a, let b else { throw error("layer '\(layer)' needs both 'a' and 'b'", entry.layerRange) }
        for m in members { layers[m] = ABCExponents(a: a, b: b) }
      }
      for l in network.layers where layers[l.name] == nil {
        throw error("the abc block gives no exponents for layer '\(l.name)'", s.range)
      }
      try setParametrization(.abc(layers: layers, c: c ?? 0), s.range)
    case .data(let name, let examples):
      try checkFreshName(name, s.range)
      var out: [Example] = []
      for ex in examples {
        let input = try pointValue(ex.input, "an input")
        let label = try pointValue(ex.label, "a label")
        if let first = out.first {
          if first.input.count != input.count {
            throw error(
              "this input has \(input.count) entries but the first has \(first.input.count)", ex.input.range)
          }
          if first.label.count != label.count {
            throw error(
              "this label has \(label.count) entries but the first has \(first.label.count)", ex.label.range)
          }
        }
        out.append(Example(input: input, label: label))
      }
      if out.isEmpty { throw error("a data set needs at least one example", s.range) }
      network.datasets[name] = out
      dataSites[name] = DataSite(input: examples[0].input.range, label: examples[0].label.range)
      labelRanges[name] = examples.map(\.label.range)
      bindings[name] = .network("data set")
    case .point(let name, let value):
      try checkFreshName(name, s.range)
      let v = try pointValue(value, "a point")
      try checkInputDimension(v, value.range)
      namedPoints[name] = v
      if network.pointNames[v] == nil { network.pointNames[v] = name }
      bindings[name] = .network("point")
    case .dataFile(let name, let path, let pathRange):
      try checkDataFile(name, path, pathRange, s.range)
    case .dataSkipGram(let name, let path, let pathRange, let options):
      try checkSkipGram(name, path, pathRange, options, s.range)
    case .pointWord(let name, let word, let wordRange):
      try checkFreshName(name, s.range)
      guard let (data, vocabulary) = lastSkipGram.map({ ($0.name, $0.data) }) else {
        throw error(
          "'word(…)' needs a 'data … = skipgram(…)' statement before it, whose vocabulary it looks up",
          wordRange)
      }
      guard let v = vocabulary.oneHot(word) else {
        let hint =
          closestMatch(to: word, among: vocabulary.vocabulary).map { "; did you mean '\($0)'?" } ?? ""
        throw error("'\(word)' is not a word of the vocabulary of '\(data)'\(hint)", wordRange)
      }
      try checkInputDimension(v, wordRange)
      namedPoints[name] = v
      if network.pointNames[v] == nil { network.pointNames[v] = name }
      bindings[name] = .network("point")
    case .kernelAnalysis(let a):
      try checkKernelAnalysis(a, s.range)
    case .observeAlignment(let target, let targetRange, let data, let dataRange, let options):
      try checkObserveAlignment(target, targetRange, data, dataRange, options, s.range)
    case .train(let model, let data, let optimizer, let options):
      try checkTrain(s, model, data, optimizer, options)
    case .observe(let kind, let target, let points, let options):
      try checkObserve(s, kind, target, points, options)
    case .kernel(let model, let points):
      try requireModel(model, wordRange(model, in: s.range, from: s.range.start + 6))
      let pts = try modelPoints(points)
      network.kernels.append(
        KernelRequest(model: model, points: pts, posteriorData: nil, noise: 0, range: s.range))
    case .kernelOn(let model, let data, let dataRanges):
      var failed = false
      do throws(Failure) {
        try requireModel(model, wordRange(model, in: s.range, from: s.range.start + 6))
      } catch {
        failed = true
      }
      for (d, r) in zip(data, dataRanges) {
        do throws(Failure) { try requireData(d, r) } catch { failed = true }
      }
      if failed { throw Failure() }
      let rows = network.datasets[data[0]]!.map(\.input)  // safe: required above
      let columns = data.count > 1 ? network.datasets[data[1]]!.map(\.input) : nil  // safe: required above
      network.kernels.append(
        KernelRequest(
          model: model, points: rows, columnPoints: columns, posteriorData: nil, noise: 0, range: s.range))
    case .posterior(let model, let data, let points, let options):
      let modelRange = wordRange(model, in: s.range, from: s.range.start + 9)
      var failed = false
      do throws(Failure) { try requireModel(model, modelRange) } catch { failed = true }
      do throws(Failure) { try requireData(data, wordRange(data, in: s.range, from: modelRange.end)) } catch {
        failed = true
      }
      let opts = try optionValues(options, allowed: ["noise"])
      let noise = opts["noise"] ?? 0
      guard noise >= 0 else { throw error("noise must be non-negative", s.range) }
      let pts = try modelPoints(points)
      if failed { throw Failure() }
      network.kernels.append(
        KernelRequest(model: model, points: pts, posteriorData: data, noise: noise, range: s.range))
    default:
      throw error("unexpected statement", s.range)
    }
  }

  /// `train f on data with sgd(…)`: every part is checked, so one run reports all its mistakes.
  mutating func checkTrain(
    _ s: Stmt, _ model: String, _ data: String, _ optimizer: String, _ options: [Option]
  )
    throws(Failure)
  {
    let modelRange = wordRange(model, in: s.range, from: s.range.start + 5)
    let dataRange = wordRange(data, in: s.range, from: modelRange.end)
    var failed = false
    do throws(Failure) { try requireModel(model, modelRange) } catch { failed = true }
    do throws(Failure) { try requireData(data, dataRange) } catch { failed = true }
    if optimizer != "sgd" {
      let hint =
        closestMatch(to: optimizer, among: ["sgd"]).map { "; did you mean '\($0)'?" }
        ?? "; only 'sgd' is supported"
      diagnostics.append(
        Diagnostic(
          .error, "unknown optimizer '\(optimizer)'\(hint)",
          at: wordRange(optimizer, in: s.range, from: dataRange.end)))
      failed = true
    }
    if network.training != nil { throw error("only one 'train' statement is allowed", s.range) }
    var spec = TrainingSpec(
      model: model, data: data, learningRate: 0, steps: 1, batch: 1, loss: .mse, range: s.range)
    var seen: Set<String> = []
    for o in options {
      do throws(Failure) {
        if !seen.insert(o.key).inserted { throw error("option '\(o.key)' is given twice", o.keyRange) }
        try applyTrainingOption(o, to: &spec)
      } catch { failed = true }
    }
    if !seen.contains("lr"), optimizer == "sgd" {
      diagnostics.append(
        Diagnostic(.error, "sgd needs a learning rate, as in 'sgd(lr: 0.1, …)'", at: s.range))
      failed = true
    }
    if failed { throw Failure() }
    network.training = spec
    checkTrainingData(spec, options)
  }

  /// What the data set must satisfy for the training statement: logistic labels are ±1 (each
  /// wrong label is an error at the data statement), and a batch larger than the data set is
  /// allowed (batches wrap around cyclically) but warned about.
  mutating func checkTrainingData(_ spec: TrainingSpec, _ options: [Option]) {
    guard let data = network.datasets[spec.data] else { return }
    if spec.loss == .logistic {
      let ranges = labelRanges[spec.data] ?? []
      for (k, ex) in data.enumerated() {
        guard let bad = ex.label.first(where: { $0 != 1 && $0 != -1 }) else { continue }
        diagnostics.append(
          Diagnostic(.error, Message.logisticLabel(bad), at: k < ranges.count ? ranges[k] : spec.range))
      }
    }
    if let batch = spec.batch, batch > data.count {
      let range = options.first { $0.key == "batch" }?.value.range ?? spec.range
      diagnostics.append(
        Diagnostic(.warning, Message.batchWraps(batch, examples: data.count, data: spec.data), at: range))
    }
  }

  mutating func applyTrainingOption(_ o: Option, to spec: inout TrainingSpec) throws(Failure) {
    switch o.key {
    case "lr":
      spec.learningRate = try constant(o.value, "the learning rate")
    case "steps":
      if case .name("inf") = o.value.kind {
        spec.steps = nil
      } else {
        let n = try integer(o.value, "steps")
        guard n >= 0, n <= 10_000 else {
          throw error("steps must be between 0 and 10000 (or inf)", o.value.range)
        }
        spec.steps = n
      }
    case "batch":
      if case .name("full") = o.value.kind {
        spec.batch = nil
      } else {
        let n = try integer(o.value, "batch")
        guard n >= 1 else { throw error("batch must be at least 1 (or full)", o.value.range) }
        spec.batch = n
      }
    case "loss":
      guard case .name(let l) = o.value.kind, let loss = LossKind(rawValue: l) else {
        let hint: String
        if case .name(let l) = o.value.kind, let m = closestMatch(to: l, among: ["mse", "logistic"]) {
          hint = "; did you mean '\(m)'?"
        } else {
          hint = ""
        }
        throw error("loss must be 'mse' or 'logistic'\(hint)", o.value.range)
      }
      spec.loss = loss
    default:
      throw error(unknownOption(o.key, ["lr", "steps", "batch", "loss"]), o.keyRange)
    }
  }

  /// `observe f at …`, `observe loss`, `observe movement h at ξ`, `observe kernel x at …`.
  mutating func checkObserve(
    _ s: Stmt, _ kind: String, _ target: String?, _ points: [Expr], _ options: [Option]
  )
    throws(Failure)
  {
    let kindRange = wordRange(kind, in: s.range, from: s.range.start + 7)
    let opts = try optionValues(options, allowed: ["every"])
    let every =
      try opts["every"].map { v throws(Failure) in
        guard v == v.rounded(), v >= 1, v <= 1e9 else {
          throw error("every must be a positive integer", s.range)
        }
        return Int(v)
      } ?? 1
    let observable: ObservableKind
    switch kind {
    case "loss": observable = .loss
    case "movement", "kernel":
      let name = target ?? ""
      let targetRange = wordRange(name, in: s.range, from: kindRange.end)
      guard network.model != nil else { throw modelMissing(targetRange) }
      if !modelVectors.contains(name) {
        let hint = closestMatch(to: name, among: modelVectors).map { "; did you mean '\($0)'?" } ?? ""
        throw error("'\(name)' is not a width-sized vector of the model\(hint)", targetRange)
      }
      observable = kind == "movement" ? .movement(name) : .kernel(name)
    default:
      if network.model?.name != kind,
        let hint = closestMatch(to: kind, among: ["loss", "movement", "kernel"])
      {
        throw error("unknown observable '\(kind)'; did you mean '\(hint)'?", kindRange)
      }
      try requireModel(kind, kindRange)
      observable = .function
    }
    let pts = try modelPoints(points)
    switch observable {
    case .loss where !pts.isEmpty: throw error("'observe loss' takes no points", s.range)
    case .function where pts.isEmpty:
      throw error("'observe \(kind)' needs points, as in 'at [1, 0]'", s.range)
    case .movement where pts.count != 1: throw error("'observe movement' takes exactly one point", s.range)
    case .kernel where pts.isEmpty: throw error("'observe kernel' needs points", s.range)
    default: break
    }
    network.observations.append(ObservationSpec(kind: observable, points: pts, every: every, range: s.range))
  }

  /// Points at which to evaluate the model, each checked against its input dimension.
  mutating func modelPoints(_ points: [Expr]) throws(Failure) -> [[Double]] {
    var pts: [[Double]] = []
    for p in points {
      // A data set's name stands for its inputs, in file order (`posterior f on train at test`).
      if case .name(let n) = p.kind, namedPoints[n] == nil, let data = network.datasets[n] {
        pts += data.map(\.input)
        continue
      }
      let v = try pointValue(p, "a point")
      try checkInputDimension(v, p.range)
      pts.append(v)
    }
    return pts
  }

  /// Fails when point `v` (written at `range`) does not have the model's input dimension.
  mutating func checkInputDimension(_ v: [Double], _ range: SourceRange) throws(Failure) {
    guard let model = network.model, v.count != model.inputDimension else { return }
    let d = model.inputDimension
    throw error(
      "this point has \(v.count) entr\(v.count == 1 ? "y" : "ies") but model '\(model.name)' takes \(d)",
      range)
  }

  /// The range of the first whole-word occurrence of `word` in `range` at or after `from`;
  /// statements keep only names, so this recovers where a name was written for the caret.
  func wordRange(_ word: String, in range: SourceRange, from: Int) -> SourceRange {
    let w = Array(word.utf8)
    let b = file.bytes
    func isWordByte(_ c: UInt8) -> Bool {
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }
    guard !w.isEmpty else { return range }
    var p = max(range.start, from)
    while p + w.count <= min(range.end, b.count) {
      if b[p..<(p + w.count)].elementsEqual(w), p == 0 || !isWordByte(b[p - 1]),
        p + w.count == b.count || !isWordByte(b[p + w.count])
      {
        return SourceRange(p, p + w.count)
      }
      p += 1
    }
    return range
  }

  func unknownOption(_ key: String, _ allowed: [String]) -> String {
    "unknown option '\(key)'"
      + (closestMatch(to: key, among: allowed).map { "; did you mean '\($0)'?" }
        ?? "; expected one of \(allowed.joined(separator: ", "))")
  }

  mutating func optionValues(_ options: [Option], allowed: [String]) throws(Failure) -> [String: Double] {
    var out: [String: Double] = [:]
    for o in options {
      guard allowed.contains(o.key) else { throw error(unknownOption(o.key, allowed), o.keyRange) }
      if out[o.key] != nil { throw error("option '\(o.key)' is given twice", o.keyRange) }
      out[o.key] = try constant(o.value, "option '\(o.key)'")
    }
    return out
  }

  mutating func setParametrization(_ p: ParametrizationSpec, _ range: SourceRange) throws(Failure) {
    if network.parametrizationRange != nil { throw error("the parametrization is already given", range) }
    network.parametrization = p
    network.parametrizationRange = range
  }

  mutating func layerDimension(_ d: Dimension, _ width: String) throws(Failure) -> LayerDimension {
    switch d.kind {
    case .integer(let k): return .finite(k)
    case .width(let n):
      guard n == width else {
        throw error("a dimension must be an integer or the width '\(width)', found '\(n)'", d.range)
      }
      return .width
    }
  }

  mutating func pointValue(_ e: Expr, _ context: String) throws(Failure) -> [Double] {
    if case .name(let n) = e.kind, let p = namedPoints[n] { return p }
    if let list = try constantList(e, "\(context) entry") {
      if list.isEmpty { throw error("\(context) cannot be empty", e.range) }
      return list
    }
    return [try constant(e, context)]
  }

  mutating func requireModel(_ name: String, _ range: SourceRange) throws(Failure) {
    guard let m = network.model else { throw modelMissing(range) }
    if m.name != name {
      let hint = closestMatch(to: name, among: [m.name]) != nil ? "did you mean" : "the model is"
      throw error("unknown model '\(name)'; \(hint) '\(m.name)'\(hint == "did you mean" ? "?" : "")", range)
    }
  }

  /// The error for a statement that needs a model when none is declared (quiet when the model
  /// statement itself failed).
  mutating func modelMissing(_ range: SourceRange) -> Failure {
    if modelDropped { return Failure() }
    return error("no model is declared before this statement", range)
  }

  mutating func requireData(_ name: String, _ range: SourceRange) throws(Failure) {
    guard network.datasets[name] != nil else {
      if case .poisoned? = bindings[name] { throw Failure() }
      throw error(
        "unknown data set '\(name)'"
          + (closestMatch(to: name, among: network.datasets.keys).map { "; did you mean '\($0)'?" } ?? ""),
        range)
    }
  }

  /// Cross-statement checks: data dimensions against the model, a network needs a model.
  mutating func finishNetwork() {
    guard let model = network.model else {
      if !modelDropped, let first = network.layers.first?.range ?? network.training?.range {
        diagnostics.append(
          Diagnostic(.error, "the network has no 'model'; declare one, as in 'model f(xi) { … }'", at: first))
      }
      return
    }
    for layer in network.layers where !usedLayers.contains(layer.name) {
      diagnostics.append(
        Diagnostic(
          .warning, "layer '\(layer.name)' is declared but model '\(model.name)' does not use it",
          at: layer.range))
    }
    for (name, site) in dataSites.sorted(by: { $0.value.input.start < $1.value.input.start }) {
      guard let first = network.datasets[name]?.first else { continue }
      if first.input.count != model.inputDimension {
        diagnostics.append(
          Diagnostic(
            .error,
            "data set '\(name)' has \(first.input.count)-dimensional inputs but model '\(model.name)' takes \(model.inputDimension)",
            at: site.input))
      }
      if first.label.count != model.outputDimension {
        diagnostics.append(
          Diagnostic(
            .error,
            "data set '\(name)' has \(first.label.count)-dimensional labels but model '\(model.name)' returns \(model.outputDimension)",
            at: site.label))
      }
    }
  }
}

extension LayerDimension {
  var finiteShape: ModelShape {
    if case .finite(let k) = self { return .finite(k) }
    return .width
  }
}
