import TPCore
import TPFinite
import TPLimit
import TPNumerics

extension TensorProgram {
  /// `tp check` in the kernel regime, where the limit's outputs are Gaussian (their randomness is
  /// the initialization's) and seed means alone say little. The limit is a linear map of the
  /// initial outputs, `f_t = A_t f₀ + b_t` on the training and observed points, so each finite
  /// network is compared with that map applied to *its own* `f₀`:
  ///
  ///     Δf_t(z) = f_t^{(n)}(z) − (A_t f₀^{(n)} + b_t)(z),
  ///
  /// which tends to 0 (the NTK's fluctuations are `O(n^{-1/2})`). Checked quantities are `Δf` at
  /// every observed point and step after 0, `Δloss` likewise, and movement and feature kernels
  /// against their deterministic limits (movement 0).
  func kernelRegimeRuns(
    widths: [Int], seeds: Int, baseSeed: UInt64, limit options: LimitOptions, budget: ResourceBudget,
    limitPerturbation: Double, include: (Int, Int) -> Bool
  ) throws(RunFailure) -> [CheckRuns.Run] {
    guard let network else { throw .program("the file declares no network") }
    let kt = try NetworkLimit(program: self, network: network, options: options).kernelTrajectory()
    var stateAt: [Int: [KernelDynamics.State]] = [:]
    for (step, states) in kt.states { if let step { stateAt[step] = states } }
    var runs: [CheckRuns.Run] = []
    for (w, width) in widths.enumerated() {
      for s in 0..<seeds where include(w, s) {
        ProgressMeter.shared.begin(
          "finite run", done: w * seeds + s, total: widths.count * seeds,
          detail: "width \(width), seed \(s + 1)")
        var run = CheckRuns.Run(index: w * seeds + s, values: [], names: [])
        let observations: [DirectObservation]
        do {
          observations = try DirectTrainer.run(
            checked,
            options: FiniteOptions(
              width: width, seed: Self.checkSeed(baseSeed, width: w, seed: s, seeds: seeds), budget: budget),
            initialPoints: kt.points)
        } catch {
          switch error {
          case .program(let e): throw .program(rendered(e))
          case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
          }
        }
        var f0 = [[Double]](repeating: [Double](repeating: 0, count: kt.points.count), count: kt.labels.count)
        for o in observations where o.observable == "initial" && o.output < f0.count {
          f0[o.output][kt.index[o.points[0]]!] = o.value  // safe: the probes are the kernel points
        }
        for o in observations where o.observable != "initial" {
          guard let (name, predicted) = prediction(o, f0: f0, stateAt: stateAt, kt) else { continue }
          run.names!.append(name)  // safe: set above
          run.values.append(o.value - predicted - limitPerturbation)
        }
        // The empirical kernels of the same network, compared with their own limits.
        do throws(DirectTrainingFailure) {
          let options = FiniteOptions(
            width: width, seed: Self.checkSeed(baseSeed, width: w, seed: s, seeds: seeds), budget: budget)
          let (kernels, posterior) = try finiteKernels(options, readoutAveraged: true)
          for (name, value, _) in kernelEntries(kernels, posterior: posterior) {
            run.names!.append(name)  // safe: set above
            run.values.append(value)
          }
        } catch {
          switch error {
          case .program(let e): throw .program(rendered(e))
          case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
          }
        }
        runs.append(run)
      }
    }
    return runs
  }

  /// The check's name for a finite observation and what the limit predicts for it given the
  /// same network's `f₀` (per output); nil for what is not checked (step 0 of `f`, whose Δ is 0
  /// by construction).
  func prediction(
    _ o: DirectObservation, f0: [[Double]], stateAt: [Int: [KernelDynamics.State]],
    _ kt: NetworkLimit.KernelTrajectory
  ) -> (String, Double)? {
    let label = Self.label(
      TrajectoryValue(
        observable: o.observable, target: o.target, points: o.points, output: o.output, step: o.step,
        value: o.value, method: .finite))
    guard let states = stateAt[o.step] else { return nil }
    /// Output `j` at point `z` as the limit's map of this network's `f₀`.
    func f(_ j: Int, _ z: Int) -> Double {
      var v = states[j].b[z]
      for i in 0..<f0[j].count { v += states[j].a[z, i] * f0[j][i] }
      return v
    }
    switch o.observable {
    case "loss":
      guard o.step > 0, !kt.train.isEmpty else { return nil }
      var total = 0.0
      for j in states.indices {
        for (c, z) in kt.train.enumerated() {
          total += 0.5 * (f(j, z) - kt.labels[j][c]) * (f(j, z) - kt.labels[j][c])
        }
      }
      return ("Δ" + label, total / Double(kt.train.count))
    case "movement": return (label, 0)
    case "kernel":
      guard let target = o.target, let m = kt.features[target], o.points.count == 2,
        let a = kt.index[o.points[0]], let b = kt.index[o.points[1]]
      else { return nil }
      return (label, m[a, b])
    default:
      guard o.step > 0, o.output < states.count, let z = kt.index[o.points[0]] else { return nil }
      return ("Δ" + label, f(o.output, z))
    }
  }
}
