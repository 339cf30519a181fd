/// A panel's legend: one entry per series (none is ever dropped), plus reference guides whose
/// labels found no room inside the plot, in columns filled top to bottom.
struct Legend {
  struct Entry {
    var name: String
    var style: SeriesStyle
    var failing: Bool
    var line: Bool
    var marker: Bool
    /// The series' index in its panel; nil for a guide.
    var series: Int?
    /// The label as drawn (elided, "FAIL" appended for failing series); set on entries
    /// made with it (guides) and left as given.
    var runs: [TextRun] = []
  }

  static let size = PlotTheme.legendSize
  static let sampleWidth = 26.0
  static let sampleGap = 6.0
  static let rowHeight = 16.0
  static let columnGap = 16.0
  static let padding = 6.0
  static let failRun = TextRun("FAIL", .bold, color: SeriesStyle.failColor, gap: 0.35)

  var entries: [Entry]
  var columns = 1
  var rows = 0
  var columnWidth = 0.0

  /// Width and height including the frame's padding; zero without entries.
  var width: Double {
    entries.isEmpty
      ? 0 : 2 * Legend.padding + Double(columns) * columnWidth + Double(columns - 1) * Legend.columnGap
  }
  var height: Double { entries.isEmpty ? 0 : 2 * Legend.padding + Double(rows) * Legend.rowHeight }

  /// Lays `entries` out in at most `maxWidth` pixels: labels are elided to fit one column in
  /// it, then as many columns as fit are used. With `maxRows`, columns are added instead
  /// until no column is longer than that (the width then follows).
  init(entries: [Entry], maxWidth: Double, maxRows: Int? = nil, maxLabelWidth: Double = 260) {
    self.entries = entries
    guard !entries.isEmpty else { return }
    let labelRoom = max(
      40, min(maxLabelWidth, maxWidth - 2 * Legend.padding - Legend.sampleWidth - Legend.sampleGap))
    let failWidth = TextMetrics.width([Legend.failRun], size: Legend.size)
    for i in self.entries.indices {
      let e = self.entries[i]
      if !e.runs.isEmpty { continue }
      if e.failing {
        let name = TextMetrics.elide(e.name, size: Legend.size, maxWidth: max(10, labelRoom - failWidth))
        self.entries[i].runs = [TextRun(name), Legend.failRun]
      } else {
        self.entries[i].runs = [TextRun(TextMetrics.elide(e.name, size: Legend.size, maxWidth: labelRoom))]
      }
    }
    let widest = self.entries.map { TextMetrics.width($0.runs, size: Legend.size) }.max() ?? 0
    columnWidth = Legend.sampleWidth + Legend.sampleGap + widest
    let n = entries.count
    if let maxRows {
      columns = max(1, (n + max(1, maxRows) - 1) / max(1, maxRows))
    } else {
      let room = maxWidth - 2 * Legend.padding + Legend.columnGap
      columns = max(1, min(n, Int(room / (columnWidth + Legend.columnGap))))
    }
    rows = (n + columns - 1) / columns
    columns = (n + rows - 1) / rows
  }

  /// Draws the legend with its top-left corner at (`x`, `y`).
  func draw(on canvas: inout SVGCanvas, x: Double, y: Double, panel: Int) {
    guard !entries.isEmpty else { return }
    canvas.openGroup("class=\"legend\" data-panel=\"\(panel)\"")
    canvas.rect(
      PlotRect(x: x, y: y, width: width, height: height), fill: "white", stroke: "#cccccc", strokeWidth: 0.8)
    for (i, e) in entries.enumerated() {
      let column = i / rows
      let row = i % rows
      let left = x + Legend.padding + Double(column) * (columnWidth + Legend.columnGap)
      let mid = y + Legend.padding + (Double(row) + 0.5) * Legend.rowHeight
      if let s = e.series {
        canvas.openGroup("class=\"legend-entry\" data-series=\"\(s)\"")
      } else {
        canvas.openGroup("class=\"legend-guide\"")
      }
      canvas.tooltip(e.name + (e.failing ? " (FAIL)" : ""))
      if e.line {
        canvas.line(
          left, mid, left + Legend.sampleWidth, mid, stroke: e.style.color, width: e.style.lineWidth,
          dash: e.style.dash)
      }
      if e.marker {
        canvas.path(
          e.style.markerPath(left + Legend.sampleWidth / 2, mid, PlotTheme.markerRadius),
          attributes: FigureRenderer.markerAttributes(e.style))
      }
      let baseline = mid + (TextMetrics.ascent - TextMetrics.descent) / 2 * Legend.size
      canvas.text(
        e.runs, x: left + Legend.sampleWidth + Legend.sampleGap, y: baseline, size: Legend.size,
        role: "legend-label")
      canvas.closeGroup()
    }
    canvas.closeGroup()
  }
}
