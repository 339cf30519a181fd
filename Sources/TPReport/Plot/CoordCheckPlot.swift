import Foundation
import TPCore

/// The figure of `tp coordcheck --plot`: log–log panels of the RMS coordinate size and the RMS
/// change from initialization against the width, one panel per kind and step (at most
/// ``maximumSteps`` steps, spread from the first to the last), one series per vector.
enum CoordCheckPlot {
  /// Steps drawn: the first, the last and evenly spaced ones between.
  static let maximumSteps = 4

  /// The steps to draw out of `0…last`.
  static func steps(last: Int) -> [Int] {
    guard last >= maximumSteps else { return Array(0...last) }
    var out = Set<Int>()
    for i in 0..<maximumSteps {
      out.insert(Int((Double(i) * Double(last) / Double(maximumSteps - 1)).rounded()))
    }
    return out.sorted()
  }

  static func figure(_ report: CoordCheckReport) -> Figure {
    let last = report.quantities.map(\.step).max() ?? 0
    let shown = steps(last: last)
    var vectors: [String] = []
    for q in report.quantities where !vectors.contains(q.vector) { vectors.append(q.vector) }
    let styleOf = Dictionary(uniqueKeysWithValues: vectors.enumerated().map { ($1, $0) })
    var panels: [PlotPanel] = []
    for kind in [CoordCheckReport.Quantity.Kind.size, .change] {
      for t in shown where !(kind == .change && t == 0) {
        let members = report.quantities.filter { $0.kind == kind && $0.step == t && !$0.widths.isEmpty }
        guard !members.isEmpty else { continue }
        let series = members.map { q in
          var name = q.vector
          if let s = q.slope {
            name +=
              String(format: " (slope %.2f", s)
              + (q.expected.map { ", expected " + TextReport.exponent($0) } ?? "") + ")"
          }
          return PlotSeries(
            name: name,
            points: q.widths.map { PlotPoint(x: Double($0.width), y: $0.mean, yError: $0.standardError) },
            failing: q.grows, style: styleOf[q.vector])
        }
        var exponents: [Double] = []
        for q in members {
          if let e = q.expected, e.isFinite, !exponents.contains(where: { abs($0 - e) < 1e-9 }) {
            exponents.append(e)
          }
        }
        let guides = exponents.sorted().map {
          PowerLawGuide(exponent: $0, variable: "n", exponentText: TextReport.exponent($0))
        }
        panels.append(
          PlotPanel(
            title: (kind == .size ? "RMS size" : "RMS change from init") + ", t = \(t)",
            x: PlotAxis("width n", scale: .log),
            y: PlotAxis(kind == .size ? "√mean x_t²" : "√mean (x_t − x_0)²", scale: .log),
            series: series, marks: .linesAndMarkers, guides: guides, dodge: true))
      }
    }
    let growing = report.quantities.filter(\.grows).count
    let caption =
      "Coord check of the \(report.parametrization) parametrization (\(report.regime)): RMS over \(report.probes.count) probe "
      + "input\(report.probes.count == 1 ? "" : "s") and all coordinates of each vector after t SGD steps, mean over "
      + "\(report.seeds) seeds against the width n, both axes logarithmic. Error bars: ±1 standard error over the seeds. "
      + "Legend: the fitted log–log slope and the slope the parametrization predicts; dashed grey: those slopes drawn "
      + "through the values at the smallest width. Red, thick and marked FAIL: the quantity grows with the width "
      + "(slope above \(TextReport.number(report.tolerance)) by more than \(String(format: "%.1f", report.critical)) SE)"
      + (growing > 0 ? "; \(growing) growing." : "; none growing.")
    return Figure(
      title: "coord check: \(report.program)", panels: panels, caption: caption,
      columns: max(1, min(shown.count, 4)))
  }
}

extension SVGPlot {
  /// The figure of `tp coordcheck --plot`: per step (at most four, first to last) a log–log
  /// panel of the RMS size and one of the RMS change from init against the width, one series
  /// per vector with ±1 SE error bars, guides for the predicted slopes, growing quantities in
  /// red marked FAIL.
  public static func coordCheckFigure(_ report: CoordCheckReport) -> Figure { CoordCheckPlot.figure(report) }

  /// ``coordCheckFigure(_:)`` as SVG.
  public static func coordCheck(_ report: CoordCheckReport) throws(PlotError) -> String {
    guard report.quantities.contains(where: { !$0.widths.isEmpty }) else {
      throw .nothingToPlot("the coord check measured no quantity at any width")
    }
    return try svg(coordCheckFigure(report))
  }
}
