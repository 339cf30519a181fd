/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable {
  case error, warning, note
}

/// What kind of problem an error diagnostic reports, which decides the exit code of `tp`.
public enum DiagnosticCategory: String, Sendable, Hashable {
  /// A mistake in the program: syntax, types, names, shapes (exit code 2).
  case program
  /// A value the program computes at compile time is NaN or ±Inf, such as a constant that
  /// overflows or `log(0)` (exit code 3, like any numerical failure).
  case numerical
}

/// One message about a source range, printed like a compiler's:
/// `file:line:col: error: message`, the line, and a caret under the range.
public struct Diagnostic: Sendable, Hashable {
  public var severity: Severity
  public var message: String
  public var range: SourceRange
  /// For errors: a mistake in the program or a numerical failure found while checking it.
  public var category: DiagnosticCategory

  public init(
    _ severity: Severity = .error, _ message: String, at range: SourceRange,
    category: DiagnosticCategory = .program
  ) {
    self.severity = severity
    self.message = message
    self.range = range
    self.category = category
  }

  /// Renders this diagnostic against `file`: header, source line, caret line.
  /// Very long lines are shown as a window of at most 120 scalars around the caret, and only that
  /// window is decoded, so a diagnostic on a megabyte-long line costs no more than finding its column.
  public func render(in file: SourceFile) -> String {
    let loc = file.location(of: range.start)
    let header = "\(file.name):\(loc.line):\(loc.column): \(severity.rawValue): \(message)"
    let (lineStart, lineEnd) = file.lineBounds(loc.line)
    let caret = min(max(range.start, lineStart), lineEnd)
    let startCol = loc.column - 1
    // Window of at most 120 scalars: from the line start, or from 60 scalars before the caret.
    let windowStart = startCol > 100 ? file.advance(caret, by: -60, within: lineStart..<lineEnd) : lineStart
    let windowEnd = file.advance(windowStart, by: 120, within: lineStart..<lineEnd)
    let caretCol = file.scalarCount(windowStart..<caret)
    let width = max(1, file.scalarCount(caret..<min(max(caret, range.end), lineEnd, windowEnd)))
    let shown = String(decoding: file.bytes[windowStart..<windowEnd], as: UTF8.self)
    let visible = shown.unicodeScalars.map { Diagnostic.isPrintable($0) ? String($0) : " " }.joined()
    let clipped = windowStart > lineStart
    let line = "    " + (clipped ? "…" : "") + visible + (windowEnd < lineEnd ? "…" : "")
    let marker =
      "    " + (clipped ? " " : "") + String(repeating: " ", count: caretCol) + "^"
      + String(repeating: "~", count: width - 1)
    return header + "\n" + line + "\n" + marker
  }
}

extension Diagnostic {
  /// True for a scalar that prints as itself on one line: not a control or format character, a
  /// line or paragraph separator, a private-use or unassigned code point, or the replacement
  /// character that stands for invalid UTF-8.
  public static func isPrintable(_ s: Unicode.Scalar) -> Bool {
    switch s.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
      return false
    default: return s.value != 0xFFFD
    }
  }
}

/// All the diagnostics found in one file, thrown together as one error value.
public struct Diagnostics: Error, Sendable {
  public var file: SourceFile
  public var items: [Diagnostic]

  public init(file: SourceFile, items: [Diagnostic]) {
    self.file = file
    self.items = items
  }

  /// True when at least one item is an error.
  public var hasErrors: Bool { items.contains { $0.severity == .error } }

  /// True when every error is a numerical failure (a non-finite constant): the file is a valid
  /// program whose values cannot be computed, which `tp` reports with exit code 3, not 2.
  public var isNumericalFailure: Bool {
    let errors = items.filter { $0.severity == .error }
    return !errors.isEmpty && errors.allSatisfy { $0.category == .numerical }
  }

  /// Every diagnostic rendered, in source order, separated by newlines.
  public func render() -> String {
    items.sorted { $0.range.start < $1.range.start }.map { $0.render(in: file) }.joined(separator: "\n")
  }
}

/// Edit distance used for "did you mean" suggestions (Levenshtein over Unicode scalars, O(|a|·|b|)).
public func editDistance(_ a: String, _ b: String) -> Int {
  editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: Int.max) ?? Int.max
}

/// The edit distance of `a` and `b` when it is at most `limit`, else nil. Stops as soon as every
/// entry of a row exceeds `limit`, so distant pairs cost little.
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int? {
  if abs(a.count - b.count) > limit { return nil }
  if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
  var prev = Array(0...b.count)
  var cur = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    cur[0] = i
    var rowMin = i
    for j in 1...b.count {
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      rowMin = min(rowMin, cur[j])
    }
    if rowMin > limit { return nil }
    swap(&prev, &cur)
  }
  return prev[b.count] <= limit ? prev[b.count] : nil
}

/// The closest candidate to `name` within edit distance `limit` (by default ⌈|name|/3⌉, at least
/// 1), if any; ties go to the alphabetically first candidate.
public func closestMatch(to name: String, among candidates: some Sequence<String>, limit: Int? = nil)
  -> String?
{
  let target = Array(name.unicodeScalars)
  guard target.count <= 64 else { return nil }
  let limit = limit ?? max(1, (target.count + 2) / 3)
  var best: (String, Int)?
  for c in candidates where c != name && abs(c.utf8.count - target.count) <= 4 * limit {
    guard let d = editDistance(target, Array(c.unicodeScalars), limit: min(limit, best?.1 ?? limit)) else {
      continue
    }
    if best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
  }
  return best?.0
}
