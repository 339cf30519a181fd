import TPLimit
import TPNumerics

/// Kernel-regime training in the limit: `f_t = A_t f₀ + b_t` from the NNGP and NTK, by dense
/// affine steps or in spectral form, and the values it reports.
extension NetworkLimit {
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
    /// Per reported step, each output's mean over `points`, the variance and the expected mean
    /// loss (nil: computed from the means and variances at the training points). The spectral
    /// form fills only the observed entries of the means and the variance.
    var moments: [StepMoments] = []
    /// What the report should say about the dynamics (an ill-conditioned NTK).
    var note: String?
  }

  /// One reported step of ``KernelTrajectory``.
  struct StepMoments {
    var step: Int?
    var means: [[Double]]
    var variance: [Double]
    var loss: Double?
  }

  /// The kernel-regime dynamics, from the given kernels (computed here when nil). With
  /// `spectral`, full-batch training is evaluated by ``KernelDynamics/Spectral`` at the observed
  /// points only (`states` stays empty); otherwise by the dense affine state on every point.
  func kernelTrajectory(_ given: KernelValues? = nil, spectral: Bool = false) throws(RunFailure)
    -> KernelTrajectory
  {
    let (points, index) = kernelPoints([])
    let values: KernelValues
    if let given { values = given } else { values = try trainingKernelLimit().kernels(points) }
    let (k, theta, features, method) = (values.k, values.theta, values.features, values.method)
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
    if spectral, let t = training, !train.isEmpty, (t.batch ?? train.count) >= train.count {
      return spectralTrajectory(
        points: points, index: index, train: train, labels: labels, values: values, training: t)
    }
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
    let moments = states.map { step, outputs in
      let m = outputs.map { $0.moments(k) }
      return StepMoments(step: step, means: m.map(\.mean), variance: m.first?.variance ?? [], loss: nil)
    }
    return KernelTrajectory(
      points: points, index: index, train: train, labels: labels, k: k, features: features, method: method,
      states: states, moments: moments)
  }

  /// Full-batch kernel-regime training by ``KernelDynamics/Spectral``: moments at the points of
  /// `observe f` only, the loss from its closed form, every reported step; `steps: inf` by
  /// ``KernelDynamics/factoredTrainedLimit(theta:k:train:observed:labels:threads:)`` (a Cholesky
  /// solve) when the NTK on the training inputs is well-conditioned, spectrally otherwise.
  func spectralTrajectory(
    points: [[Double]], index: [[Double]: Int], train: [Int], labels: [[Double]], values: KernelValues,
    training t: TrainingSpec
  ) -> KernelTrajectory {
    var observed: [Int] = []
    for o in network.observations {
      guard case .function = o.kind else { continue }
      for p in o.points where !observed.contains(index[p]!) { observed.append(index[p]!) }  // safe: added
    }
    let loss = network.observations.contains { if case .loss = $0.kind { return true } else { return false } }
    let m = points.count
    func spread(_ means: [[Double]], _ variance: [Double]) -> (means: [[Double]], variance: [Double]) {
      var v = [Double](repeating: 0, count: m)
      var mm = labels.map { _ in [Double](repeating: 0, count: m) }
      for (i, z) in observed.enumerated() {
        v[z] = variance[i]
        for j in mm.indices { mm[j][z] = means[j][i] }
      }
      return (mm, v)
    }
    if t.steps == nil,
      let trained = KernelDynamics.factoredTrainedLimit(
        theta: values.theta, k: values.k, train: train, observed: observed, labels: labels,
        threads: options.threads)
    {
      // Step 0: mean 0, variance K_zz, loss (1/2n) Σ (y² + K_xx); the limit interpolates (loss 0).
      let initialLoss =
        labels.reduce(0.0) { s, y in
          s + zip(y, train).reduce(0.0) { $0 + $1.0 * $1.0 + values.k[$1.1, $1.1] }
        } / Double(2 * train.count)
      let start = spread(labels.map { _ in observed.map { _ in 0 } }, observed.map { values.k[$0, $0] })
      let end = spread(trained.means, trained.variance)
      return KernelTrajectory(
        points: points, index: index, train: train, labels: labels, k: values.k, features: values.features,
        method: values.method, states: [],
        moments: [
          StepMoments(step: 0, means: start.means, variance: start.variance, loss: loss ? initialLoss : nil),
          StepMoments(step: nil, means: end.means, variance: end.variance, loss: loss ? 0 : nil),
        ])
    }
    let dynamics = KernelDynamics.Spectral(
      theta: values.theta, k: values.k, train: train, observed: observed, loss: loss, threads: options.threads
    )
    var reported: [Int?]
    if let steps = t.steps {
      let every = network.observations.map(\.every).min() ?? 1
      reported = (0...steps).filter { $0 % max(1, every) == 0 || $0 == steps }
    } else {
      reported = [0, nil]
    }
    let moments = reported.map { step in
      let r = dynamics.moments(labels: labels, lr: t.learningRate, step: step, threads: options.threads)
      let s = spread(r.means, r.variance)
      return StepMoments(
        step: step, means: s.means, variance: s.variance, loss: loss ? r.losses.reduce(0, +) : nil)
    }
    var note: String?
    if t.steps == nil, dynamics.droppedModes > 0 {
      note =
        "the NTK on the \(train.count) training inputs is singular or ill-conditioned: \(dynamics.droppedModes)"
        + " of its eigenvalues are below 1e-10 of the largest (duplicate or nearly collinear inputs);"
        + " the trained limit uses its pseudo-inverse and does not interpolate those directions"
    }
    return KernelTrajectory(
      points: points, index: index, train: train, labels: labels, k: values.k, features: values.features,
      method: values.method, states: [], moments: moments, note: note)
  }

  /// This limit with the training kernels of the program's parametrization: itself for `ntk`,
  /// otherwise with the ``KernelScaling`` of its exponents.
  func trainingKernelLimit() throws(RunFailure) -> NetworkLimit {
    if case .preset("ntk") = network.parametrization { return self }
    let p: ResolvedParametrization
    do {
      p = try ResolvedParametrization.resolve(network.parametrization, layers: network.layers)
    } catch {
      throw .program(program.rendered(error))
    }
    var limit = self
    do {
      limit.kernelScaling = try KernelScaling(p, layers: network.layers)
    } catch {
      throw .program(program.rendered(error))
    }
    return limit
  }

  /// The kernel-regime trajectory. Its errors come from the kernel entries' errors by
  /// randomized first-order propagation (``KernelValues/propagatedErrors(draws:base:_:)``).
  func kernelRegime(_ report: inout RunReport) throws(RunFailure) {
    let values = try trainingKernelLimit().kernels(kernelPoints([]).points)
    if let note = values.note, !report.notes.contains(note) { report.notes.append(note) }
    let trajectory = try kernelTrajectory(values, spectral: true)
    if let note = trajectory.note { report.notes.append(note) }
    let base = try kernelRegimeValues(trajectory)
    let (meanErrors, varianceErrors) = try values.propagatedErrors(base: base.map { ($0.value, $0.variance) })
    {
      (v: KernelValues) throws(RunFailure) in
      try kernelRegimeValues(kernelTrajectory(v, spectral: true)).map { ($0.value, $0.variance) }
    }
    for (i, var t) in base.enumerated() {
      t.error = meanErrors[i]
      t.varianceError = varianceErrors[i]
      report.trajectory.append(t)
    }
  }

  /// Every observed value of the kernel-regime dynamics `kt`.
  func kernelRegimeValues(_ kt: KernelTrajectory) throws(RunFailure) -> [TrajectoryValue] {
    var report = RunReport(program: "")
    let (index, train, labels, features, method) = (kt.index, kt.train, kt.labels, kt.features, kt.method)
    let training = network.training
    let lastStep = training?.steps ?? 0
    for stepMoments in kt.moments {
      let step = stepMoments.step
      let moments = stepMoments.means.map { (mean: $0, variance: stepMoments.variance) }
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
          if let loss = stepMoments.loss {
            report.trajectory.append(
              TrajectoryValue(observable: "loss", points: [], step: step, value: loss, method: method))
            continue
          }
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
        case .alignment(let v, let data):
          guard let f = features[v] else { throw .program("the model has no vector '\(v)'") }
          let examples = network.datasets[data] ?? []
          let idx = examples.map { index[$0.input]! }  // safe: observation points were added
          let rows = idx.map { i in idx.map { f[i, $0] } }
          let zeros = rows.map { $0.map { _ in 0.0 } }
          let a = FeatureAlignment.alignment(rows, errors: zeros, labels: examples.map(\.label))
          report.trajectory.append(
            TrajectoryValue(
              observable: "alignment", target: v, points: [], step: step, value: a?.value ?? .nan,
              method: method))
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
    return report.trajectory
  }
}
