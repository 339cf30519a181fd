import Foundation

/// A panel resolved to pixels: its axes, every series' geometry in plot coordinates (origin
/// at the plot area's top-left corner), guide lines and labels, its legend, and the margins
/// its text needs around the plot area.
struct PanelLayout {
  /// One series in plot coordinates.
  struct Geometry {
    var style: SeriesStyle
    /// Runs of consecutive drawable points (a line is broken where a point cannot be shown).
    var runs: [[(x: Double, y: Double)]]
    var markers: [(x: Double, y: Double)]
    /// Vertical error bars: x, the top and bottom ends, and whether each end gets a cap (an
    /// end below a log axis runs to the bottom edge without one).
    var errorBars: [(x: Double, top: Double, bottom: Double, capTop: Bool, capBottom: Bool)]
    /// The band's outline: the upper edge left to right, then the lower edge right to left.
    var band: [(x: Double, y: Double)]
    var drawsLine: Bool
    var drawsMarkers: Bool
  }

  /// A guide line from `start` to `end` (clipped by the plot area) and its label's baseline.
  struct Guide {
    var start: (x: Double, y: Double)
    var end: (x: Double, y: Double)
    var runs: [TextRun]
    var label: (x: Double, y: Double, anchor: TextAnchor)?
  }

  var panel: PlotPanel
  var plotWidth: Double
  var plotHeight: Double
  var xAxis: Axis
  var yAxis: Axis
  var series: [Geometry] = []
  var guides: [Guide] = []
  var legend: Legend
  var legendOnRight: Bool
  /// Points that could not be shown (not finite, or not positive on a log axis).
  var hidden = 0
  var hasData: Bool

  /// Widths and heights the text around the plot area needs.
  var left = 0.0
  var right = 0.0
  var top = 0.0
  var below = 0.0
  var yLabelWidth = 0.0
  /// The axis titles as drawn (elided to the plot area's sides).
  var xTitle: String
  var yTitle: String

  /// Pixel position of a data value inside the plot area.
  func px(_ v: Double) -> Double { xAxis.fraction(v) * plotWidth }
  func py(_ v: Double) -> Double { (1 - yAxis.fraction(v)) * plotHeight }

  /// Lays `panel` out with a plot area of `plotWidth × plotHeight`. The legend goes to the
  /// right when `legendRight` and it fits in two columns of the plot's height, else below
  /// within `legendWidth`.
  init(_ panel: PlotPanel, plotWidth: Double, plotHeight: Double, legendRight: Bool, legendWidth: Double) {
    self.panel = panel
    self.plotWidth = plotWidth
    self.plotHeight = plotHeight
    let xs = panel.x.scale
    let ys = panel.y.scale
    var xValues: [Double] = []
    var yValues: [Double] = []
    var hidden = 0
    for s in panel.series {
      for p in s.points {
        guard Axis.canShow(p.x, xs), Axis.canShow(p.y, ys) else {
          hidden += 1
          continue
        }
        xValues.append(p.x)
        yValues.append(p.y)
        if let e = p.yError, e > 0, e.isFinite {
          if Axis.canShow(p.y + e, ys) { yValues.append(p.y + e) }
          let low = p.y - e
          if Axis.canShow(low, ys) && (ys == .linear || low >= p.y / 10) { yValues.append(low) }
        }
      }
      for b in s.band where Axis.canShow(b.x, xs) {
        xValues.append(b.x)
        for v in [b.low, b.high] where Axis.canShow(v, ys) { yValues.append(v) }
      }
    }
    self.hidden = hidden
    hasData = !xValues.isEmpty && !yValues.isEmpty
    // At most one label per 40 px across (and 8) and per 32 px up (and 10), about as
    // matplotlib's default locators.
    xAxis = Axis.make(
      panel.x, values: xValues, length: plotWidth, orientation: .horizontal,
      maxLabels: max(3, min(8, Int(plotWidth / 40))))
    yAxis = Axis.make(
      panel.y, values: yValues, length: plotHeight, orientation: .vertical,
      maxLabels: max(3, min(10, Int(plotHeight / 32))))
    legend = Legend(entries: [], maxWidth: legendWidth)
    legendOnRight = false
    xTitle = ""
    yTitle = ""
    series = panel.series.enumerated().map { k, s in geometry(s, index: k) }
    applyDodge()
    placeGuides()
    var entries = panel.showsLegend ? legendEntries() : []
    for g in guides where g.label == nil {
      entries.append(
        Legend.Entry(
          name: g.runs.map(\.text).joined(separator: "^"), style: Self.guideStyle, failing: false, line: true,
          marker: false, series: nil, runs: g.runs))
    }
    if legendRight {
      let maxRows = max(1, Int(plotHeight / Legend.rowHeight) - 1)
      let right = Legend(entries: entries, maxWidth: .infinity, maxRows: maxRows)
      if right.columns <= 2 {
        legend = right
        legendOnRight = true
      } else {
        legend = Legend(entries: entries, maxWidth: legendWidth)
      }
    } else {
      legend = Legend(entries: entries, maxWidth: legendWidth)
    }
    measure()
  }

  static let guideStyle = SeriesStyle(
    color: PlotTheme.guideColor, dash: "5 4", marker: .circle, lineWidth: 1.2)

  // MARK: - Series

  /// The geometry of series `k`: points that can be shown, broken runs, error bars, band.
  func geometry(_ s: PlotSeries, index k: Int) -> Geometry {
    let style = SeriesStyle.numbered(s.style ?? k, failing: s.failing)
    var runs: [[(x: Double, y: Double)]] = []
    var current: [(x: Double, y: Double)] = []
    var markers: [(x: Double, y: Double)] = []
    var bars: [(x: Double, top: Double, bottom: Double, capTop: Bool, capBottom: Bool)] = []
    let ordered = s.points.enumerated().sorted { a, b in
      // Sort by x (NaN last) so a line never runs backwards; equal x keep their order.
      let (ax, bx) = (a.element.x, b.element.x)
      if ax.isNaN != bx.isNaN { return bx.isNaN }
      return ax < bx || (ax == bx && a.offset < b.offset)
    }.map(\.element)
    for p in ordered {
      guard xAxis.canShow(p.x), yAxis.canShow(p.y) else {
        if !current.isEmpty { runs.append(current) }
        current = []
        continue
      }
      let q = (x: px(p.x), y: py(p.y))
      current.append(q)
      markers.append(q)
      if let e = p.yError, e > 0, e.isFinite {
        let hi = p.y + e
        let lo = p.y - e
        let top = yAxis.canShow(hi) ? py(hi) : -1
        let lowShown = yAxis.canShow(lo)
        let bottom = lowShown ? py(lo) : plotHeight + 1
        bars.append(
          (q.x, max(-1, top), min(plotHeight + 1, bottom), top >= 0, lowShown && bottom <= plotHeight))
      }
    }
    if !current.isEmpty { runs.append(current) }
    var upper: [(x: Double, y: Double)] = []
    var lower: [(x: Double, y: Double)] = []
    for b in s.band.sorted(by: { $0.x < $1.x })
    where xAxis.canShow(b.x) && yAxis.canShow(b.low) && yAxis.canShow(b.high) {
      upper.append((px(b.x), py(b.high)))
      lower.append((px(b.x), py(b.low)))
    }
    let band = upper.count >= 2 ? upper + lower.reversed() : []
    let hasSegment = runs.contains { $0.count >= 2 }
    let drawsLine = panel.marks != .markers && hasSegment
    let drawsMarkers = panel.marks != .lines || !hasSegment
    return Geometry(
      style: style, runs: runs, markers: markers, errorBars: bars, band: band, drawsLine: drawsLine,
      drawsMarkers: drawsMarkers)
  }

  /// Spreads series sideways (by at most 2.5 px each, and in all at most a fifth of the
  /// smallest gap between distinct x positions) so their markers and error bars stay apart.
  mutating func applyDodge() {
    let drawn = series.indices.filter { !series[$0].markers.isEmpty }
    guard panel.dodge, drawn.count > 1 else { return }
    let xs = Set(series.flatMap { $0.markers.map { ($0.x * 100).rounded() / 100 } }).sorted()
    let gap = zip(xs, xs.dropFirst()).map { $1 - $0 }.min() ?? plotWidth
    let m = Double(drawn.count)
    let step = min(2.5, gap / 5 / (m - 1))
    for (j, k) in drawn.enumerated() {
      let dx = (Double(j) - (m - 1) / 2) * step
      series[k].runs = series[k].runs.map { $0.map { (x: $0.x + dx, y: $0.y) } }
      series[k].markers = series[k].markers.map { (x: $0.x + dx, y: $0.y) }
      series[k].errorBars = series[k].errorBars.map {
        ($0.x + dx, $0.top, $0.bottom, $0.capTop, $0.capBottom)
      }
    }
  }

  func legendEntries() -> [Legend.Entry] {
    panel.series.enumerated().map { k, s in
      let g = series[k]
      return Legend.Entry(
        name: s.name, style: g.style, failing: s.failing, line: panel.marks != .markers,
        marker: panel.marks != .lines || g.drawsMarkers, series: k)
    }
  }

  // MARK: - Guides

  /// Guide lines through the geometric mean of the values at the smallest x, and a label
  /// placed inside the plot area next to the guide (tried at eight points along it, above
  /// and below, right- and left-aligned) where it crosses neither the guide, nor any series'
  /// line, marker or error bar, nor another guide's label; a guide whose label finds no such
  /// place is listed in the legend instead. Guides need log–log axes and are skipped
  /// otherwise.
  mutating func placeGuides() {
    guard xAxis.scale == .log, yAxis.scale == .log else { return }
    var firstX = Double.infinity
    for s in panel.series {
      for p in s.points where xAxis.canShow(p.x) && yAxis.canShow(p.y) { firstX = min(firstX, p.x) }
    }
    guard firstX.isFinite else { return }
    var logSum = 0.0
    var count = 0.0
    for s in panel.series {
      for p in s.points where p.x == firstX && yAxis.canShow(p.y) {
        logSum += log10(p.y)
        count += 1
      }
    }
    guard count > 0 else { return }
    let y0 = pow(10, logSum / count)
    var taken: [PlotRect] = []
    let area = PlotRect(x: 0, y: 0, width: plotWidth, height: plotHeight).expanded(by: -4)
    for guide in panel.guides where guide.exponent.isFinite {
      func yAt(_ x: Double) -> Double { log10(y0) + guide.exponent * (log10(x) - log10(firstX)) }
      let start = (
        x: 0.0, y: (1 - (yAt(xAxis.lo) - log10(yAxis.lo)) / (log10(yAxis.hi) - log10(yAxis.lo))) * plotHeight
      )
      let end = (
        x: plotWidth,
        y: (1 - (yAt(xAxis.hi) - log10(yAxis.lo)) / (log10(yAxis.hi) - log10(yAxis.lo))) * plotHeight
      )
      guard start.y.isFinite, end.y.isFinite, abs(start.y) < 1e6, abs(end.y) < 1e6 else { continue }
      let exponent = guide.exponentText ?? Axis.minus(TextReport.number(guide.exponent))
      let runs = [TextRun("∝ " + guide.variable), TextRun(exponent, .superscript)]
      var best: (cost: Int, x: Double, y: Double, anchor: TextAnchor, box: PlotRect)?
      let size = PlotTheme.tickSize
      for t in [0.9, 0.78, 0.66, 0.54, 0.42, 0.3, 0.18, 0.08] {
        let gx = start.x + t * (end.x - start.x)
        let gy = start.y + t * (end.y - start.y)
        for (dy, anchor) in [(-5.0, TextAnchor.start), (-5, .end), (5 + size, .start), (5 + size, .end)] {
          let bx = gx + (anchor == .start ? 4 : -4)
          let box = TextMetrics.box(runs, x: bx, y: gy + dy, size: size, anchor: anchor)
          guard area.contains(box), !taken.contains(where: { $0.intersects(box) }),
            !Self.segment(start, end, crosses: box.expanded(by: 1))
          else { continue }
          let cost = crossings(of: box.expanded(by: 2))
          if best == nil || cost < best!.cost {  // safe: checked for nil first
            best = (cost, bx, gy + dy, anchor, box)
          }
        }
        if best?.cost == 0 { break }
      }
      // A label that would sit on data goes to the legend instead.
      let placed = best?.cost == 0 ? best : nil
      if let placed { taken.append(placed.box) }
      guides.append(
        Guide(start: start, end: end, runs: runs, label: placed.map { ($0.x, $0.y, $0.anchor) }))
    }
  }

  /// How many series segments and markers meet `box`.
  func crossings(of box: PlotRect) -> Int {
    var n = 0
    for g in series {
      for run in g.runs where g.drawsLine {
        for (a, b) in zip(run, run.dropFirst()) where Self.segment(a, b, crosses: box) { n += 1 }
      }
      if g.drawsMarkers {
        for m in g.markers
        where box.expanded(by: PlotTheme.markerRadius).contains(PlotRect(x: m.x, y: m.y, width: 0, height: 0))
        {
          n += 1
        }
      }
      for b in g.errorBars
      where Self.segment((b.x, b.top), (b.x, b.bottom), crosses: box) {
        n += 1
      }
    }
    return n
  }

  /// True when the segment from `a` to `b` meets the rectangle (Liang–Barsky clipping).
  static func segment(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double), crosses r: PlotRect) -> Bool {
    var t0 = 0.0
    var t1 = 1.0
    let dx = b.x - a.x
    let dy = b.y - a.y
    for (p, q) in [(-dx, a.x - r.minX), (dx, r.maxX - a.x), (-dy, a.y - r.minY), (dy, r.maxY - a.y)] {
      if p == 0 {
        if q < 0 { return false }
      } else {
        let t = q / p
        if p < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
        if t0 > t1 { return false }
      }
    }
    return true
  }

  // MARK: - Margins

  /// The margins around the plot area that its text needs (see ``FigureRenderer``).
  mutating func measure() {
    let tick = PlotTheme.tickSize
    xTitle = TextMetrics.elide(panel.x.displayTitle, size: PlotTheme.axisTitleSize, maxWidth: plotWidth)
    yTitle = TextMetrics.elide(panel.y.displayTitle, size: PlotTheme.axisTitleSize, maxWidth: plotHeight)
    yLabelWidth = yAxis.ticks.compactMap(\.label).map { TextMetrics.width($0, size: tick) }.max() ?? 0
    left =
      2 + TextMetrics.lineHeight(PlotTheme.axisTitleSize) + PlotTheme.titleGap + yLabelWidth
      + PlotTheme.tickLabelGap + PlotTheme.majorTick
    right = 10
    for t in xAxis.ticks {
      guard let label = t.label else { continue }
      let half = TextMetrics.width(label, size: tick) / 2
      let p = px(t.value)
      left = max(left, half - p + 2)
      right = max(right, p + half - plotWidth + 2)
    }
    if legendOnRight {
      right = max(right, 14 + legend.width + 2)
    } else if !legend.entries.isEmpty {
      let over = (legend.width - plotWidth) / 2
      left = max(left, over + 2)
      right = max(right, over + 2)
    }
    top = max(TextMetrics.lineHeight(tick) / 2 + 2, 4)
    if !panel.title.isEmpty { top += TextMetrics.lineHeight(PlotTheme.panelTitleSize) + 6 }
    below =
      PlotTheme.majorTick + PlotTheme.tickLabelGap + TextMetrics.lineHeight(tick) + PlotTheme.titleGap
      + TextMetrics.lineHeight(PlotTheme.axisTitleSize)
    if hidden > 0 { below += 4 + TextMetrics.lineHeight(PlotTheme.noteSize) }
    if !legendOnRight && !legend.entries.isEmpty { below += 10 + legend.height }
    below += 2
  }

  /// The note under a panel whose points could not all be shown.
  var hiddenNote: String {
    let what =
      panel.x.scale == .log || panel.y.scale == .log ? "not finite or ≤ 0 on a log axis" : "not finite"
    return "\(hidden) point\(hidden == 1 ? "" : "s") not shown (\(what))"
  }
}
