/// The scale of a plot axis.
public enum AxisScale: String, Sendable, Hashable {
  case linear
  /// Base-10 logarithmic: decades labelled as powers of ten; values ≤ 0 cannot be shown.
  case log
}

/// One axis of a panel: its title and scale.
public struct PlotAxis: Sendable, Hashable {
  /// The title; " (log scale)" is appended on a log axis.
  public var title: String
  /// Linear or base-10 logarithmic.
  public var scale: AxisScale
  /// On a linear axis, start exactly at 0 (densities, counts); ignored on a log axis.
  public var startsAtZero: Bool

  /// An axis titled `title`.
  public init(_ title: String, scale: AxisScale = .linear, startsAtZero: Bool = false) {
    self.title = title
    self.scale = scale
    self.startsAtZero = startsAtZero
  }

  /// The title as drawn.
  public var displayTitle: String { scale == .log ? title + " (log scale)" : title }
}

/// One data point, with an optional symmetric vertical error bar `y ± yError`.
public struct PlotPoint: Sendable, Hashable {
  /// The abscissa; a point that an axis cannot show (NaN, ±∞, ≤ 0 on a log axis) is left
  /// out, counted in a note under the panel, and breaks the series' line.
  public var x: Double
  /// The ordinate (left out like `x`).
  public var y: Double
  /// Half-length of the error bar; nil (or not positive and finite) for none.
  public var yError: Double?

  /// The point (`x`, `y`) with an error bar of half-length `yError`.
  public init(x: Double, y: Double, yError: Double? = nil) {
    self.x = x
    self.y = y
    self.yError = yError
  }
}

/// One point of a shaded interval: `low…high` at `x`.
public struct PlotBandPoint: Sendable, Hashable {
  /// Where the interval is.
  public var x: Double
  /// Its lower end.
  public var low: Double
  /// Its upper end.
  public var high: Double

  /// The interval `low…high` at `x`.
  public init(x: Double, low: Double, high: Double) {
    self.x = x
    self.low = low
    self.high = high
  }
}

/// One named series of a panel.
public struct PlotSeries: Sendable, Hashable {
  /// The legend text (shown whole in a tooltip when elided).
  public var name: String
  /// The points, drawn in order of `x`.
  public var points: [PlotPoint]
  /// An interval shaded in the series' colour behind it (empty for none).
  public var band: [PlotBandPoint]
  /// Drawn in the reserved red, thicker, and marked "FAIL" in the legend.
  public var failing: Bool
  /// The style number (colour, dash, marker; see the style rule of ``Figure``); nil uses the
  /// series' index in its panel. Equal numbers give equal styles across panels.
  public var style: Int?

  /// A series named `name`.
  public init(
    name: String, points: [PlotPoint], band: [PlotBandPoint] = [], failing: Bool = false, style: Int? = nil
  ) {
    self.name = name
    self.points = points
    self.band = band
    self.failing = failing
    self.style = style
  }
}

/// A reference power law `y ∝ x^exponent` on log–log axes, drawn dashed grey through the
/// geometric mean of the series' values at the smallest `x`, with a label such as `∝ n^−1/2`.
public struct PowerLawGuide: Sendable, Hashable {
  /// The power: −0.5 for `∝ n^−1/2`.
  public var exponent: Double
  /// The variable's name in the label (`n`).
  public var variable: String
  /// The exponent as written in the label (`−1/2`); nil writes the number.
  public var exponentText: String?

  /// A guide `∝ variable^exponent`.
  public init(exponent: Double, variable: String = "n", exponentText: String? = nil) {
    self.exponent = exponent
    self.variable = variable
    self.exponentText = exponentText
  }
}

/// How a panel's series are drawn.
public enum PlotMarks: String, Sendable, Hashable {
  /// Lines through the points, and a marker at each.
  case linesAndMarkers
  /// Lines only (smooth curves such as densities); a series with a single point still gets a
  /// marker.
  case lines
  /// Markers only.
  case markers
}

/// One panel: two axes, its series, reference guides and a legend.
public struct PlotPanel: Sendable, Hashable {
  /// Shown above the plot area (elided to the panel's width, whole as a tooltip); may be empty.
  public var title: String
  /// The horizontal axis.
  public var x: PlotAxis
  /// The vertical axis.
  public var y: PlotAxis
  /// The series; all of them appear in the legend.
  public var series: [PlotSeries]
  /// Lines, markers or both.
  public var marks: PlotMarks
  /// Reference power laws (on log–log axes only).
  public var guides: [PowerLawGuide]
  /// Draw a legend (every series, wrapped into columns); off for a panel whose title names
  /// its only series.
  public var showsLegend: Bool
  /// Spread series a few pixels sideways so markers and error bars at equal `x` stay apart.
  public var dodge: Bool

  /// A panel titled `title`.
  public init(
    title: String, x: PlotAxis, y: PlotAxis, series: [PlotSeries], marks: PlotMarks = .linesAndMarkers,
    guides: [PowerLawGuide] = [], showsLegend: Bool = true, dodge: Bool = false
  ) {
    self.title = title
    self.x = x
    self.y = y
    self.series = series
    self.marks = marks
    self.guides = guides
    self.showsLegend = showsLegend
    self.dodge = dodge
  }
}

/// A figure: a title, a grid of panels with shared styling, and a caption.
///
/// One panel gets a large plot area and its legend to the right (or below it when that would
/// take more than two columns); several panels are laid out in a grid of equal plot areas,
/// each with its legend below it. The canvas grows to hold every legend entry: none is ever
/// dropped. Style `i` of a series is colour `i mod 10` of a colour-blind-friendly palette,
/// dash pattern `⌊i/10⌋ mod 4` (solid, dashed, dotted, dash-dot) and marker
/// `(i + ⌊i/10⌋) mod 7`.
public struct Figure: Sendable, Hashable {
  /// Shown on top (wrapped to the width) and as the document's `<title>`.
  public var title: String
  /// The panels, filled into the grid row by row.
  public var panels: [PlotPanel]
  /// Explanatory text under the panels (what error bars mean, …), wrapped to the width.
  public var caption: String?
  /// Panels per row; nil chooses (1 for one panel, 2 for two or four, else 3).
  public var columns: Int?

  /// A figure titled `title`.
  public init(title: String, panels: [PlotPanel], caption: String? = nil, columns: Int? = nil) {
    self.title = title
    self.panels = panels
    self.caption = caption
    self.columns = columns
  }
}

/// Why a figure was not drawn.
public enum PlotError: Error, Sendable, Hashable, CustomStringConvertible {
  /// No panel has a single point that its axes can show (no series, only NaN, only values ≤ 0
  /// on log axes); the reason says which.
  case nothingToPlot(String)

  /// `nothing to plot: REASON`.
  public var description: String {
    switch self {
    case .nothingToPlot(let reason): return "nothing to plot: \(reason)"
    }
  }
}
