import Foundation
import TPCore
import Testing

@testable import TPReport

@Suite struct FigureTests {
  @Test(arguments: [1, 5, 25, 60], [AxisScale.log, .linear])
  func everySeriesIsDrawnAndListed(_ count: Int, _ scale: AxisScale) throws {
    let figure = lineFigure(series: count, scale: scale, errors: count <= 5)
    let svg = try rendered(figure, "lines_\(count)_\(scale.rawValue)")
    #expect(svg.panelCount == 1)
    for k in 0..<count {
      let paths = svg.seriesPaths(panel: 0, series: k)
      #expect(paths["line"] == 1, "series \(k): \(paths)")
      #expect(paths["markers"] == 1, "series \(k): \(paths)")
      #expect(paths["errorbars"] == (count <= 5 ? 1 : nil), "series \(k): \(paths)")
    }
    #expect(svg.legendEntries(panel: 0) == Array(0..<count))
    #expect(svg.legendTooltips(panel: 0) == (0..<count).map { "series \($0)" })
    checkLayout(svg)
    let titles = svg.texts.filter { $0.role.hasPrefix("axis-title") }.map(\.content)
    #expect(titles.count == 2)
    #expect(titles.allSatisfy { $0.hasSuffix("(log scale)") } == (scale == .log))
    if scale == .log {
      // The reference slope is drawn and labelled inside the plot area.
      #expect(svg.elements.contains { $0.name == "line" && $0.attributes["class"] == "guide" })
      #expect(
        svg.texts(role: "guide-label").count
          + svg.elements.filter { $0.attributes["class"] == "legend-guide" }.count == 1)
    }
  }

  @Test func theParsedBoxesAreTheRenderersOwn() throws {
    var figure = lineFigure(series: 6, scale: .log, errors: true)
    figure.panels[0].series[3].failing = true
    let canvas = try FigureRenderer.render(figure)
    let svg = try SVGInspector(canvas.document(title: figure.title))
    #expect(svg.texts.count == canvas.texts.count)
    for (parsed, own) in zip(svg.texts, canvas.texts) {
      #expect(parsed.content == own.runs.map(\.text).joined())
      // Coordinates are written with two decimals.
      #expect(abs(parsed.box.x - own.box.x) < 0.02 && abs(parsed.box.y - own.box.y) < 0.02)
      #expect(abs(parsed.box.width - own.box.width) < 0.02 && abs(parsed.box.height - own.box.height) < 0.02)
    }
  }

  @Test func aGridOfPanelsKeepsEveryLegendEntry() throws {
    let panels = (0..<7).map { p in
      PlotPanel(
        title: "panel \(p) with a title that is rather long for a small panel of the grid",
        x: PlotAxis("width n", scale: .log), y: PlotAxis("RMS error over seeds", scale: .log),
        series: lineFigure(series: 3 + p, scale: .log).panels[0].series,
        guides: [PowerLawGuide(exponent: -0.5, exponentText: "−1/2")], dodge: true)
    }
    let svg = try rendered(Figure(title: "grid", panels: panels, caption: "a caption"), "grid_7")
    #expect(svg.panelCount == 7)
    for p in 0..<7 { #expect(svg.legendEntries(panel: p) == Array(0..<(3 + p))) }
    checkLayout(svg)
    // Elided panel titles keep the full text as a tooltip.
    #expect(svg.titles.contains { $0.text.hasPrefix("panel 0 with a title") })
  }

  @Test func longNamesAreElidedWithTheFullNameAsTooltip() throws {
    let long = String(repeating: "movement of the hidden layer ", count: 8)
    let figure = lineFigure(series: 3, scale: .log) { k in k == 1 ? long : "s\(k)" }
    let svg = try rendered(figure, "long_names")
    let labels = svg.texts(role: "legend-label").map(\.content)
    #expect(labels.count == 3)
    #expect(labels[1].hasSuffix("…") && labels[1].count < long.count)
    #expect(svg.legendTooltips(panel: 0)[1] == long)
    checkLayout(svg)
  }

  @Test func markupInNamesIsEscaped() throws {
    let name = "a<b & \"c\" 'd'>\u{1}e"
    let svg = try rendered(lineFigure(series: 2, scale: .linear) { _ in name }, "escaping")
    #expect(svg.legendTooltips(panel: 0).first == "a<b & \"c\" 'd'>\u{FFFD}e")
  }

  @Test func badValuesOnLogAxesAreLeftOutAndCounted() throws {
    let points = [
      PlotPoint(x: 256, y: 0.1), PlotPoint(x: 384, y: 0.08), PlotPoint(x: 512, y: .nan),
      PlotPoint(x: 1024, y: 0.05),
      PlotPoint(x: 1536, y: 0.04),
      PlotPoint(x: 2048, y: 0), PlotPoint(x: 4096, y: -1), PlotPoint(x: 8192, y: 0.02),
      PlotPoint(x: -1, y: 0.02), PlotPoint(x: .infinity, y: 0.1), PlotPoint(x: 0, y: 0.1),
    ]
    let figure = Figure(
      title: "bad values",
      panels: [
        PlotPanel(
          title: "", x: PlotAxis("n", scale: .log), y: PlotAxis("e", scale: .log),
          series: [PlotSeries(name: "s", points: points)])
      ])
    let text = try SVGPlot.svg(figure)
    #expect(!text.lowercased().contains("nan") && !text.contains("inf"))
    let svg = try SVGInspector(text)
    #expect(
      svg.texts(role: "note").map(\.content) == ["6 points not shown (not finite or ≤ 0 on a log axis)"])
    // The line breaks where points are missing: 256–384 and 1024–1536 are joined, 8192 is
    // a marker only.
    let line = try #require(svg.elements.first { $0.attributes["class"] == "line" })
    #expect(line.attributes["d"]?.filter { $0 == "M" }.count == 2)
    #expect(svg.seriesPaths(panel: 0, series: 0) == ["line": 1, "markers": 1])
    checkLayout(svg)
  }

  @Test func aSinglePointAndIdenticalValuesStillGetAxes() throws {
    for scale in [AxisScale.log, .linear] {
      for points in [[PlotPoint(x: 3, y: 0.5)], (1...6).map { PlotPoint(x: Double($0), y: 0.5) }] {
        let figure = Figure(
          title: "",
          panels: [
            PlotPanel(
              title: "", x: PlotAxis("x", scale: scale), y: PlotAxis("y", scale: scale),
              series: [PlotSeries(name: "one", points: points)], marks: .lines)
          ])
        let svg = try rendered(figure, "degenerate_\(scale.rawValue)_\(points.count)")
        checkLayout(svg)
        for axis in ["x", "y"] {
          #expect(svg.texts(role: "tick-label \(axis)").count >= 2)
        }
        // A lone point in a lines-only panel gets a marker so that it is visible.
        #expect(svg.seriesPaths(panel: 0, series: 0)[points.count == 1 ? "markers" : "line"] == 1)
      }
    }
  }

  @Test func emptyFiguresAreRefused() {
    let log = PlotAxis("x", scale: .log)
    let cases: [Figure] = [
      Figure(title: "none", panels: []),
      Figure(title: "no series", panels: [PlotPanel(title: "", x: log, y: log, series: [])]),
      Figure(
        title: "no points",
        panels: [PlotPanel(title: "", x: log, y: log, series: [PlotSeries(name: "a", points: [])])]),
      Figure(
        title: "NaN",
        panels: [
          PlotPanel(
            title: "", x: PlotAxis("x"), y: PlotAxis("y"),
            series: [
              PlotSeries(name: "a", points: [PlotPoint(x: .nan, y: 1), PlotPoint(x: 1, y: .infinity)])
            ])
        ]),
      Figure(
        title: "not positive",
        panels: [
          PlotPanel(
            title: "", x: log, y: log,
            series: [PlotSeries(name: "a", points: [PlotPoint(x: 1, y: 0), PlotPoint(x: 2, y: -3)])])
        ]),
    ]
    for figure in cases {
      #expect(throws: PlotError.self, "\(figure.title)") { try SVGPlot.svg(figure) }
    }
    #expect(throws: PlotError.self) {
      try SVGPlot.check(CheckReport(program: "p.tp", seeds: 8, quantities: []))
    }
    #expect(throws: PlotError.self) { try SVGPlot.densities([:], title: "none") }
    #expect(throws: PlotError.self) { try SVGPlot.densities(["h": []], title: "empty curve") }
  }

  @Test func anEmptyPanelBesideAFullOneSaysSo() throws {
    let full = lineFigure(series: 2, scale: .log).panels[0]
    var empty = full
    empty.title = "empty"
    empty.series = [PlotSeries(name: "zero", points: [PlotPoint(x: 1, y: 0)])]
    empty.guides = [PowerLawGuide(exponent: 1e300), PowerLawGuide(exponent: .nan)]
    var wild = full
    wild.guides = [
      PowerLawGuide(exponent: 1e300), PowerLawGuide(exponent: -1e-300), PowerLawGuide(exponent: .infinity),
    ]
    let svg = try rendered(Figure(title: "mixed", panels: [full, empty, wild]), "empty_panel")
    #expect(svg.texts(role: "no-data").count == 1)
    #expect(svg.legendEntries(panel: 1) == [0])
    checkLayout(svg)
  }

  @Test func manyPanelsRender() throws {
    let panels = (0..<100).map { p in
      PlotPanel(
        title: "panel \(p)", x: PlotAxis("x"), y: PlotAxis("y", scale: .log),
        series: [PlotSeries(name: "s", points: [PlotPoint(x: Double(p), y: pow(10, Double(p - 50)))])])
    }
    let svg = try rendered(Figure(title: "100 panels", panels: panels), "panels_100")
    #expect(svg.panelCount == 100)
    checkLayout(svg)
  }

  @Test func errorBarsHaveCapsAndBandsAreShaded() throws {
    let points = [
      PlotPoint(x: 1, y: 1, yError: 0.2), PlotPoint(x: 2, y: 2, yError: 0.3), PlotPoint(x: 3, y: 1.5),
    ]
    let band = [PlotBandPoint(x: 1, low: 0.5, high: 1.5), PlotBandPoint(x: 3, low: 1, high: 2)]
    let figure = Figure(
      title: "",
      panels: [
        PlotPanel(
          title: "", x: PlotAxis("x"), y: PlotAxis("y"),
          series: [PlotSeries(name: "a", points: points, band: band)])
      ])
    let svg = try rendered(figure, "errorbars")
    let bars = try #require(svg.elements.first { $0.attributes["class"] == "errorbars" }?.attributes["d"])
    #expect(bars.filter { $0 == "V" }.count == 2)
    #expect(bars.filter { $0 == "h" }.count == 4)
    #expect(
      svg.elements.contains { $0.attributes["class"] == "band" && $0.attributes["fill-opacity"] != nil })
    checkLayout(svg)
  }

  @Test func errorBarsBelowALogAxisRunToItsEdgeWithoutACap() throws {
    let points = [PlotPoint(x: 1, y: 1, yError: 2), PlotPoint(x: 2, y: 2, yError: 0.1)]
    let figure = Figure(
      title: "",
      panels: [
        PlotPanel(
          title: "", x: PlotAxis("x", scale: .log), y: PlotAxis("y", scale: .log),
          series: [PlotSeries(name: "a", points: points)])
      ])
    let svg = try rendered(figure, "errorbars_log")
    let bars = try #require(svg.elements.first { $0.attributes["class"] == "errorbars" }?.attributes["d"])
    #expect(bars.filter { $0 == "V" }.count == 2)
    #expect(bars.filter { $0 == "h" }.count == 3)
  }

  @Test func failingSeriesAreRedThickAndMarked() throws {
    var figure = lineFigure(series: 4, scale: .log)
    figure.panels[0].series[2].failing = true
    let svg = try rendered(figure, "failing")
    let line = try #require(
      svg.elements.first { $0.attributes["class"] == "line" && $0.inside("series", "data-series", "2") })
    #expect(line.attributes["stroke"] == SeriesStyle.failColor)
    #expect(line.attributes["stroke-width"] == "2.8")
    let others = svg.elements.filter {
      $0.attributes["class"] == "line" && !$0.inside("series", "data-series", "2")
    }
    #expect(others.count == 3 && others.allSatisfy { $0.attributes["stroke"] != SeriesStyle.failColor })
    let labels = svg.texts(role: "legend-label")
    #expect(labels[2].runs.contains { $0.style == .bold && $0.text.contains("FAIL") })
    #expect(labels.filter { $0.content.contains("FAIL") }.count == 1)
    checkLayout(svg)
  }

  @Test func fortySeriesHaveFortyDistinctStyles() {
    let styles = (0..<280).map { SeriesStyle.numbered($0) }
    #expect(Set(styles.prefix(40).map { "\($0.color) \($0.dash ?? "solid")" }).count == 40)
    #expect(Set(styles.map { "\($0.color) \($0.dash ?? "solid") \($0.marker)" }).count == 280)
    #expect(!styles.contains { $0.color == SeriesStyle.failColor })
    #expect(SeriesStyle.palette.count >= 10 && Set(SeriesStyle.palette).count == SeriesStyle.palette.count)
    _ = SeriesStyle.numbered(Int.max)
    _ = SeriesStyle.numbered(-5)
  }

  @Test func hugeCountsRender() throws {
    let many = try rendered(lineFigure(series: 300, scale: .log, points: 4), "lines_300")
    #expect(many.legendEntries(panel: 0).count == 300)
    checkLayout(many)
    let x = (0..<200_000).map { Double($0) / 1000 }
    let long = Figure(
      title: "long",
      panels: [
        PlotPanel(
          title: "", x: PlotAxis("x"), y: PlotAxis("y"),
          series: [PlotSeries(name: "sin", points: x.map { PlotPoint(x: $0, y: sin($0)) })], marks: .lines)
      ])
    let svg = try SVGPlot.svg(long)
    #expect(svg.count > 1_000_000)
  }
}
