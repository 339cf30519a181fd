/// The kinds of token in a `.tp` file.
public enum TokenKind: Sendable, Hashable {
  case identifier(String)
  case number(Double)
  /// A double-quoted string literal (its contents, without the quotes); only file names use it.
  case string(String)
  /// Punctuation or an operator, spelled as in the source (`+`, `**`, `->`, `..<`, …).
  case symbol(String)
  /// A statement separator: a significant newline or `;`.
  case newline
  case endOfFile
  /// A byte sequence the lexer could not read; already diagnosed.
  case invalid
}

/// A token with its source range.
public struct Token: Sendable, Hashable {
  public var kind: TokenKind
  public var range: SourceRange

  /// The token's spelling for messages.
  public var display: String {
    switch kind {
    case .identifier(let s): return "'\(s)'"
    case .number(let v): return "number \(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v))"
    case .symbol(let s): return "'\(s)'"
    case .string(let s): return "string \"\(s.count > 40 ? String(s.prefix(37)) + "…" : s)\""
    case .newline: return "end of line"
    case .endOfFile: return "end of file"
    case .invalid: return "invalid character"
    }
  }

  /// True for the symbol `s`.
  public func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

  /// True for the identifier `s` (used for contextual keywords).
  public func isIdentifier(_ s: String) -> Bool { kind == .identifier(s) }
}
