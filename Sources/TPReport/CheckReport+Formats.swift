import Foundation
import TPCore

extension TextReport {
  /// `tp check` as text: per quantity, the limit with its error, each width's seed mean ±
  /// standard error, the limit extrapolated by the fit `mean(n) = L + B/n`, the fitted slope of
  /// log RMS error against log n, and the verdict of the test (docs/cli.md).
  public static func check(_ report: CheckReport) -> String {
    var rows: [[String]] = []
    for q in report.quantities {
      rows.append(
        [q.name, number(q.limit) + (q.limitStandardError > 0 ? " ± \(errorText(q.limitStandardError))" : "")]
          + q.widths.map { "\(number($0.mean)) ± \(errorText($0.standardError))" }
          + [
            q.extrapolated.isNaN ? "" : "\(number(q.extrapolated)) ± \(errorText(q.extrapolatedError))",
            slope(q), q.converges ? "ok" : "FAIL",
          ])
    }
    /// The fitted slope; without one, "exact" when every width is exact, else "—" (one width, or
    /// errors that are 0 at all but one).
    func slope(_ q: CheckedQuantity) -> String {
      if !q.slope.isNaN { return String(format: "%.2f", q.slope) }
      return q.widths.allSatisfy { $0.rmsError == 0 } ? "exact" : "—"
    }
    let widths = report.quantities.first?.widths.map { "n=\($0.width)" } ?? []
    let header = ["quantity", "limit"] + widths + ["fit L+B/n", "slope", ""]
    let verdict =
      report.passed
      ? "all \(report.quantities.count) quantities are consistent with their limits"
      : "\(report.quantities.filter { !$0.converges }.count) of \(report.quantities.count) quantities do not approach their limits"
    return
      "\(report.program): \(report.seeds) seeds per width; each quantity tested against mean(n) = limit + B/n "
      + "(family-wise false-alarm level 1 %); slope of log RMS error vs log n (≈ −0.5 expected)\n\n"
      + table(header: header, rows: rows) + "\n\n" + verdict
  }

  /// An error to two significant digits.
  static func errorText(_ e: Double) -> String { e.isFinite ? String(format: "%.2g", e) : number(e) }
}

extension JSONReport {
  /// `tp check --json`: per quantity and width the seed mean, its standard error, the RMS
  /// error, the limit and the fitted slope.
  public struct CheckDocument: Encodable, Sendable {
    public var report: CheckReport

    public init(_ report: CheckReport) { self.report = report }

    struct Width: Encodable {
      var width: Int
      var mean: JSONNumber
      var stderr: JSONNumber
      var rms_error: JSONNumber
    }

    struct Quantity: Encodable {
      var name: String
      var limit: JSONNumber
      var limit_error: JSONNumber
      var widths: [Width]
      var slope: JSONNumber
      var statistic: JSONNumber
      var critical: JSONNumber
      var extrapolated: JSONNumber
      var extrapolated_error: JSONNumber
      var converges: Bool
    }

    enum Keys: String, CodingKey { case program, seeds, passed, quantities }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(report.program, forKey: .program)
      try c.encode(report.seeds, forKey: .seeds)
      try c.encode(report.passed, forKey: .passed)
      try c.encode(
        report.quantities.map { q in
          Quantity(
            name: q.name, limit: JSONNumber(q.limit), limit_error: JSONNumber(q.limitStandardError),
            widths: q.widths.map {
              Width(
                width: $0.width, mean: JSONNumber($0.mean), stderr: JSONNumber($0.standardError),
                rms_error: JSONNumber($0.rmsError))
            }, slope: JSONNumber(q.slope), statistic: JSONNumber(q.statistic),
            critical: JSONNumber(q.critical),
            extrapolated: JSONNumber(q.extrapolated), extrapolated_error: JSONNumber(q.extrapolatedError),
            converges: q.converges)
        }, forKey: .quantities)
    }
  }
}
