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
    if !report.trajectory.isEmpty { sections.append(trajectory(report.trajectory)) }
    for k in report.kernels {
      let header = [k.name] + k.points.indices.map { "p\($0)" }
      let rows = k.matrix.enumerated().map { i, row in
        ["p\(i) \(point(k.points[i]))"]
          + row.enumerated().map { j, v in estimate(v, k.errors[i][j], k.method) }
      }
      sections.append(table(header: header, rows: rows))
    }
    if !report.posterior.isEmpty {
      let rows = report.posterior.map {
        [
          point($0.point), estimate($0.mean, $0.meanError, $0.method),
          estimate($0.variance, $0.varianceError, $0.method),
        ]
      }
      sections.append(table(header: ["posterior at", "mean", "variance"], rows: rows))
    }
    return sections.joined(separator: "\n\n")
  }

  /// Trajectory rows grouped by observable: step, then one column per point (or pair).
  public static func trajectory(_ values: [TrajectoryValue]) -> String {
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
      var columns: [String] = []
      for v in vs {
        let label = v.points.map(point).joined(separator: "·") + (v.output > 0 ? "[\(v.output)]" : "")
        if !columns.contains(label) { columns.append(label) }
      }
      var steps: [String] = []
      var cells: [String: [String: String]] = [:]
      let showVariance = vs.contains { $0.variance > 0 }
      for v in vs {
        let step = v.step.map(String.init) ?? "inf"
        if cells[step] == nil { steps.append(step) }
        var cell = estimate(v.value, v.error, v.method)
        if showVariance { cell += " (var \(estimate(v.variance, v.varianceError, v.method)))" }
        let label = v.points.map(point).joined(separator: "·") + (v.output > 0 ? "[\(v.output)]" : "")
        cells[step, default: [:]][label] = cell
      }
      let header = ["\(key)  step"] + columns.map { $0.isEmpty ? "value" : $0 }
      let rows = steps.map { s in [s] + columns.map { cells[s]?[$0] ?? "" } }
      out.append(table(header: header, rows: rows))
    }
    return out.joined(separator: "\n\n")
  }

  /// A point as `(1, 0)`; a point of more than 8 entries as its first three, its last and its
  /// dimension, `(0.1, 0.2, 0.3, …, 0.9; 10000 entries)` (the JSON report has every entry).
  public static func point(_ p: [Double]) -> String {
    guard p.count > 8 else { return "(" + p.map(number).joined(separator: ", ") + ")" }
    return "(" + p.prefix(3).map(number).joined(separator: ", ")
      + ", …, \(number(p[p.count - 1])); \(p.count) entries)"
  }
}
