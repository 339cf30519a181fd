import TPLimit
import TPNumerics

@_exported import enum TPLimit.DerivativeRule
@_exported import enum TPLimit.ExpectationMethod
@_exported import enum TPLimit.LimitInterpreter
@_exported import struct TPLimit.LimitOptions
@_exported import struct TPLimit.LimitResult
@_exported import class TPLimit.ReplicateLedger
@_exported import enum TPLimit.Sampler

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
  /// A network program has no core instructions until it is lowered: it throws, naming
  /// ``runLimit(_:)``, instead of returning an empty result.
  public func limit(_ options: LimitOptions = LimitOptions()) throws(NumericalError) -> LimitResult {
    if isNetwork, core.instructions.isEmpty {
      throw NumericalError(
        "this is a network program: call runLimit(_:), which lowers the network and its training first")
    }
    return try LimitInterpreter.run(core, options: options)
  }

  /// Everything `tp run` reports in the limit, for core and network programs alike.
  ///
  /// With a `ledger`, every limit computation records one replicate or replays recorded ones
  /// (``ReplicateLedger``; sharded runs, docs/scaling.md).
  public func runLimit(_ options: LimitOptions = LimitOptions(), ledger: ReplicateLedger? = nil)
    throws(RunFailure)
    -> RunReport
  {
    let name = unit.file.name
    guard let net = network, core.instructions.isEmpty else {
      let r: LimitResult
      do {
        r = try LimitInterpreter.run(core, options: options, ledger: ledger)
      } catch {
        throw .numerical(error.rendered(in: unit.file))
      }
      var report = RunReport(program: name, outputs: r.outputs, notes: methodNote(r))
      report.densities = r.densities
      report.verboseNotes = verboseNote(r)
      try validate(report)
      return report
    }
    var report = try NetworkLimit(program: self, network: net, options: options, ledger: ledger).run()
    report.pointNames = net.pointNames
    try validate(report)
    return report
  }

  /// The node cache's statistics of a limit computation, for `--verbose`.
  func verboseNote(_ r: LimitResult) -> [String] {
    guard let c = r.cacheStatistics else { return [] }
    let mib = Double(c.capacity * c.points * 8) / Double(1 << 20)
    func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
    return [
      "node cache (\(r.replicates) replicate\(r.replicates == 1 ? "" : "s") of \(c.points) particles): "
        + "\(c.requests) requests, hit rate \(percent(c.hitRate)); \(c.computations) node buffers computed, "
        + "\(c.recomputations) of them recomputed after eviction; \(c.evictions) evicted; "
        + "at most \(c.peakNodes) held, capacity \(c.capacity) (\(String(format: "%.0f", mib)) MiB)"
    ]
  }

  func methodNote(_ r: LimitResult) -> [String] {
    let parts = Integrator.allCases.compactMap { i in
      r.integratorCounts[i].map { "\($0) \(i.rawValue)" }
    }
    var notes = parts.isEmpty ? [] : ["expectations: " + parts.joined(separator: ", ")]
    if r.replicates > 1 && r.errorFromReplicateSpread {
      let sets =
        switch r.sampler {
        case .rqmc: "independently shifted lattices"
        case .antithetic: "independent antithetic particle sets"
        default: "independently shifted antithetic lattices"
        }
      notes.append(
        "± is the estimated error: the spread of \(r.replicates) \(sets) / √\(r.replicates), which includes error inherited through Ż coefficients and earlier moments"
      )
    } else if r.replicates > 1 {
      notes.append(
        "± is the estimated error: for Monte Carlo, max(spread, sampling error) of \(r.replicates) independent replicates / √\(r.replicates), which includes error inherited through Ż coefficients and earlier moments"
      )
    } else if r.integratorCounts[.monteCarlo, default: 0] > 0 {
      notes.append(
        "± is each Monte Carlo average's own sampling error; error inherited through Ż coefficients and earlier moments is not in it (--replicates R measures it)"
      )
    }
    notes += r.warnings.map { "warning: " + $0 }
    return notes
  }
}

extension TensorProgram {
  /// The network's parametrization resolved to exponents, and its regime.
  public func classification() throws(RunFailure) -> (ResolvedParametrization, Classification) {
    guard let net = network else { throw .program("the file declares no network") }
    do {
      let resolved = try ResolvedParametrization.resolve(net.parametrization, layers: net.layers)
      return (resolved, Classification.classify(resolved, layers: net.layers))
    } catch {
      throw .program(error.message)
    }
  }

  /// The failure of a run whose parametrization is unstable (a quantity grows with the width).
  public static func unstable(_ p: ResolvedParametrization, _ c: Classification) -> RunFailure {
    .numerical("the \(p.name) parametrization is unstable: \(c.instability ?? "a quantity grows with n")")
  }

  /// The NNGP/NTK program of a network at every point it mentions (training inputs, observed
  /// points, kernel and posterior points): what the kernel regime and `kernel` statements
  /// evaluate, for `tp explain`.
  public func kernelProgram() throws(RunFailure) -> KernelProgram {
    guard let net = network else { throw .program("the file declares no network") }
    let extra = net.kernels.flatMap { req in
      (req.posteriorData.flatMap { net.datasets[$0] }?.map(\.input) ?? []) + req.points
    }
    let points = NetworkLimit(program: self, network: net, options: LimitOptions()).kernelPoints(extra).points
    do {
      return try NetworkLowering.kernelProgram(checked, points: points)
    } catch {
      if case .program(let e) = error { throw .program(rendered(e)) }
      throw .numerical("\(error)")
    }
  }
}

/// The limit of a network program: unrolled SGD in the feature-learning regime, kernel dynamics
/// in the kernel regime, and NNGP/NTK matrices on request.
struct NetworkLimit {
  let program: TensorProgram
  let network: NetworkSpec
  let options: LimitOptions
  /// Whether a failed feature-learning run looks for an earlier divergence (off in that search).
  var searchesForDivergence = true
  /// Records or replays the replicates of every limit computed (sharded runs).
  var ledger: ReplicateLedger? = nil
  /// The training kernels of a kernel-regime parametrization other than `ntk` (nil: the `ntk`
  /// parametrization's kernels, which `kernel` and `posterior` report).
  var kernelScaling: KernelScaling? = nil

  func run() throws(RunFailure) -> RunReport {
    let name = program.unit.file.name
    var report = RunReport(program: name)
    // A file of `hermite` statements alone declares no network to classify.
    if network.model == nil, network.training == nil, network.observations.isEmpty, network.kernels.isEmpty {
      try kernelAnalyses(&report)
      return report
    }
    let (resolved, cls) = try program.classification()
    report.regime = RegimeSummary(name: cls.regime.rawValue, r: cls.r.doubleValue, rText: cls.r.description)
    if network.training != nil || !network.observations.isEmpty {
      switch cls.regime {
      case .unstable:
        throw TensorProgram.unstable(resolved, cls)
      case .kernel:
        try kernelRegime(&report)
      case .featureLearning, .trivial:
        try featureLearning(&report)
      }
    }
    if network.kernels.contains(where: { _ in true }) { try kernelRequests(&report) }
    if !network.analyses.isEmpty { try kernelAnalyses(&report) }
    return report
  }

  func featureLearning(_ report: inout RunReport) throws(RunFailure) {
    if options.method == .auto || options.method == .exact, try linearNetwork(&report) { return }
    let lowered: LoweredNetwork
    do {
      lowered = try program.lowered(.limit)
    } catch {
      throw program.failure(
        error,
        kernelRegime: .unsupported(
          "the output at initialization does not vanish; this parametrization is in the kernel regime"))
    }
    // Observations of one observable at nearby steps inherit alike: their replicate spreads
    // are pooled (LimitResult.combining), nearest steps first.
    var byFamily: [String: [(step: Int, scalar: Int)]] = [:]
    for p in lowered.trajectory {
      byFamily["\(p.observable) \(p.target ?? "")", default: []].append((p.step, p.scalar.raw))
    }
    let pools = ReplicatePools(families: Array(byFamily.values))
    let result: LimitResult
    do {
      result = try LimitInterpreter.run(lowered.program, options: options, pools: pools, ledger: ledger)
    } catch {
      // A failure late in training is usually the symptom of a loss that exploded earlier:
      // report the divergence where it started when a shorter schedule shows it.
      if searchesForDivergence, let diverged = divergenceBefore() { throw diverged }
      throw .numerical(error.rendered(in: program.unit.file))
    }
    for p in lowered.trajectory {
      let est = result.scalars[p.scalar.raw]
      report.trajectory.append(
        TrajectoryValue(
          observable: p.observable, target: p.target, points: p.points, output: p.output, step: p.step,
          value: est.value, standardError: est.standardError, error: est.error, method: est.method))
    }
    report.trajectory = FeatureAlignment.fold(report.trajectory, datasets: network.datasets)
    if report.trajectory.contains(where: { $0.observable == "alignment" && $0.method == .mc }) {
      // Each replicate evaluates the ratio on its own particles, so all share its O(1/samples)
      // bias, which their spread cannot show (measured in docs/kernel-science.md).
      report.notes.append(
        "the Monte Carlo alignment is a ratio of moments per replicate: its bias of order 1/samples"
          + " (3–5 % at 8192 samples in examples/alignment_mup.tp) is not in ±; raise --samples"
          + " (65536 removed it there)")
    }
    report.notes += program.methodNote(result)
    report.verboseNotes += program.verboseNote(result)
    if !lowered.dropped.isEmpty {
      report.notes.append("terms vanishing in the limit: \(lowered.dropped.count)")
    }
  }

  /// The exact limit of a linear network by coefficient vectors (``LinearNetworkLimit``), when
  /// the model is linear; false (nothing reported) otherwise.
  func linearNetwork(_ report: inout RunReport) throws(RunFailure) -> Bool {
    let linear: LinearNetworkLimit
    do {
      guard let l = try NetworkLowering.linearLimit(program.checked) else { return false }
      linear = l
    } catch {
      throw program.failure(
        error,
        kernelRegime: .unsupported(
          "the output at initialization does not vanish; this parametrization is in the kernel regime"))
    }
    report.trajectory = linear.trajectory
    report.notes.append(
      "linear network: exact limit on coefficient vectors over \(linear.bases) base vectors (THEORY §8, Yang & Hu 2021)"
    )
    if !linear.dropped.isEmpty {
      report.notes.append("terms vanishing in the limit: \(linear.dropped.count)")
    }
    return true
  }

  /// The divergence error of the first schedule of 1, 2, 4, … steps (shorter than the
  /// program's) whose loss trajectory grows past the divergence bound, or nil when none does
  /// (or a shorter run fails too). Costs at most about twice the failed run.
  func divergenceBefore() -> RunFailure? {
    guard let training = network.training, let steps = training.steps, steps > 1 else { return nil }
    var shorter = 1
    while shorter < steps {
      var checked = program.checked
      checked.network?.training?.steps = shorter
      let copy = TensorProgram(unit: program.unit, checked: checked)
      guard let net = checked.network else { return nil }
      var report = RunReport(program: program.unit.file.name)
      do {
        try NetworkLimit(program: copy, network: net, options: options, searchesForDivergence: false)
          .featureLearning(&report)
      } catch {
        return nil
      }
      do {
        try copy.validate(report)
      } catch {
        return error
      }
      shorter *= 2
    }
    return nil
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
  /// With `features: false` the pairwise recipe leaves out the feature kernels `E[x(p) x(q)]` of
  /// the model's vectors (two `N²` matrices per vector, values and errors), which only
  /// kernel-regime training's `observe kernel` reads.
  func kernels(_ points: [[Double]], features wantsFeatures: Bool = true) throws(RunFailure) -> KernelValues {
    var note: String?
    if let fast = try pairwiseKernels(points, features: wantsFeatures, note: &note) { return fast }
    try Self.checkKernelCost(points: points.count, network: network, options: options)
    let kp: KernelProgram
    do {
      kp = try NetworkLowering.kernelProgram(program.checked, points: points, scaling: kernelScaling)
    } catch {
      if case .program(let e) = error { throw .program(program.rendered(e)) }
      throw .numerical("\(error)")
    }
    let result: LimitResult
    do {
      result = try LimitInterpreter.run(kp.program, options: options, ledger: ledger)
    } catch {
      throw .numerical(error.rendered(in: program.unit.file))
    }
    let m = points.count
    /// Σ coefficient · ∏ moments per entry, and its error by first-order propagation of the
    /// moments' errors (`Σ_i (c ∏_{j≠i} θ_j err_i)²`, summed over terms in quadrature).
    func assemble(_ terms: [KernelProgram.PairKey: [KernelProgram.KernelTerm]]) -> (Matrix, Matrix) {
      var out = Matrix(rows: m, cols: m, repeating: 0)
      var errors = Matrix(rows: m, cols: m, repeating: 0)
      for (key, ts) in terms {
        var v = 0.0
        var e2 = 0.0
        for t in ts {
          let values = t.moments.map { result.scalars[$0.raw] }
          v += t.coefficient * values.reduce(1.0) { $0 * $1.value }
          for (i, est) in values.enumerated() where est.error > 0 {
            let others = values.enumerated().reduce(t.coefficient) {
              $1.offset == i ? $0 : $0 * $1.element.value
            }
            e2 += (others * est.error) * (others * est.error)
          }
        }
        out[key.p, key.q] = v
        out[key.q, key.p] = v
        errors[key.p, key.q] = e2.squareRoot()
        errors[key.q, key.p] = e2.squareRoot()
      }
      return (out, errors)
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
    let (k, kErrors) = assemble(kp.nngp)
    let (theta, thetaErrors) = assemble(kp.ntk)
    return KernelValues(
      k: k, theta: theta, kErrors: kErrors, thetaErrors: thetaErrors, features: features, method: method,
      note: note)
  }

  /// Refuses kernels on `points` points whose estimated cost exceeds the options' limits,
  /// before the kernel program is built. The kernel program has a forward and backward pass per
  /// point and a few moments per pair and weight; measured on this machine for a two-hidden-layer
  /// ReLU MLP (3 weights) on 512 points of R¹⁶: 44 s and 470 MB, about 0.33 ms and 3.7 KB per
  /// pair, i.e. per pair and weight about 4.4·10⁴ operations (at the 4·10⁸ per second of the
  /// finite estimates) and 1.25 KB.
  static func checkKernelCost(points: Int, network: NetworkSpec, options: LimitOptions) throws(RunFailure) {
    let pairs = Saturating.product(points, points + 1) / 2
    let weights = max(1, network.layers.count + network.biases.count)
    let perPair = Saturating.product(weights, 44_000)
    let work = Saturating.product(pairs, perPair)
    let bytes = Saturating.product(pairs, Saturating.product(weights, 1_250))
    try refuseKernels(points: points, bytes: bytes, work: work, options: options)
  }

  /// Refuses (a numerical failure naming the estimate and the option that raises the limit)
  /// kernels at `points` points whose estimated `bytes` or arithmetic `work` exceed `options`' limits.
  static func refuseKernels(points: Int, bytes: Int, work: Int, options: LimitOptions) throws(RunFailure) {
    let pairs = Saturating.product(points, points + 1) / 2
    let what = "the kernels at \(points) points (\(pairs) pairs)"
    if bytes > options.memoryLimit {
      throw .numerical(
        "\(what) need an estimated \(Message.bytes(bytes)) of memory, more than the limit of"
          + " \(Message.bytes(options.memoryLimit)); use fewer points (or raise --max-memory)")
    }
    if work > options.workLimit {
      throw .numerical(
        "\(what) need an estimated \(Message.count(work)) arithmetic operations, more than the limit of"
          + " \(Message.count(options.workLimit)) (\(Message.duration(work))"
          + " here); use fewer points (or raise --max-work)")
    }
  }

  /// NNGP and NTK on a point set with their entries' errors, and feature kernels.
  struct KernelValues {
    var k: Matrix
    var theta: Matrix
    /// The entries' estimated absolute errors; nil when every entry is exact.
    var kErrors: Matrix?
    var thetaErrors: Matrix?
    var features: [String: Matrix]
    var method: Method
    /// Why the general interpreter computed these (no pairwise recipe), for the report's notes.
    var note: String? = nil

    /// The errors of numbers computed from the kernels by `f`, each returning pairs (e.g. a
    /// mean and a variance), propagated from the entries' errors: `f` is evaluated on 8
    /// perturbed kernels `K + δK`, `Θ + δΘ` with symmetric `δ_ij = err_ij z_ij`,
    /// `z_ij ~ N(0, 1)` from a fixed stream, and the error of each number is the RMS of its
    /// changes — the first-order error of independent entry errors, to about ±25 %. All zeros,
    /// without evaluating `f` again, when every entry is exact.
    /// Whether every entry of both kernels is exact.
    var isExact: Bool {
      (kErrors?.elements.allSatisfy { $0 == 0 } ?? true)
        && (thetaErrors?.elements.allSatisfy { $0 == 0 } ?? true)
    }

    func propagatedErrors<E: Error>(
      draws requested: Int? = nil, base given: [(Double, Double)]? = nil,
      _ f: (KernelValues) throws(E) -> [(Double, Double)]
    ) throws(E) -> (
      [Double], [Double]
    ) {
      let base: [(Double, Double)]
      if let given { base = given } else { base = try f(self) }
      if isExact { return (base.map { _ in 0 }, base.map { _ in 0 }) }
      let n = k.rows
      let kErrors = self.kErrors ?? Matrix(rows: n, cols: n)
      let thetaErrors = self.thetaErrors ?? Matrix(rows: n, cols: n)
      // The RMS over d draws has relative spread ≈ 1/√(2d): 32 draws (±12 %) where the
      // dynamics are cheap, 8 (±25 %) on large point sets, where each draw is an N³ solve.
      let draws = requested ?? (n <= 128 ? 32 : 8)
      var first = [Double](repeating: 0, count: base.count)
      var second = [Double](repeating: 0, count: base.count)
      for d in 0..<draws {
        let z = GaussianFill.gaussians(count: 2 * n * n, seed: 0x6b65_726e, stream: UInt64(d))
        var v = self
        for i in 0..<n {
          for j in 0...i {
            let dk = kErrors[i, j] * z[i * n + j]
            let dt = thetaErrors[i, j] * z[n * n + i * n + j]
            v.k[i, j] += dk
            v.theta[i, j] += dt
            if i != j {
              v.k[j, i] += dk
              v.theta[j, i] += dt
            }
          }
        }
        let changed = try f(v)
        for i in base.indices {
          first[i] += (changed[i].0 - base[i].0) * (changed[i].0 - base[i].0)
          second[i] += (changed[i].1 - base[i].1) * (changed[i].1 - base[i].1)
        }
      }
      return (
        first.map { ($0 / Double(draws)).squareRoot() }, second.map { ($0 / Double(draws)).squareRoot() }
      )
    }
  }

  /// Said once when `kernel`/`posterior` report kernels of another parametrization than the
  /// program's: they are always those of the `ntk` parametrization with the declared `var`s
  /// (LANGUAGE.md, network statements).
  var kernelParametrizationNote: String? {
    let which: String
    switch network.parametrization {
    case .preset("ntk"): return nil
    case .preset("mup"):
      return
        "the NNGP and NTK reported are those of the ntk parametrization with the declared vars; under this program's mup parametrization the output at initialization vanishes in the limit (its NNGP is 0) and training learns features instead of following a fixed kernel"
    case .preset(let name): which = name
    case .abc: which = "abc"
    }
    return
      "the NNGP and NTK reported are those of the ntk parametrization with the declared vars, not of this program's \(which) parametrization"
  }

  func kernelRequests(_ report: inout RunReport) throws(RunFailure) {
    if !network.kernels.isEmpty, let note = kernelParametrizationNote { report.notes.append(note) }
    for req in network.kernels {
      var pts = req.points + (req.columnPoints ?? [])
      var trainIdx: [Int] = []
      var labels: [Double] = []
      if let d = req.posteriorData, let data = network.datasets[d] {
        pts = data.map(\.input) + req.points
        trainIdx = Array(0..<data.count)
        labels = data.map { $0.label.first ?? 0 }
      }
      var values = try kernels(pts, features: false)
      if let note = values.note, !report.notes.contains(note) { report.notes.append(note) }
      let method = values.method
      if method == .mc {
        report.notes.append(
          "kernel entries at \(pts.count) points use Monte Carlo (\(options.samples) particles): expect errors of order 1/√\(options.samples)"
        )
      }
      if req.posteriorData == nil {
        // Gram matrices on the points, or the cross-kernels rows × columns.
        let r = req.points.count
        let columns = req.columnPoints == nil ? 0..<r : r..<pts.count
        // The Gram matrix on all the points is kept as it is (no copy); a cross-kernel is the
        // rows × columns block. Each matrix is released as soon as it is in the report.
        func take(_ m: inout Matrix?) -> [Double]? {
          guard let matrix = m else { return nil }
          m = nil
          if columns == 0..<matrix.cols && r == matrix.rows { return matrix.elements }
          return matrix.elements.withUnsafeBufferPointer { e in
            (0..<r).flatMap { i in
              e[(i * matrix.cols + columns.lowerBound)..<(i * matrix.cols + columns.upperBound)]
            }
          }
        }
        var k: Matrix? = values.k
        var theta: Matrix? = values.theta
        values.k = Matrix(rows: 0, cols: 0)
        values.theta = Matrix(rows: 0, cols: 0)
        var nngp = KernelMatrix(
          name: "nngp", points: req.points, columnCount: columns.count, values: take(&k) ?? [],
          errors: take(&values.kErrors), method: method)
        var ntk = KernelMatrix(
          name: "ntk", points: req.points, columnCount: columns.count, values: take(&theta) ?? [],
          errors: take(&values.thetaErrors), method: method)
        nngp.columnPoints = req.columnPoints
        ntk.columnPoints = req.columnPoints
        report.kernels += [nngp, ntk]
      } else {
        let test = Array(trainIdx.count..<pts.count)
        let noise = req.noise
        var diagnostic: String?
        func posterior(_ v: KernelValues) -> [(Double, Double)] {
          let r = KernelDynamics.factoredPosterior(
            k: v.k, train: trainIdx, labels: labels, noise: noise, test: test, threads: options.threads)
          if diagnostic == nil { diagnostic = r.diagnostic }
          return r.values.map { ($0.mean, $0.variance) }
        }
        let post = posterior(values)
        if let diagnostic, !report.notes.contains(diagnostic) { report.notes.append(diagnostic) }
        let (meanErrors, varianceErrors) = values.propagatedErrors(base: post, posterior)
        for (i, z) in test.enumerated() {
          report.posterior.append(
            PosteriorValue(
              point: pts[z], mean: post[i].0, variance: post[i].1, meanError: meanErrors[i],
              varianceError: varianceErrors[i], method: method))
        }
      }
    }
  }
}
