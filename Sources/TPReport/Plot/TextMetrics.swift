/// A rectangle in SVG user units (pixels), `y` growing downwards.
struct PlotRect: Sendable, Hashable, CustomStringConvertible {
  var x: Double
  var y: Double
  var width: Double
  var height: Double

  var minX: Double { x }
  var maxX: Double { x + width }
  var minY: Double { y }
  var maxY: Double { y + height }
  var midX: Double { x + width / 2 }
  var midY: Double { y + height / 2 }

  /// True when the interiors meet (touching edges do not count).
  func intersects(_ other: PlotRect) -> Bool {
    minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
  }

  /// True when `other` lies inside (edges included), with `tolerance` for rounding.
  func contains(_ other: PlotRect, tolerance: Double = 1e-6) -> Bool {
    other.minX >= minX - tolerance && other.maxX <= maxX + tolerance && other.minY >= minY - tolerance
      && other.maxY <= maxY + tolerance
  }

  /// The rectangle grown by `d` on every side.
  func expanded(by d: Double) -> PlotRect {
    PlotRect(x: x - d, y: y - d, width: width + 2 * d, height: height + 2 * d)
  }

  var description: String { "(\(x), \(y), \(width)×\(height))" }
}

/// One run of text with one style: plain, bold, or a superscript (smaller and raised).
struct TextRun: Sendable, Hashable {
  enum Style: Sendable, Hashable { case plain, bold, superscript }
  var text: String
  var style: Style = .plain
  /// A fill colour for this run only (e.g. the red of "FAIL"); nil inherits the text's.
  var color: String?
  /// Space before the run, in ems of the base size (written as `dx`: renderers drop spaces
  /// at the start of a `<tspan>`).
  var gap: Double

  init(_ text: String, _ style: Style = .plain, color: String? = nil, gap: Double = 0) {
    self.text = text
    self.style = style
    self.color = color
    self.gap = gap
  }
}

/// How text is anchored at its `x`: SVG's `text-anchor`.
enum TextAnchor: String, Sendable { case start, middle, end }

/// Approximate text extents for laying out labels without a font engine.
///
/// Widths are the advance widths of **DejaVu Sans** (Book), in units of the em, read from the
/// font's `hmtx` table for printable ASCII and a few symbols the plots use (`−`, `×`, `∝`, `…`,
/// superscript digits, Greek letters). The SVG asks for DejaVu Sans first (the default sans
/// font of most Linux systems, and what `rsvg-convert` uses here); its fallbacks Verdana
/// (a design of the same proportions: digits 0.636 em in both) and Helvetica/Arial
/// (narrower: digits 0.556 em) make text no wider, so the computed boxes are exact for
/// DejaVu Sans and close or conservative for the others.
/// Characters not in the table count as 0.7 em in Latin, Greek and Cyrillic blocks and 1 em
/// elsewhere (wide enough for CJK); combining marks count 0. Bold text counts 1.12× wider
/// (DejaVu Sans Bold is 1.10× wider on average over ASCII letters and digits).
///
/// A line's box spans the font's ascent (0.928 em) above the baseline and its descent
/// (0.236 em) below; a superscript run is set at ``superscriptScale`` of the size, raised by
/// ``superscriptRise`` em, and may extend the box upwards.
enum TextMetrics {
  /// Advance widths in thousandths of an em for U+0020…U+007E (DejaVu Sans Book).
  static let ascii: [UInt16] = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752,
    295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390,
    838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411,
    521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
  ]

  /// Advance widths in thousandths of an em of the non-ASCII symbols the plots write.
  static let symbols: [Character: UInt16] = [
    "−": 838, "±": 838, "×": 838, "∝": 714, "…": 1000, "·": 318, "⁰": 401, "¹": 401,
    "²": 401, "³": 401,
    "⁴": 401, "⁵": 401, "⁶": 401, "⁷": 401, "⁸": 401, "⁹": 401, "⁻": 528, "⁺": 528, "Δ": 684, "χ": 578,
    "ξ": 558, "θ": 612, "σ": 634, "μ": 636, "λ": 592, "α": 659, "β": 638, "γ": 592, "δ": 612, "ε": 541,
    "η": 634, "π": 602, "ρ": 635, "τ": 602, "φ": 660, "ψ": 660, "ω": 837, "Σ": 632, "Ω": 764, "≈": 838,
    "≤": 838, "≥": 838, "√": 637, "∞": 833, "—": 1000, "–": 500, "⟨": 390, "⟩": 390, "′": 227, "ᵀ": 385,
    "₀": 401, "₁": 401, "₂": 401, "₃": 401,
  ]

  static let ascent = 0.928
  static let descent = 0.236
  static let boldFactor = 1.12
  static let superscriptScale = 0.72
  static let superscriptRise = 0.42

  /// The advance width of one character, in ems.
  static func advance(_ c: Character) -> Double {
    if let a = c.asciiValue {
      return a >= 0x20 && a <= 0x7E ? Double(ascii[Int(a) - 0x20]) / 1000 : 0
    }
    if let w = symbols[c] { return Double(w) / 1000 }
    guard let scalar = c.unicodeScalars.first else { return 0 }
    let v = scalar.value
    if (0x0300...0x036F).contains(v) { return 0 }
    if v < 0x0530 { return 0.7 }
    return 1
  }

  /// The width of `text` at font size `size`.
  static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
    var em = 0.0
    for c in text { em += advance(c) }
    return em * size * (bold ? boldFactor : 1)
  }

  /// The width of a sequence of runs at base font size `size`.
  static func width(_ runs: [TextRun], size: Double) -> Double {
    runs.reduce(0) { sum, run in
      let total = sum + run.gap * size
      switch run.style {
      case .plain: return total + width(run.text, size: size)
      case .bold: return total + width(run.text, size: size, bold: true)
      case .superscript: return total + width(run.text, size: size * superscriptScale)
      }
    }
  }

  /// The height of one line of text at size `size` (ascent plus descent).
  static func lineHeight(_ size: Double) -> Double { (ascent + descent) * size }

  /// The box of horizontal text with its baseline at `y`, anchored at `x`.
  static func box(
    _ runs: [TextRun], x: Double, y: Double, size: Double, anchor: TextAnchor, rotated: Bool = false
  ) -> PlotRect {
    let w = width(runs, size: size)
    let raised = runs.contains { $0.style == .superscript }
    let above = max(ascent * size, raised ? (superscriptRise + ascent * superscriptScale) * size : 0)
    let below = descent * size
    let start: Double
    switch anchor {
    case .start: start = 0
    case .middle: start = -w / 2
    case .end: start = -w
    }
    if !rotated { return PlotRect(x: x + start, y: y - above, width: w, height: above + below) }
    // rotate(-90 x y) maps (x + u, y + v) to (x + v, y − u).
    return PlotRect(x: x - above, y: y - (start + w), width: above + below, height: w)
  }

  /// `text` cut to at most `maxWidth` at size `size`, ending in "…" when cut.
  static func elide(_ text: String, size: Double, maxWidth: Double, bold: Bool = false) -> String {
    if width(text, size: size, bold: bold) <= maxWidth { return text }
    let ellipsis = width("…", size: size, bold: bold)
    var kept = ""
    var used = 0.0
    for c in text {
      let w = advance(c) * size * (bold ? boldFactor : 1)
      if used + w + ellipsis > maxWidth { break }
      kept.append(c)
      used += w
    }
    return kept + "…"
  }

  /// `text` broken at spaces into lines of at most `maxWidth` (a word longer than a line is
  /// elided to it); at least one line.
  static func wrap(_ text: String, size: Double, maxWidth: Double) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
      let candidate = current.isEmpty ? word : current + " " + word
      if width(candidate, size: size) <= maxWidth || current.isEmpty {
        current = candidate
      } else {
        lines.append(current)
        current = word
      }
    }
    lines.append(current)
    return lines.map { elide($0, size: size, maxWidth: maxWidth) }
  }
}
