/// A recursive-descent parser for `.tp` files.
///
/// Errors are collected, not thrown one at a time: after a bad statement the parser skips to
/// the next statement boundary and goes on, so one run reports every independent error.
public struct Parser {
  var tokens: [Token]
  var index = 0
  var diagnostics: [Diagnostic]
  let file: SourceFile

  /// Maximum nesting of expressions and blocks, counting each operator of a chain such as
  /// `a + b + c` as a level; deeper input is rejected, so no later stage (type checking,
  /// differentiation, deallocation, the engines' walks over expression trees) can overflow the
  /// stack. An accepted expression tree is at most `2 * maximumDepth` levels high.
  public static let maximumDepth = 100
  var depth = 0
  var recoveredNames: Set<String> = []
  var droppedKeywords: Set<String> = []

  /// Records the names a failed statement starting at token `start` was going to define.
  mutating func noteRecoveredNames(from start: Int) {
    var k = start
    if case .identifier(let w) = tokens[k].kind, Parser.statementKeywords.contains(w) {
      droppedKeywords.insert(w)
      k += 1
    }
    while k < tokens.count, case .identifier(let name) = tokens[k].kind {
      recoveredNames.insert(name)
      k += 1
      if k < tokens.count, tokens[k].isSymbol("[") {
        while k < tokens.count, !tokens[k].isSymbol("]"), tokens[k].kind != .newline { k += 1 }
        k += 1
      }
      guard k < tokens.count, tokens[k].isSymbol(",") else { break }
      k += 1
    }
  }

  struct Failure: Error {}

  /// Words that start a statement when followed by something other than `=` or `[`.
  static let statementKeywords: Set<String> = [
    "width", "param", "matrix", "vector", "def", "for", "out", "show", "layer", "bias", "model", "return",
    "parametrization", "data", "train", "observe", "kernel", "posterior", "alignment", "eigen",
    "eigenlearning",
    "hermite", "reverse", "point",
  ]

  init(file: SourceFile) {
    self.file = file
    let (t, d) = Lexer.tokenize(file)
    self.tokens = t
    self.diagnostics = d
  }

  /// Parses `file`; returns the unit, or throws ``Diagnostics`` holding every error found.
  public static func parse(_ file: SourceFile) throws(Diagnostics) -> SourceUnit {
    let (unit, diagnostics) = parseRecovering(file)
    if diagnostics.contains(where: { $0.severity == .error }) {
      throw Diagnostics(file: file, items: diagnostics)
    }
    return unit
  }

  /// Parses `file`, dropping statements with errors; returns what parsed and the diagnostics.
  /// The unit's ``SourceUnit/recoveredNames`` lists names that dropped statements would have
  /// defined, so later stages can stay quiet about them instead of cascading.
  /// Runs on the front-end thread (see ``LargeStack``), whatever the caller's stack.
  public static func parseRecovering(_ file: SourceFile) -> (SourceUnit, [Diagnostic]) {
    LargeStack.run { parseOnCurrentThread(file) }
  }

  static func parseOnCurrentThread(_ file: SourceFile) -> (SourceUnit, [Diagnostic]) {
    var p = Parser(file: file)
    let statements = p.parseStatements(untilBrace: false)
    if statements.isEmpty, p.diagnostics.isEmpty {
      // Nothing to compute is almost always a wrong file; say what the smallest program is.
      let what = file.bytes.isEmpty ? "the file is empty" : "the file has no statements"
      p.diagnostics.append(
        Diagnostic(.error, "\(what); a program needs at least 'width n'", at: SourceRange(0, 0)))
    }
    var unit = SourceUnit(file: file, statements: statements)
    unit.recoveredNames = p.recoveredNames
    unit.droppedKeywords = p.droppedKeywords
    return (unit, p.diagnostics)
  }

  // MARK: - Token helpers

  var current: Token { tokens[index] }
  var previousEnd: Int { index > 0 ? tokens[index - 1].range.end : 0 }

  mutating func advance() -> Token {
    let t = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return t
  }

  func peek(_ k: Int = 1) -> Token { tokens[min(index + k, tokens.count - 1)] }

  /// True when token `i` is the first token on its source line. The lexer drops newlines inside
  /// brackets, so after an unclosed bracket this is how the parser still finds line breaks.
  func startsLine(_ i: Int) -> Bool {
    guard i > 0, i < tokens.count else { return true }
    if tokens[i].kind == .endOfFile { return true }
    return file.lineIndex(of: tokens[i].range.start) > file.lineIndex(of: max(0, tokens[i - 1].range.end - 1))
  }

  /// True when token `i` begins a line and looks like the start of a statement: a statement
  /// keyword used as one, or a name followed by `=` or `[`.
  func startsStatement(_ i: Int) -> Bool {
    guard i < tokens.count - 1, case .identifier(let w) = tokens[i].kind else { return false }
    let next = tokens[i + 1]
    return (Parser.statementKeywords.contains(w) || next.isSymbol("=") || next.isSymbol("[")) && startsLine(i)
  }

  mutating func consume(_ symbol: String) -> Bool {
    if current.isSymbol(symbol) {
      _ = advance()
      return true
    }
    return false
  }

  mutating func fail(_ message: String, at range: SourceRange) -> Failure {
    var range = range
    // At end of input, point just after the last real token rather than at an empty line.
    if current.kind == .endOfFile, range == current.range, index > 0 {
      let last = tokens[..<index].last { $0.kind != .newline }
      if let last { range = SourceRange(last.range.end, last.range.end) }
    }
    // An invalid token was already reported by the lexer; one message per problem is enough.
    if current.kind != .invalid || current.range != range {
      diagnostics.append(Diagnostic(.error, message, at: range))
    }
    return Failure()
  }

  mutating func expect(_ symbol: String, _ context: String) throws(Failure) -> Token {
    if current.isSymbol(symbol) { return advance() }
    throw fail("expected '\(symbol)' \(context), found \(current.display)", at: current.range)
  }

  /// Expects the bracket `closer` matching `opener`. When the parser has already run onto a new
  /// line (the lexer keeps no newlines inside brackets) or the file ended, the real mistake is
  /// the unclosed opener, so that is where the caret goes.
  mutating func expectClosing(_ closer: String, opener: Token, _ context: String) throws(Failure) {
    if current.isSymbol(closer) {
      _ = advance()
      return
    }
    let open = file.text(opener.range)
    let what = context.isEmpty ? "'\(open)'" : "'\(open)' \(context)"
    // A statement start consumed as the last operand (`z = f(⏎ w = 1`) also means the bracket
    // was left open: step back to it, so recovery resumes at that statement.
    if index > 0, tokens[index - 1].range.start > opener.range.start, startsStatement(index - 1) {
      index -= 1
    }
    if current.kind == .endOfFile || startsLine(index) {
      throw fail("\(what) was never closed; expected '\(closer)'", at: opener.range)
    }
    throw fail("expected '\(closer)' to close \(what), found \(current.display)", at: current.range)
  }

  mutating func expectIdentifier(_ what: String) throws(Failure) -> (String, SourceRange) {
    if case .identifier(let s) = current.kind {
      let r = advance().range
      return (s, r)
    }
    throw fail("expected \(what), found \(current.display)", at: current.range)
  }

  mutating func expectKeyword(_ word: String, _ context: String) throws(Failure) {
    if current.isIdentifier(word) {
      _ = advance()
      return
    }
    throw fail("expected '\(word)' \(context), found \(current.display)", at: current.range)
  }

  mutating func expectEndOfStatement() throws(Failure) {
    switch current.kind {
    case .newline: _ = advance()
    case .endOfFile: break
    case .symbol("}"): break
    case .symbol(")"), .symbol("]"): throw fail("unmatched '\(file.text(current.range))'", at: current.range)
    // Only reachable after an unclosed bracket swallowed the newline: a new line still ends it.
    case _ where startsLine(index): break
    default: throw fail("expected end of statement, found \(current.display)", at: current.range)
    }
  }

  /// Skips to just past the next statement boundary at the current brace level.
  mutating func synchronize() {
    var braces = 0
    while true {
      if braces == 0, startsStatement(index) { return }
      switch current.kind {
      case .endOfFile: return
      case .newline where braces == 0:
        _ = advance()
        return
      case .symbol("{"): braces += 1
      case .symbol("}"):
        if braces == 0 { return }
        braces -= 1
      default: break
      }
      _ = advance()
    }
  }

  /// Goes one level deeper, or fails (leaving the depth as it was) past ``maximumDepth``.
  mutating func enter(_ range: SourceRange) throws(Failure) {
    if depth >= Parser.maximumDepth {
      throw fail(
        "nesting is too deep (more than \(Parser.maximumDepth) levels of brackets, blocks or operators)",
        at: range)
    }
    depth += 1
  }

  // MARK: - Statements

  mutating func parseStatements(untilBrace: Bool) -> [Stmt] {
    var out: [Stmt] = []
    while true {
      switch current.kind {
      case .newline:
        _ = advance()
        continue
      case .endOfFile:
        return out
      case .symbol("}"):
        if untilBrace { return out }
        diagnostics.append(Diagnostic(.error, "unmatched '}'", at: current.range))
        _ = advance()
        continue
      default: break
      }
      let before = index
      do throws(Failure) {
        out.append(try parseStatement())
      } catch {
        noteRecoveredNames(from: before)
        synchronize()
        if index == before { _ = advance() }
      }
    }
  }

  mutating func parseStatement() throws(Failure) -> Stmt {
    let start = current.range.start
    if case .identifier(let word) = current.kind, Parser.statementKeywords.contains(word),
      !peek().isSymbol("="), !peek().isSymbol("[") || word == "out" || word == "show" || word == "return"
    {
      _ = advance()
      let kind = try parseKeywordStatement(word, start: start)
      let range = SourceRange(start, previousEnd)
      try expectEndOfStatement()
      return Stmt(kind, range)
    }
    guard case .identifier = current.kind else {
      throw fail("expected a statement, found \(current.display)", at: current.range)
    }
    let target = try parseTarget()
    if !current.isSymbol("="), target.indices.isEmpty, current.kind != .newline, current.kind != .endOfFile,
      let keyword = closestMatch(to: target.name, among: Parser.statementKeywords)
    {
      throw fail("unknown statement '\(target.name)'; did you mean '\(keyword)'?", at: target.range)
    }
    _ = try expect("=", "after '\(target.name)' (an assignment)")
    let value = try parseExpression()
    let stmt = Stmt(.assign(target, value), SourceRange(start, previousEnd))
    try expectEndOfStatement()
    return stmt
  }

  mutating func parseTarget(_ what: String = "a name") throws(Failure) -> Target {
    let (name, r) = try expectIdentifier(what)
    var indices: [Expr] = []
    if current.isSymbol("[") {
      let open = advance()
      indices = try parseList(closing: "]")
      try expectClosing("]", opener: open, "of the index of '\(name)'")
    }
    return Target(name: name, indices: indices, range: SourceRange(r.start, previousEnd))
  }

  /// A model vector named in an `observe` statement: `x2`, or a member of a family written
  /// in a model loop with whole-number indices, `x[3]` (named `"x[3]"`, as the checker names it).
  mutating func parseModelVectorName() throws(Failure) -> (String, SourceRange) {
    let target = try parseTarget("a vector name")
    var indices: [String] = []
    for index in target.indices {
      guard case .number(let v) = index.kind, v == v.rounded(), v >= 0, v < 1e9 else {
        throw fail("an index here must be a whole number, as in '\(target.name)[2]'", at: index.range)
      }
      indices.append(String(Int(v)))
    }
    let name = indices.isEmpty ? target.name : "\(target.name)[\(indices.joined(separator: ", "))]"
    return (name, target.range)
  }

  /// `v in lo ..< hi` or `v in lo ... hi`, after `for`.
  mutating func parseLoopHeader() throws(Failure) -> (
    variable: String, lower: Expr, upper: Expr, inclusive: Bool
  ) {
    let (v, _) = try expectIdentifier("a loop variable")
    try expectKeyword("in", "after the loop variable")
    let lower = try parseExpression()
    let inclusive: Bool
    if consume("..<") {
      inclusive = false
    } else if consume("...") {
      inclusive = true
    } else {
      throw fail("expected '..<' or '...' in the loop range, found \(current.display)", at: current.range)
    }
    let upper = try parseExpression()
    return (v, lower, upper, inclusive)
  }

  /// A family declaration `layer W[l] : n -> n for l in 1 ..< L` becomes the loop
  /// `for l in 1 ..< L { layer W[l] : n -> n }`; a declaration without `for` is returned as is.
  mutating func parseFamilyLoop(_ kind: Stmt.Kind, _ target: Target, start: Int) throws(Failure) -> Stmt.Kind
  {
    guard current.isIdentifier("for") else { return kind }
    let declaration = Stmt(kind, SourceRange(start, previousEnd))
    _ = advance()
    let header = try parseLoopHeader()
    if target.indices.isEmpty {
      throw fail(
        "a family declared with 'for' needs an index, as in '\(target.name)[\(header.variable)]'",
        at: target.range)
    }
    return .forLoop(
      variable: header.variable, lower: header.lower, upper: header.upper, inclusive: header.inclusive,
      body: [declaration])
  }

  mutating func parseTargets() throws(Failure) -> [Target] {
    var targets = [try parseTarget()]
    while consume(",") { targets.append(try parseTarget()) }
    return targets
  }

  /// Parses `N(mean, variance)` after `~`.
  mutating func parseNormal(_ what: String) throws(Failure) -> (Expr, Expr) {
    _ = try expect("~", "after the \(what) names")
    let (n, r) = try expectIdentifier("'N(mean, variance)'")
    guard n == "N" else { throw fail("expected 'N(mean, variance)', found '\(n)'", at: r) }
    let open = try expect("(", "after 'N'")
    let mean = try parseExpression()
    if !current.isSymbol(","), current.kind == .endOfFile || startsLine(index) {
      try expectClosing(")", opener: open, "of 'N(…)'")
    }
    _ = try expect(",", "between the mean and the variance of 'N'")
    let variance = try parseExpression()
    try expectClosing(")", opener: open, "of 'N(…)'")
    return (mean, variance)
  }

  mutating func parseKeywordStatement(_ word: String, start: Int) throws(Failure) -> Stmt.Kind {
    switch word {
    case "width":
      return .width(try expectIdentifier("the width's name").0)
    case "param":
      let (name, _) = try expectIdentifier("a parameter name")
      _ = try expect("=", "after the parameter name")
      return .param(name, try parseExpression())
    case "matrix":
      let targets = try parseTargets()
      let (mean, variance) = try parseNormal("matrix")
      return .matrix(targets, mean: mean, variance: variance)
    case "vector":
      let targets = try parseTargets()
      let (mean, cov) = try parseNormal("vector")
      return .vector(targets, mean: mean, covariance: cov)
    case "def":
      let (name, _) = try expectIdentifier("a function name")
      let params = try parseParameterList()
      _ = try expect("=", "before the function body")
      return .def(name, params: params, body: try parseExpression())
    case "for":
      let header = try parseLoopHeader()
      let body = try parseBlock("loop")
      return .forLoop(
        variable: header.variable, lower: header.lower, upper: header.upper, inclusive: header.inclusive,
        body: body)
    case "out", "show":
      var items = [try parseExpression()]
      while consume(",") { items.append(try parseExpression()) }
      return word == "out" ? .out(items) : .show(items)
    case "layer", "bias", "model", "return", "parametrization", "point", "data", "train", "observe":
      return try parseNetworkStatement(word, start: start)
    case "kernel", "posterior", "alignment", "eigen", "eigenlearning", "hermite", "reverse":
      return try parseKernelStatement(word, start: start)
    default:
      throw fail("unknown statement '\(word)'", at: SourceRange(start, previousEnd))
    }
  }

  mutating func parseBlock(_ what: String) throws(Failure) -> [Stmt] {
    let open = try expect("{", "to open the \(what) body")
    try enter(open.range)
    defer { depth -= 1 }
    let body = parseStatements(untilBrace: true)
    if !current.isSymbol("}") {
      throw fail("'{' of the \(what) body was never closed; expected '}'", at: open.range)
    }
    _ = advance()
    return body
  }

  mutating func parseParameterList() throws(Failure) -> [String] {
    let open = try expect("(", "before the parameter list")
    var params: [String] = []
    if !current.isSymbol(")") {
      repeat { params.append(try expectIdentifier("a parameter name").0) } while consume(",")
    }
    try expectClosing(")", opener: open, "of the parameter list")
    return params
  }

  mutating func parseDimension() throws(Failure) -> Dimension {
    let t = current
    switch t.kind {
    case .number(let v):
      _ = advance()
      guard v >= 1, v <= 1_000_000, v == v.rounded() else {
        throw fail("a dimension must be a positive integer or the width, found \(v)", at: t.range)
      }
      return Dimension(.integer(Int(v)), t.range)
    case .identifier(let s):
      _ = advance()
      return Dimension(.width(s), t.range)
    default:
      throw fail("expected a dimension (an integer or the width), found \(t.display)", at: t.range)
    }
  }

  /// A non-empty file name in double quotes; `example` completes "expected a file name in
  /// double quotes, …" when something else is found.
  mutating func expectFileName(_ example: String) throws(Failure) -> (String, SourceRange) {
    guard case .string(let path) = current.kind else {
      throw fail(
        "expected a file name in double quotes, \(example), found \(current.display)", at: current.range)
    }
    let range = advance().range
    if path.isEmpty { throw fail("the file name is empty", at: range) }
    return (path, range)
  }

  mutating func parseOptionalOptions() throws(Failure) -> [Option] {
    guard current.isSymbol("(") else { return [] }
    return try parseOptions(opener: advance())
  }

  /// Parses `key: value, …)` after the opening parenthesis `opener`.
  mutating func parseOptions(opener: Token) throws(Failure) -> [Option] {
    var options: [Option] = []
    if !current.isSymbol(")") {
      repeat {
        let (key, r) = try expectIdentifier("an option name")
        _ = try expect(":", "after the option name '\(key)'")
        options.append(Option(key: key, keyRange: r, value: try parseExpression()))
      } while consume(",")
    }
    try expectClosing(")", opener: opener, "of the options")
    return options
  }
}
