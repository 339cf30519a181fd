import Foundation

/// Draws a ``Figure`` as SVG.
///
/// Layout, from the top: the figure's title (wrapped), then rows of panels, then the
/// caption (wrapped). Each panel cell is, from the left: the rotated y-axis title, the y tick
/// labels (right-aligned; the margin is the widest label's width), the ticks, the plot area;
/// and from the top: the panel title, the plot area, ticks, x tick labels, the x-axis title,
/// a note on points not shown, and the legend (unless it is to the right). All panels of a
/// figure share one plot-area size and, within a column and a row, the same margins, so
/// their plot areas line up. Every piece of text is placed in its own band, so no two text
/// boxes overlap and none leaves the canvas (the tests check this on the boxes computed by
/// ``TextMetrics``).
enum FigureRenderer {
  /// Plot-area sizes: one panel, and each panel of a grid.
  static let singlePlot = (width: 480.0, height: 320.0)
  static let gridPlot = (width: 300.0, height: 200.0)

  static func render(_ figure: Figure) throws(PlotError) -> SVGCanvas {
    try checkDrawable(figure)
    let single = figure.panels.count == 1
    let plot = single ? singlePlot : gridPlot
    let layouts = figure.panels.map {
      PanelLayout(
        $0, plotWidth: plot.width, plotHeight: plot.height, legendRight: single,
        legendWidth: plot.width + (single ? 120 : 40))
    }
    let columns = max(
      1,
      min(layouts.count, figure.columns ?? (single ? 1 : layouts.count == 2 || layouts.count == 4 ? 2 : 3)))
    let rows = (layouts.count + columns - 1) / columns
    let left = layouts.map(\.left).max() ?? 0
    let right = layouts.map(\.right).max() ?? 0
    let cellWidth = left + plot.width + right
    var rowTop = [Double](repeating: 0, count: rows)
    var rowBelow = [Double](repeating: 0, count: rows)
    for (i, l) in layouts.enumerated() {
      rowTop[i / columns] = max(rowTop[i / columns], l.top)
      rowBelow[i / columns] = max(rowBelow[i / columns], l.below)
    }
    let margin = PlotTheme.figureMargin
    let width = max(360, 2 * margin + Double(columns) * cellWidth + Double(columns - 1) * PlotTheme.panelGap)
    let titleSize = PlotTheme.figureTitleSize
    let titleLines =
      figure.title.isEmpty
      ? [] : TextMetrics.wrap(figure.title, size: titleSize, maxWidth: width - 2 * margin)
    let titleLead = 1.25 * titleSize
    var y =
      margin
      + (titleLines.isEmpty
        ? 0 : TextMetrics.lineHeight(titleSize) + Double(titleLines.count - 1) * titleLead + 8)
    var rowY: [Double] = []
    for r in 0..<rows {
      rowY.append(y)
      y += rowTop[r] + plot.height + rowBelow[r] + (r + 1 < rows ? PlotTheme.panelGap / 2 : 0)
    }
    let captionSize = PlotTheme.noteSize + 1
    let captionLead = 1.3 * captionSize
    let captionLines =
      (figure.caption ?? "").isEmpty
      ? [] : TextMetrics.wrap(figure.caption ?? "", size: captionSize, maxWidth: width - 2 * margin)
    if !captionLines.isEmpty {
      y += 6 + TextMetrics.lineHeight(captionSize) + Double(captionLines.count - 1) * captionLead
    }
    let height = y + margin

    var canvas = SVGCanvas(width: width, height: height)
    var baseline = margin + TextMetrics.ascent * titleSize
    for line in titleLines {
      canvas.text(line, x: width / 2, y: baseline, size: titleSize, anchor: .middle, role: "figure-title")
      baseline += titleLead
    }
    for (i, l) in layouts.enumerated() {
      let r = i / columns
      let c = i % columns
      let originX = margin + Double(c) * (cellWidth + PlotTheme.panelGap)
      let plotX = originX + left
      let plotY = rowY[r] + rowTop[r]
      draw(l, index: i, on: &canvas, plotX: plotX, plotY: plotY, cellX: originX, cellWidth: cellWidth)
    }
    baseline =
      height - margin - TextMetrics.descent * captionSize - Double(captionLines.count - 1) * captionLead
    for line in captionLines {
      canvas.text(
        line, x: margin, y: baseline, size: captionSize, color: PlotTheme.mutedText, role: "caption")
      baseline += captionLead
    }
    return canvas
  }

  /// Throws unless some panel has a point both of its axes can show.
  static func checkDrawable(_ figure: Figure) throws(PlotError) {
    guard !figure.panels.isEmpty else { throw .nothingToPlot("the figure has no panels") }
    let points = figure.panels.flatMap { p in p.series.flatMap { s in s.points.map { (p, $0) } } }
    let bands = figure.panels.flatMap { p in p.series.flatMap { s in s.band.map { (p, $0) } } }
    guard !points.isEmpty || !bands.isEmpty else { throw .nothingToPlot("no series has any points") }
    let drawable =
      points.contains { p, q in Axis.canShow(q.x, p.x.scale) && Axis.canShow(q.y, p.y.scale) }
      || bands.contains { p, b in
        Axis.canShow(b.x, p.x.scale) && Axis.canShow(b.low, p.y.scale) && Axis.canShow(b.high, p.y.scale)
      }
    guard drawable else {
      throw .nothingToPlot(
        "none of the \(points.count) points is finite"
          + (figure.panels.contains { $0.x.scale == .log || $0.y.scale == .log }
            ? " and positive on log axes" : ""))
    }
  }

  /// The fill and stroke of a marker in `style`.
  static func markerAttributes(_ style: SeriesStyle) -> String {
    style.markerIsStroked
      ? "fill=\"none\" stroke=\"\(style.color)\" stroke-width=\"1.6\""
      : "fill=\"\(style.color)\" stroke=\"white\" stroke-width=\"0.6\""
  }

  // MARK: - One panel

  static func draw(
    _ l: PanelLayout, index: Int, on canvas: inout SVGCanvas, plotX: Double, plotY: Double, cellX: Double,
    cellWidth: Double
  ) {
    let n = SVGCanvas.number
    let w = l.plotWidth
    let h = l.plotHeight
    let area = PlotRect(x: plotX, y: plotY, width: w, height: h)
    canvas.define(
      "<clipPath id=\"plot\(index)\"><rect x=\"\(n(plotX))\" y=\"\(n(plotY))\" width=\"\(n(w))\" height=\"\(n(h))\"/></clipPath>\n"
    )
    canvas.openGroup("class=\"panel\" data-panel=\"\(index)\"")
    if !l.panel.title.isEmpty {
      let size = PlotTheme.panelTitleSize
      let shown = TextMetrics.elide(l.panel.title, size: size, maxWidth: cellWidth - 4)
      let centre = min(
        max(plotX + w / 2, cellX + TextMetrics.width(shown, size: size) / 2 + 2),
        cellX + cellWidth - TextMetrics.width(shown, size: size) / 2 - 2)
      canvas.openGroup("class=\"panel-title\"")
      if shown != l.panel.title { canvas.tooltip(l.panel.title) }
      canvas.text(
        shown, x: centre,
        y: plotY - TextMetrics.lineHeight(PlotTheme.tickSize) / 2 - 6 - TextMetrics.descent * size,
        size: size, anchor: .middle, role: "panel-title")
      canvas.closeGroup()
    }
    // Grid lines at major ticks.
    var grid = ""
    for t in l.xAxis.ticks where t.major {
      let x = plotX + l.px(t.value)
      if x > plotX + 0.5 && x < plotX + w - 0.5 { grid += "M\(n(x)) \(n(plotY))v\(n(h))" }
    }
    for t in l.yAxis.ticks where t.major {
      let y = plotY + l.py(t.value)
      if y > plotY + 0.5 && y < plotY + h - 0.5 { grid += "M\(n(plotX)) \(n(y))h\(n(w))" }
    }
    canvas.path(
      grid, attributes: "class=\"grid\" fill=\"none\" stroke=\"\(PlotTheme.gridColor)\" stroke-width=\"0.8\"")
    // Data, clipped to the plot area: bands, guides, then series (failing ones last, on top).
    canvas.openGroup("clip-path=\"url(#plot\(index))\"")
    for (k, g) in l.series.enumerated() where !g.band.isEmpty {
      let d = "M" + g.band.map { "\(n(plotX + $0.x)) \(n(plotY + $0.y))" }.joined(separator: "L") + "z"
      canvas.path(
        d,
        attributes:
          "class=\"band\" data-series=\"\(k)\" fill=\"\(g.style.color)\" fill-opacity=\"0.18\" stroke=\"none\""
      )
    }
    for g in l.guides {
      canvas.line(
        plotX + g.start.x, plotY + g.start.y, plotX + g.end.x, plotY + g.end.y, stroke: PlotTheme.guideColor,
        width: 1.2, dash: "5 4", attributes: "class=\"guide\"")
    }
    let order = l.series.indices.sorted { a, b in
      let (fa, fb) = (l.panel.series[a].failing, l.panel.series[b].failing)
      return fa != fb ? fb : a < b
    }
    for k in order {
      let g = l.series[k]
      canvas.openGroup("class=\"series\" data-series=\"\(k)\"")
      if g.drawsLine {
        let d = g.runs.filter { $0.count >= 2 }.map { run in
          "M" + run.map { "\(n(plotX + $0.x)) \(n(plotY + $0.y))" }.joined(separator: "L")
        }.joined()
        canvas.path(
          d,
          attributes:
            "class=\"line\" fill=\"none\" stroke=\"\(g.style.color)\" stroke-width=\"\(n(g.style.lineWidth))\""
            + (g.style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + " stroke-linejoin=\"round\"")
      }
      if !g.errorBars.isEmpty {
        var d = ""
        let cap = 3.0
        for b in g.errorBars {
          let x = plotX + b.x
          d += "M\(n(x)) \(n(plotY + b.top))V\(n(plotY + b.bottom))"
          if b.capTop { d += "M\(n(x - cap)) \(n(plotY + b.top))h\(n(2 * cap))" }
          if b.capBottom { d += "M\(n(x - cap)) \(n(plotY + b.bottom))h\(n(2 * cap))" }
        }
        canvas.path(
          d,
          attributes:
            "class=\"errorbars\" fill=\"none\" stroke=\"\(g.style.color)\" stroke-width=\"\(n(g.style.lineWidth > 2 ? 1.6 : 1))\""
        )
      }
      if g.drawsMarkers && !g.markers.isEmpty {
        let r = PlotTheme.markerRadius * (g.style.lineWidth > 2 ? 1.25 : 1)
        let d = g.markers.map { g.style.markerPath(plotX + $0.x, plotY + $0.y, r) }.joined()
        canvas.path(d, attributes: "class=\"markers\" " + markerAttributes(g.style))
      }
      canvas.closeGroup()
    }
    canvas.closeGroup()
    if !l.hasData {
      canvas.text(
        "no points to show", x: plotX + w / 2, y: plotY + h / 2, size: PlotTheme.axisTitleSize,
        anchor: .middle,
        color: PlotTheme.mutedText, role: "no-data")
    }
    canvas.rect(area, fill: "none", stroke: PlotTheme.axisColor, strokeWidth: 0.8)
    // Ticks outside the plot area, and their labels.
    var ticks = ""
    let tickSize = PlotTheme.tickSize
    let labelTop = plotY + h + PlotTheme.majorTick + PlotTheme.tickLabelGap
    for t in l.xAxis.ticks {
      let x = plotX + l.px(t.value)
      ticks += "M\(n(x)) \(n(plotY + h))v\(n(t.major ? PlotTheme.majorTick : PlotTheme.minorTick))"
      if let label = t.label {
        canvas.text(
          label, x: x, y: labelTop + TextMetrics.ascent * tickSize, size: tickSize, anchor: .middle,
          role: "tick-label x")
      }
    }
    for t in l.yAxis.ticks {
      let y = plotY + l.py(t.value)
      ticks += "M\(n(plotX)) \(n(y))h\(n(-(t.major ? PlotTheme.majorTick : PlotTheme.minorTick)))"
      if let label = t.label {
        canvas.text(
          label, x: plotX - PlotTheme.majorTick - PlotTheme.tickLabelGap,
          y: y + (TextMetrics.ascent - TextMetrics.descent) / 2 * tickSize, size: tickSize, anchor: .end,
          role: "tick-label y")
      }
    }
    canvas.path(
      ticks,
      attributes: "class=\"ticks\" fill=\"none\" stroke=\"\(PlotTheme.axisColor)\" stroke-width=\"0.8\"")
    // Axis titles.
    let titleSize = PlotTheme.axisTitleSize
    var below = labelTop + TextMetrics.lineHeight(tickSize) + PlotTheme.titleGap
    titled(l.xTitle, full: l.panel.x.displayTitle, on: &canvas) { canvas in
      canvas.text(
        l.xTitle, x: plotX + w / 2, y: below + TextMetrics.ascent * titleSize, size: titleSize,
        anchor: .middle,
        role: "axis-title x")
    }
    below += TextMetrics.lineHeight(titleSize)
    let yTitleRight =
      plotX - PlotTheme.majorTick - PlotTheme.tickLabelGap - l.yLabelWidth - PlotTheme.titleGap
    titled(l.yTitle, full: l.panel.y.displayTitle, on: &canvas) { canvas in
      canvas.text(
        l.yTitle, x: yTitleRight - TextMetrics.descent * titleSize, y: plotY + h / 2, size: titleSize,
        anchor: .middle, rotated: true, role: "axis-title y")
    }
    if l.hidden > 0 {
      below += 4
      let size = PlotTheme.noteSize
      let note = TextMetrics.elide(l.hiddenNote, size: size, maxWidth: cellWidth - 4)
      canvas.text(
        note, x: plotX + w / 2, y: below + TextMetrics.ascent * size, size: size, anchor: .middle,
        color: PlotTheme.mutedText, role: "note")
      below += TextMetrics.lineHeight(size)
    }
    for g in l.guides {
      guard let label = g.label else { continue }
      canvas.text(
        g.runs, x: plotX + label.x, y: plotY + label.y, size: tickSize, anchor: label.anchor,
        color: PlotTheme.mutedText, role: "guide-label")
    }
    if l.legendOnRight {
      l.legend.draw(on: &canvas, x: plotX + w + 14, y: plotY, panel: index)
    } else if !l.legend.entries.isEmpty {
      l.legend.draw(on: &canvas, x: plotX + (w - l.legend.width) / 2, y: below + 10, panel: index)
    }
    canvas.closeGroup()
  }

  /// Draws through `body`, inside a group with the full text as tooltip when `shown` is cut.
  static func titled(
    _ shown: String, full: String, on canvas: inout SVGCanvas, _ body: (inout SVGCanvas) -> Void
  ) {
    guard !shown.isEmpty else { return }
    if shown == full {
      body(&canvas)
      return
    }
    canvas.openGroup("class=\"elided\"")
    canvas.tooltip(full)
    body(&canvas)
    canvas.closeGroup()
  }
}
