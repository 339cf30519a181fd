import Foundation
import TPCore
import Testing

@testable import TPReport

/// A synthetic coord check: `vectors` vectors over `steps` steps at five widths, sizes O(1),
/// changes `∝ n^{slope}`; the vector named `grows` is marked growing.
func syntheticCoordCheck(vectors: Int, steps: Int, slope: Double, grows: String? = nil) -> CoordCheckReport {
  let widths = [128, 256, 512, 1024, 2048]
  var quantities: [CoordCheckReport.Quantity] = []
  for t in 0...steps {
    for kind in [CoordCheckReport.Quantity.Kind.size, .change] where !(kind == .change && t == 0) {
      for v in 0..<vectors {
        let name = v == vectors - 1 ? "f" : "x\(v + 1)"
        let exponent = kind == .size ? 0 : slope
        let scale = (1 + 0.2 * Double(v)) * (kind == .size ? 1 : 0.1 * Double(t))
        let points = widths.map { n in
          let m = scale * pow(Double(n) / 128, exponent)
          return CoordCheckReport.Quantity.Width(width: n, mean: m, standardError: 0.05 * m, seeds: 8)
        }
        quantities.append(
          .init(
            vector: name, kind: kind, step: t, widths: points, slope: exponent, slopeError: 0.02,
            expected: exponent, grows: kind == .change && name == grows))
      }
    }
  }
  return CoordCheckReport(
    program: "examples/x.tp", parametrization: "ntk", regime: "kernel", widths: widths, seeds: 8,
    probes: [[1, 0], [0, 1]], tolerance: 0.15, critical: 3.4, quantities: quantities, failures: [])
}

@Suite struct CoordCheckPlotTests {
  @Test func stepsSpreadFromFirstToLast() {
    #expect(CoordCheckPlot.steps(last: 0) == [0])
    #expect(CoordCheckPlot.steps(last: 3) == [0, 1, 2, 3])
    #expect(CoordCheckPlot.steps(last: 9) == [0, 3, 6, 9])
    #expect(CoordCheckPlot.steps(last: 100) == [0, 33, 67, 100])
  }

  /// Sizes on top, changes below, one series per vector in every panel (legend included), the
  /// predicted slopes as guides, growing quantities marked; the layout invariants of every figure.
  @Test func panelsPerStepAndKind() throws {
    let report = syntheticCoordCheck(vectors: 5, steps: 3, slope: -0.5, grows: "x2")
    let figure = SVGPlot.coordCheckFigure(report)
    #expect(
      figure.panels.map(\.title) == [
        "RMS size, t = 0", "RMS size, t = 1", "RMS size, t = 2", "RMS size, t = 3",
        "RMS change from init, t = 1", "RMS change from init, t = 2", "RMS change from init, t = 3",
      ])
    #expect(figure.columns == 4)
    #expect(figure.panels.allSatisfy { $0.series.count == 5 })
    #expect(figure.panels[4].guides.map(\.exponent) == [-0.5])
    #expect(figure.panels[4].series.filter(\.failing).map(\.name) == ["x2 (slope -0.50, expected −1/2)"])
    let svg = try rendered(figure, "coordcheck")
    #expect(svg.panelCount == 7)
    for panel in 0..<svg.panelCount { #expect(svg.legendEntries(panel: panel).count == 5) }
    checkLayout(svg)
  }

  @Test func emptyReportIsRefused() {
    var report = syntheticCoordCheck(vectors: 2, steps: 1, slope: 0)
    report.quantities = report.quantities.map {
      var q = $0
      q.widths = []
      return q
    }
    #expect(throws: PlotError.self) { try SVGPlot.coordCheck(report) }
  }
}
