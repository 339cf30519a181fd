import Foundation
import TPCore
import TPFinite
import TPNumerics

extension TensorProgram {
  /// The widths `tp coordcheck` uses when none are given.
  public static let defaultCoordCheckWidths = [256, 512, 1024, 2048, 4096]

  /// The inputs a coord check measures at: the training inputs, else the observed points, else
  /// the kernel points; nil when the program names none.
  public var coordCheckProbes: [[Double]]? {
    guard let net = network else { return nil }
    var out: [[Double]] = []
    func add(_ p: [Double]) { if !out.contains(p) { out.append(p) } }
    if let t = net.training { (net.datasets[t.data] ?? []).forEach { add($0.input) } }
    if out.isEmpty { net.observations.forEach { $0.points.forEach(add) } }
    if out.isEmpty { net.kernels.forEach { $0.points.forEach(add) } }
    return out.isEmpty ? nil : out
  }

  /// μP's coord check (Yang et al., *Tensor Programs V*, 2022, and microsoft/mup): trains the
  /// network with the direct trainer at each width over `seeds` seeds and measures, per step
  /// and per vector of the model body (and the output), the RMS coordinate size and the RMS
  /// change since initialization at ``coordCheckProbes``, averaged over the seeds; fits the
  /// log–log slope against the width with its standard error and sets the slope
  /// ``CoordinateExponents`` predicts beside it.
  ///
  /// A quantity *grows* when its slope exceeds `tolerance` by more than `z` standard errors,
  /// `z` the one-sided normal quantile at a family-wise level of 1 % over the quantities with a
  /// slope (Bonferroni). A run whose training diverges is reported in
  /// ``CoordCheckReport/failures`` and its width left out of the later steps. Refused before
  /// anything runs (a numerical failure) when all runs together exceed `budget.work` or one
  /// exceeds `budget.memory`.
  public func coordCheck(
    widths: [Int], seeds: Int, baseSeed: UInt64 = 0, tolerance: Double = 0.15,
    budget: ResourceBudget = ResourceBudget()
  ) throws(RunFailure) -> CoordCheckReport {
    guard isNetwork, let net = network, net.model != nil else {
      throw .unsupported("tp coordcheck needs a network program (a 'model' with its layers)")
    }
    guard let probes = coordCheckProbes else {
      throw .unsupported(
        "tp coordcheck needs inputs to measure at: a 'train' data set, 'observe … at' points or 'kernel … at' points"
      )
    }
    if net.training != nil, net.training?.steps == nil {
      throw .unsupported(
        "tp coordcheck trains at finite widths; 'steps: inf' has no finite-width counterpart")
    }
    try checkBudget(widths: widths, seeds: seeds, budget: budget)
    let exponents: CoordinateExponents
    do {
      exponents = try CoordinateExponents.predict(checked)
    } catch {
      throw .program(rendered(error))
    }
    let (resolved, classification) = try self.classification()
    // traces[w][s]
    var traces: [[CoordinateTrace]] = []
    var failures: [String] = []
    for (w, width) in widths.enumerated() {
      var row: [CoordinateTrace] = []
      for s in 0..<seeds {
        ProgressMeter.shared.begin(
          "finite run", done: w * seeds + s, total: widths.count * seeds,
          detail: "width \(width), seed \(s + 1)")
        let seed = Self.checkSeed(baseSeed, width: w, seed: s, seeds: seeds)
        let trace: CoordinateTrace
        do {
          trace = try DirectTrainer.coordinates(
            checked, options: FiniteOptions(width: width, seed: seed, budget: budget), probes: probes)
        } catch {
          switch error {
          case .program(let e): throw .program(rendered(e))
          case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
          }
        }
        if let f = trace.failure {
          // The trainer's message names the step, the width and the seed.
          failures.append(f.contains("width \(width)") ? f : "width \(width), seed \(seed): \(f)")
        }
        row.append(trace)
      }
      traces.append(row)
    }
    let names = traces.first?.first?.names ?? exponents.names
    let steps = (traces.flatMap { $0 }.map { $0.steps.last ?? 0 }.max() ?? 0)
    var quantities: [CoordCheckReport.Quantity] = []
    for t in 0...steps {
      for kind in [CoordCheckReport.Quantity.Kind.size, .change] where !(kind == .change && t == 0) {
        for (v, name) in names.enumerated() {
          var perWidth: [CoordCheckReport.Quantity.Width] = []
          for (w, width) in widths.enumerated() {
            let values = traces[w].compactMap { trace -> Double? in
              guard let i = trace.steps.firstIndex(of: t) else { return nil }
              let x = kind == .size ? trace.size[i][v] : trace.change[i][v]
              return x.isFinite ? x : nil
            }
            guard values.count == traces[w].count, !values.isEmpty else { continue }
            perWidth.append(
              .init(
                width: width, mean: Statistics.mean(values),
                standardError: Statistics.standardErrorOfMean(values),
                seeds: values.count))
          }
          let fit = Self.logLogSlope(perWidth)
          let expected =
            v < exponents.names.count
            ? (kind == .size ? exponents.size(v, step: t) : exponents.change(v, step: t)) : nil
          quantities.append(
            .init(
              vector: name, kind: kind, step: t, widths: perWidth, slope: fit?.slope, slopeError: fit?.error,
              expected: expected, grows: false))
        }
      }
    }
    let tested = quantities.filter { $0.slope != nil }.count
    let alpha = 0.01 / Double(max(1, tested))
    let z = StandardNormal.quantile(1 - alpha)
    for i in quantities.indices {
      guard let slope = quantities[i].slope, let se = quantities[i].slopeError else { continue }
      quantities[i].grows = slope - tolerance > z * se
    }
    return CoordCheckReport(
      program: unit.file.name, parametrization: resolved.name, regime: classification.regime.rawValue,
      widths: widths, seeds: seeds, probes: probes, tolerance: tolerance, critical: z,
      quantities: quantities, failures: failures)
  }

  /// The weighted least-squares slope of `log mean` against `log n` (weights from the seed
  /// means' relative errors, `SE(log m) ≈ SE(m)/m`) and its standard error, multiplied by
  /// `√(χ²/(k−2))` when the scatter about the line exceeds the errors; nil with fewer than two
  /// widths or a mean that is not positive. Means without spread get the smallest positive
  /// relative error of the others (or 10⁻¹²).
  static func logLogSlope(_ widths: [CoordCheckReport.Quantity.Width]) -> (slope: Double, error: Double)? {
    guard widths.count >= 2, widths.allSatisfy({ $0.mean > 0 && $0.mean.isFinite }) else { return nil }
    let x = widths.map { log(Double($0.width)) }
    let y = widths.map { log($0.mean) }
    var rel = widths.map { $0.standardError / $0.mean }
    let floor = rel.filter { $0 > 0 && $0.isFinite }.min() ?? 1e-12
    rel = rel.map { $0 > 0 && $0.isFinite ? $0 : floor }
    let weights = rel.map { 1 / ($0 * $0) }
    let sw = weights.reduce(0, +)
    let mx = zip(weights, x).reduce(0) { $0 + $1.0 * $1.1 } / sw
    let my = zip(weights, y).reduce(0) { $0 + $1.0 * $1.1 } / sw
    var sxx = 0.0
    var sxy = 0.0
    for i in x.indices {
      sxx += weights[i] * (x[i] - mx) * (x[i] - mx)
      sxy += weights[i] * (x[i] - mx) * (y[i] - my)
    }
    guard sxx > 0 else { return nil }
    let slope = sxy / sxx
    var se = (1 / sxx).squareRoot()
    if x.count > 2 {
      var chi2 = 0.0
      for i in x.indices {
        let r = y[i] - my - slope * (x[i] - mx)
        chi2 += weights[i] * r * r
      }
      let birge = chi2 / Double(x.count - 2)
      if birge > 1 { se *= birge.squareRoot() }
    }
    return (slope, se)
  }
}
