/// Splits a source file into tokens.
///
/// Newlines are significant (they end statements) except inside `(…)` and `[…]`, after a
/// token that cannot end an expression (a binary operator, `,`, `(`, `[`, `{`), and when
/// repeated. `;` is a separator too.
public struct Lexer {
  let file: SourceFile
  var pos = 0
  var tokens: [Token] = []
  var diagnostics: [Diagnostic] = []
  var depth = 0  // nesting of ( and [
  var unexpectedRuns = 0

  /// Every symbol (see ``matchSymbol()``).
  static let symbols = [
    "..<", "...", "**", "->", "+", "-", "*", "/", "@", "(", ")", "[", "]", "{", "}", ",", ";", ":",
    "=", "~", ".", "'",
  ]
  /// Tokens after which a newline does not end the statement.
  static let continuing: Set<String> = [
    "+", "-", "*", "/", "**", "@", ",", "(", "[", "{", "->", "=", "~", "..<", "...", ":",
  ]

  public init(file: SourceFile) { self.file = file }

  /// Tokenizes the whole file; the result always ends with `.endOfFile`.
  public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Lexer(file: file)
    lexer.run()
    return (lexer.tokens, lexer.diagnostics)
  }

  mutating func run() {
    let b = file.bytes
    // A NUL byte never occurs in text: report the file once instead of every byte of it.
    if let zero = b.firstIndex(of: 0) {
      diagnostics.append(Diagnostic(.error, Lexer.binaryMessage, at: SourceRange(zero, zero + 1)))
      tokens.append(Token(kind: .endOfFile, range: SourceRange(0, 0)))
      return
    }
    // Editors on some systems start UTF-8 files with a byte-order mark; it is not content.
    if b.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
    while pos < b.count {
      let c = b[pos]
      // A lone CR (classic Mac OS line endings) ends a line like LF; in CR LF the LF does.
      let loneCR = c == UInt8(ascii: "\r") && (pos + 1 == b.count || b[pos + 1] != UInt8(ascii: "\n"))
      if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || (c == UInt8(ascii: "\r") && !loneCR) {
        pos += 1
      } else if c == UInt8(ascii: "#") {
        while pos < b.count, b[pos] != UInt8(ascii: "\n"), b[pos] != UInt8(ascii: "\r") { pos += 1 }
      } else if c == UInt8(ascii: "\n") || loneCR {
        emitNewline(SourceRange(pos, pos + 1))
        pos += 1
      } else if isIdentStart(c) {
        lexIdentifier()
      } else if isDigit(c) || (c == UInt8(ascii: ".") && pos + 1 < b.count && isDigit(b[pos + 1])) {
        lexNumber()
      } else if c == UInt8(ascii: "\"") {
        lexString()
      } else if let sym = matchSymbol() {
        let range = SourceRange(pos, pos + sym.utf8.count)
        pos += sym.utf8.count
        if sym == ";" {
          emitNewline(range)
          continue
        }
        if sym == "(" || sym == "[" { depth += 1 }
        if sym == ")" || sym == "]" { depth = max(0, depth - 1) }
        if sym == "{" || sym == "}" { depth = 0 }
        tokens.append(Token(kind: .symbol(sym), range: range))
      } else {
        if !lexUnexpected() { break }
      }
    }
    // Lexing may stop early (binary data); the end of file is where it stopped.
    let end = min(pos, b.count)
    emitNewline(SourceRange(end, end))
    tokens.append(Token(kind: .endOfFile, range: SourceRange(end, end)))
  }

  /// The message for a file that holds a NUL byte (a binary file, not `.tp` text).
  static let binaryMessage = "the file contains a NUL byte; a .tp file must be UTF-8 text"
  /// How many separate runs of unexpected characters are reported before the lexer gives up.
  static let maximumUnexpected = 20
  /// The longest identifier accepted; longer ones are errors, so names in messages stay short.
  public static let maximumIdentifierLength = 128

  mutating func lexIdentifier() {
    let b = file.bytes
    let start = pos
    while pos < b.count, isIdentStart(b[pos]) || isDigit(b[pos]) { pos += 1 }
    let range = SourceRange(start, pos)
    if pos - start > Lexer.maximumIdentifierLength {
      diagnostics.append(
        Diagnostic(
          .error,
          "this name has \(pos - start) characters; at most \(Lexer.maximumIdentifierLength) are allowed",
          at: range))
      tokens.append(Token(kind: .invalid, range: range))
      return
    }
    tokens.append(Token(kind: .identifier(String(decoding: b[start..<pos], as: UTF8.self)), range: range))
  }

  /// Reports a character that starts no token. A run of such characters is one diagnostic and one
  /// `.invalid` token. Returns false when there were so many that lexing should stop.
  mutating func lexUnexpected() -> Bool {
    let b = file.bytes
    let start = pos
    // Consume one whole UTF-8 scalar (or one invalid byte) for a clean caret.
    pos += 1
    while pos < b.count, (b[pos] & 0xC0) == 0x80, pos - start < 4 { pos += 1 }
    if let last = tokens.last, last.kind == .invalid, last.range.end == start, !diagnostics.isEmpty {
      // Extend the previous run rather than repeating the message for every character.
      tokens[tokens.count - 1].range.end = pos
      diagnostics[diagnostics.count - 1].range.end = pos
      return true
    }
    let text = file.text(SourceRange(start, pos))
    let printable = text.unicodeScalars.allSatisfy(Diagnostic.isPrintable)
    let shown =
      printable
      ? "character '\(text)'" : "byte 0x\(String(b[start], radix: 16, uppercase: true)) (not UTF-8 text)"
    unexpectedRuns += 1
    if unexpectedRuns > Lexer.maximumUnexpected {
      diagnostics.append(
        Diagnostic(.error, "too many unexpected characters; is this a .tp file?", at: SourceRange(start, pos))
      )
      return false
    }
    diagnostics.append(Diagnostic(.error, "unexpected \(shown)", at: SourceRange(start, pos)))
    tokens.append(Token(kind: .invalid, range: SourceRange(start, pos)))
    return true
  }

  mutating func emitNewline(_ range: SourceRange) {
    if depth > 0 { return }
    guard let last = tokens.last else { return }
    switch last.kind {
    case .newline: return
    case .symbol(let s) where Lexer.continuing.contains(s): return
    default: tokens.append(Token(kind: .newline, range: range))
    }
  }

  /// The symbol starting at `pos`, longest match first (`**` before `*`, `..<` before `.`).
  func matchSymbol() -> String? {
    let b = file.bytes
    func next(_ k: Int) -> UInt8 { pos + k < b.count ? b[pos + k] : 0 }
    let c = b[pos]
    switch c {
    case UInt8(ascii: "."):
      if next(1) == UInt8(ascii: "."), next(2) == UInt8(ascii: "<") { return "..<" }
      if next(1) == UInt8(ascii: "."), next(2) == UInt8(ascii: ".") { return "..." }
      return "."
    case UInt8(ascii: "*"): return next(1) == UInt8(ascii: "*") ? "**" : "*"
    case UInt8(ascii: "-"): return next(1) == UInt8(ascii: ">") ? "->" : "-"
    default:
      return Lexer.singleSymbols.contains(c) ? String(Unicode.Scalar(c)) : nil
    }
  }

  /// Bytes that are a symbol on their own.
  static let singleSymbols = Set("+/@()[]{},;:=~'".utf8)

  /// The longest string literal accepted (file names are short).
  public static let maximumStringLength = 4096

  /// A string literal `"…"` on one line, without escapes (it names a file). An unterminated one
  /// is diagnosed at its opening quote and taken to run to the end of the line.
  mutating func lexString() {
    let b = file.bytes
    let start = pos
    pos += 1
    while pos < b.count, b[pos] != UInt8(ascii: "\""), b[pos] != UInt8(ascii: "\n"),
      b[pos] != UInt8(ascii: "\r")
    {
      pos += 1
    }
    guard pos < b.count, b[pos] == UInt8(ascii: "\"") else {
      diagnostics.append(
        Diagnostic(
          .error, "this string is never closed; expected '\"' before the end of the line",
          at: SourceRange(start, start + 1)))
      tokens.append(Token(kind: .invalid, range: SourceRange(start, pos)))
      return
    }
    pos += 1
    let range = SourceRange(start, pos)
    if pos - start - 2 > Lexer.maximumStringLength {
      diagnostics.append(
        Diagnostic(
          .error,
          "this string has \(pos - start - 2) bytes; at most \(Lexer.maximumStringLength) are allowed",
          at: range))
      tokens.append(Token(kind: .invalid, range: range))
      return
    }
    tokens.append(
      Token(kind: .string(String(decoding: b[(start + 1)..<(pos - 1)], as: UTF8.self)), range: range))
  }

  mutating func lexNumber() {
    let b = file.bytes
    let start = pos
    while pos < b.count, isDigit(b[pos]) { pos += 1 }
    // A '.' starts a fraction unless it begins '..<' / '...' (ranges like 0..<3).
    if pos < b.count, b[pos] == UInt8(ascii: "."), !(pos + 1 < b.count && b[pos + 1] == UInt8(ascii: ".")) {
      pos += 1
      while pos < b.count, isDigit(b[pos]) { pos += 1 }
    }
    if pos < b.count, b[pos] == UInt8(ascii: "e") || b[pos] == UInt8(ascii: "E") {
      var p = pos + 1
      if p < b.count, b[p] == UInt8(ascii: "+") || b[p] == UInt8(ascii: "-") { p += 1 }
      if p < b.count, isDigit(b[p]) {
        pos = p
        while pos < b.count, isDigit(b[pos]) { pos += 1 }
      }
    }
    let text = String(decoding: b[start..<pos], as: UTF8.self)
    let range = SourceRange(start, pos)
    if let v = Double(text), v.isFinite {
      tokens.append(Token(kind: .number(v), range: range))
    } else {
      diagnostics.append(Diagnostic(.error, "number '\(text.prefix(40))' is out of range", at: range))
      tokens.append(Token(kind: .number(0), range: range))
    }
  }

  func isIdentStart(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
      || c == UInt8(ascii: "_")
  }

  func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
