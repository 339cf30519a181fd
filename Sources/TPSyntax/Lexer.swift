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

  /// Symbols, longest first so that `**` wins over `*` and `..<` over `.`.
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
    while pos < b.count {
      let c = b[pos]
      if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
        pos += 1
      } else if c == UInt8(ascii: "#") {
        while pos < b.count, b[pos] != UInt8(ascii: "\n") { pos += 1 }
      } else if c == UInt8(ascii: "\n") {
        emitNewline(SourceRange(pos, pos + 1))
        pos += 1
      } else if isIdentStart(c) {
        let start = pos
        while pos < b.count, isIdentStart(b[pos]) || isDigit(b[pos]) { pos += 1 }
        tokens.append(Token(kind: .identifier(String(decoding: b[start..<pos], as: UTF8.self)), range: SourceRange(start, pos)))
      } else if isDigit(c) || (c == UInt8(ascii: ".") && pos + 1 < b.count && isDigit(b[pos + 1])) {
        lexNumber()
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
        let start = pos
        // Consume one whole UTF-8 scalar (or one invalid byte) for a clean caret.
        pos += 1
        while pos < b.count, (b[pos] & 0xC0) == 0x80, pos - start < 4 { pos += 1 }
        let text = file.text(SourceRange(start, pos))
        let shown = text.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value != 0xFFFD && $0.value != 127 }
          ? "'\(text)'" : "byte 0x\(String(b[start], radix: 16, uppercase: true))"
        diagnostics.append(Diagnostic(.error, "unexpected character \(shown)", at: SourceRange(start, pos)))
        if tokens.last?.kind != .invalid {
          tokens.append(Token(kind: .invalid, range: SourceRange(start, pos)))
        }
      }
    }
    emitNewline(SourceRange(b.count, b.count))
    tokens.append(Token(kind: .endOfFile, range: SourceRange(b.count, b.count)))
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

  static let symbolBytes: [(String, [UInt8])] = symbols.map { ($0, Array($0.utf8)) }

  func matchSymbol() -> String? {
    let b = file.bytes
    outer: for (s, u) in Lexer.symbolBytes where pos + u.count <= b.count {
      for k in 0..<u.count where b[pos + k] != u[k] { continue outer }
      return s
    }
    return nil
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
