import TPSyntax
import TPTestSupport
import Testing

/// A compact, fully parenthesized spelling of an expression, for structural assertions.
func sexpr(_ e: Expr) -> String {
  switch e.kind {
  case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
  case .name(let n): return n
  case .indexed(let n, let idx): return "\(n)[\(idx.map(sexpr).joined(separator: ", "))]"
  case .negate(let a): return "(- \(sexpr(a)))"
  case .binary(let op, let a, let b): return "(\(op.rawValue) \(sexpr(a)) \(sexpr(b)))"
  case .call(let f, let primes, let args):
    return "\(f)\(String(repeating: "'", count: primes))(\(args.map(sexpr).joined(separator: ", ")))"
  case .transpose(let a): return "\(sexpr(a)).T"
  case .list(let items): return "[\(items.map(sexpr).joined(separator: ", "))]"
  }
}

/// Parses `source`, recording an issue (with the rendered diagnostics) if it has errors.
func parse(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Stmt] {
  do {
    return try Parser.parse(SourceFile(name: "t.tp", text: source)).statements
  } catch {
    Issue.record("\(error.render())", sourceLocation: sourceLocation)
    return []
  }
}

/// The right-hand side of the single assignment in `source`, as an s-expression.
func rhs(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
  let statements = parse("width n\n" + source, sourceLocation: sourceLocation)
  guard statements.count == 2, case .assign(_, let e) = statements[1].kind else {
    Issue.record("not one assignment: \(statements)", sourceLocation: sourceLocation)
    return ""
  }
  return sexpr(e)
}

/// The parse diagnostics of `marked`'s text; expects the first at the marker with `message`.
func expectParseError(
  _ marked: MarkedSource, _ message: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
  let file = SourceFile(name: "t.tp", text: marked.text)
  let (_, diagnostics) = Parser.parseRecovering(file)
  guard let first = diagnostics.min(by: { $0.range.start < $1.range.start }) else {
    Issue.record("no diagnostics for \(marked.text)", sourceLocation: sourceLocation)
    return
  }
  let loc = file.location(of: first.range.start)
  let rendered = Diagnostics(file: file, items: diagnostics).render()
  #expect(first.message.contains(message), "\(rendered)", sourceLocation: sourceLocation)
  #expect("\(loc.line):\(loc.column)" == marked.location, "\(rendered)", sourceLocation: sourceLocation)
  if let length = marked.length {
    #expect(
      file.location(of: first.range.end).column - loc.column == length, "\(rendered)",
      sourceLocation: sourceLocation)
  }
}

struct ExprCase: Sendable, CustomTestStringConvertible {
  var source: String
  var expected: String
  var testDescription: String { source }
}

struct ErrorCase: Sendable, CustomTestStringConvertible {
  var marked: String
  var message: String
  var testDescription: String { marked.replacingOccurrences(of: "\n", with: "⏎") }
}

@Suite struct ParserTests {
  @Test(arguments: [
    ExprCase(source: "x = -0.5", expected: "-0.5"),
    ExprCase(source: "x = 2e-3", expected: "0.002"),
    ExprCase(source: "x = 2 ** -1", expected: "(** 2 -1)"),
    ExprCase(source: "x = a + b * c ** d ** e", expected: "(+ a (* b (** c (** d e))))"),
    ExprCase(source: "x = a - b - c", expected: "(- (- a b) c)"),
    ExprCase(source: "x = a / b * c", expected: "(* (/ a b) c)"),
    ExprCase(source: "x = -a ** 2", expected: "(- (** a 2))"),
    ExprCase(source: "x = -(a)", expected: "(- a)"),
    ExprCase(source: "x = --a", expected: "(- (- a))"),
    ExprCase(source: "x = W @ y * 2", expected: "(* (@ W y) 2)"),
    ExprCase(source: "x = W.T @ y", expected: "(@ W.T y)"),
    ExprCase(source: "x = W[l].T @ h[l, t]", expected: "(@ W[l].T h[l, t])"),
    ExprCase(source: "x = x[t+1] + h[l, t - 1]", expected: "(+ x[(+ t 1)] h[l, (- t 1)])"),
    ExprCase(source: "x = f''(x)", expected: "f''(x)"),
    ExprCase(source: "x = swish'(h) * tanh(h)", expected: "(* swish'(h) tanh(h))"),
    ExprCase(source: "x = mean(x * x) / (1 + eta)", expected: "(/ mean((* x x)) (+ 1 eta))"),
    ExprCase(source: "x = [[1, 0.3], [0.3, 2]]", expected: "[[1, 0.3], [0.3, 2]]"),
    ExprCase(source: "x = f(a, b,)", expected: "f(a, b)"),
    ExprCase(source: "x = 1 +\n  2 *\n  3", expected: "(+ 1 (* 2 3))"),
    ExprCase(source: "x = f(1,\n  2)  # comment", expected: "f(1, 2)"),
    ExprCase(source: "x = (1\n + 2)", expected: "(+ 1 2)"),
  ])
  func expressions(_ c: ExprCase) {
    #expect(rhs(c.source) == c.expected)
  }

  @Test func semicolonsCommentsAndBlankLinesSeparateStatements() {
    let statements = parse("# header\nwidth n ; a = 1;b = 2\n\n\n# c\nc = 3 # trailing\n;;\nd = 4")
    #expect(statements.count == 5)
  }

  @Test func crlfLineEndingsAndAByteOrderMark() {
    let file = SourceFile(name: "t.tp", bytes: [0xEF, 0xBB, 0xBF] + Array("width n\r\nx = $\r\n".utf8))
    let (_, diagnostics) = Parser.parseRecovering(file)
    #expect(diagnostics.count == 1)
    #expect(file.location(of: diagnostics[0].range.start).description == "2:5")
    let bom = SourceFile(name: "t.tp", bytes: [0xEF, 0xBB, 0xBF] + Array("$".utf8))
    let (_, d2) = Parser.parseRecovering(bom)
    #expect(bom.location(of: d2[0].range.start).description == "1:1")
  }

  @Test func loopsAreParsedWithTheirRangeKind() throws {
    let statements = parse(
      "width n\nfor t in 0 ..< 3 { x[t+1] = x[t] }\nfor l in 1 ... 2 {\n  y[l] = 1\n  z[l] = 2\n}")
    guard case .forLoop(let v, let lo, let hi, let inclusive, let body) = statements[1].kind else {
      Issue.record("not a loop")
      return
    }
    #expect(v == "t" && sexpr(lo) == "0" && sexpr(hi) == "3" && !inclusive && body.count == 1)
    guard case .forLoop(_, _, _, true, let body2) = statements[2].kind else {
      Issue.record("not an inclusive loop")
      return
    }
    #expect(body2.count == 2)
  }

  @Test func declarationsWithSeveralIndexedTargets() {
    let statements = parse(
      "width n\nmatrix W[0], W[1] ~ N(0, 2/n)\nvector h[0, 0], h[0, 1] ~ N([0, 0], [[1, 0.5], [0.5, 1]])")
    guard case .matrix(let ts, _, let variance) = statements[1].kind,
      case .vector(let vs, let mean, _) = statements[2].kind
    else {
      Issue.record("not declarations")
      return
    }
    #expect(ts.map { "\($0.name)\($0.indices.map(sexpr))" } == ["W[\"0\"]", "W[\"1\"]"])
    #expect(sexpr(variance) == "(/ 2 n)")
    #expect(vs.map(\.indices.count) == [2, 2])
    #expect(sexpr(mean) == "[0, 0]")
  }

  @Test func networkStatements() {
    let source = """
      width n
      layer U : 2 -> n  (var: 2)
      bias b : n (var: 0.1)
      model f(xi) {
        return V @ tanh(U @ xi + b)
      }
      parametrization abc { U: a = -0.5, b = 0.5; V: a = 0.5, b = 0.5
        c = 0 }
      data train = [ [1, 0] -> 1,
                     [0, 1] -> -1 ]
      train f on train with sgd(lr: 1.0, steps: inf, batch: full, loss: logistic)
      observe movement h at [1, 0] (every: 2)
      kernel f at [1, 0], [0, 1]
      posterior f on train at [0.5, 0.5] (noise: 1e-4)
      """
    let statements = parse(source)
    #expect(statements.count == 10)
    guard case .abcParametrization(let entries) = statements[4].kind else {
      Issue.record("no abc")
      return
    }
    #expect(entries.map { $0.layer ?? "c" } == ["U", "V", "c"])
  }

  @Test(arguments: [
    ErrorCase(marked: "width n\nx = ⟦(⟧1 + 2\ny = 3", message: "'(' was never closed; expected ')'"),
    ErrorCase(marked: "width n\nx = tanh⟦(⟧u", message: "'(' of the call to 'tanh' was never closed"),
    ErrorCase(
      marked: "width n\nx = f(1 ⟦2⟧)", message: "expected ')' to close '(' of the call to 'f', found number 2"
    ),
    ErrorCase(
      marked: "width n\nfor t in 0 ..< 3 ⟦{⟧\n  x = 1\n", message: "'{' of the loop body was never closed"),
    ErrorCase(marked: "width n\nx = 1⟦)⟧", message: "unmatched ')'"),
    ErrorCase(marked: "width n\n⟦}⟧", message: "unmatched '}'"),
    ErrorCase(marked: "width n\nx = 1 ⟦$⟧ 2", message: "unexpected character '$'"),
    ErrorCase(marked: "width n\nx = ⟦$%&⟧", message: "unexpected character '$'"),
    ErrorCase(marked: "width n\nx = 1 +⟦⟧", message: "expected an expression, found end of file"),
    ErrorCase(marked: "width n\nx = tanh'⟦⟧", message: "expected '(' after 'tanh''"),
    ErrorCase(marked: "width n\ng = W.⟦X⟧ @ u", message: "unknown member '.X'"),
    ErrorCase(marked: "⟦widht⟧ n", message: "unknown statement 'widht'; did you mean 'width'?"),
    ErrorCase(marked: "width n\n⟦layers⟧ U : 2 -> n", message: "did you mean 'layer'?"),
    ErrorCase(marked: "width n\nx = ⟦y[]⟧", message: "empty index on 'y'"),
    ErrorCase(marked: "width n\nfor t in 0 ⟦to⟧ 3 { }", message: "expected '..<' or '...'"),
    ErrorCase(marked: "width n\nlayer U : ⟦2.5⟧ -> n", message: "a dimension must be a positive integer"),
    ErrorCase(marked: "width n\nx = ⟦1e400⟧", message: "number '1e400' is out of range"),
    ErrorCase(marked: "width n\nx = 1 ⟦3⟧", message: "expected end of statement, found number 3"),
    ErrorCase(marked: "⟦⟧", message: "the file is empty"),
    ErrorCase(marked: "⟦⟧# only a comment\n", message: "the file has no statements"),
    ErrorCase(
      marked: "width n\nparametrization abc { U: a = ⟦:⟧ }\nx = 1", message: "expected an expression"),
  ])
  func errorPositions(_ c: ErrorCase) {
    expectParseError(MarkedSource(c.marked), c.message)
  }

  @Test func nestingDepthLimit() {
    let limit = Parser.maximumDepth
    // `limit - 1` brackets around a name nest `limit` levels: accepted.
    _ = parse(
      "width n\nx = " + String(repeating: "(", count: limit - 1) + "u"
        + String(repeating: ")", count: limit - 1))
    let tooDeep =
      "width n\nx = " + String(repeating: "(", count: limit) + "⟦u⟧" + String(repeating: ")", count: limit)
    expectParseError(MarkedSource(tooDeep), "nesting is too deep")
    // Each operator of a chain is a level too.
    let chain = "width n\nx = u" + String(repeating: " + u", count: limit - 1) + " + ⟦u⟧" + " + u"
    expectParseError(MarkedSource(chain), "nesting is too deep")
  }

  /// Hitting the nesting limit does not leave the parser deeper than it was: the next statements
  /// parse as usual, however many times the limit was hit.
  @Test func nestingErrorsDoNotAccumulate() {
    let limit = Parser.maximumDepth
    let tooDeep =
      String(repeating: "for t in 0 ..< 1 {\n", count: limit + 1) + String(repeating: "}\n", count: limit + 1)
    let justFits =
      "x = " + String(repeating: "(", count: limit - 1) + "1" + String(repeating: ")", count: limit - 1)
    let source = "width n\n" + String(repeating: tooDeep, count: 3) + justFits + "\n"
    let (unit, diagnostics) = Parser.parseRecovering(SourceFile(name: "t.tp", text: source))
    #expect(diagnostics.count == 3)
    // width, the three outer loops (each without the statement that went too deep), and x
    #expect(unit.statements.count == 5)
    if case .assign(let t, _)? = unit.statements.last?.kind {
      #expect(t.name == "x")
    } else {
      Issue.record("no x")
    }
  }

  /// After an error the parser skips to the next statement, so every independent error shows.
  @Test func recoveryReportsEveryStatementError() {
    let source = "width n\nx = (1 + 2\ny = 3 $\nz = tanh(\nw = ]\nfor t in 0 ..< 2 {\n  a = 1 +* 2\n}\nok = 1"
    let (unit, diagnostics) = Parser.parseRecovering(SourceFile(name: "t.tp", text: source))
    let lines = diagnostics.map { SourceFile(name: "", text: source).location(of: $0.range.start).line }
      .sorted()
    #expect(lines == [2, 3, 4, 5, 7])
    #expect(unit.statements.count == 3)  // width, the loop (with its bad statement dropped), ok
    #expect(unit.recoveredNames.isSuperset(of: ["x", "y", "z", "w"]))
  }

  @Test func binaryInputIsOneDiagnostic() {
    let file = SourceFile(name: "t.tp", bytes: [0x7F, 0x45, 0x4C, 0x46, 0, 1, 2, 3, 0xFF])
    let (unit, diagnostics) = Parser.parseRecovering(file)
    #expect(unit.statements.isEmpty)
    #expect(diagnostics.map(\.message) == ["the file contains a NUL byte; a .tp file must be UTF-8 text"])
  }

  @Test func runsOfGarbageAreCapped() {
    var rng = SplitMix64(seed: 1)
    let bytes = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next() % 255 + 1) }
    let (_, diagnostics) = Parser.parseRecovering(SourceFile(name: "t.tp", bytes: bytes))
    #expect(diagnostics.count <= 60)
    // Rendering a diagnostic of arbitrary bytes never fails and keeps one line per part.
    for d in diagnostics {
      #expect(d.render(in: SourceFile(name: "t.tp", bytes: bytes)).split(separator: "\n").count == 3)
    }
  }

  @Test func renderShowsAWindowOfLongLines() {
    let source =
      "width n\nx = " + String(repeating: "1 * ", count: 50) + String(repeating: " ", count: 5000) + "$"
    let file = SourceFile(name: "t.tp", text: source)
    let (_, diagnostics) = Parser.parseRecovering(file)
    let lines = diagnostics[0].render(in: file).split(separator: "\n")
    #expect(lines[0] == "t.tp:2:5205: error: unexpected character '$'")
    #expect(lines[1].count < 140 && lines[2].count < 140)
    #expect(
      lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
        == lines[1].firstIndex(of: "$").map { lines[1].distance(from: lines[1].startIndex, to: $0) })
  }
}
