import Foundation
import TPCore
import Testing

@testable import TPReport

/// A synthetic `tp check` report: `f[t] at` two points and `loss[t]` for `steps` steps, the
/// RMS error falling as `n^{-1/2}`.
func syntheticReport(steps: Int, failing: Set<String> = []) -> CheckReport {
  var quantities: [CheckedQuantity] = []
  let names =
    ["(1, 0)", "(0.8, 0.6)"].flatMap { p in (0..<steps).map { "f[\($0)] at \(p)" } }
    + (0..<steps).map { "loss[\($0)]" } + ["movement x1[inf]"]
  for (i, name) in names.enumerated() {
    let widths = [256, 512, 1024, 2048, 4096].map { n in
      let values = (0..<8).map { s in 1 + (Double(s) - 3.5) * 0.3 * (1 + 0.1 * Double(i)) / sqrt(Double(n)) }
      let rms = (values.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) / 8).squareRoot()
      return CheckedQuantity.Width(
        width: n, mean: values.reduce(0, +) / 8, standardError: rms / sqrt(8), rmsError: rms, values: values)
    }
    quantities.append(
      CheckedQuantity(
        name: name, limit: 1, limitStandardError: 0, widths: widths, slope: -0.5,
        converges: !failing.contains(name)))
  }
  return CheckReport(program: "examples/mup2_tanh.tp", seeds: 8, quantities: quantities)
}

@Suite struct CheckPlotTests {
  @Test func namesSplitIntoFamilyAndStep() {
    #expect(CheckPlot.family(of: "f[2] at (1, 0)")! == ("f at (1, 0)", "2"))
    #expect(CheckPlot.family(of: "loss[inf]")! == ("loss", "inf"))
    #expect(CheckPlot.family(of: "f[1][3] at (1, 0), (0, 1)")! == ("f[1] at (1, 0), (0, 1)", "3"))
    #expect(CheckPlot.family(of: "Δf[12] at (1, 0)")! == ("Δf at (1, 0)", "12"))
    #expect(CheckPlot.family(of: "movement x1[4]")! == ("movement x1", "4"))
    #expect(CheckPlot.family(of: "r") == nil)
    #expect(CheckPlot.family(of: "x[a]") == nil)
    #expect(CheckPlot.family(of: "[3]") == nil)
    #expect(CheckPlot.family(of: "") == nil)
    #expect(CheckPlot.kernelEntry(of: "ntk f at (1, 0), (0, 1)")! == ("ntk f", "(1, 0), (0, 1)"))
    #expect(CheckPlot.kernelEntry(of: "posterior mean g at (0.5)")! == ("posterior mean g", "(0.5)"))
    #expect(CheckPlot.kernelEntry(of: "f[1] at (1, 0)") == nil)
  }

  @Test func rmsStandardErrorIsTheDeltaMethod() throws {
    let values = [1.1, 0.9, 1.3, 0.8]
    let squares = values.map { ($0 - 1) * ($0 - 1) }
    let m = squares.reduce(0, +) / 4
    let sd = (squares.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 3).squareRoot()
    let se = try #require(CheckPlot.rmsStandardError(values, limit: 1))
    #expect(abs(se - sd / 2 / (2 * m.squareRoot())) < 1e-12)
    #expect(CheckPlot.rmsStandardError([1.2], limit: 1) == nil)
    #expect(CheckPlot.rmsStandardError([1, 1, 1], limit: 1) == nil)
    #expect(CheckPlot.rmsStandardError([.nan, .nan], limit: 1) == nil)
  }

  @Test func onePanelPerObservableFamily() throws {
    let report = syntheticReport(steps: 4, failing: ["f[2] at (0.8, 0.6)"])
    let figure = SVGPlot.checkFigure(report)
    #expect(figure.panels.map(\.title) == ["f at (1, 0)", "f at (0.8, 0.6)", "loss", "movement x1"])
    #expect(figure.panels.map(\.series.count) == [4, 4, 4, 1])
    #expect(figure.panels[0].series.map(\.name) == ["t = 0", "t = 1", "t = 2", "t = 3"])
    #expect(figure.panels[3].series.map(\.name) == ["t = ∞"])
    // The same step has the same style in every panel.
    #expect(figure.panels[0].series.map(\.style) == figure.panels[2].series.map(\.style))
    #expect(figure.panels[1].series.map(\.failing) == [false, false, true, false])
    #expect(figure.panels.allSatisfy { $0.x.scale == .log && $0.y.scale == .log && $0.guides.count == 1 })
    #expect(figure.caption?.contains("standard error of the RMS error") == true)
    let svg = try rendered(figure, "check_families")
    #expect(svg.panelCount == 4)
    for (p, panel) in figure.panels.enumerated() {
      #expect(svg.legendEntries(panel: p) == Array(panel.series.indices))
      for k in panel.series.indices {
        #expect(svg.seriesPaths(panel: p, series: k) == ["line": 1, "markers": 1, "errorbars": 1])
      }
    }
    #expect(svg.texts(role: "legend-label").filter { $0.content.contains("FAIL") }.count == 1)
    checkLayout(svg)
  }

  @Test func manyStepsAreSplitOverPanels() throws {
    let figure = SVGPlot.checkFigure(syntheticReport(steps: 25))
    #expect(figure.panels.count == 3 + 3 + 3 + 1)
    #expect(
      figure.panels.prefix(3).map(\.title) == [
        "f at (1, 0), t = 0…8", "f at (1, 0), t = 9…17", "f at (1, 0), t = 18…24",
      ])
    #expect(figure.panels.prefix(3).map(\.series.count) == [9, 9, 7])
    #expect(figure.panels.allSatisfy { $0.series.count <= 10 })
    let total = figure.panels.map(\.series.count).reduce(0, +)
    #expect(total == 76)
    let svg = try rendered(figure, "check_many_steps")
    checkLayout(svg)
  }

  @Test func splitFamiliesGetARowEach() throws {
    let report = syntheticReport(steps: 13)
    let figure = SVGPlot.checkFigure(
      CheckReport(program: "p.tp", seeds: 8, quantities: report.quantities.filter { $0.name.hasPrefix("f") }))
    #expect(figure.columns == 2)
    #expect(figure.panels.map(\.series.count) == [7, 6, 7, 6])
  }

  @Test func coreProgramOutputsShareOnePanel() throws {
    let report = syntheticReport(steps: 1)
    let renamed = CheckReport(
      program: "core.tp", seeds: 8,
      quantities: report.quantities.enumerated().map { i, q in
        var q = q
        q.name = ["r", "s", "m", "c"][i % 4] + "\(i)"
        return q
      })
    let figure = SVGPlot.checkFigure(renamed)
    #expect(figure.panels.map(\.title) == ["outputs"])
    #expect(figure.panels[0].series.map(\.name) == renamed.quantities.map(\.name))
    checkLayout(try rendered(figure, "check_core"))
  }

  @Test func exactQuantitiesSayWhyTheyAreMissing() throws {
    var report = syntheticReport(steps: 2)
    for w in report.quantities[0].widths.indices {
      report.quantities[0].widths[w].rmsError = 0
      report.quantities[0].widths[w].values = [1, 1, 1]
    }
    let figure = SVGPlot.checkFigure(report)
    #expect(figure.panels[0].series[0].name == "t = 0 (exact: error 0)")
    let svg = try rendered(figure, "check_exact")
    #expect(svg.texts(role: "note").first?.content.hasPrefix("5 points not shown") == true)
    checkLayout(svg)
  }
}

@Suite struct DensityPlotTests {
  static func gaussian(_ mean: Double, _ sd: Double) -> [[Double]] {
    (0...200).map { i in
      let x = mean + sd * (-3.3 + 6.6 * Double(i) / 200)
      let u = (x - mean) / sd
      return [x, exp(-0.5 * u * u) / (sd * (2 * Double.pi).squareRoot())]
    }
  }

  @Test func densitiesAreLinesFromZeroWithFewXLabels() throws {
    let svg = try SVGInspector(try SVGPlot.densities(["h": Self.gaussian(0.2, 1.3)], title: "laws"))
    #expect(svg.panelCount == 1)
    #expect(svg.seriesPaths(panel: 0, series: 0) == ["line": 1])
    let x = svg.texts(role: "tick-label x")
    #expect(x.count >= 3 && x.count <= 8)
    let y = svg.texts(role: "tick-label y")
    #expect(tickValue(y.first?.content ?? "") == 0)
    // The lowest y label is centred on the plot area's bottom edge.
    let frame = try #require(svg.elements.last { $0.name == "rect" && $0.attributes["fill"] == "none" })
    let bottom = Double(frame.attributes["y"] ?? "")! + Double(frame.attributes["height"] ?? "")!
    #expect(abs((y.first?.box.midY ?? 0) - bottom) < 1.5)
    #expect(svg.legendEntries(panel: 0).isEmpty)
    checkLayout(svg)
  }

  @Test func onePanelPerVectorInNumericOrder() throws {
    let curves = Dictionary(
      uniqueKeysWithValues: (0..<12).map { ("z[\($0)]", Self.gaussian(0, 1 + Double($0))) })
    let figure = SVGPlot.densityFigure(curves, title: "laws")
    #expect(figure.panels.map(\.title) == (0..<12).map { "z[\($0)]" })
    let svg = try rendered(figure, "densities_12")
    #expect(svg.panelCount == 12)
    checkLayout(svg)
  }

  @Test func roundingNoiseBelowZeroKeepsTheAxisAtZero() throws {
    var curve = Self.gaussian(0, 1)
    curve[0][1] = -1e-17
    curve[200][1] = -3e-4
    let svg = try SVGInspector(try SVGPlot.densities(["h": curve], title: "laws"))
    #expect(tickValue(svg.texts(role: "tick-label y").first?.content ?? "") == 0)
  }

  @Test func aPointMassIsAStem() throws {
    let figure = SVGPlot.densityFigure(["c": [[0.5, 1]], "h": Self.gaussian(0, 1)], title: "laws")
    #expect(figure.panels[0].title == "c (point mass at 0.5)")
    let svg = try rendered(figure, "point_mass")
    #expect(svg.seriesPaths(panel: 0, series: 0)["line"] == 1)
    checkLayout(svg)
  }
}

/// `tp check --plot-values`: per family, seed means with their standard errors and the limit.
@Test func valuesFigureShowsMeansAndTheLimit() throws {
  let report = syntheticReport(steps: 7)
  let figure = CheckPlot.valuesFigure(report)
  // Families: f at two points, loss, movement.
  #expect(figure.panels.map(\.title) == ["f at (1, 0)", "f at (0.8, 0.6)", "loss", "movement x1"])
  let loss = try #require(figure.panels.first { $0.title == "loss" })
  // Seven steps → four picked (first, 7/3, 14/3, last), each a finite and a limit series.
  #expect(
    loss.series.map(\.name)
      == ["t = 0", "t = 2", "t = 4", "t = 6"].flatMap { ["finite, \($0)", "limit, \($0)"] })
  let q = try #require(report.quantities.first { $0.name == "loss[0]" })
  #expect(loss.series[0].points.map(\.y) == q.widths.map(\.mean))
  #expect(loss.series[0].points.map(\.yError) == q.widths.map(\.standardError))
  #expect(loss.series[1].points.allSatisfy { $0.y == q.limit })
  #expect(loss.series[1].style == loss.series[0].style.map { $0 + 10 })
  #expect(try SVGPlot.checkValues(report).contains("<svg"))
}
