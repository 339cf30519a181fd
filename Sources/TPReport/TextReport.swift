import Foundation
import TPCore

/// Plain-text tables of results, shared by the finite executor and the limit interpreter.
public enum TextReport {
  /// The outputs as text: a table of scalars (value with `± error` unless exact, method)
  /// followed by a table of vector laws (mean, variance, quantiles, each with `± error` unless
  /// exact, method).
  public static func outputs(_ results: [OutputResult]) -> String {
    var scalarRows: [[String]] = []
    var vectorRows: [[String]] = []
    for r in results {
      switch r.value {
      case .scalar(let v):
        scalarRows.append([r.name, estimate(v, r.error, r.method), r.method.rawValue])
      case .vector(let law):
        vectorRows.append(
          [
            r.name, estimate(law.mean, r.error, r.method),
            estimate(law.variance, law.varianceError, r.method),
          ]
            + zip(law.quantiles, law.quantileErrors).map { estimate($0, $1, r.method) } + [r.method.rawValue])
      }
    }
    var sections: [String] = []
    if !scalarRows.isEmpty {
      sections.append(table(header: ["scalar", "value", "method"], rows: scalarRows))
    }
    if !vectorRows.isEmpty {
      let header =
        ["vector", "mean", "variance"] + reportedQuantiles.map { "q" + quantileLabel($0) } + ["method"]
      sections.append(table(header: header, rows: vectorRows))
    }
    // Point masses, reported apart from the density (relu's P(Z = 0) = 1/2).
    var masses: [String] = []
    for r in results {
      guard case .vector(let law) = r.value, !law.atoms.isEmpty else { continue }
      let atoms = law.atoms.map {
        "P(\(r.name) = \(number($0[0]))) = \(estimate($0[1], $0.count > 2 ? $0[2] : 0, r.method))"
      }
      masses.append(atoms.joined(separator: ", "))
    }
    if !masses.isEmpty { sections.append("point masses: " + masses.joined(separator: "; ")) }
    return sections.joined(separator: "\n\n")
  }

  /// `value ± error` (the error to two significant digits), or the bare value when its error is
  /// exactly 0 (exact results and finite-width values).
  public static func estimate(_ value: Double, _ error: Double, _ method: Method) -> String {
    if error == 0 { return number(value) }
    return number(value) + " ± " + (error.isFinite ? String(format: "%.2g", error) : number(error))
  }

  /// A table with the first column left-aligned and the others right-aligned, columns
  /// separated by two spaces, a dashed rule under the header; no trailing spaces.
  public static func table(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let columns = all.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in all { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
    func line(_ cells: [String]) -> String {
      let padded = cells.enumerated().map { c, cell in
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        return c == 0 ? cell + pad : pad + cell
      }
      return padded.joined(separator: "  ").replacingOccurrences(
        of: "\\s+$", with: "", options: .regularExpression)
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }

  /// A number with up to 6 significant digits (`%.6g`); `nan`, `inf`, `-inf` as such.
  public static func number(_ v: Double) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    return String(format: "%.6g", v)
  }

  /// A probability as a short label: `0.05`, `0.5`.
  public static func quantileLabel(_ p: Double) -> String { String(p) }
}
