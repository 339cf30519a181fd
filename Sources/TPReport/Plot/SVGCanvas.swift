import Foundation

/// An SVG document under construction: primitives written as text, and the box of every text
/// element recorded so that layout can avoid collisions and tests can check them.
///
/// Coordinates are SVG user units (pixels), written with at most two decimals. Every string
/// written into the document is XML-escaped.
struct SVGCanvas {
  /// One text element written so far and its computed box (see ``TextMetrics``).
  struct PlacedText {
    var runs: [TextRun]
    var box: PlotRect
    var role: String
  }

  var width: Double
  var height: Double
  private(set) var body = ""
  private(set) var defs = ""
  private(set) var texts: [PlacedText] = []

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// The whole document. `title` becomes the root's `<title>` (shown as a tooltip).
  func document(title: String) -> String {
    let w = Self.number(width)
    let h = Self.number(height)
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
      + "font-family=\"\(PlotTheme.fontFamily)\" font-size=\"\(Self.number(PlotTheme.tickSize))\" "
      + "fill=\"\(PlotTheme.textColor)\">\n"
    svg += "<title>\(Self.escape(title))</title>\n"
    if !defs.isEmpty { svg += "<defs>\n" + defs + "</defs>\n" }
    svg += "<rect width=\"\(w)\" height=\"\(h)\" fill=\"white\"/>\n"
    return svg + body + "</svg>\n"
  }

  // MARK: - Escaping and numbers

  /// `s` with `&`, `<`, `>`, `"` and `'` escaped, and characters that XML 1.0 forbids
  /// (controls other than tab and newline, lone surrogates cannot occur in Swift strings,
  /// U+FFFE/U+FFFF) replaced by U+FFFD.
  static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default:
        let v = scalar.value
        if (v < 0x20 && v != 0x09 && v != 0x0A) || v == 0xFFFE || v == 0xFFFF || (0x7F...0x9F).contains(v) {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// A coordinate with at most two decimals and no trailing zeros; non-finite values as 0
  /// (callers only pass finite values; this keeps the document valid regardless).
  static func number(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 100).rounded() / 100
    if r == r.rounded(), abs(r) < 1e15 { return String(Int(r)) }
    var s = String(format: "%.2f", r)
    while s.hasSuffix("0") { s.removeLast() }
    return s
  }

  // MARK: - Primitives

  /// Appends raw markup (already escaped).
  mutating func raw(_ markup: String) { body += markup }

  /// Appends a definition (a clip path) to `<defs>`.
  mutating func define(_ markup: String) { defs += markup }

  mutating func openGroup(_ attributes: String) { body += "<g \(attributes)>\n" }
  mutating func closeGroup() { body += "</g>\n" }

  /// A `<title>` child: the tooltip of the enclosing group.
  mutating func tooltip(_ text: String) { body += "<title>\(Self.escape(text))</title>\n" }

  mutating func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
    dash: String? = nil, attributes: String = ""
  ) {
    let n = Self.number
    body +=
      "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" "
      + "stroke-width=\"\(n(width))\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
      + (attributes.isEmpty ? "" : " " + attributes) + "/>\n"
  }

  mutating func rect(_ r: PlotRect, fill: String, stroke: String? = nil, strokeWidth: Double = 1) {
    let n = Self.number
    body +=
      "<rect x=\"\(n(r.x))\" y=\"\(n(r.y))\" width=\"\(n(r.width))\" height=\"\(n(r.height))\" fill=\"\(fill)\""
      + (stroke.map { " stroke=\"\($0)\" stroke-width=\"\(n(strokeWidth))\"" } ?? "") + "/>\n"
  }

  /// A `<path>` with data `d` (already built from ``number(_:)``) and attributes.
  mutating func path(_ d: String, attributes: String) {
    guard !d.isEmpty else { return }
    body += "<path d=\"\(d)\" \(attributes)/>\n"
  }

  /// Text whose baseline starts at (`x`, `y`); `rotated` turns it by −90° about that point (a
  /// y-axis title). Returns and records its box.
  @discardableResult
  mutating func text(
    _ runs: [TextRun], x: Double, y: Double, size: Double, anchor: TextAnchor = .start,
    rotated: Bool = false, color: String? = nil, role: String
  ) -> PlotRect {
    let n = Self.number
    let box = TextMetrics.box(runs, x: x, y: y, size: size, anchor: anchor, rotated: rotated)
    var tag = "<text class=\"\(role)\" x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
    if anchor != .start { tag += " text-anchor=\"\(anchor.rawValue)\"" }
    if rotated { tag += " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" }
    if let color { tag += " fill=\"\(color)\"" }
    tag += ">"
    var raised = false
    let rise = TextMetrics.superscriptRise * size
    for run in runs {
      let colour =
        (run.color.map { " fill=\"\($0)\"" } ?? "") + (run.gap != 0 ? " dx=\"\(n(run.gap * size))\"" : "")
      switch run.style {
      case .plain:
        if raised || !colour.isEmpty {
          tag +=
            "<tspan" + (raised ? " dy=\"\(n(rise))\"" : "") + colour + ">" + Self.escape(run.text)
            + "</tspan>"
        } else {
          tag += Self.escape(run.text)
        }
        raised = false
      case .bold:
        tag +=
          "<tspan font-weight=\"bold\"" + (raised ? " dy=\"\(n(rise))\"" : "") + colour + ">"
          + Self.escape(run.text) + "</tspan>"
        raised = false
      case .superscript:
        tag +=
          "<tspan" + (raised ? "" : " dy=\"\(n(-rise))\"")
          + " font-size=\"\(n(size * TextMetrics.superscriptScale))\"" + colour + ">" + Self.escape(run.text)
          + "</tspan>"
        raised = true
      }
    }
    body += tag + "</text>\n"
    texts.append(PlacedText(runs: runs, box: box, role: role))
    return box
  }

  /// Plain text: ``text(_:x:y:size:anchor:rotated:color:role:)`` with one run.
  @discardableResult
  mutating func text(
    _ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor = .start, rotated: Bool = false,
    color: String? = nil, role: String
  ) -> PlotRect {
    text([TextRun(s)], x: x, y: y, size: size, anchor: anchor, rotated: rotated, color: color, role: role)
  }
}
