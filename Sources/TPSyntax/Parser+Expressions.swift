/// Expressions: a precedence-climbing parser for binary operators over unary, postfix and
/// primary forms, with the same depth limit as blocks.
extension Parser {
  /// Parses a comma-separated list up to (not including) `closing`.
  mutating func parseList(closing: String) throws(Failure) -> [Expr] {
    var items: [Expr] = []
    if current.isSymbol(closing) { return items }
    repeat {
      if current.isSymbol(closing) { break }  // trailing comma
      items.append(try parseExpression())
    } while consume(",")
    return items
  }

  mutating func parseExpression() throws(Failure) -> Expr {
    try parseBinary(minPrecedence: 1)
  }

  mutating func binaryOperator() -> BinaryOperator? {
    if case .symbol(let s) = current.kind { return BinaryOperator(rawValue: s) }
    return nil
  }

  mutating func parseBinary(minPrecedence: Int) throws(Failure) -> Expr {
    // Each operator of a left-associative chain puts the tree one level deeper, so it counts
    // against the nesting limit like a bracket does: later stages recurse over the tree.
    let savedDepth = depth
    defer { depth = savedDepth }
    var lhs = try parseUnary()
    while let op = binaryOperator(), op.precedence >= minPrecedence, op != .power {
      let opToken = advance()
      try enter(opToken.range)
      let rhs = try parseBinary(minPrecedence: op.precedence + 1)
      lhs = Expr(.binary(op, lhs, rhs), lhs.range.union(rhs.range))
    }
    return lhs
  }

  mutating func parseUnary() throws(Failure) -> Expr {
    try enter(current.range)
    defer { depth -= 1 }
    if current.isSymbol("-") {
      let start = advance().range.start
      let operand = try parseUnary()
      // Fold '-' into a literal so '-0.5' is a number, as users write it.
      if case .number(let v) = operand.kind {
        return Expr(.number(-v), SourceRange(start, operand.range.end))
      }
      return Expr(.negate(operand), SourceRange(start, operand.range.end))
    }
    if current.isSymbol("+") {
      _ = advance()
      return try parseUnary()
    }
    let base = try parsePostfix()
    if current.isSymbol("**") {
      _ = advance()
      let exponent = try parseUnary()  // right-associative; allows 2 ** -1
      return Expr(.binary(.power, base, exponent), base.range.union(exponent.range))
    }
    return base
  }

  mutating func parsePostfix() throws(Failure) -> Expr {
    var e = try parsePrimary()
    while current.isSymbol(".") {
      _ = advance()
      let (name, r) = try expectIdentifier("'T' (transpose)")
      guard name == "T" else { throw fail("unknown member '.\(name)'; only '.T' (transpose) exists", at: r) }
      e = Expr(.transpose(e), SourceRange(e.range.start, r.end))
    }
    return e
  }

  mutating func parsePrimary() throws(Failure) -> Expr {
    let t = current
    switch t.kind {
    case .number(let v):
      _ = advance()
      return Expr(.number(v), t.range)
    case .identifier(let name):
      _ = advance()
      var primes = 0
      while current.isSymbol("'") {
        _ = advance()
        primes += 1
      }
      if current.isSymbol("(") {
        let open = advance()
        let args = try parseList(closing: ")")
        try expectClosing(")", opener: open, "of the call to '\(name)'")
        return Expr(.call(name, primes: primes, args), SourceRange(t.range.start, previousEnd))
      }
      if primes > 0 {
        throw fail("expected '(' after '\(name)\(String(repeating: "'", count: primes))'", at: current.range)
      }
      if current.isSymbol("[") {
        let open = advance()
        let indices = try parseList(closing: "]")
        try expectClosing("]", opener: open, "of the index of '\(name)'")
        if indices.isEmpty {
          throw fail("empty index on '\(name)'", at: SourceRange(t.range.start, previousEnd))
        }
        return Expr(.indexed(name, indices), SourceRange(t.range.start, previousEnd))
      }
      return Expr(.name(name), t.range)
    case .symbol("("):
      _ = advance()
      let inner = try parseExpression()
      try expectClosing(")", opener: t, "")
      return Expr(inner.kind, SourceRange(t.range.start, previousEnd))
    case .symbol("["):
      _ = advance()
      let items = try parseList(closing: "]")
      try expectClosing("]", opener: t, "")
      return Expr(.list(items), SourceRange(t.range.start, previousEnd))
    case .invalid:
      _ = advance()
      throw Failure()  // already diagnosed by the lexer
    default:
      throw fail("expected an expression, found \(t.display)", at: t.range)
    }
  }
}
