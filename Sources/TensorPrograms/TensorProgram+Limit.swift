import TPLimit
import TPNumerics

@_exported import enum TPLimit.DerivativeRule
@_exported import enum TPLimit.ExpectationMethod
@_exported import enum TPLimit.LimitInterpreter
@_exported import struct TPLimit.LimitOptions
@_exported import struct TPLimit.LimitResult

/// Why a run stopped: a problem in the program (exit 2), a numerical failure or instability
/// (exit 3), or a feature that is not supported for this program (exit 1).
public enum RunFailure: Error, Sendable, CustomStringConvertible {
  case program(String)
  case numerical(String)
  case unsupported(String)

  public var description: String {
    switch self {
    case .program(let m), .numerical(let m), .unsupported(let m): return m
    }
  }
}

extension TensorProgram {
  /// The infinite-width limit of a core program (its `out`/`show` values).
  public func limit(_ options: LimitOptions = LimitOptions()) throws(NumericalError) -> LimitResult {
    try LimitInterpreter.run(core, options: options)
  }

  /// Everything `tp run` reports in the limit, for core and network programs alike.
  public func runLimit(_ options: LimitOptions = LimitOptions()) throws(RunFailure) -> RunReport {
    let name = unit.file.name
    guard let net = network, core.instructions.isEmpty else {
      let r: LimitResult
      do {
        r = try limit(options)
      } catch {
        throw .numerical(error.rendered(in: unit.file))
      }
      var report = RunReport(program: name, outputs: r.outputs, notes: methodNote(r))
      report.densities = r.densities
      try validate(report)
      return report
    }
    let report = try NetworkLimit(program: self, network: net, options: options).run()
    try validate(report)
    return report
  }

  func methodNote(_ r: LimitResult) -> [String] {
    let parts = [Method.exact, .quadrature, .mc].compactMap { m in
      r.methodCounts[m].map { "\($0) \(m.rawValue)" }
    }
    var notes = parts.isEmpty ? [] : ["expectations: " + parts.joined(separator: ", ")]
    if r.replicates > 1 {
      notes.append("± is the spread of \(r.replicates) independent Monte Carlo replicates / √\(r.replicates)")
    } else if r.methodCounts[.mc, default: 0] > 0 {
      notes.append(
        "± is each Monte Carlo average's own sampling error; error inherited through Ż coefficients and earlier moments is not in it (--replicates R measures it)"
      )
    }
    return notes
  }
}

/// The limit of a network program: unrolled SGD in the feature-learning regime, kernel dynamics
/// in the kernel regime, and NNGP/NTK matrices on request.
struct NetworkLimit {
  let program: TensorProgram
  let network: NetworkSpec
  let options: LimitOptions

  func run() throws(RunFailure) -> RunReport {
    let name = program.unit.file.name
    var report = RunReport(program: name)
    let resolved: ResolvedParametrization
    do {
      resolved = try ResolvedParametrization.resolve(network.parametrization, layers: network.layers)
    } catch {
      throw .program(error.message)
    }
    let cls = Classification.classify(resolved, layers: network.layers)
    report.regime = RegimeSummary(name: cls.regime.rawValue, r: cls.r.doubleValue, rText: cls.r.description)
    if network.training != nil || !network.observations.isEmpty {
      switch cls.regime {
      case .unstable:
        throw .numerical(
          "the \(resolved.name) parametrization is unstable: \(cls.instability ?? "a quantity grows with n")")
      case .kernel:
        try kernelRegime(&report)
      case .featureLearning, .trivial:
        try featureLearning(&report)
      }
    }
    if network.kernels.contains(where: { _ in true }) { try kernelRequests(&report) }
    return report
  }

  func featureLearning(_ report: inout RunReport) throws(RunFailure) {
    let lowered: LoweredNetwork
    do {
      lowered = try program.lowered(.limit)
    } catch {
      switch error {
      case .program(let e): throw .program(program.rendered(e))
      case .unstable(let m): throw .numerical("instability: \(m)")
      case .tooLarge(let m): throw .numerical(program.atTraining(m))
      case .kernelRegime:
        throw .unsupported(
          "the output at initialization does not vanish; this parametrization is in the kernel regime")
      }
    }
    let result: LimitResult
    do {
      result = try LimitInterpreter.run(lowered.program, options: options)
    } catch {
      throw .numerical(error.rendered(in: program.unit.file))
    }
    for p in lowered.trajectory {
      let est = result.scalars[p.scalar.raw]
      report.trajectory.append(
        TrajectoryValue(
          observable: p.observable, target: p.target, points: p.points, output: p.output, step: p.step,
          value: est.value,
          standardError: est.standardError, method: est.method))
    }
    report.notes += program.methodNote(result)
    if !lowered.dropped.isEmpty {
      report.notes.append("terms vanishing in the limit: \(lowered.dropped.count)")
    }
  }

  /// Points used by the kernel program: training inputs first, then every observed point.
  func kernelPoints(_ extra: [[Double]]) -> (points: [[Double]], index: [[Double]: Int]) {
    var points: [[Double]] = []
    var index: [[Double]: Int] = [:]
    func add(_ p: [Double]) {
      if index[p] == nil {
        index[p] = points.count
        points.append(p)
      }
    }
    if let t = network.training, let data = network.datasets[t.data] { data.forEach { add($0.input) } }
    for o in network.observations { o.points.forEach(add) }
    extra.forEach(add)
    return (points, index)
  }

  /// Evaluates K, Θ and feature kernels on `points` by running the kernel program in the limit.
  func kernels(_ points: [[Double]]) throws(RunFailure) -> (
    k: Matrix, theta: Matrix, features: [String: Matrix], method: Method
  ) {
    let kp: KernelProgram
    do {
      kp = try NetworkLowering.kernelProgram(program.checked, points: points)
    } catch {
      if case .program(let e) = error { throw .program(program.rendered(e)) }
      throw .numerical("\(error)")
    }
    let result: LimitResult
    do {
      result = try LimitInterpreter.run(kp.program, options: options)
    } catch {
      throw .numerical(error.rendered(in: program.unit.file))
    }
    let m = points.count
    func assemble(_ terms: [KernelProgram.PairKey: [KernelProgram.KernelTerm]]) -> Matrix {
      var out = Matrix(rows: m, cols: m, repeating: 0)
      for (key, ts) in terms {
        let v = ts.reduce(0.0) { acc, t in
          acc + t.coefficient * t.moments.reduce(1.0) { $0 * result.scalars[$1.raw].value }
        }
        out[key.p, key.q] = v
        out[key.q, key.p] = v
      }
      return out
    }
    var features: [String: Matrix] = [:]
    for (name, entries) in kp.features {
      var f = Matrix(rows: m, cols: m, repeating: 0)
      for (key, s) in entries {
        f[key.p, key.q] = result.scalars[s.raw].value
        f[key.q, key.p] = result.scalars[s.raw].value
      }
      features[name] = f
    }
    let method: Method =
      result.methodCounts[.mc] != nil ? .mc : (result.methodCounts[.quadrature] != nil ? .quadrature : .exact)
    return (assemble(kp.nngp), assemble(kp.ntk), features, method)
  }

  /// The kernel-regime dynamics on every training and observed point: `f_t = A_t f₀ + b_t`.
  struct KernelTrajectory {
    var points: [[Double]]
    var index: [[Double]: Int]
    /// Indices of the training examples in `points`, in data order, and their labels per
    /// output: `labels[j][c]`.
    var train: [Int]
    var labels: [[Double]]
    var k: Matrix
    var features: [String: Matrix]
    var method: Method
    /// `(step, state of each output)`; step nil is the fully trained limit. The outputs are
    /// independent processes with the same kernels: `A_t` is shared, `b_t` follows each
    /// output's labels.
    var states: [(step: Int?, outputs: [KernelDynamics.State])]
  }

  func kernelTrajectory() throws(RunFailure) -> KernelTrajectory {
    guard case .preset("ntk") = network.parametrization else {
      throw .unsupported(
        "kernel-regime training is computed for the 'ntk' parametrization; this one is kernel-regime too but not yet supported"
      )
    }
    let (points, index) = kernelPoints([])
    let (k, theta, features, method) = try kernels(points)
    let training = network.training
    let data = training.flatMap { network.datasets[$0.data] } ?? []
    if training?.loss == .logistic {
      throw .unsupported("kernel-regime training is computed for the mse loss only")
    }
    let train = data.map { index[$0.input]! }  // safe: training inputs were added first
    var outputs = 1
    if case .finite(let k) = network.layers.first(where: { $0.role == .readout })?.output {
      outputs = max(1, k)
    }
    let labels = (0..<outputs).map { j in data.map { j < $0.label.count ? $0.label[j] : 0 } }
    var states: [(step: Int?, outputs: [KernelDynamics.State])] = []
    if let t = training, t.steps == nil {
      let s0 = KernelDynamics.trajectory(
        theta: theta, train: train, labels: labels[0], lr: 0, steps: 0, batch: nil)[0]
      states = [
        (0, Array(repeating: s0, count: outputs)),
        (nil, labels.map { KernelDynamics.trained(theta: theta, train: train, labels: $0) }),
      ]
    } else {
      let steps = training?.steps ?? 0
      let perOutput = labels.map {
        KernelDynamics.trajectory(
          theta: theta, train: train, labels: $0, lr: training?.learningRate ?? 0, steps: steps,
          batch: training?.batch)
      }
      states = (0...steps).map { t in (t, perOutput.map { $0[t] }) }
    }
    return KernelTrajectory(
      points: points, index: index, train: train, labels: labels, k: k, features: features, method: method,
      states: states)
  }

  func kernelRegime(_ report: inout RunReport) throws(RunFailure) {
    let kt = try kernelTrajectory()
    let (index, train, labels, k, features, method) = (
      kt.index, kt.train, kt.labels, kt.k, kt.features, kt.method
    )
    let training = network.training
    let states = kt.states
    let lastStep = training?.steps ?? 0
    for (step, perOutput) in states {
      let moments = perOutput.map { $0.moments(k) }
      for o in network.observations where step == nil || step! % o.every == 0 || step! == lastStep {
        switch o.kind {
        case .function:
          for p in o.points {
            let z = index[p]!  // safe: observation points were added
            for (j, m) in moments.enumerated() {
              report.trajectory.append(
                TrajectoryValue(
                  observable: program.network?.model?.name ?? "f", points: [p], output: j, step: step,
                  value: m.mean[z], variance: m.variance[z], method: method))
            }
          }
        case .loss:
          // Σ_j ½ E[(f_j − y_j)²] per example, averaged over the examples (as the trainer does).
          var total = 0.0
          for (j, m) in moments.enumerated() {
            for (c, z) in train.enumerated() {
              let r = m.mean[z] - labels[j][c]
              total += 0.5 * (r * r + m.variance[z])
            }
          }
          report.trajectory.append(
            TrajectoryValue(
              observable: "loss", points: [], step: step, value: total / Double(max(1, train.count)),
              method: method))
        case .movement(let v):
          report.trajectory.append(
            TrajectoryValue(
              observable: "movement", target: v, points: o.points, step: step, value: 0, method: .exact))
        case .kernel(let v):
          guard let f = features[v] else { throw .program("the model has no vector '\(v)'") }
          for a in o.points.indices {
            for b in a..<o.points.count {
              report.trajectory.append(
                TrajectoryValue(
                  observable: "kernel", target: v, points: [o.points[a], o.points[b]], step: step,
                  value: f[index[o.points[a]]!, index[o.points[b]]!], method: method))
            }
          }
        }
      }
    }
  }

  func kernelRequests(_ report: inout RunReport) throws(RunFailure) {
    for req in network.kernels {
      var pts = req.points
      var trainIdx: [Int] = []
      var labels: [Double] = []
      if let d = req.posteriorData, let data = network.datasets[d] {
        pts = data.map(\.input) + req.points
        trainIdx = Array(0..<data.count)
        labels = data.map { $0.label.first ?? 0 }
      }
      let (k, theta, _, method) = try kernels(pts)
      if method == .mc {
        report.notes.append(
          "kernel entries at \(pts.count) points use Monte Carlo (\(options.samples) particles): expect errors of order 1/√\(options.samples)"
        )
      }
      func rows(_ m: Matrix, _ idx: [Int]) -> [[Double]] { idx.map { i in idx.map { m[i, $0] } } }
      if req.posteriorData == nil {
        let idx = Array(0..<pts.count)
        report.kernels.append(KernelMatrix(name: "nngp", points: pts, matrix: rows(k, idx)))
        report.kernels.append(KernelMatrix(name: "ntk", points: pts, matrix: rows(theta, idx)))
      } else {
        let test = Array(trainIdx.count..<pts.count)
        let post = KernelDynamics.posterior(
          k: k, train: trainIdx, labels: labels, noise: req.noise, test: test)
        for (i, z) in test.enumerated() {
          report.posterior.append(
            PosteriorValue(point: pts[z], mean: post[i].mean, variance: post[i].variance))
        }
      }
    }
  }
}
