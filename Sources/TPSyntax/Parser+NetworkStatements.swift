/// Statements of the network level (layers, biases, the model, its parametrization, points,
/// data, training and observations) and the kernel requests and analyses on a model, parsed
/// after their keyword by ``Parser/parseKeywordStatement(_:start:)``.
extension Parser {
  /// `layer`, `bias`, `model`, `return`, `parametrization`, `point`, `data`, `train`, `observe`.
  mutating func parseNetworkStatement(_ word: String, start: Int) throws(Failure) -> Stmt.Kind {
    switch word {
    case "layer":
      let target = try parseTarget("a layer name")
      _ = try expect(":", "after the layer name (as in 'layer W : n -> n')")
      let input = try parseDimension()
      _ = try expect("->", "between the layer's input and output dimensions")
      let output = try parseDimension()
      let kind = Stmt.Kind.layer(target, input: input, output: output, options: try parseOptionalOptions())
      return try parseFamilyLoop(kind, target, start: start)
    case "bias":
      let target = try parseTarget("a bias name")
      _ = try expect(":", "after the bias name (as in 'bias b : n')")
      let dim = try parseDimension()
      let kind = Stmt.Kind.bias(target, dim, options: try parseOptionalOptions())
      return try parseFamilyLoop(kind, target, start: start)
    case "model":
      let (name, _) = try expectIdentifier("a model name")
      let params = try parseParameterList()
      return .model(name, params: params, body: try parseBlock("model"))
    case "return":
      return .returnValue(try parseExpression())
    case "parametrization":
      let (name, _) = try expectIdentifier("a parametrization (mup, ntk, sp, mf or abc)")
      if name == "abc" { return .abcParametrization(try parseABC()) }
      return .parametrization(name)
    case "point":
      let (name, _) = try expectIdentifier("a point name")
      _ = try expect("=", "after the point name (as in 'point a = [1, 0]')")
      if current.isIdentifier("word"), index + 1 < tokens.count, tokens[index + 1].isSymbol("(") {
        _ = advance()
        let open = advance()
        guard case .string(let word) = current.kind else {
          throw fail(
            "expected a word in double quotes, as in word(\"apple\"), found \(current.display)",
            at: current.range)
        }
        let wordRange = advance().range
        try expectClosing(")", opener: open, "of 'word(…)'")
        return .pointWord(name, word: word, wordRange: wordRange)
      }
      return .point(name, try parseExpression())
    case "data":
      let (name, _) = try expectIdentifier("a data set name")
      _ = try expect("=", "after the data set name")
      if current.isIdentifier("skipgram") {
        _ = advance()
        let open = try expect("(", "after 'skipgram' (as in 'skipgram(\"corpus.txt\", window: 2)')")
        let (path, pathRange) = try expectFileName("as in skipgram(\"corpus.txt\", window: 2)")
        var options: [Option] = []
        if consume(",") {
          options = try parseOptions(opener: open)
        } else {
          try expectClosing(")", opener: open, "of 'skipgram(…)'")
        }
        return .dataSkipGram(name, path: path, pathRange: pathRange, options: options)
      }
      if current.isIdentifier("csv") {
        _ = advance()
        let open = try expect("(", "after 'csv' (as in 'csv(\"points.csv\")')")
        let (path, pathRange) = try expectFileName("as in csv(\"points.csv\")")
        try expectClosing(")", opener: open, "of 'csv(…)'")
        return .dataFile(name, path: path, pathRange: pathRange)
      }
      guard current.isSymbol("[") else {
        throw fail(
          "expected '[' to open the list of examples, or csv(\"FILE\"), found \(current.display)",
          at: current.range)
      }
      let open = advance()
      var examples: [DataExample] = []
      if !current.isSymbol("]") {
        repeat {
          let input = try parseExpression()
          _ = try expect("->", "between an input and its label")
          examples.append(DataExample(input: input, label: try parseExpression()))
        } while consume(",") && !current.isSymbol("]")
      }
      try expectClosing("]", opener: open, "of the list of examples")
      return .data(name, examples)
    case "train":
      let (model, _) = try expectIdentifier("a model name")
      try expectKeyword("on", "after the model name")
      let (data, _) = try expectIdentifier("a data set name")
      try expectKeyword("with", "after the data set name")
      let (opt, _) = try expectIdentifier("an optimizer (sgd)")
      let open = try expect("(", "after the optimizer name")
      let options = try parseOptions(opener: open)
      return .train(model: model, data: data, optimizer: opt, options: options)
    case "observe":
      let (kind, _) = try expectIdentifier("what to observe (a model, loss, movement, kernel or alignment)")
      if kind == "alignment" {
        let (target, targetRange) = try parseModelVectorName()
        try expectKeyword("on", "after the vector name (as in 'observe alignment x2 on train')")
        let (data, dataRange) = try expectIdentifier("a data set name")
        return .observeAlignment(
          target: target, targetRange: targetRange, data: data, dataRange: dataRange,
          options: try parseOptionalOptions())
      }
      var target: String?
      if kind == "movement" || kind == "kernel" { target = try parseModelVectorName().0 }
      var points: [Expr] = []
      if current.isIdentifier("at") {
        _ = advance()
        points = try parsePoints()
      }
      return .observe(kind: kind, target: target, points: points, options: try parseOptionalOptions())
    default:
      throw fail("unknown statement '\(word)'", at: SourceRange(start, previousEnd))
    }
  }

  /// `kernel`, `posterior`, `alignment`, `eigen`, `eigenlearning`, `hermite`, `reverse`.
  mutating func parseKernelStatement(_ word: String, start: Int) throws(Failure) -> Stmt.Kind {
    switch word {
    case "kernel":
      let (model, _) = try expectIdentifier("a model name")
      if current.isIdentifier("on") {
        _ = advance()
        var data = [try expectIdentifier("a data set name")]
        if consume(",") { data.append(try expectIdentifier("a second data set name")) }
        return .kernelOn(model: model, data: data.map(\.0), dataRanges: data.map(\.1))
      }
      try expectKeyword("at", "after the model name (or 'on' and a data set)")
      return .kernel(model: model, points: try parsePoints())
    case "posterior":
      let (model, _) = try expectIdentifier("a model name")
      try expectKeyword("on", "after the model name")
      let (data, _) = try expectIdentifier("a data set name")
      try expectKeyword("at", "after the data set name")
      let points = try parsePoints()
      return .posterior(model: model, data: data, points: points, options: try parseOptionalOptions())
    case "alignment", "eigen", "eigenlearning":
      let (model, modelRange) = try expectIdentifier("a model name")
      try expectKeyword("on", "after the model name (as in '\(word) f on DATA')")
      let (data, dataRange) = try expectIdentifier("a data set name")
      return .kernelAnalysis(
        KernelAnalysisSyntax(
          keyword: word, subject: model, subjectRange: modelRange, data: data, dataRange: dataRange,
          options: try parseOptionalOptions()))
    case "hermite":
      let (function, functionRange) = try expectIdentifier("an activation (a built-in function or a 'def')")
      return .kernelAnalysis(
        KernelAnalysisSyntax(
          keyword: word, subject: function, subjectRange: functionRange, data: nil, dataRange: nil,
          options: try parseOptionalOptions()))
    case "reverse":
      let (model, modelRange) = try expectIdentifier("a model name")
      var path: String?
      var pathRange: SourceRange?
      if current.isIdentifier("to") {
        _ = advance()
        (path, pathRange) = try expectFileName("after 'to', as in 'reverse f to \"shallow.tp\"'")
      }
      return .kernelAnalysis(
        KernelAnalysisSyntax(
          keyword: word, subject: model, subjectRange: modelRange, data: nil, dataRange: nil,
          options: try parseOptionalOptions(), path: path, pathRange: pathRange))
    default:
      throw fail("unknown statement '\(word)'", at: SourceRange(start, previousEnd))
    }
  }

  mutating func parsePoints() throws(Failure) -> [Expr] {
    var points = [try parsePoint()]
    while consume(",") { points.append(try parsePoint()) }
    return points
  }

  /// One point: an expression, except that a name followed by an option list (`at test
  /// (noise: 0.1)`, `at a (every: 2)`) is the name, not a call.
  mutating func parsePoint() throws(Failure) -> Expr {
    if case .identifier(let name) = current.kind, peek().isSymbol("("), case .identifier = peek(2).kind,
      peek(3).isSymbol(":")
    {
      let t = advance()
      return Expr(.name(name), t.range)
    }
    return try parseExpression()
  }

  mutating func parseABC() throws(Failure) -> [ABCEntry] {
    let open = try expect("{", "to open the abc block")
    do throws(Failure) {
      return try parseABCEntries(open)
    } catch {
      // Skip the rest of the block, so its entries are not read as statements.
      var braces = 0
      while current.kind != .endOfFile {
        let t = advance()
        if t.isSymbol("{") { braces += 1 }
        if t.isSymbol("}") {
          if braces == 0 { break }
          braces -= 1
        }
      }
      throw error
    }
  }

  mutating func parseABCEntries(_ open: Token) throws(Failure) -> [ABCEntry] {
    var entries: [ABCEntry] = []
    while true {
      while case .newline = current.kind { _ = advance() }
      if consume("}") { break }
      if case .endOfFile = current.kind {
        throw fail("'{' of the abc block was never closed; expected '}'", at: open.range)
      }
      let (name, r) = try expectIdentifier("a layer name or 'c'")
      if name == "c" && current.isSymbol("=") {
        _ = advance()
        let v = try parseExpression()
        entries.append(
          ABCEntry(
            layer: nil, layerRange: r,
            assignments: [ABCAssignment(key: "c", value: v, range: SourceRange(r.start, previousEnd))]))
      } else {
        _ = try expect(":", "after the layer name in the abc block")
        var assignments: [ABCAssignment] = []
        repeat {
          let (key, kr) = try expectIdentifier("'a' or 'b'")
          _ = try expect("=", "after '\(key)'")
          let v = try parseExpression()
          assignments.append(ABCAssignment(key: key, value: v, range: SourceRange(kr.start, previousEnd)))
        } while consume(",")
        entries.append(ABCEntry(layer: name, layerRange: r, assignments: assignments))
      }
      if !consume(";"), case .newline = current.kind {
        _ = advance()
      } else if !current.isSymbol("}") {
        throw fail(
          "expected ';', a new line or '}' after an abc entry, found \(current.display)", at: current.range)
      }
    }
    return entries
  }
}
