import Foundation
import TPCore

extension TextReport {
  /// An exponent as text: `0`, `−1/2`, `1`, `−0.33`; `none` for `−∞` (does not move).
  static func exponent(_ e: Double) -> String {
    if e == -.infinity { return "none" }
    for d in [1.0, 2, 3, 4] {
      let k = (e * d).rounded()
      if abs(e * d - k) < 1e-9 {
        let text = d == 1 ? String(Int(k)) : "\(Int(abs(k)))/\(Int(d))"
        return (k < 0 ? "−" : "") + (d == 1 ? String(Int(abs(k))) : text)
      }
    }
    return String(format: "%.2f", e)
  }

  /// `tp coordcheck` as text: per step, vector and kind, the seed means at the smallest and the
  /// largest width, the fitted slope ± its standard error, the predicted slope, and `GROWS`
  /// for a quantity whose slope is significantly above the tolerance.
  public static func coordCheck(_ report: CoordCheckReport) -> String {
    func cell(_ w: CoordCheckReport.Quantity.Width?) -> String {
      guard let w else { return "—" }
      return "\(number(w.mean)) ± \(errorText(w.standardError))"
    }
    var rows: [[String]] = []
    for q in report.quantities {
      let slope =
        q.slope.map { s in
          String(format: "%.2f", s) + (q.slopeError.map { " ± " + String(format: "%.2f", $0) } ?? "")
        } ?? "—"
      rows.append([
        q.vector, String(q.step), q.kind == .size ? "size" : "change", cell(q.widths.first),
        cell(q.widths.last),
        slope, q.expected.map(exponent) ?? "?", q.grows ? "GROWS" : "ok",
      ])
    }
    let first = report.widths.first.map { "n=\($0)" } ?? "first"
    let last = report.widths.last.map { "n=\($0)" } ?? "last"
    let header = ["vector", "step", "RMS", first, last, "slope ± SE", "expected", ""]
    let growing = report.quantities.filter(\.grows)
    var verdict: String
    if report.passed {
      verdict =
        "no quantity grows with the width (slopes ≤ \(number(report.tolerance)) within \(String(format: "%.1f", report.critical)) SE)"
    } else {
      verdict = "\(growing.count) of \(report.quantities.count) quantities grow with the width"
      if let worst = growing.max(by: { ($0.slope ?? 0) < ($1.slope ?? 0) }), let s = worst.slope {
        verdict +=
          "; fastest: the \(worst.kind == .size ? "size" : "change") of \(worst.vector) after \(worst.step) step\(worst.step == 1 ? "" : "s"), ∝ n^\(String(format: "%.2f", s))"
      }
      if !report.failures.isEmpty {
        verdict += "; \(report.failures.count) run\(report.failures.count == 1 ? "" : "s") diverged"
      }
    }
    var text =
      "\(report.program): coord check of the \(report.parametrization) parametrization (\(report.regime)); "
      + "\(report.seeds) seeds per width, RMS over \(report.probes.count) probe input\(report.probes.count == 1 ? "" : "s") and all coordinates; "
      + "size = √mean x_t², change = √mean (x_t − x_0)²; slope of log RMS vs log n\n\n"
      + table(header: header, rows: rows)
    if !report.failures.isEmpty {
      text += "\n\n" + report.failures.map { "diverged: " + $0 }.joined(separator: "\n")
    }
    return text + "\n\n" + verdict
  }
}

extension JSONReport {
  /// `tp coordcheck --json`: the settings, and per quantity its seed means per width, the
  /// fitted slope with its standard error, the predicted slope and the verdict.
  public struct CoordCheckDocument: Encodable, Sendable {
    /// The report encoded.
    public var report: CoordCheckReport

    /// The document of `report`.
    public init(_ report: CoordCheckReport) { self.report = report }

    struct Width: Encodable {
      var width: Int
      var mean: JSONNumber
      var stderr: JSONNumber
      var seeds: Int
    }

    struct Quantity: Encodable {
      var vector: String
      var kind: String
      var step: Int
      var widths: [Width]
      var slope: JSONNumber?
      var slope_error: JSONNumber?
      /// A number, `"none"` for a quantity that should not move, absent when not predicted.
      var expected: String?
      var expected_slope: JSONNumber?
      var grows: Bool
    }

    enum Keys: String, CodingKey {
      case program, parametrization, regime, widths, seeds, probes, tolerance, critical, passed, failures,
        quantities
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(report.program, forKey: .program)
      try c.encode(report.parametrization, forKey: .parametrization)
      try c.encode(report.regime, forKey: .regime)
      try c.encode(report.widths, forKey: .widths)
      try c.encode(report.seeds, forKey: .seeds)
      try c.encode(report.probes.map { $0.map(JSONNumber.init) }, forKey: .probes)
      try c.encode(JSONNumber(report.tolerance), forKey: .tolerance)
      try c.encode(JSONNumber(report.critical), forKey: .critical)
      try c.encode(report.passed, forKey: .passed)
      try c.encode(report.failures, forKey: .failures)
      try c.encode(
        report.quantities.map { q in
          Quantity(
            vector: q.vector, kind: q.kind.rawValue, step: q.step,
            widths: q.widths.map {
              Width(
                width: $0.width, mean: JSONNumber($0.mean), stderr: JSONNumber($0.standardError),
                seeds: $0.seeds)
            },
            slope: q.slope.map(JSONNumber.init), slope_error: q.slopeError.map(JSONNumber.init),
            expected: q.expected.map { $0 == -.infinity ? "none" : TextReport.exponent($0) },
            expected_slope: q.expected.flatMap { $0.isFinite ? JSONNumber($0) : nil }, grows: q.grows)
        }, forKey: .quantities)
    }
  }
}
