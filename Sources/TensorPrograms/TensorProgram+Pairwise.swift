import TPCore
import TPLimit
import TPNetwork
import TPNumerics

extension NetworkLimit {
  /// NNGP, NTK and feature kernels on `points` by the model's ``PairwiseRecipe``: the kernel
  /// program is lowered at two of the points, reduced once to its per-pair Gaussian
  /// expectations, and evaluated for all pairs at once. Nil, with the reason in `note`, when the
  /// program has no such recipe (or the options ask for a particular method), so the caller
  /// runs the general interpreter.
  func pairwiseKernels(_ points: [[Double]], features wantsFeatures: Bool, note: inout String?)
    throws(RunFailure) -> KernelValues?
  {
    guard options.method == .auto, options.pairwiseKernels, let first = points.first else { return nil }
    guard points.allSatisfy({ $0.count == first.count }) else {
      note = "kernels run through the general interpreter: the points have different dimensions"
      return nil
    }
    let sample = [first, points.count > 1 ? points[1] : first]
    let kp: KernelProgram
    do {
      kp = try NetworkLowering.kernelProgram(program.checked, points: sample, scaling: kernelScaling)
    } catch {
      if case .program(let e) = error { throw .program(program.rendered(e)) }
      throw .numerical("\(error)")
    }
    func terms(_ ts: [KernelProgram.KernelTerm]?) -> [PairwiseRecipe.Output.Term] {
      (ts ?? []).map {
        PairwiseRecipe.Output.Term(
          coefficient: $0.dotScale ?? $0.coefficient, timesDot: $0.dotScale != nil, moments: $0.moments)
      }
    }
    let off = KernelProgram.PairKey(0, 1)
    let diag = KernelProgram.PairKey(0, 0)
    var outputs = [
      PairwiseRecipe.Output(offDiagonal: terms(kp.nngp[off]), diagonal: terms(kp.nngp[diag])),
      PairwiseRecipe.Output(offDiagonal: terms(kp.ntk[off]), diagonal: terms(kp.ntk[diag])),
    ]
    let featureNames = wantsFeatures ? kp.features.keys.sorted() : []
    for name in featureNames {
      func term(_ k: KernelProgram.PairKey) -> [PairwiseRecipe.Output.Term] {
        guard let s = kp.features[name]?[k] else { return [] }
        return [PairwiseRecipe.Output.Term(coefficient: 1, timesDot: false, moments: [s])]
      }
      outputs.append(PairwiseRecipe.Output(offDiagonal: term(off), diagonal: term(diag)))
    }
    let recipe: PairwiseRecipe
    do {
      recipe = try PairwiseRecipe.derive(program: kp.program, pointGroups: kp.pointGroups, outputs: outputs)
    } catch {
      note = "kernels run through the general interpreter (no pairwise recipe: \(error.description))"
      return nil
    }
    try Self.checkPairwiseCost(
      points: points.count, matrices: outputs.count, recipe: recipe, options: options)
    ProgressMeter.shared.begin("kernels", detail: "\(points.count) points, \(outputs.count) matrices")
    let entries = recipe.evaluate(points: points, threads: options.threads, series: options.mehlerSeries)
    var features: [String: Matrix] = [:]
    for (k, name) in featureNames.enumerated() { features[name] = entries[2 + k].values }
    let method: Method = entries.contains { $0.usedQuadrature } ? .quadrature : .exact
    return KernelValues(
      k: entries[0].values, theta: entries[1].values, kErrors: entries[0].errors,
      thetaErrors: entries[1].errors,
      features: features, method: method)
  }

  /// Refuses a pairwise evaluation whose matrices exceed the memory limit — `matrices` of `N²`
  /// doubles, twice that when some expectation needs quadrature (the entries' errors), plus one
  /// more for a cross-kernel's block — or whose work (per pair, 4 operations per register,
  /// `3 · 24² · 20` per quadrature and 512 per Mehler series) exceeds the work limit. The
  /// register cost is measured: a two-hidden-layer relu recipe (34 registers) takes 1.5 ns per
  /// register and pair on one core of this machine, 0.6 of ``Message/duration(_:)``'s
  /// operations; 4 leaves room for slower machines.
  static func checkPairwiseCost(points: Int, matrices: Int, recipe: PairwiseRecipe, options: LimitOptions)
    throws(RunFailure)
  {
    let entries = Saturating.product(points, points)
    let held = matrices * (recipe.isExact ? 1 : 2) + 1
    let bytes = Saturating.product(entries, Saturating.product(held, 8))
    let pairs = Saturating.product(points, points + 1) / 2
    let series = options.mehlerSeries ? recipe.seriesCount : 0
    let perPair =
      Saturating.product(recipe.ops.count, 4) + Saturating.product(recipe.quadratureCount - series, 34_560)
      + Saturating.product(series, 512)
    let work = Saturating.product(pairs, perPair)
    try NetworkLimit.refuseKernels(points: points, bytes: bytes, work: work, options: options)
  }
}

/// The NNGP and NTK Gram matrices of a model at a set of points, with each entry's estimated
/// absolute error.
public struct KernelMatrices: Sendable {
  /// `K(xᵢ, xⱼ)`.
  public var nngp: Matrix
  /// `Θ(xᵢ, xⱼ)`.
  public var ntk: Matrix
  /// The entries' estimated absolute errors; nil when every entry is exact (closed forms).
  public var nngpErrors: Matrix?
  public var ntkErrors: Matrix?
  /// How the least exact entry was computed.
  public var method: Method
  /// Why the general interpreter computed them, when it did (nil for the pairwise recipe).
  public var note: String?
}

extension TensorProgram {
  /// The model's NNGP `K` and NTK `Θ` (THEORY §6) at `points`, by its ``PairwiseRecipe`` when
  /// the kernel program has one (every MLP with elementwise nonlinearities and biases) and by
  /// the general interpreter otherwise — what `kernel f at …` reports, for points given in code.
  public func kernels(at points: [[Double]], options: LimitOptions = LimitOptions()) throws(RunFailure)
    -> KernelMatrices
  {
    guard let net = network else { throw .program("the file declares no network") }
    let values = try NetworkLimit(program: self, network: net, options: options).kernels(
      points, features: false)
    return KernelMatrices(
      nngp: values.k, ntk: values.theta, nngpErrors: values.kErrors, ntkErrors: values.thetaErrors,
      method: values.method, note: values.note)
  }
}
