import TPSyntax

/// The shape of a value in a model body.
enum ModelShape: Equatable {
  case scalar
  case finite(Int)
  case width
  /// The model input `ξ` of dimension `d`.
  case input(Int?)
  /// A value whose definition failed and was already diagnosed; uses stay quiet.
  case unknown
}

/// Shape checking of model bodies: every value is a scalar, a finite vector, a width vector or
/// the input, and each operation says which shapes it takes.
extension CheckerState {
  /// Checks a model body's shapes; returns its input and output dimensions. A failed statement
  /// leaves its name `.unknown` and checking goes on, so independent errors all show.
  mutating func checkModelBody(_ input: String, _ body: [Stmt], _ range: SourceRange) throws(Failure) -> (
    Int, Int
  ) {
    var env: [String: ModelShape] = [input: .input(nil)]
    var inputDim: Int?
    var output: Int?
    var failed = false
    for (k, s) in body.enumerated() {
      do throws(Failure) {
        switch s.kind {
        case .assign(let t, let e):
          guard t.indices.isEmpty else { throw error("model values cannot be indexed", t.range) }
          if env[t.name] != nil || bindings[t.name] != nil {
            throw error(Message.redefinition(t.name), t.range)
          }
          env[t.name] = .unknown
          env[t.name] = try modelShape(e, &env, &inputDim)
        case .returnValue(let e):
          guard k == body.count - 1 else {
            throw error("'return' must be the last statement of the model", s.range)
          }
          let shape = try modelShape(e, &env, &inputDim)
          if shape == .unknown { throw Failure() }
          guard case .finite(let kout) = shape else {
            throw error("the model must return the readout's output (a layer 'n -> k' applied last)", e.range)
          }
          output = kout
        default:
          throw error("a model body holds only assignments and a final 'return'", s.range)
        }
      } catch {
        failed = true
      }
    }
    if failed { throw Failure() }
    guard let output else { throw error("the model has no 'return'", range) }
    guard let inputDim else { throw error("the model never multiplies its input by an input layer", range) }
    modelVectors = env.filter { $0.value == .width }.map(\.key).sorted()
    return (inputDim, output)
  }

  mutating func modelShape(_ e: Expr, _ env: inout [String: ModelShape], _ inputDim: inout Int?)
    throws(Failure) -> ModelShape
  {
    switch e.kind {
    case .number: return .scalar
    case .name(let n):
      if let s = env[n] {
        if case .input = s {
          throw error("the model input '\(n)' can only be multiplied by an input layer", e.range)
        }
        return s
      }
      if network.biases.contains(where: { $0.name == n }) { return .width }
      if network.layer(named: n) != nil {
        throw error("layer '\(n)' can only be used on the left of '@'", e.range)
      }
      switch bindings[n] {
      case .scalar(let id)? where program.scalars[id.raw].constantValue != nil: return .scalar
      case .poisoned?: return .unknown
      default: break
      }
      let candidates = Array(env.keys) + network.biases.map(\.name) + network.layers.map(\.name)
      throw error(Message.unknownName(n, suggestion: closestMatch(to: n, among: candidates)), e.range)
    case .binary(.matmul, let l, let r):
      guard case .name(let ln) = l.kind, let layer = network.layer(named: ln) else {
        if case .name(let ln) = l.kind, network.layer(named: ln) == nil {
          if case .poisoned? = bindings[ln] { throw Failure() }
          let hint = closestMatch(to: ln, among: network.layers.map(\.name))
          throw error("unknown layer '\(ln)'" + (hint.map { "; did you mean '\($0)'?" } ?? ""), l.range)
        }
        throw error("the left operand of '@' in a model must be a layer name", l.range)
      }
      usedLayers.insert(ln)
      let result: ModelShape = layer.output == .width ? .width : layer.output.finiteShape
      if case .name(let rn) = r.kind, case .input = env[rn] {
        guard case .finite(let d) = layer.input else {
          throw error(
            "the input must be multiplied by an input layer ('d -> n'), but '\(ln)' is \(layer.input) -> \(layer.output)",
            l.range)
        }
        if let known = inputDim, known != d {
          throw error("layer '\(ln)' takes \(d) inputs but the model input has \(known)", l.range)
        }
        inputDim = d
        return result
      }
      let rs = try modelShape(r, &env, &inputDim)
      let expected: ModelShape = layer.input == .width ? .width : layer.input.finiteShape
      guard rs == expected || rs == .unknown else {
        throw error(
          "layer '\(ln)' needs a \(describe(expected)) input, but this value is \(describe(rs))", r.range)
      }
      return result
    case .negate(let a): return try modelShape(a, &env, &inputDim)
    case .binary(_, let l, let r):
      let a = try modelShape(l, &env, &inputDim)
      let b = try modelShape(r, &env, &inputDim)
      if a == .unknown || b == .unknown { return .unknown }
      if a == .scalar { return b }
      if b == .scalar { return a }
      guard a == b else { throw error("shapes do not match: \(describe(a)) and \(describe(b))", e.range) }
      return a
    case .call(let name, _, let args):
      if name == "mean" { throw error("'mean' cannot be used in a model body", e.range) }
      if Function(rawValue: name) == nil && functions[name] == nil {
        let candidates = Function.allCases.map(\.rawValue) + Array(functions.keys)
        throw error(
          Message.unknownFunction(name, suggestion: closestMatch(to: name, among: candidates)),
          SourceRange(e.range.start, e.range.start + name.utf8.count))
      }
      let arity = functions[name]?.arity ?? 1
      guard args.count == arity else {
        throw error(Message.arity(name, expected: arity, found: args.count), e.range)
      }
      var shape = ModelShape.scalar
      for a in args {
        let s = try modelShape(a, &env, &inputDim)
        if s == .unknown { return .unknown }
        if s != .scalar {
          if shape != .scalar && shape != s { throw error("shapes do not match in '\(name)(…)'", e.range) }
          shape = s
        }
      }
      return shape
    default:
      throw error("this expression is not allowed in a model body", e.range)
    }
  }

  func describe(_ s: ModelShape) -> String {
    switch s {
    case .scalar: return "scalar"
    case .finite(let k): return "\(k)-dimensional"
    case .width: return "width-\(widthName ?? "n")"
    case .input: return "model input"
    case .unknown: return "unknown"
    }
  }
}
