import TPCore
import TPSyntax

/// A model body in SSA form: the operations of the forward pass, in order.
///
/// Pointwise expressions are ``CoordExpr`` values whose `.vector` leaves are **op indices**.
package struct ModelGraph {
  package enum Op {
    /// `U @ ξ` for an input layer `U : d -> n`.
    case inputLayer(String)
    /// `W @ v` for a hidden layer `W : n -> n`.
    case hidden(String, operand: Int)
    /// A bias vector.
    case bias(String)
    /// A coordinatewise function of earlier ops.
    case pointwise(CoordExpr)
  }

  package var ops: [Op] = []
  package var names: [String] = []
  /// The model statement that defines each op (for error messages).
  package var statements: [SourceRange] = []
  /// Local name → op index.
  package var locals: [String: Int] = [:]
  /// The readout applied by `return V @ v`.
  package var readout = ""
  package var readoutOperand = 0
  /// The `return` statement.
  package var returnStatement = SourceRange(0, 0)

  static func leaf(_ k: Int) -> CoordExpr { .vector(VectorID(k)) }

  /// Op `k`'s name for reports: the local name a statement gave it (the first in name order
  /// when several did), else what it computes (`U xi`).
  package func displayName(_ k: Int) -> String {
    locals.filter { $0.value == k }.keys.min() ?? names[k]
  }

  /// Fails when `e` is beyond ``ExpressionLimits``, like a core expression.
  static func checkSize(_ e: CoordExpr, _ what: String, _ range: SourceRange) throws(LoweringError) {
    if e.exceeds(nodes: ExpressionLimits.maximumNodes, height: ExpressionLimits.maximumHeight) {
      throw LoweringError(Message.expressionTooLarge(what), range: range)
    }
  }

  init() {}

  /// Builds the graph of a checked model body.
  package init(
    model: ModelSpec, network: NetworkSpec, functions: [String: UserFunction], constants: [String: Double]
  )
    throws(LoweringError)
  {
    var builder = Builder(
      network: network, functions: functions, constants: constants, input: model.parameter)
    for s in model.body {
      builder.statement = s.range
      switch s.kind {
      case .assign(let t, let e):
        let term = try builder.convert(e)
        let idx = builder.materialize(term, name: t.name)
        builder.graph.locals[t.name] = idx
        if builder.temporaries.remove(idx) != nil { builder.graph.names[idx] = t.name }
      case .returnValue(let e):
        guard case .binary(.matmul, let l, let r) = e.kind, case .name(let v) = l.kind,
          network.layer(named: v)?.role == .readout
        else {
          throw LoweringError(
            "the model must return a readout layer applied to a vector, as in 'return V @ x'", range: e.range)
        }
        builder.graph.readout = v
        builder.graph.returnStatement = s.range
        builder.graph.readoutOperand = builder.materialize(try builder.convert(r), name: "%out")
      default:
        throw LoweringError("unsupported statement in a model body", range: s.range)
      }
    }
    self = builder.graph
  }

  struct Builder {
    let network: NetworkSpec
    let functions: [String: UserFunction]
    let constants: [String: Double]
    let input: String
    var graph = ModelGraph()
    var biasOps: [String: Int] = [:]
    /// What is known of the values of pointwise ops, for real powers.
    var opBounds: [Int: ValueBounds] = [:]
    /// The statement being converted.
    var statement = SourceRange(0, 0)
    /// Ops made for an unnamed subexpression, renamed when a statement assigns them a name.
    var temporaries: Set<Int> = []

    init(network: NetworkSpec, functions: [String: UserFunction], constants: [String: Double], input: String)
    {
      self.network = network
      self.functions = functions
      self.constants = constants
      self.input = input
    }

    mutating func add(_ op: Op, name: String) -> Int {
      graph.ops.append(op)
      graph.names.append(name)
      graph.statements.append(statement)
      return graph.ops.count - 1
    }

    /// An op index for `e`: the op itself when `e` is one leaf, else a new pointwise op.
    mutating func materialize(_ e: CoordExpr, name: String) -> Int {
      if case .vector(let v) = e { return v.raw }
      // Named by what it computes, `tanh(U xi)`, when that is short; else `%k`.
      let text = e.rendered { leaf in
        if case .vector(let v) = leaf, v.raw < graph.names.count { return graph.names[v.raw] }
        return "?"
      }
      let k = add(.pointwise(e), name: text.count <= 32 ? text : "%\(graph.ops.count)")
      temporaries.insert(k)
      opBounds[k] = bounds(e)
      return k
    }

    /// Bounds of `e` from those of the pointwise ops it reads (layer outputs are unbounded).
    func bounds(_ e: CoordExpr) -> ValueBounds {
      e.bounds { leaf in
        if case .vector(let v) = leaf { return opBounds[v.raw] ?? .unbounded }
        return .unbounded
      }
    }

    /// The source text of `e` as written, reconstructed from the syntax tree.
    func text(_ e: Expr) -> String {
      switch e.kind {
      case .name(let n): return n
      case .number(let v): return Program.format(v)
      case .call(let f, let primes, let args):
        return f + String(repeating: "'", count: primes) + "(" + args.map(text).joined(separator: ", ") + ")"
      default: return "this base"
      }
    }

    mutating func convert(_ e: Expr) throws(LoweringError) -> CoordExpr {
      switch e.kind {
      case .number(let v): return .constant(v)
      case .name(let n):
        if let k = graph.locals[n] { return ModelGraph.leaf(k) }
        if network.biases.contains(where: { $0.name == n }) {
          if let k = biasOps[n] { return ModelGraph.leaf(k) }
          let k = add(.bias(n), name: n)
          biasOps[n] = k
          return ModelGraph.leaf(k)
        }
        if let c = constants[n] { return .constant(c) }
        throw LoweringError("'\(n)' cannot be used here", range: e.range)
      case .negate(let a): return -(try convert(a))
      case .binary(.matmul, let l, let r):
        guard case .name(let ln) = l.kind, let layer = network.layer(named: ln) else {
          throw LoweringError("the left operand of '@' must be a layer", range: l.range)
        }
        switch layer.role {
        case .input:
          guard case .name(let rn) = r.kind, rn == input else {
            throw LoweringError(
              "input layer '\(ln)' can only multiply the model input '\(input)'", range: r.range)
          }
          return ModelGraph.leaf(add(.inputLayer(ln), name: "\(ln) \(input)"))
        case .hidden:
          let operand = materialize(try convert(r), name: "%")
          return ModelGraph.leaf(add(.hidden(ln, operand: operand), name: "\(ln) \(graph.names[operand])"))
        case .readout:
          throw LoweringError("readout '\(ln)' can only be applied in the model's 'return'", range: l.range)
        }
      case .binary(let op, let l, let r):
        let a = try convert(l)
        let b = try convert(r)
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power:
          // As in core statements: a real power of a vector that can be negative is NaN there.
          let integer = b.constantValue.map { $0 == $0.rounded() } ?? false
          if a.involvesVectors, !integer, !bounds(a).isNonNegative {
            throw LoweringError(Message.realPowerBase(text(l)), range: l.range)
          }
          return .pow(a, b)
        case .matmul: throw LoweringError("unreachable", range: e.range)
        }
      case .call(let name, let primes, let args):
        var operands: [CoordExpr] = []
        for a in args { operands.append(try convert(a)) }
        var body: CoordExpr
        if let f = Function(rawValue: name) {
          body = .call(f, .argument(0))
        } else if let fn = functions[name] {
          body = fn.body
        } else {
          throw LoweringError("unknown function '\(name)'", range: e.range)
        }
        // Derivatives and nested calls can grow a body far beyond its text: bound it as the
        // checker bounds core expressions (every later walk of the graph is over these trees).
        let what = "'\(name)\(String(repeating: "'", count: primes))(…)'"
        for _ in 0..<primes {
          body = body.derivative(withRespectTo: .argument(0))
          try ModelGraph.checkSize(body, what, e.range)
        }
        let result = body.substituting { leaf in
          if case .argument(let k) = leaf, k < operands.count { return operands[k] }
          return nil
        }
        try ModelGraph.checkSize(result, what, e.range)
        return result
      default:
        throw LoweringError("this expression is not supported in a model body", range: e.range)
      }
    }
  }
}
