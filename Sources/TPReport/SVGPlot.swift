import Foundation
import TPCore

/// Minimal SVG line plots: log–log convergence plots for `tp check`, and density plots.
public enum SVGPlot {
  /// One polyline with markers.
  public struct Series: Sendable {
    public var label: String
    public var points: [(x: Double, y: Double)]
    public init(label: String, points: [(x: Double, y: Double)]) {
      self.label = label
      self.points = points
    }
  }

  static let palette = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
  ]

  /// A plot of `series` with optional log axes, a reference line of slope `referenceSlope`
  /// (on log–log axes), axis labels and a legend.
  public static func plot(
    title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool, logY: Bool,
    referenceSlope: Double? = nil
  ) -> String {
    let w = 720.0, h = 480.0, left = 80.0, right = 200.0, top = 40.0, bottom = 60.0
    let tx: (Double) -> Double = { logX ? log10($0) : $0 }
    let ty: (Double) -> Double = { logY ? log10($0) : $0 }
    let all = series.flatMap(\.points).filter {
      (!logX || $0.x > 0) && (!logY || $0.y > 0) && $0.x.isFinite && $0.y.isFinite
    }
    guard !all.isEmpty else {
      return
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"80\"><text x=\"10\" y=\"40\">no data</text></svg>\n"
    }
    var (x0, x1) = (all.map { tx($0.x) }.min()!, all.map { tx($0.x) }.max()!)  // safe: non-empty
    var (y0, y1) = (all.map { ty($0.y) }.min()!, all.map { ty($0.y) }.max()!)  // safe: non-empty
    if x1 - x0 < 1e-12 { (x0, x1) = (x0 - 0.5, x1 + 0.5) }
    if y1 - y0 < 1e-12 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
    let pad = 0.05 * (y1 - y0)
    (y0, y1) = (y0 - pad, y1 + pad)
    func px(_ x: Double) -> Double { left + (tx(x) - x0) / (x1 - x0) * (w - left - right) }
    func py(_ y: Double) -> Double { h - bottom - (ty(y) - y0) / (y1 - y0) * (h - top - bottom) }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
    }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    svg += "<text x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>\n"
    svg +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(w - left - right))\" height=\"\(f(h - top - bottom))\" fill=\"none\" stroke=\"#444\"/>\n"
    // Ticks at the data's x values and at a few y levels.
    for x in Set(all.map(\.x)).sorted() {
      svg +=
        "<text x=\"\(f(px(x)))\" y=\"\(f(h - bottom + 18))\" text-anchor=\"middle\">\(TextReport.number(x))</text>\n"
    }
    for k in 0...4 {
      let v = y0 + Double(k) / 4 * (y1 - y0)
      let y = logY ? pow(10, v) : v
      svg +=
        "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(TextReport.number(y))</text>\n"
      svg +=
        "<line x1=\"\(f(left))\" x2=\"\(f(w - right))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>\n"
    }
    svg +=
      "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 15))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
    svg +=
      "<text transform=\"translate(18 \(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
    if let s = referenceSlope, logX, logY, let first = all.first {
      let xa = all.map(\.x).min()!, xb = all.map(\.x).max()!  // safe: non-empty
      let ya = all.filter { $0.x == xa }.map(\.y).max() ?? first.y
      let yb = ya * pow(xb / xa, s)
      svg +=
        "<line x1=\"\(f(px(xa)))\" y1=\"\(f(py(ya)))\" x2=\"\(f(px(xb)))\" y2=\"\(f(py(yb)))\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n"
      svg +=
        "<text x=\"\(f(px(xb) + 4))\" y=\"\(f(py(yb)))\" fill=\"#666\">n^\(TextReport.number(s))</text>\n"
    }
    for (i, s) in series.enumerated() {
      let color = palette[i % palette.count]
      let pts = s.points.filter {
        (!logX || $0.x > 0) && (!logY || $0.y > 0) && $0.x.isFinite && $0.y.isFinite
      }
      if pts.count > 1 {
        svg +=
          "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\""
          + pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>\n"
      }
      for p in pts {
        svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
      }
      let ly = top + 16 + Double(i) * 18
      if i < 20 {
        svg +=
          "<rect x=\"\(f(w - right + 12))\" y=\"\(f(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>\n"
        svg += "<text x=\"\(f(w - right + 28))\" y=\"\(f(ly))\">\(esc(String(s.label.prefix(26))))</text>\n"
      }
    }
    return svg + "</svg>\n"
  }

  /// The `tp check` plot: RMS error against width, log–log, with an `n^{-1/2}` guide.
  public static func check(_ report: CheckReport) -> String {
    plot(
      title: "finite widths vs the limit: \(report.program)", xLabel: "width n",
      yLabel: "RMS error over seeds",
      series: report.quantities.map { q in
        Series(label: q.name, points: q.widths.map { (Double($0.width), $0.rmsError) })
      },
      logX: true, logY: true, referenceSlope: -0.5)
  }
}
