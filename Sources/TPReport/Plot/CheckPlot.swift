import Foundation
import TPCore

/// The figure of `tp check --plot`: RMS error against width, log–log, one panel per
/// observable family.
enum CheckPlot {
  /// Series per panel before a family is split into several panels (of balanced sizes).
  static let seriesPerPanel = 10

  /// A checked quantity's name split into its family and its step: `f[2] at (1, 0)` is step
  /// `2` of family `f at (1, 0)`, `loss[inf]` step `inf` of `loss`; nil for names without a
  /// step (the outputs of a core program).
  static func family(of name: String) -> (family: String, step: String)? {
    let (head, tail): (Substring, Substring)
    if let at = name.range(of: " at ") {
      (head, tail) = (name[..<at.lowerBound], name[at.lowerBound...])
    } else {
      (head, tail) = (name[...], "")
    }
    guard head.hasSuffix("]"), let open = head.lastIndex(of: "[") else { return nil }
    let step = head[head.index(after: open)..<head.index(before: head.endIndex)]
    guard step == "inf" || (!step.isEmpty && step.allSatisfy(\.isASCII) && step.allSatisfy(\.isNumber)),
      open > head.startIndex
    else { return nil }
    return (String(head[..<open]) + tail, String(step))
  }

  /// A kernel entry's name split into its kernel and its pair of points: `ntk f at (1, 0),
  /// (0, 1)` is entry `(1, 0), (0, 1)` of family `ntk f` (and `posterior mean f at (0, 1)`
  /// entry `(0, 1)` of `posterior mean f`); nil for other names.
  static func kernelEntry(of name: String) -> (family: String, entry: String)? {
    let kernels = ["nngp ", "ntk ", "posterior mean ", "posterior variance "]
    guard kernels.contains(where: { name.hasPrefix($0) }), let at = name.range(of: " at ") else {
      return nil
    }
    return (String(name[..<at.lowerBound]), String(name[at.upperBound...]))
  }

  /// ±1 standard error of the RMS error `√m` over seeds, `m` the mean of `(value − limit)²`,
  /// by the delta method: `SE(√m) = SE(m) / (2√m)`; nil with fewer than 2 finite values or
  /// `m = 0`.
  static func rmsStandardError(_ values: [Double], limit: Double) -> Double? {
    let squares = values.filter(\.isFinite).map { ($0 - limit) * ($0 - limit) }
    guard squares.count >= 2 else { return nil }
    let k = Double(squares.count)
    let m = squares.reduce(0, +) / k
    guard m > 0, m.isFinite else { return nil }
    let variance = squares.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (k - 1)
    let se = (variance / k).squareRoot() / (2 * m.squareRoot())
    return se.isFinite && se > 0 ? se : nil
  }

  static func figure(_ report: CheckReport) -> Figure {
    // Families in order of first appearance; steps styled alike in every panel.
    var order: [String] = []
    var members: [String: [(step: String?, quantity: CheckedQuantity)]] = [:]
    var steps: [String] = []
    for q in report.quantities {
      let parsed = family(of: q.name)
      let key = parsed?.family ?? kernelEntry(of: q.name)?.family ?? ""
      if members[key] == nil { order.append(key) }
      members[key, default: []].append((parsed?.step, q))
      if let s = parsed?.step, !steps.contains(s) { steps.append(s) }
    }
    steps.sort { a, b in
      // Numeric order, `inf` last.
      switch (Int(a), Int(b)) {
      case (let x?, let y?): return x < y
      case (_?, nil): return true
      case (nil, _?): return false
      default: return a < b
      }
    }
    let styleOfStep = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1, $0) })
    var panels: [PlotPanel] = []
    var chunkCounts: Set<Int> = []
    for key in order {
      let all = members[key] ?? []
      // Balanced: 13 steps make panels of 7 and 6, not 10 and 3.
      let count = (all.count + seriesPerPanel - 1) / seriesPerPanel
      let size = (all.count + count - 1) / max(1, count)
      chunkCounts.insert(count)
      let chunks = stride(from: 0, to: all.count, by: max(1, size)).map {
        Array(all[$0..<min(all.count, $0 + size)])
      }
      for chunk in chunks {
        var title = key.isEmpty ? "outputs" : key
        if chunks.count > 1 {
          let first = chunk.first?.step ?? chunk.first?.quantity.name ?? ""
          let last = chunk.last?.step ?? chunk.last?.quantity.name ?? ""
          title += key.isEmpty ? " \(first) … \(last)" : ", t = \(first)…\(last)"
        }
        let series = chunk.enumerated().map { j, member in
          let q = member.quantity
          let exact = q.widths.allSatisfy { $0.rmsError == 0 }
          var name =
            member.step.map { "t = " + ($0 == "inf" ? "∞" : $0) } ?? kernelEntry(of: q.name)?.entry ?? q.name
          if exact { name += " (exact: error 0)" }
          return PlotSeries(
            name: name,
            points: q.widths.map { w in
              PlotPoint(
                x: Double(w.width), y: w.rmsError, yError: rmsStandardError(w.values, limit: q.limit))
            }, failing: !q.converges, style: member.step.flatMap { styleOfStep[$0] } ?? j)
        }
        panels.append(
          PlotPanel(
            title: title, x: PlotAxis("width n", scale: .log),
            y: PlotAxis("RMS error over seeds", scale: .log),
            series: series, marks: .linesAndMarkers,
            guides: [PowerLawGuide(exponent: -0.5, variable: "n", exponentText: "−1/2")], dodge: true))
      }
    }
    let failing = report.quantities.filter { !$0.converges }.count
    let caption =
      "RMS error √(mean over \(report.seeds) seeds of (value − limit)²) against the width n, both axes logarithmic. "
      + "Error bars: ±1 standard error of the RMS error over the seeds (delta method, SE(√m) = SE(m)/(2√m) for the "
      + "mean square m). Dashed grey: a reference slope ∝ n^−1/2 through the values at the smallest width. "
      + "Red, thick and marked FAIL: the quantity fails the test mean(n) = limit + B/n (docs/cli.md). "
      + "\(report.quantities.count) quantities in \(panels.count) panel\(panels.count == 1 ? "" : "s")"
      + (failing > 0 ? ", \(failing) failing." : ", none failing.")
    // When every family is split into the same 2–4 panels, each row shows one family.
    let columns = chunkCounts.count == 1 && (2...4).contains(chunkCounts.first ?? 0) ? chunkCounts.first : nil
    return Figure(
      title: "finite widths vs the limit: \(report.program)", panels: panels, caption: caption,
      columns: columns)
  }
}

extension CheckPlot {
  /// The figure of `tp check --plot-values`: for each observable family, the seed mean ± 1
  /// standard error against the width (log x, linear y), one solid series per step (at most
  /// four: the first, last and two between), and the limit at that step as a dashed line of
  /// the same colour — how the finite widths approach the limit, and from which side.
  static func valuesFigure(_ report: CheckReport) -> Figure {
    var order: [String] = []
    var members: [String: [(step: String?, quantity: CheckedQuantity)]] = [:]
    for q in report.quantities {
      let parsed = family(of: q.name)
      let key = parsed?.family ?? kernelEntry(of: q.name)?.family ?? q.name
      if members[key] == nil { order.append(key) }
      members[key, default: []].append((parsed?.step, q))
    }
    var panels: [PlotPanel] = []
    for key in order {
      let all = members[key] ?? []
      let picked =
        all.count <= 4
        ? Array(all.indices) : Array(Set([0, all.count / 3, (2 * all.count) / 3, all.count - 1])).sorted()
      var series: [PlotSeries] = []
      for (j, index) in picked.enumerated() {
        let member = all[index]
        let q = member.quantity
        let label = member.step.map { "t = " + ($0 == "inf" ? "∞" : $0) } ?? q.name
        series.append(
          PlotSeries(
            name: "finite, " + label,
            points: q.widths.map { PlotPoint(x: Double($0.width), y: $0.mean, yError: $0.standardError) },
            failing: !q.converges, style: j))
        series.append(
          PlotSeries(
            name: "limit, " + label, points: q.widths.map { PlotPoint(x: Double($0.width), y: q.limit) },
            style: j + 10))
      }
      panels.append(
        PlotPanel(
          title: key, x: PlotAxis("width n", scale: .log), y: PlotAxis("mean over seeds"), series: series,
          marks: .linesAndMarkers))
    }
    let caption =
      "Mean over \(report.seeds) seeds at each width (error bars ±1 standard error) against the width n "
      + "(logarithmic), and the infinite-width limit at the same step (dashed, same colour). "
      + "Red and marked FAIL: the quantity fails the test mean(n) = limit + B/n (docs/cli.md)."
    return Figure(
      title: "finite widths approaching the limit: \(report.program)", panels: panels, caption: caption)
  }
}
