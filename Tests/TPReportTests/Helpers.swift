import Foundation
import Testing

@testable import TPReport

/// Renders `figure`, parses it back, and (when `TP_PLOT_SAMPLES` names a folder) writes it
/// there as `name.svg` for looking at with `rsvg-convert`.
func rendered(_ figure: Figure, _ name: String) throws -> SVGInspector {
  let svg = try SVGPlot.svg(figure)
  let inspector = try SVGInspector(svg)
  if let folder = ProcessInfo.processInfo.environment["TP_PLOT_SAMPLES"], !folder.isEmpty {
    try? svg.write(toFile: folder + "/" + name + ".svg", atomically: true, encoding: .utf8)
    // The same with every computed text box outlined, to compare with the rendered glyphs.
    let boxes = inspector.texts.map { t in
      let b = t.box
      return "<rect x=\"\(b.x)\" y=\"\(b.y)\" width=\"\(b.width)\" height=\"\(b.height)\" fill=\"none\" "
        + "stroke=\"red\" stroke-width=\"0.3\"/>"
    }.joined(separator: "\n")
    let outlined = svg.replacingOccurrences(of: "</svg>\n", with: boxes + "\n</svg>\n")
    try? outlined.write(toFile: folder + "/" + name + ".boxes.svg", atomically: true, encoding: .utf8)
  }
  return inspector
}

/// `count` series of `points` points each: on log axes power laws `c·x^(−1/2)` at widths
/// 2^8…, on linear axes shifted sines.
func lineFigure(
  series count: Int, scale: AxisScale, points: Int = 5, errors: Bool = false,
  name: (Int) -> String = { "series \($0)" }
) -> Figure {
  let series = (0..<count).map { k in
    PlotSeries(
      name: name(k),
      points: (0..<points).map { i in
        let x = scale == .log ? pow(2, Double(8 + i)) : Double(i)
        let y =
          scale == .log
          ? 0.3 * (1 + 0.05 * Double(k)) * pow(x, -0.5) * (1 + 0.1 * sin(Double(i + k)))
          : sin(Double(i) / 2 + Double(k) / 7) + 0.02 * Double(k)
        return PlotPoint(x: x, y: y, yError: errors ? 0.15 * abs(y) : nil)
      })
  }
  return Figure(
    title: "\(count) series on \(scale.rawValue) axes",
    panels: [
      PlotPanel(
        title: "panel", x: PlotAxis("width n", scale: scale), y: PlotAxis("error", scale: scale),
        series: series,
        guides: scale == .log ? [PowerLawGuide(exponent: -0.5, exponentText: "−1/2")] : [])
    ])
}

/// Checks the invariants every figure must satisfy: no overlapping text boxes, all text on
/// the canvas, round tick labels on every axis of every panel.
func checkLayout(_ svg: SVGInspector, sourceLocation: SourceLocation = #_sourceLocation) {
  let overlaps = svg.overlaps()
  #expect(
    overlaps.isEmpty,
    "overlapping text: \(overlaps.prefix(3).map { "'\($0.0.content)' \($0.0.box) / '\($0.1.content)' \($0.1.box)" })",
    sourceLocation: sourceLocation)
  let outside = svg.outside()
  #expect(
    outside.isEmpty, "text off the canvas: \(outside.prefix(3).map { "'\($0.content)' \($0.box)" })",
    sourceLocation: sourceLocation)
  for panel in 0..<svg.panelCount {
    for axis in ["x", "y"] {
      let labels = svg.texts.filter { $0.role == "tick-label \(axis)" && $0.element.panel == panel }.map(
        \.content)
      #expect(labels.count >= 1, "panel \(panel) \(axis): no tick labels", sourceLocation: sourceLocation)
      #expect(
        roundLabels(labels), "panel \(panel) \(axis): labels not round: \(labels)",
        sourceLocation: sourceLocation)
    }
  }
}

/// True when `labels` are round: all `m×10ᵏ` or `10ᵏ` with an integer `m` in 1…9 (a log
/// axis), or multiples of one step `1, 2 or 5 × 10ᵉ` written with no more decimals than the
/// step needs (a linear axis).
func roundLabels(_ labels: [String]) -> Bool {
  let values = labels.compactMap(tickValue)
  guard values.count == labels.count else { return false }
  let superscripted = labels.allSatisfy { $0.contains { "⁰¹²³⁴⁵⁶⁷⁸⁹".contains($0) } }
  let powers = values.allSatisfy { x in
    guard x > 0 else { return false }
    let k = floor(log10(x) + 1e-9)
    let m = x / pow(10, k)
    return abs(m - m.rounded()) < 1e-6 && m.rounded() >= 1 && m.rounded() <= 9
  }
  if superscripted && powers { return true }
  guard values.count >= 2 else { return true }
  let steps = zip(values, values.dropFirst()).map { $1 - $0 }
  let step = steps[0]
  let scale = values.map(abs).max() ?? 0
  guard step > 0, steps.allSatisfy({ abs($0 - step) <= 1e-9 * step + 1e-12 * scale }) else { return false }
  let e = floor(log10(step) + 1e-9)
  let m = step / pow(10, e)
  guard [1.0, 2, 5].contains(m.rounded()), abs(m - m.rounded()) < 1e-6 else { return false }
  if labels.contains(where: { $0.contains("×") }) { return true }
  return labels.allSatisfy { decimals($0) <= max(0, Int(-e)) }
}
