import TPSyntax

/// Checks of `data … = csv(…)` and of the kernel-analysis statements (LANGUAGE.md, "Kernel
/// analysis"): every name, option and value is checked here, so a run never starts on a
/// statement it cannot finish for a reason the program text shows.
extension CheckerState {
  /// The largest Hermite degree accepted (`HermiteExpansion.maximumDegree`).
  static let maximumHermiteDegree = 1000
  /// The largest data set the kernel analyses accept: the Gram matrices are `M × M` and the
  /// eigendecomposition costs `O(M³)`.
  static let maximumAnalysisPoints = 5000

  /// `data NAME = csv("FILE")`: reads the file now, relative to the program's directory.
  mutating func checkDataFile(_ name: String, _ path: String, _ pathRange: SourceRange, _ range: SourceRange)
    throws(Failure)
  {
    try checkFreshName(name, range)
    let resolved = CSVData.resolve(path, relativeTo: file.name)
    let data: CSVData
    do throws(CSVData.Failure) {
      data = try CSVData.load(path: resolved, shown: path)
    } catch {
      throw self.error(error.description, pathRange)
    }
    network.datasets[name] = data.examples
    network.dataFiles[name] = resolved
    dataSites[name] = DataSite(input: pathRange, label: pathRange)
    labelRanges[name] = Array(repeating: pathRange, count: data.examples.count)
    bindings[name] = .network("data set")
  }

  /// `data NAME = skipgram("FILE", window: w)`: reads the corpus now, relative to the
  /// program's directory (``SkipGramData``); `window` defaults to 2.
  mutating func checkSkipGram(
    _ name: String, _ path: String, _ pathRange: SourceRange, _ options: [Option], _ range: SourceRange
  ) throws(Failure) {
    try checkFreshName(name, range)
    var window = 2
    for (k, o) in options.enumerated() {
      guard o.key == "window" else { throw error(unknownOption(o.key, ["window"]), o.keyRange) }
      if k > 0 { throw error("option 'window' is given twice", o.keyRange) }
      window = try integer(o.value, "window")
      guard (1...SkipGramData.maximumWindow).contains(window) else {
        throw error(
          "window must be between 1 and \(SkipGramData.maximumWindow), found \(window)", o.value.range)
      }
    }
    let resolved = CSVData.resolve(path, relativeTo: file.name)
    let data: SkipGramData
    do throws(CSVData.Failure) {
      data = try SkipGramData.load(path: resolved, shown: path, window: window)
    } catch {
      throw self.error(error.description, pathRange)
    }
    let examples = data.examples
    network.datasets[name] = examples
    network.dataFiles[name] = resolved
    dataSites[name] = DataSite(input: pathRange, label: pathRange)
    labelRanges[name] = Array(repeating: pathRange, count: examples.count)
    bindings[name] = .network("data set")
    lastSkipGram = (name, data)
  }

  /// `alignment f on d`, `eigen f on d (top: k)`, `eigenlearning f on d (…)`, `hermite φ (degree: K)`.
  mutating func checkKernelAnalysis(_ a: KernelAnalysisSyntax, _ range: SourceRange) throws(Failure) {
    if a.keyword == "hermite" {
      try checkHermite(a, range)
      return
    }
    if a.keyword == "reverse" {
      try checkReverse(a, range)
      return
    }
    var failed = false
    do throws(Failure) { try requireModel(a.subject, a.subjectRange) } catch { failed = true }
    let data = a.data ?? ""
    let dataRange = a.dataRange ?? range
    var points = 0
    do throws(Failure) {
      try requireData(data, dataRange)
      let examples = network.datasets[data] ?? []
      points = examples.count
      if let k = examples.first?.label.count, k != 1, a.keyword != "alignment" {
        throw error(
          "'\(a.keyword)' needs one label per example, but data set '\(data)' has \(k)-dimensional labels",
          dataRange)
      }
      if points > Self.maximumAnalysisPoints {
        throw error(
          "data set '\(data)' has \(points) points; '\(a.keyword)' handles at most \(Self.maximumAnalysisPoints) (its Gram matrices are M × M)",
          dataRange)
      }
      if points < 2 {
        throw error(
          "'\(a.keyword)' needs a data set of at least 2 points; '\(data)' has \(points)", dataRange)
      }
    } catch { failed = true }
    switch a.keyword {
    case "alignment":
      if let o = a.options.first {
        throw error("'alignment' takes no options, found '\(o.key)'", o.keyRange)
      }
      if failed { throw Failure() }
      network.analyses.append(.alignment(model: a.subject, data: data, range: range))
    case "eigen":
      var top: Int?
      for (k, o) in a.options.enumerated() {
        guard o.key == "top" else { throw error(unknownOption(o.key, ["top"]), o.keyRange) }
        if k > 0 { throw error("option 'top' is given twice", o.keyRange) }
        let t = try integer(o.value, "top")
        guard t >= 1 else { throw error("top must be at least 1, found \(t)", o.value.range) }
        top = t
      }
      if failed { throw Failure() }
      network.analyses.append(.eigen(model: a.subject, data: data, top: top, range: range))
    case "eigenlearning":
      try checkEigenlearning(a, data: data, points: points, failed: failed, range)
    default:
      throw error("unknown statement '\(a.keyword)'", range)
    }
  }

  mutating func checkEigenlearning(
    _ a: KernelAnalysisSyntax, data: String, points: Int, failed: Bool, _ range: SourceRange
  ) throws(Failure) {
    let allowed = ["samples", "ridge", "noise", "kernel", "trials"]
    var seen: Set<String> = []
    var samples: [Int] = []
    var isSweep = false
    var ridge = 0.0
    var noise = 0.0
    var kernel = KernelChoice.ntk
    var trials: Int?
    var failed = failed
    for o in a.options {
      do throws(Failure) {
        guard allowed.contains(o.key) else { throw error(unknownOption(o.key, allowed), o.keyRange) }
        if !seen.insert(o.key).inserted { throw error("option '\(o.key)' is given twice", o.keyRange) }
        switch o.key {
        case "samples":
          var items = [o.value]
          if case .list(let list) = o.value.kind {
            isSweep = true
            items = list
            if list.isEmpty { throw error("samples needs at least one sample count", o.value.range) }
            if list.count > 100 {
              throw error("at most 100 sample counts, found \(list.count)", o.value.range)
            }
          }
          for item in items {
            let n = try integer(item, "samples")
            guard n >= 1 else { throw error("a sample count must be at least 1, found \(n)", item.range) }
            if points > 0, n > points {
              throw error(
                "\(n) samples cannot be drawn from data set '\(data)' of \(points) points (the population)",
                item.range)
            }
            samples.append(n)
          }
        case "ridge":
          ridge = try constant(o.value, "ridge")
          guard ridge >= 0 else { throw error("ridge must be non-negative", o.value.range) }
        case "noise":
          noise = try constant(o.value, "noise")
          guard noise >= 0 else { throw error("noise (a variance ε²) must be non-negative", o.value.range) }
        case "kernel":
          kernel = try kernelChoice(o.value)
        default:  // trials
          let t = try integer(o.value, "trials")
          guard t >= 2, t <= 100_000 else {
            throw error("trials must be between 2 and 100000, found \(t)", o.value.range)
          }
          trials = t
        }
      } catch { failed = true }
    }
    if !seen.contains("samples") {
      throw error(
        "'eigenlearning' needs the training-set size, as in '(samples: 30)' or '(samples: [10, 30])'", range)
    }
    if failed { throw Failure() }
    network.analyses.append(
      .eigenlearning(
        EigenlearningRequest(
          model: a.subject, data: data, samples: samples, isSweep: isSweep, ridge: ridge, noise: noise,
          kernel: kernel, trials: trials, range: range)))
  }

  /// `hermite φ (degree: K)`: φ is a built-in of one real argument or a one-argument `def`
  /// whose body uses only its parameter and constants.
  mutating func checkHermite(_ a: KernelAnalysisSyntax, _ range: SourceRange) throws(Failure) {
    let name = a.subject
    if let f = Function(rawValue: name) {
      if f.isScalarOnly {
        throw error(
          "'\(name)' is not defined on all of ℝ, so it has no Hermite expansion; use an activation",
          a.subjectRange)
      }
    } else if let def = functions[name] {
      guard def.arity == 1 else {
        throw error(
          "'hermite' needs a function of one argument, but '\(name)' takes \(def.arity)", a.subjectRange)
      }
      if def.body.scalars.contains(where: { program.scalars[$0.raw].constantValue == nil }) {
        throw error(
          "the body of '\(name)' uses a computed scalar; 'hermite' needs constants only", a.subjectRange)
      }
    } else {
      if case .poisoned? = bindings[name] { throw Failure() }
      let candidates = Function.allCases.filter { !$0.isScalarOnly }.map(\.rawValue) + Array(functions.keys)
      throw error(
        Message.unknownFunction(name, suggestion: closestMatch(to: name, among: candidates)), a.subjectRange)
    }
    var degree = 12
    for (k, o) in a.options.enumerated() {
      guard o.key == "degree" else { throw error(unknownOption(o.key, ["degree"]), o.keyRange) }
      if k > 0 { throw error("option 'degree' is given twice", o.keyRange) }
      degree = try integer(o.value, "degree")
      guard degree >= 0, degree <= Self.maximumHermiteDegree else {
        throw error(
          "degree must be between 0 and \(Self.maximumHermiteDegree), found \(degree)", o.value.range)
      }
    }
    network.analyses.append(.hermite(function: name, degree: degree, range: range))
  }

  /// `reverse f to "FILE" (kernel: ntk, accuracy: ε, degree: D, rho_max: r)`: the model has
  /// at least two inputs (the fit runs on a great circle) and one output.
  mutating func checkReverse(_ a: KernelAnalysisSyntax, _ range: SourceRange) throws(Failure) {
    var failed = false
    do throws(Failure) {
      try requireModel(a.subject, a.subjectRange)
      if let m = network.model {
        if m.inputDimension < 2 {
          throw error(
            "'reverse' fits the kernel on a circle of unit inputs, so the model needs at least 2 inputs; '\(m.name)' has \(m.inputDimension)",
            a.subjectRange)
        }
        if m.outputDimension != 1 {
          throw error(
            "'reverse' matches a scalar kernel, so the model needs one output; '\(m.name)' has \(m.outputDimension)",
            a.subjectRange)
        }
      }
    } catch { failed = true }
    let allowed = ["kernel", "accuracy", "degree", "rho_max"]
    var seen: Set<String> = []
    var request = ReverseRequest(model: a.subject, range: range)
    for o in a.options {
      do throws(Failure) {
        guard allowed.contains(o.key) else { throw error(unknownOption(o.key, allowed), o.keyRange) }
        if !seen.insert(o.key).inserted { throw error("option '\(o.key)' is given twice", o.keyRange) }
        switch o.key {
        case "kernel":
          request.kernel = try kernelChoice(o.value)
        case "accuracy":
          let v = try constant(o.value, "accuracy")
          guard v > 0, v < 1 else {
            throw error(
              "accuracy (the largest error relative to the kernel's scale) must be in (0, 1), found \(Program.format(v))",
              o.value.range)
          }
          request.accuracy = v
        case "degree":
          let v = try integer(o.value, "degree")
          guard v >= 0, v <= ReverseRequest.maximumDegree else {
            throw error(
              "degree must be between 0 and \(ReverseRequest.maximumDegree), found \(v)", o.value.range)
          }
          request.degree = v
        default:  // rho_max
          let v = try constant(o.value, "rho_max")
          guard v >= 0, v <= 1 else {
            throw error(
              "rho_max (the fit covers ρ from -1 to rho_max, and ρ = 1) must be in [0, 1], found \(Program.format(v))",
              o.value.range)
          }
          request.rhoMax = v
        }
      } catch { failed = true }
    }
    if let path = a.path {
      request.output = CSVData.resolve(path, relativeTo: file.name)
      request.shownOutput = path
      if !path.hasSuffix(".tp") {
        _ = error(
          "the generated program's file name must end in '.tp', found \"\(path)\"", a.pathRange ?? range)
        failed = true
      } else if request.output == file.name {
        _ = error("'reverse' would overwrite this program; choose another file name", a.pathRange ?? range)
        failed = true
      }
    }
    if failed { throw Failure() }
    network.analyses.append(.reverse(request))
  }

  /// `kernel: ntk` or `kernel: nngp`.
  mutating func kernelChoice(_ value: Expr) throws(Failure) -> KernelChoice {
    guard case .name(let k) = value.kind, let choice = KernelChoice(rawValue: k) else {
      var hint = ""
      if case .name(let k) = value.kind, let m = closestMatch(to: k, among: ["ntk", "nngp"]) {
        hint = "; did you mean '\(m)'?"
      }
      throw error("kernel must be 'ntk' or 'nngp'\(hint)", value.range)
    }
    return choice
  }

  /// `observe alignment x on d`: `x` a width-sized vector of the model, `d` a data set with
  /// one label per example; the observation's points are the data set's inputs.
  mutating func checkObserveAlignment(
    _ target: String, _ targetRange: SourceRange, _ data: String, _ dataRange: SourceRange,
    _ options: [Option],
    _ range: SourceRange
  ) throws(Failure) {
    let opts = try optionValues(options, allowed: ["every"])
    let every = opts["every"] ?? 1
    guard every == every.rounded(), every >= 1, every <= 1e9 else {
      throw error("every must be a positive integer", range)
    }
    var failed = false
    do throws(Failure) {
      guard network.model != nil else { throw modelMissing(targetRange) }
      if !modelVectors.contains(target) {
        let hint = closestMatch(to: target, among: modelVectors).map { "; did you mean '\($0)'?" } ?? ""
        throw error("'\(target)' is not a width-sized vector of the model\(hint)", targetRange)
      }
    } catch { failed = true }
    try requireData(data, dataRange)
    let examples = network.datasets[data] ?? []
    if examples.count < 2 {
      throw error(
        "'observe alignment' needs a data set of at least 2 points; '\(data)' has \(examples.count)",
        dataRange)
    }
    if examples.count > 200 {
      throw error(
        "'observe alignment' follows every pair of points through training; '\(data)' has \(examples.count) points, at most 200 are allowed",
        dataRange)
    }
    if failed { throw Failure() }
    network.observations.append(
      ObservationSpec(
        kind: .alignment(target, data: data), points: examples.map(\.input), every: Int(every), range: range))
  }
}
