/// Sizes, fonts and colours shared by every figure.
enum PlotTheme {
  static let fontFamily = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
  static let textColor = "#222222"
  static let mutedText = "#555555"
  static let axisColor = "#333333"
  static let gridColor = "#e8e8e8"
  static let guideColor = "#777777"

  static let tickSize = 11.0
  static let axisTitleSize = 12.0
  static let panelTitleSize = 13.0
  static let figureTitleSize = 15.0
  static let legendSize = 11.0
  static let noteSize = 10.0

  static let majorTick = 5.0
  static let minorTick = 3.0
  static let tickLabelGap = 3.0
  static let titleGap = 7.0
  static let figureMargin = 12.0
  static let panelGap = 20.0

  static let lineWidth = 1.6
  static let failLineWidth = 2.8
  static let markerRadius = 3.2
}

/// How one series is drawn: a colour, a dash pattern and a marker shape.
///
/// Styles are numbered: style `i` takes colour `i mod 10` of ``palette``, dash pattern
/// `⌊i/10⌋ mod 4` (solid, dashed, dotted, dash-dot) and marker `(i + ⌊i/10⌋) mod 7`, so the first
/// 40 styles differ in colour or dash and the first 280 in the triple. A failing series is
/// drawn in the reserved ``failColor`` (no palette colour is red), thicker, with its own dash
/// and marker.
struct SeriesStyle: Sendable, Hashable {
  enum Marker: Int, Sendable, CaseIterable {
    case circle, square, triangleUp, diamond, triangleDown, plus, cross
  }

  var color: String
  /// An SVG `stroke-dasharray`, nil for solid.
  var dash: String?
  var marker: Marker
  var lineWidth: Double

  /// Ten colour-blind-friendly colours: Okabe & Ito's blue, orange, bluish green, sky blue and
  /// reddish purple (vermillion and yellow left out: the first is too close to the failure
  /// red, the second too pale on white), Paul Tol's indigo, olive, teal and purple (from his
  /// "muted" scheme), and a dark grey.
  static let palette = [
    "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#332288", "#999933", "#44AA99", "#AA4499",
    "#4D4D4D",
  ]
  /// Reserved for failing series.
  static let failColor = "#D62728"
  static let dashes: [String?] = [nil, "6 3", "1.6 2.4", "7 3 1.6 3"]

  /// Style number `index` (any non-negative integer; negative values count as 0).
  static func numbered(_ index: Int, failing: Bool = false) -> SeriesStyle {
    let i = max(0, index)
    let color = failing ? failColor : palette[i % palette.count]
    let dash = dashes[(i / palette.count) % dashes.count]
    let m = Marker.allCases.count
    let marker = Marker.allCases[(i % m + (i / palette.count) % m) % m]
    return SeriesStyle(
      color: color, dash: dash, marker: marker,
      lineWidth: failing ? PlotTheme.failLineWidth : PlotTheme.lineWidth)
  }

  /// Path data for the marker centred at (`x`, `y`) with radius `r`.
  func markerPath(_ x: Double, _ y: Double, _ r: Double) -> String {
    let n = SVGCanvas.number
    switch marker {
    case .circle:
      return "M\(n(x - r)) \(n(y))a\(n(r)) \(n(r)) 0 1 0 \(n(2 * r)) 0a\(n(r)) \(n(r)) 0 1 0 \(n(-2 * r)) 0z"
    case .square:
      let s = r * 0.9
      return "M\(n(x - s)) \(n(y - s))h\(n(2 * s))v\(n(2 * s))h\(n(-2 * s))z"
    case .triangleUp:
      let s = r * 1.2
      return "M\(n(x)) \(n(y - s))L\(n(x + s)) \(n(y + 0.8 * s))L\(n(x - s)) \(n(y + 0.8 * s))z"
    case .triangleDown:
      let s = r * 1.2
      return "M\(n(x)) \(n(y + s))L\(n(x + s)) \(n(y - 0.8 * s))L\(n(x - s)) \(n(y - 0.8 * s))z"
    case .diamond:
      let s = r * 1.25
      return "M\(n(x)) \(n(y - s))L\(n(x + s)) \(n(y))L\(n(x)) \(n(y + s))L\(n(x - s)) \(n(y))z"
    case .plus:
      let s = r * 1.25
      return "M\(n(x - s)) \(n(y))h\(n(2 * s))M\(n(x)) \(n(y - s))v\(n(2 * s))"
    case .cross:
      let s = r
      return
        "M\(n(x - s)) \(n(y - s))l\(n(2 * s)) \(n(2 * s))M\(n(x - s)) \(n(y + s))l\(n(2 * s)) \(n(-2 * s))"
    }
  }

  /// True for markers drawn by their outline only (`plus`, `cross`).
  var markerIsStroked: Bool { marker == .plus || marker == .cross }
}
