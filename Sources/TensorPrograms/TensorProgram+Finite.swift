import Foundation
import TPFinite
import TPLimit
import TPNumerics

@_exported import enum TPFinite.FiniteExecutor
@_exported import struct TPFinite.FiniteOptions
@_exported import struct TPFinite.FiniteRun

extension TensorProgram {
  /// True for a file that declares a network and no core instructions.
  public var isNetwork: Bool { network != nil && core.instructions.isEmpty }

  /// The core program to execute at width `n`: the file's own, or the network lowered for `n`.
  func finiteProgram(width: Int) throws(RunFailure) -> (Program, [TrajectoryPoint]) {
    guard isNetwork else { return (core, []) }
    do {
      let lowered = try lowered(.finite(width: width))
      return (lowered.program, lowered.trajectory)
    } catch {
      throw failure(error, kernelRegime: .numerical("the network output at initialization does not converge"))
    }
  }

  /// What `tp run --width N` reports: outputs of a core program, the trajectory of a network.
  ///
  /// A network is trained by the direct finite-width trainer (real weights and back-propagation,
  /// THEORY §7); `lowered: true` executes the network's lowered core program instead (the same
  /// network at the same width and seed, for cross-checking the lowering).
  ///
  /// The run is refused (a numerical failure) when its estimated memory or arithmetic exceeds
  /// `budget`, before anything is allocated.
  public func runFinite(
    width: Int, seed: UInt64 = 0, lowered: Bool = false, budget: ResourceBudget = ResourceBudget()
  )
    throws(RunFailure) -> RunReport
  {
    if isNetwork && !lowered {
      var report = try trainDirectly(width: width, seed: seed, budget: budget, readoutAveraged: false)
      report.pointNames = network?.pointNames ?? [:]
      return report
    }
    let (program, trajectory) = try finiteProgram(width: width)
    let run: FiniteRun
    do {
      run = try FiniteExecutor.run(program, options: FiniteOptions(width: width, seed: seed, budget: budget))
    } catch {
      throw .numerical(error.rendered(in: unit.file))
    }
    var report = RunReport(program: unit.file.name, width: width)
    if trajectory.isEmpty {
      report.outputs = run.outputs
    } else {
      report.trajectory = trajectory.map { p in
        TrajectoryValue(
          observable: p.observable, target: p.target, points: p.points, output: p.output, step: p.step,
          value: run.scalars[p.scalar.raw], method: .finite)
      }
      report.trajectory = FeatureAlignment.fold(report.trajectory, datasets: network?.datasets ?? [:])
    }
    try validate(report)
    return report
  }

  /// A network trained by ``DirectTrainer`` at `width` from the weights drawn with `seed`.
  /// `readoutAveraged` reports the NNGP averaged over the readout weights (what `tp check`
  /// compares; ``EmpiricalKernels/readoutAveragedNNGP``) instead of `f(x) f(x′)`.
  func trainDirectly(width: Int, seed: UInt64, budget: ResourceBudget, readoutAveraged: Bool)
    throws(RunFailure) -> RunReport
  {
    let options = FiniteOptions(width: width, seed: seed, budget: budget)
    var observations: [DirectObservation] = []
    var kernels: [KernelMatrix] = []
    var posterior: [PosteriorValue] = []
    do throws(DirectTrainingFailure) {
      // The whole run (training and kernels) is refused at once when it is too large.
      _ = try DirectTrainer.estimate(checked, options: options)
      if let net = network, net.training != nil || !net.observations.isEmpty {
        observations = try DirectTrainer.run(checked, options: options)
      }
      (kernels, posterior) = try finiteKernels(options, readoutAveraged: readoutAveraged)
    } catch {
      switch error {
      case .program(let e): throw .program(rendered(e))
      case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
      }
    }
    var report = RunReport(program: unit.file.name, width: width)
    report.kernels = kernels
    report.posterior = posterior
    report.trajectory = observations.map { o in
      TrajectoryValue(
        observable: o.observable, target: o.target, points: o.points, output: o.output, step: o.step,
        value: o.value,
        method: .finite)
    }
    report.trajectory = FeatureAlignment.fold(report.trajectory, datasets: network?.datasets ?? [:])
    try validate(report)
    return report
  }

  /// The empirical NNGP and NTK matrices of every `kernel` statement of the network drawn with
  /// `options` (``DirectTrainer/kernels(_:options:points:)``: the `ntk` parametrization with the
  /// declared variances, as in the limit), each entry exact for this one network (errors 0;
  /// ``runFinite(width:seed:seeds:budget:)`` gives standard errors), and the posterior of every
  /// `posterior` statement: the NNGP posterior (as in the limit) of this network's NNGP averaged
  /// over its readout weights (``EmpiricalKernels/readoutAveragedNNGP``; `f(x) f(x′)` of one
  /// network has rank one per output, no kernel to condition on).
  func finiteKernels(_ options: FiniteOptions, readoutAveraged: Bool = false) throws(DirectTrainingFailure)
    -> (kernels: [KernelMatrix], posterior: [PosteriorValue])
  {
    let requests = network?.kernels ?? []
    guard !requests.isEmpty else { return ([], []) }
    let datasets = network?.datasets ?? [:]
    func pointsOf(_ req: KernelRequest) -> [[Double]] {
      (req.posteriorData.flatMap { datasets[$0] }?.map(\.input) ?? []) + req.points + (req.columnPoints ?? [])
    }
    // One network for all statements: the union of their points, in order.
    var points: [[Double]] = []
    var index: [[Double]: Int] = [:]
    for req in requests {
      for p in pointsOf(req) where index[p] == nil {
        index[p] = points.count
        points.append(p)
      }
    }
    let k = try DirectTrainer.kernels(checked, options: options, points: points)
    var kernels: [KernelMatrix] = []
    var posterior: [PosteriorValue] = []
    for req in requests {
      let pts = pointsOf(req)
      let idx = pts.map { index[$0] ?? 0 }
      // Cross-kernels (`kernel f on train, test`): rows at `points`, columns at `columnPoints`.
      let rowIdx = req.columnPoints == nil ? idx : req.points.map { index[$0] ?? 0 }
      let colIdx = req.columnPoints.map { $0.map { index[$0] ?? 0 } } ?? idx
      func rows(_ m: [[Double]]) -> [[Double]] { idx.map { i in idx.map { m[i][$0] } } }
      func block(_ m: [[Double]]) -> [[Double]] { rowIdx.map { i in colIdx.map { m[i][$0] } } }
      if let d = req.posteriorData, let data = datasets[d] {
        let averaged = rows(k.readoutAveragedNNGP)
        var m = Matrix(rows: pts.count, cols: pts.count, repeating: 0)
        for i in pts.indices { for j in pts.indices { m[i, j] = averaged[i][j] } }
        let train = Array(0..<data.count)
        let test = Array(data.count..<pts.count)
        let post = KernelDynamics.posterior(
          k: m, train: train, labels: data.map { $0.label.first ?? 0 }, noise: req.noise, test: test)
        for (i, z) in test.enumerated() {
          posterior.append(
            PosteriorValue(point: pts[z], mean: post[i].mean, variance: post[i].variance, method: .finite))
        }
        continue
      }
      var nngp = KernelMatrix(
        name: "nngp", points: req.points, matrix: block(readoutAveraged ? k.readoutAveragedNNGP : k.nngp),
        method: .finite)
      var ntk = KernelMatrix(name: "ntk", points: req.points, matrix: block(k.ntk), method: .finite)
      nngp.columnPoints = req.columnPoints
      ntk.columnPoints = req.columnPoints
      kernels += [nngp, ntk]
    }
    return (kernels, posterior)
  }

  /// `tp run --width N --seeds K`: the network at width `width` with seeds `seed … seed+K−1`,
  /// every trajectory value and kernel entry averaged over the `seeds` networks, its error the
  /// standard error of that mean. One seed is ``runFinite(width:seed:lowered:budget:)``.
  /// Several seeds need a network program; the runs together must stay within `budget.work`.
  public func runFinite(width: Int, seed: UInt64, seeds: Int, budget: ResourceBudget = ResourceBudget())
    throws(RunFailure) -> RunReport
  {
    guard seeds > 1 else { return try runFinite(width: width, seed: seed, budget: budget) }
    guard isNetwork else {
      throw .unsupported(
        "--seeds averages network runs (trajectories and kernels); this program has no network")
    }
    let one: ResourceEstimate
    do {
      one = try DirectTrainer.estimate(
        checked, options: FiniteOptions(width: width, seed: seed, budget: budget))
    } catch {
      switch error {
      case .program(let e): throw .program(rendered(e))
      case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
      }
    }
    let total = Saturating.product(seeds, one.multiplyAdds)
    guard total <= budget.work else {
      throw .numerical(
        "error: "
          + Message.workRefused(
            "\(seeds) runs at width \(width)", estimate: total, limit: budget.work,
            remedy: "use a smaller width or fewer seeds"))
    }
    var reports: [RunReport] = []
    for s in 0..<seeds {
      reports.append(try runFinite(width: width, seed: seed &+ UInt64(s), budget: budget))
    }
    var out = reports[0]
    func stats(_ values: [Double]) -> (Double, Double) {
      (Statistics.mean(values), Statistics.standardErrorOfMean(values))
    }
    for i in out.trajectory.indices {
      let (m, se) = stats(reports.map { $0.trajectory[i].value })
      out.trajectory[i].value = m
      out.trajectory[i].standardError = se
      out.trajectory[i].error = se
    }
    for i in out.posterior.indices {
      let (mean, meanSE) = stats(reports.map { $0.posterior[i].mean })
      let (variance, varianceSE) = stats(reports.map { $0.posterior[i].variance })
      out.posterior[i].mean = mean
      out.posterior[i].meanError = meanSE
      out.posterior[i].variance = variance
      out.posterior[i].varianceError = varianceSE
    }
    for i in out.kernels.indices {
      var errors = [Double](repeating: 0, count: out.kernels[i].values.count)
      for e in errors.indices {
        let (mean, se) = stats(reports.map { $0.kernels[i].values[e] })
        out.kernels[i].values[e] = mean
        errors[e] = se
      }
      out.kernels[i].errors = errors
    }
    return out
  }

  /// The check's name for entry `(a, b)` of a kernel matrix: `ntk f at (1, 0), (0.6, 0.8)`.
  static func kernelLabel(_ kernel: String, model: String, _ a: [Double], _ b: [Double]) -> String {
    func point(_ p: [Double]) -> String { "(" + p.map(Program.format).joined(separator: ", ") + ")" }
    return "\(kernel) \(model) at \(point(a)), \(point(b))"
  }

  /// Every entry on and above the diagonal of `kernels`, by ``kernelLabel(_:model:_:_:)``, and
  /// the mean and variance of every posterior value (`posterior mean f at (-0.5, 0.5)`), with
  /// their errors.
  func kernelEntries(_ kernels: [KernelMatrix], posterior: [PosteriorValue] = []) -> [(
    String, Double, Double
  )] {
    let model = network?.model?.name ?? "f"
    var out: [(String, Double, Double)] = []
    for p in posterior {
      let at = "(" + p.point.map(Program.format).joined(separator: ", ") + ")"
      out.append(("posterior mean \(model) at \(at)", p.mean, p.meanError))
      out.append(("posterior variance \(model) at \(at)", p.variance, p.varianceError))
    }
    for k in kernels {
      // Gram matrices on and above the diagonal; cross-kernels every entry.
      let columns = k.columnPoints ?? k.points
      for a in k.points.indices {
        for b in (k.columnPoints == nil ? a : 0)..<columns.count {
          out.append(
            (Self.kernelLabel(k.name, model: model, k.points[a], columns[b]), k.value(a, b), k.error(a, b))
          )
        }
      }
    }
    return out
  }
}
