import Foundation
import TPCore

extension TextReport {
  /// Everything `tp run` prints: the regime, output tables, the trajectory (one row per step,
  /// one column per observed point), kernel matrices and posterior values.
  public static func run(_ report: RunReport) -> String {
    var sections: [String] = []
    if let regime = report.regime { sections.append("regime: \(regime.name) (r = \(regime.rText))") }
    if let w = report.width { sections.append("width: \(w)") }
    if !report.outputs.isEmpty { sections.append(outputs(report.outputs)) }
    let names = report.pointNames
    if !report.trajectory.isEmpty { sections.append(trajectory(report.trajectory, names: names)) }
    for k in report.kernels {
      // A cross-kernel heads its columns q0, q1, … (its column points are in the JSON).
      let header =
        [k.name] + (k.columnPoints ?? k.points).indices.map { k.columnPoints == nil ? "p\($0)" : "q\($0)" }
      let rows = (0..<k.rowCount).map { i in
        ["p\(i) \(point(k.points[i], names: names))"]
          + (0..<k.columnCount).map { j in estimate(k.value(i, j), k.error(i, j), k.method) }
      }
      sections.append(table(header: header, rows: rows))
    }
    if !report.posterior.isEmpty {
      let rows = report.posterior.map {
        [
          point($0.point, names: names), estimate($0.mean, $0.meanError, $0.method),
          estimate($0.variance, $0.varianceError, $0.method),
        ]
      }
      sections.append(table(header: ["posterior at", "mean", "variance"], rows: rows))
    }
    sections += kernelAnalyses(report)
    return sections.joined(separator: "\n\n")
  }

  /// The kernel-analysis sections: alignment, eigenstructure, eigenlearning and Hermite tables.
  /// Long lists show their first ``shownModes`` entries (JSON has them all).
  public static func kernelAnalyses(_ report: RunReport) -> [String] {
    var sections: [String] = []
    if !report.alignments.isEmpty {
      let rows = report.alignments.map {
        ["\($0.kernel) on \($0.data)", estimate($0.value, $0.error, $0.method), $0.method.rawValue]
      }
      sections.append(table(header: ["alignment", "A(K, y)", "method"], rows: rows))
    }
    for e in report.eigen {
      let shown = min(e.eigenvalues.count, shownModes)
      let rows = (0..<shown).map { i in
        [
          String(i), estimate(e.eigenvalues[i], e.eigenvalueErrors[i], e.method),
          estimate(e.targetCoefficients[i], e.targetCoefficientErrors[i], e.method),
          number(e.cumulativePower[i]),
        ]
      }
      var text = table(
        header: ["eigen \(e.kernel) on \(e.data) (M = \(e.points))", "λᵢ of K/M", "vᵢ", "power ≤ i"],
        rows: rows)
      if e.eigenvalues.count > shown {
        text += "\n… \(e.eigenvalues.count - shown) more modes (--json lists all)"
      }
      text +=
        "\ntr(K)/M = \(number(e.trace)); the top \(e.eigenvalues.count) modes hold \(number(100 * (e.cumulativePower.last ?? 0)))% of the target's power"
      sections.append(text)
    }
    if !report.eigenlearning.isEmpty {
      let withKRR = report.eigenlearning.contains { $0.experiment != nil }
      let rows = report.eigenlearning.map { v -> [String] in
        var row = [
          "\(v.kernel) on \(v.data)", String(v.samples), number(v.ridge), number(v.noise),
          estimate(v.kappa, v.kappaError, v.method), number(v.learnabilitySum),
          v.targetLearnability.map { estimate($0, v.targetLearnabilityError, v.method) } ?? "—",
          estimate(v.testMSE, v.testMSEError, v.method), estimate(v.trainMSE, v.trainMSEError, v.method),
        ]
        if withKRR {
          row.append(
            v.experiment.map {
              number($0.testMSE) + " ± " + String(format: "%.2g", $0.testMSEStandardError)
                + " (\($0.trials) draws)"
            } ?? "")
        }
        return row
      }
      var header = ["eigenlearning", "n", "ridge", "noise", "κ", "Σ Lᵢ", "L(y)", "test MSE", "train MSE"]
      if withKRR { header.append("actual KRR test MSE") }
      sections.append(table(header: header, rows: rows))
    }
    for h in report.hermite {
      let (nngp, ntk) = (h.nngpSeries, h.ntkSeries)
      let (nngpErrors, ntkErrors) = (h.nngpSeriesErrors, h.ntkSeriesErrors)
      let rows = h.coefficients.indices.map { k in
        [
          String(k), estimate(h.coefficients[k], h.errors[k], h.method),
          estimate(nngp[k], nngpErrors[k], h.method), estimate(ntk[k], ntkErrors[k], h.method),
        ]
      }
      var text = table(
        header: ["hermite \(h.function)  k", "aₖ = E[φ(z) hₖ(z)]", "NNGP [ρᵏ] aₖ²", "NTK [ρᵏ] (k+1)aₖ²"],
        rows: rows)
      let captured = h.coefficients.reduce(0) { $0 + $1 * $1 }
      text +=
        "\nE[φ(z)²] = \(estimate(h.secondMoment, h.secondMomentError, h.method)); Σ aₖ² = \(number(captured)); \(h.rule)"
      sections.append(text)
    }
    for v in report.reverse {
      let rows = v.hermiteCoefficients.indices.map { k in
        [
          String(k), number(v.hermiteCoefficients[k]),
          estimate(v.kernelCoefficients[k], v.kernelCoefficientErrors[k], .quadrature),
        ]
      }
      var text = table(
        header: ["reverse \(v.model) (\(v.kernel))  k", "aₖ of φ", "[ρᵏ] of the kernel"], rows: rows)
      let range = v.rhoMax >= 1 ? "ρ ∈ [-1, 1]" : "ρ ∈ [-1, \(number(v.rhoMax))] and ρ = 1"
      text +=
        "\nfit: degree \(v.degree), max error \(number(v.fitError)) of the kernel's scale \(number(v.scale)) on \(v.fitPoints) values of \(range) (asked: \(number(v.accuracy)))"
      text +=
        "\nverified by tp on the generated network: max error \(number(v.verifiedError)) ± \(String(format: "%.2g", v.verifiedErrorUncertainty)) of the scale on \(v.verifiedPoints) points (largest at ρ = \(number(v.worstRho)))"
      if let out = v.output { text += "\nwritten to \(out)" }
      text += "\n" + v.definition
      sections.append(text)
    }
    return sections
  }

  /// How many modes the text report lists per eigenstructure.
  public static let shownModes = 12

  /// Trajectory rows grouped by observable: step, then one column per point (or pair).
  public static func trajectory(_ values: [TrajectoryValue], names: [[Double]: String] = [:]) -> String {
    var groups: [String: [TrajectoryValue]] = [:]
    var order: [String] = []
    for v in values {
      let key = v.observable + (v.target.map { " " + $0 } ?? "")
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(v)
    }
    var out: [String] = []
    for key in order {
      let vs = groups[key]!  // safe: key came from groups
      // A model with several outputs labels every column with its output index, [0] included.
      let indexed = vs.contains { $0.output > 0 }
      func label(_ v: TrajectoryValue) -> String {
        v.points.map { point($0, names: names) }.joined(separator: "·") + (indexed ? "[\(v.output)]" : "")
      }
      var columns: [String] = []
      for v in vs where !columns.contains(label(v)) { columns.append(label(v)) }
      var steps: [String] = []
      var cells: [String: [String: String]] = [:]
      let showVariance = vs.contains { $0.variance > 0 }
      for v in vs {
        let step = v.step.map(String.init) ?? "inf"
        if cells[step] == nil { steps.append(step) }
        var cell = estimate(v.value, v.error, v.method)
        if showVariance { cell += " (var \(estimate(v.variance, v.varianceError, v.method)))" }
        cells[step, default: [:]][label(v)] = cell
      }
      let header = ["\(key)  step"] + columns.map { $0.isEmpty ? "value" : $0 }
      let rows = steps.map { s in [s] + columns.map { cells[s]?[$0] ?? "" } }
      out.append(table(header: header, rows: rows))
    }
    return out.joined(separator: "\n\n")
  }

  /// A point as `(1, 0)`, or its name when `names` has one (`point a = [1, 0]`); a point of
  /// more than 8 entries as its first three, its last and its dimension,
  /// `(0.1, 0.2, 0.3, …, 0.9; 10000 entries)` (the JSON report has every entry).
  public static func point(_ p: [Double], names: [[Double]: String] = [:]) -> String {
    if let name = names[p] { return name }
    guard p.count > 8 else { return "(" + p.map(number).joined(separator: ", ") + ")" }
    return "(" + p.prefix(3).map(number).joined(separator: ", ")
      + ", …, \(number(p[p.count - 1])); \(p.count) entries)"
  }
}
