/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable {
  case error, warning, note
}

/// One message about a source range, printed like a compiler's:
/// `file:line:col: error: message`, the line, and a caret under the range.
public struct Diagnostic: Sendable, Hashable {
  public var severity: Severity
  public var message: String
  public var range: SourceRange

  public init(_ severity: Severity = .error, _ message: String, at range: SourceRange) {
    self.severity = severity
    self.message = message
    self.range = range
  }

  /// Renders this diagnostic against `file`: header, source line, caret line.
  /// Very long lines are shown as a window around the caret so output stays readable.
  public func render(in file: SourceFile) -> String {
    let loc = file.location(of: range.start)
    var out = "\(file.name):\(loc.line):\(loc.column): \(severity.rawValue): \(message)"
    let line = Array(file.lineText(loc.line).unicodeScalars)
    let endLoc = file.location(of: max(range.start, range.end - 1))
    let startCol = loc.column - 1
    var width = 1
    if endLoc.line == loc.line { width = max(1, endLoc.column - loc.column + 1) }
    // Window of at most 120 scalars around the caret.
    let windowStart = startCol > 100 ? startCol - 60 : 0
    let windowEnd = min(line.count, windowStart + 120)
    let shown = windowStart < windowEnd ? String(String.UnicodeScalarView(line[windowStart..<windowEnd])) : ""
    let caretCol = startCol - windowStart
    let visible = shown.unicodeScalars.map { $0.value < 32 || $0.value == 0xFFFD ? " " : String($0) }.joined()
    out += "\n    " + (windowStart > 0 ? "…" : "") + visible + (windowEnd < line.count ? "…" : "")
    let caretWidth = max(1, min(width, 120 - caretCol))
    out +=
      "\n    " + (windowStart > 0 ? " " : "") + String(repeating: " ", count: max(0, caretCol)) + "^"
      + String(repeating: "~", count: max(0, caretWidth - 1))
    return out
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

  /// Every diagnostic rendered, in source order, separated by newlines.
  public func render() -> String {
    items.sorted { $0.range.start < $1.range.start }.map { $0.render(in: file) }.joined(separator: "\n")
  }
}

/// Edit distance used for "did you mean" suggestions (Levenshtein, O(|a|·|b|)).
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var prev = Array(0...b.count)
  var cur = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    cur[0] = i
    for j in 1...b.count {
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&prev, &cur)
  }
  return prev[b.count]
}

/// The closest candidate to `name` within edit distance ⌈|name|/3⌉ (at least 1), if any.
public func closestMatch(to name: String, among candidates: some Sequence<String>) -> String? {
  guard name.count <= 64 else { return nil }
  let limit = max(1, (name.count + 2) / 3)
  var best: (String, Int)?
  for c in candidates where c != name && abs(c.count - name.count) <= limit {
    let d = editDistance(name, c)
    if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
  }
  return best?.0
}
