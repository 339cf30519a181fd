import TPSyntax

/// The result of checking a file: its core program and, for network files, the network.
public struct CheckedUnit: Sendable {
  /// The typed, unrolled core program (empty for a pure network file).
  public var program: Program
  /// The network declarations, when the file has any.
  public var network: NetworkSpec?
  /// Names declared with `param`, which `--set NAME=VALUE` may override.
  public var parameterNames: [String]
  /// User functions, kept for lowering model bodies.
  public var functions: [String: UserFunction]
  /// Warnings about a program that checks but probably does not say what was meant.
  public var warnings: [Diagnostic] = []
}

/// A `def`: its body with `.argument(k)` leaves for the parameters.
public struct UserFunction: Sendable {
  public var name: String
  public var arity: Int
  public var body: CoordExpr
  public var range: SourceRange
}

/// Semantic analysis: name resolution, types, loop unrolling and lowering of expressions to
/// instructions. Every error is collected; the result is thrown as one ``Diagnostics``.
public enum Checker {
  /// Checks `unit`; `overrides` replace the values of `param`s (from `--set`).
  public static func check(_ unit: SourceUnit, overrides: [String: Double] = [:]) throws(Diagnostics)
    -> CheckedUnit
  {
    try check(unit, overrides: overrides, priorDiagnostics: [])
  }

  /// At most this many diagnostics are reported for one file, then a note says checking stopped.
  public static let maximumDiagnostics = 100

  /// Checks `unit` after parsing recovered from `priorDiagnostics`; all are thrown together,
  /// sorted by position. Runs on the front-end thread (see ``LargeStack``).
  public static func check(_ unit: SourceUnit, overrides: [String: Double], priorDiagnostics: [Diagnostic])
    throws(Diagnostics) -> CheckedUnit
  {
    try LargeStack.run { checkOnCurrentThread(unit, overrides, priorDiagnostics) }.get()
  }

  static func checkOnCurrentThread(_ unit: SourceUnit, _ overrides: [String: Double], _ prior: [Diagnostic])
    -> Result<CheckedUnit, Diagnostics>
  {
    var state = CheckerState(file: unit.file, overrides: overrides)
    state.diagnostics = prior
    for name in unit.recoveredNames { state.bindings[name] = .poisoned }
    state.widthDropped = unit.droppedKeywords.contains("width")
    state.modelDropped = unit.droppedKeywords.contains("model")
    state.definedNames = definedNames(unit.statements)
    state.checkStatements(unit.statements)
    state.finish(unit.statements)
    var seen = Set<String>()
    var unique = state.diagnostics.filter { d in
      seen.insert("\(d.range.start):\(d.range.end):\(d.message)").inserted
    }
    // Stable sort: the first item is the first problem in the file.
    unique = unique.enumerated().sorted {
      ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset)
    }
    .map(\.element)
    if unique.contains(where: { $0.severity == .error }) {
      if unique.count > maximumDiagnostics {
        unique = Array(unique.prefix(maximumDiagnostics))
        unique.append(Diagnostic(.note, Message.tooManyErrors(maximumDiagnostics), at: unique.last!.range))
      }
      return .failure(Diagnostics(file: unit.file, items: unique))
    }
    state.program.file = unit.file
    var checked = CheckedUnit(
      program: state.program, network: state.hasNetwork ? state.network : nil,
      parameterNames: state.parameterNames, functions: state.functions)
    checked.warnings = unique
    return .success(checked)
  }

  /// The names `statements` define, loop bodies included.
  static func definedNames(_ statements: [Stmt]) -> Set<String> {
    var names: Set<String> = []
    for s in statements {
      switch s.kind {
      case .assign(let t, _): names.insert(t.name)
      case .matrix(let ts, _, _), .vector(let ts, _, _): names.formUnion(ts.map(\.name))
      case .param(let n, _), .def(let n, _, _): names.insert(n)
      case .forLoop(_, _, _, _, let body): names.formUnion(definedNames(body))
      default: break
      }
    }
    return names
  }

  /// Parses and checks source text in one call.
  public static func check(source: String, fileName: String = "<input>", overrides: [String: Double] = [:])
    throws(Diagnostics) -> CheckedUnit
  {
    let file = SourceFile(name: fileName, text: source)
    let (unit, parseDiagnostics) = Parser.parseRecovering(file)
    return try check(unit, overrides: overrides, priorDiagnostics: parseDiagnostics)
  }
}

/// What a name refers to.
enum Binding {
  case vector(VectorID)
  case scalar(ScalarID)
  case matrix(MatrixID)
  /// A name whose definition failed; uses are silently skipped to avoid cascades.
  case poisoned
  /// A network declaration (layer, bias, model, data set).
  case network(String)
}

/// A name that is used with indices, `x[t]`.
struct Family {
  var members: [[Int]: Binding] = [:]
  var arity: Int
}

/// Marker error: a diagnostic has been recorded, abandon the current statement.
struct Failure: Error {}

/// A typed value during checking.
enum Value {
  case scalar(CoordExpr)
  case vector(CoordExpr)
  case matrix(MatrixID, transposed: Bool)
  case list([Value])
}

struct CheckerState {
  let file: SourceFile
  let overrides: [String: Double]
  var program = Program()
  var diagnostics: [Diagnostic] = []
  var bindings: [String: Binding] = [:]
  var families: [String: Family] = [:]
  var loopVariables: [String: Int] = [:]
  var functions: [String: UserFunction] = [:]
  var widthName: String?
  var parameterNames: [String] = []
  var network = NetworkSpec()
  var hasNetwork = false
  /// Budget of unrolled statements, so huge loops fail fast instead of hanging.
  var statementBudget = 200_000
  /// Vectors/scalars created before the current statement (to recognise fresh temporaries).
  var vectorMark = 0
  var scalarMark = 0
  /// Set while checking a `def` body: which names are its parameters.
  var functionParameters: [String: Int]?
  var loopIteration = 0
  var temporaryCounter = 0
  /// True when the parser dropped the `width` statement, or its absence was reported: further
  /// width errors would only be echoes.
  var widthDropped = false
  /// True when the parser dropped the `model` statement, or its body failed to check.
  var modelDropped = false
  /// Where each data set's first example is, for dimension errors found once the model is known.
  var dataSites: [String: DataSite] = [:]
  /// `point NAME = […]` declarations by name.
  var namedPoints: [String: [Double]] = [:]
  /// The last `skipgram(…)` data set declared, whose vocabulary `word("…")` points look up.
  var lastSkipGram: (name: String, data: SkipGramData)?
  /// The model body's width-sized vectors (what `observe movement` and `observe kernel` may name).
  var modelVectors: [String] = []
  /// Every name the file defines anywhere, so a use before the definition is called that.
  var definedNames: Set<String> = []
  /// True when checking stopped at ``Checker/maximumDiagnostics``: whole-file checks would mislead.
  var stoppedEarly = false
  /// Name comparisons left for "did you mean" suggestions (see ``suggestName(_:)``).
  var suggestionBudget = 200_000
  /// Layers the model body multiplies by.
  var usedLayers: Set<String> = []
  /// The `def` whose body is being checked, so a call of itself is called recursion.
  var definingFunction: String?
  /// What is known of the values of vectors and computed scalars (for real powers).
  var vectorBounds: [VectorID: ValueBounds] = [:]
  var scalarBounds: [ScalarID: ValueBounds] = [:]
  /// The range of every label of each data set, for label checks once the loss is known.
  var labelRanges: [String: [SourceRange]] = [:]

  init(file: SourceFile, overrides: [String: Double]) {
    self.file = file
    self.overrides = overrides
  }

  mutating func error(_ message: String, _ range: SourceRange) -> Failure {
    diagnostics.append(Diagnostic(.error, message, at: range))
    return Failure()
  }

  /// A value computed while checking is NaN or ±Inf: a numerical failure, not a mistake.
  mutating func numericalError(_ message: String, _ range: SourceRange) -> Failure {
    diagnostics.append(Diagnostic(.error, message, at: range, category: .numerical))
    return Failure()
  }

  /// Fails when `result`, computed from operands that were finite (or not constants), folded
  /// to NaN or ±Inf: the failure is reported where it first arises, not at every later use.
  mutating func checkFinite(_ result: CoordExpr, operands: [CoordExpr], _ e: Expr) throws(Failure) {
    var value = result.constantValue
    // `/` does not fold a zero divisor (so that written ones are called division by zero), but a
    // derivative can make one: `sqrt'(0)` is `0.5 / 0`.
    if case .divide(.constant(let a), .constant(0)) = result { value = a / 0 }
    guard let v = value, !v.isFinite else { return }
    guard operands.allSatisfy({ $0.constantValue?.isFinite ?? true }) else { return }
    throw numericalError(Message.notFinite(text(e), v), e.range)
  }

  func text(_ e: Expr) -> String {
    let t = file.text(e.range)
    return t.count > 40 ? String(t.prefix(37)) + "…" : t
  }

  // MARK: Statements

  mutating func checkStatements(_ statements: [Stmt]) {
    for s in statements {
      // Past the number of diagnostics that will be shown, checking on costs time and adds nothing.
      if diagnostics.count > Checker.maximumDiagnostics {
        stoppedEarly = true
        return
      }
      statementBudget -= 1
      if statementBudget < 0 {
        if statementBudget == -1 {
          diagnostics.append(
            Diagnostic(
              .error, "the program unrolls to more than 200000 statements; reduce the loop bounds",
              at: s.range))
        }
        return
      }
      vectorMark = program.vectors.count
      scalarMark = program.scalars.count
      do throws(Failure) {
        try checkStatement(s)
      } catch {
        poisonTargets(of: s)
      }
    }
  }

  /// After a failed statement, mark what it would have defined so later uses stay quiet.
  mutating func poisonTargets(of s: Stmt) {
    var targets: [Target] = []
    switch s.kind {
    case .assign(let t, _): targets = [t]
    case .matrix(let ts, _, _), .vector(let ts, _, _): targets = ts
    case .param(let n, _), .def(let n, _, _), .data(let n, _), .model(let n, _, _), .dataFile(let n, _, _),
      .dataSkipGram(let n, _, _, _), .pointWord(let n, _, _):
      bindings[n] = bindings[n] ?? .poisoned
    case .layer(let t, _, _, _), .bias(let t, _, _):
      let name =
        t.indices.isEmpty ? t.name : (try? evalIndicesQuietly(t.indices)).map { displayName(t.name, $0) }
      if let name { bindings[name] = bindings[name] ?? .poisoned }
    default: break
    }
    for t in targets {
      if t.indices.isEmpty {
        if bindings[t.name] == nil { bindings[t.name] = .poisoned }
      } else if let idx = try? evalIndicesQuietly(t.indices) {
        // Mutated in place: a copy of the family would copy its members on every write.
        if families[t.name, default: Family(arity: idx.count)].members[idx] == nil {
          families[t.name, default: Family(arity: idx.count)].members[idx] = .poisoned
        }
      }
    }
  }

  mutating func checkStatement(_ s: Stmt) throws(Failure) {
    switch s.kind {
    case .width(let name):
      if widthName != nil { throw error("the width is already declared", s.range) }
      try checkFreshName(name, s.range)
      widthName = name
      program.widthName = name
      network.widthName = name
    case .param(let name, let e):
      try checkFreshName(name, s.range)
      var v = try constant(e, "a param value")
      if let o = overrides[name] { v = o }
      parameterNames.append(name)
      defineScalarConstant(name, v, s.range)
    case .assign(let target, let e):
      try checkAssign(target, e, s.range)
    case .matrix(let targets, let mean, let variance):
      try checkMatrix(targets, mean, variance, s.range)
    case .vector(let targets, let mean, let covariance):
      try checkVector(targets, mean, covariance, s.range)
    case .def(let name, let params, let body):
      try checkDef(name, params, body, s.range)
    case .forLoop(let v, let lower, let upper, let inclusive, let body):
      try checkLoop(v, lower, upper, inclusive, body, s.range)
    case .out(let items):
      for item in items { try? checkOutput(item, isShow: false) }
    case .show(let items):
      for item in items { try? checkOutput(item, isShow: true) }
    case .returnValue:
      throw error("'return' can only appear inside a model body", s.range)
    default:
      hasNetwork = true
      try checkNetworkStatement(s)
    }
  }

  mutating func requireWidth(_ range: SourceRange) throws(Failure) -> String {
    guard let w = widthName else {
      // Said once: every later declaration would repeat it.
      if widthDropped { throw Failure() }
      widthDropped = true
      throw error(Message.widthMissing, range)
    }
    return w
  }

  /// Fails when `name` is already bound (plain names only).
  mutating func checkFreshName(_ name: String, _ range: SourceRange) throws(Failure) {
    if loopVariables[name] != nil {
      throw error("'\(name)' is a loop variable and cannot be redefined", range)
    }
    if bindings[name] != nil || families[name] != nil || name == widthName || functions[name] != nil {
      throw error(loopIteration > 0 ? Message.redefinitionInLoop(name) : Message.redefinition(name), range)
    }
    if Function(rawValue: name) != nil || name == "mean" {
      throw error("'\(name)' is a built-in function and cannot be redefined", range)
    }
  }

  /// Binds `target` (plain or indexed) to `binding`, rejecting redefinitions.
  mutating func bind(_ target: Target, _ binding: Binding) throws(Failure) {
    if target.indices.isEmpty {
      try checkFreshName(target.name, target.range)
      bindings[target.name] = binding
      return
    }
    let idx = try evalIndices(target.indices)
    if bindings[target.name] != nil {
      throw error("'\(target.name)' is already defined without an index", target.range)
    }
    if loopVariables[target.name] != nil || target.name == widthName || functions[target.name] != nil {
      throw error(Message.redefinition(target.name), target.range)
    }
    if let arity = families[target.name]?.arity, arity != idx.count {
      throw error(
        "'\(target.name)' takes \(arity) index\(arity == 1 ? "" : "es"), found \(idx.count)", target.range)
    }
    if families[target.name]?.members[idx] != nil {
      throw error(Message.redefinition(displayName(target.name, idx)), target.range)
    }
    // Written in place: updating a copy would copy every member, making loops quadratic.
    families[target.name, default: Family(arity: idx.count)].members[idx] = binding
  }

  func displayName(_ name: String, _ idx: [Int]) -> String {
    idx.isEmpty ? name : "\(name)[\(idx.map(String.init).joined(separator: ", "))]"
  }

  mutating func targetName(_ t: Target) throws(Failure) -> String {
    t.indices.isEmpty ? t.name : displayName(t.name, try evalIndices(t.indices))
  }

  mutating func defineScalarConstant(_ name: String, _ v: Double, _ range: SourceRange) {
    let id = ScalarID(program.scalars.count)
    program.scalars.append(ScalarInfo(name: name, isTemporary: false, range: range, constantValue: v))
    bindings[name] = .scalar(id)
  }

  mutating func checkAssign(_ target: Target, _ e: Expr, _ range: SourceRange) throws(Failure) {
    let name = try targetName(target)
    let value = try eval(e)
    switch value {
    case .scalar(let expr):
      try bind(target, .scalar(try defineScalar(name, expr, range)))
    case .vector(let expr):
      try bind(target, .vector(try defineVector(name, expr, range)))
    case .matrix:
      throw error("a matrix cannot be assigned; declare matrices with 'matrix W ~ N(0, 1/n)'", range)
    case .list:
      throw error(
        "a list cannot be assigned to '\(name)'; lists only appear in 'N(…)', data and points", e.range)
    }
  }

  /// A scalar named `name` equal to `expr`; a temporary made by this statement is renamed
  /// rather than copied, and constants get no instruction.
  mutating func defineScalar(_ name: String, _ expr: CoordExpr, _ range: SourceRange) throws(Failure)
    -> ScalarID
  {
    if case .scalar(let s) = expr, s.raw >= scalarMark, program.scalars[s.raw].isTemporary {
      program.scalars[s.raw].name = name
      program.scalars[s.raw].isTemporary = false
      program.scalars[s.raw].range = range
      return s
    }
    let id = ScalarID(program.scalars.count)
    program.scalars.append(
      ScalarInfo(name: name, isTemporary: false, range: range, constantValue: expr.constantValue))
    if expr.constantValue == nil { try emit(.scalar(dest: id, expr), range) }
    return id
  }

  /// A vector named `name` equal to `expr`; a temporary made by this statement is renamed.
  mutating func defineVector(_ name: String, _ expr: CoordExpr, _ range: SourceRange) throws(Failure)
    -> VectorID
  {
    if case .vector(let v) = expr, v.raw >= vectorMark, program.vectors[v.raw].isTemporary {
      program.vectors[v.raw].name = name
      program.vectors[v.raw].isTemporary = false
      program.vectors[v.raw].range = range
      return v
    }
    let id = newVector(name, range, temporary: false)
    try emit(.nonlin(dest: id, expr), range)
    return id
  }

  /// The bounds of `e`'s values from what is known of its leaves.
  func bounds(_ e: CoordExpr) -> ValueBounds {
    e.bounds { leaf in
      switch leaf {
      case .vector(let v): return vectorBounds[v] ?? .unbounded
      case .scalar(let s): return scalarBounds[s] ?? .unbounded
      default: return .unbounded
      }
    }
  }

  mutating func newVector(_ name: String?, _ range: SourceRange, temporary: Bool) -> VectorID {
    let id = VectorID(program.vectors.count)
    if let name {
      program.vectors.append(VectorInfo(name: name, isTemporary: temporary, range: range))
    } else {
      temporaryCounter += 1
      program.vectors.append(VectorInfo(name: "%\(temporaryCounter)", isTemporary: true, range: range))
    }
    return id
  }

  mutating func newTemporaryScalar(_ range: SourceRange) -> ScalarID {
    temporaryCounter += 1
    let id = ScalarID(program.scalars.count)
    program.scalars.append(
      ScalarInfo(name: "%\(temporaryCounter)", isTemporary: true, range: range, constantValue: nil))
    return id
  }

  /// Appends an instruction, refusing expressions too large for the engines to walk, and
  /// records the bounds of what it defines.
  mutating func emit(_ inst: Instruction, _ range: SourceRange) throws(Failure) {
    switch inst {
    case .nonlin(_, let e), .moment(_, let e), .scalar(_, let e): try checkSize(e, range)
    case .matmul: break
    }
    switch inst {
    case .nonlin(let d, let e): vectorBounds[d] = bounds(e)
    case .moment(let d, let e), .scalar(let d, let e): scalarBounds[d] = bounds(e)
    case .matmul: break
    }
    program.instructions.append(inst)
    program.instructionRanges.append(range)
  }

  /// The values a loop variable takes: `lo ..< hi` (or `lo ... hi`), with constant, non-negative
  /// integer bounds and at most 100,000 iterations; empty when `hi ≤ lo`.
  mutating func loopRange(
    _ v: String, _ lower: Expr, _ upper: Expr, _ inclusive: Bool, _ range: SourceRange
  ) throws(Failure) -> Range<Int> {
    if loopVariables[v] != nil || bindings[v] != nil || families[v] != nil {
      throw error("loop variable '\(v)' shadows an existing name", range)
    }
    let lo = try integer(lower, "a loop bound")
    var hi = try integer(upper, "a loop bound")
    if inclusive { hi += 1 }
    if hi - lo > 100_000 {
      throw error("the loop runs \(hi - lo) times; at most 100000 iterations are allowed", upper.range)
    }
    if lo < 0 { throw error("a loop bound must be non-negative, found \(lo)", lower.range) }
    if hi < 0 {
      throw error("a loop bound must be non-negative, found \(hi - (inclusive ? 1 : 0))", upper.range)
    }
    return lo..<max(lo, hi)
  }

  mutating func checkLoop(
    _ v: String, _ lower: Expr, _ upper: Expr, _ inclusive: Bool, _ body: [Stmt], _ range: SourceRange
  ) throws(Failure) {
    let iterations = try loopRange(v, lower, upper, inclusive, range)
    for i in iterations {
      loopVariables[v] = i
      let before = diagnostics.count
      loopIteration += 1
      checkStatements(body)
      loopIteration -= 1
      if diagnostics.count > before { break }  // one iteration's errors are enough
    }
    loopVariables[v] = nil
  }

  mutating func checkOutput(_ item: Expr, isShow: Bool) throws(Failure) {
    if case .name(let n) = item.kind, let fam = families[n], bindings[n] == nil {
      for idx in fam.members.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
        try addOutput(displayName(n, idx), fam.members[idx]!, isShow: isShow, item.range)
      }
      return
    }
    vectorMark = program.vectors.count
    scalarMark = program.scalars.count
    let name: String
    switch item.kind {
    case .name(let n): name = n
    case .indexed(let n, let idx): name = displayName(n, try evalIndices(idx))
    default: name = file.text(item.range)
    }
    switch try eval(item) {
    case .scalar(let e):
      // A named scalar is reported as is; anything else gets a scalar named by its text.
      if case .scalar(let s) = e, !program.scalars[s.raw].isTemporary {
        try addOutput(name, .scalar(s), isShow: isShow, item.range)
      } else {
        try addOutput(name, .scalar(try defineScalar(name, e, item.range)), isShow: isShow, item.range)
      }
    case .vector(let e):
      if case .vector(let v) = e, !program.vectors[v.raw].isTemporary {
        try addOutput(name, .vector(v), isShow: isShow, item.range)
      } else {
        try addOutput(name, .vector(try defineVector(name, e, item.range)), isShow: isShow, item.range)
      }
    case .matrix:
      throw error("a matrix cannot be an output; output vectors or scalars computed from it", item.range)
    case .list:
      throw error("a list cannot be an output", item.range)
    }
  }

  mutating func addOutput(_ name: String, _ b: Binding, isShow: Bool, _ range: SourceRange) throws(Failure) {
    switch b {
    case .scalar(let s): program.outputs.append(OutputItem(name: name, value: .scalar(s), isShow: isShow))
    case .vector(let v): program.outputs.append(OutputItem(name: name, value: .vector(v), isShow: isShow))
    case .matrix:
      throw error("a matrix cannot be an output; output vectors or scalars computed from it", range)
    case .poisoned: throw Failure()
    case .network(let kind):
      throw error("'\(name)' is a \(kind); use 'observe' for network quantities", range)
    }
  }

  mutating func finish(_ statements: [Stmt]) {
    guard !stoppedEarly else { return }
    if hasNetwork { finishNetwork() }
    guard let first = statements.first else { return }
    if widthName == nil, !widthDropped {
      diagnostics.append(Diagnostic(.error, Message.widthMissing, at: first.range))
    }
    if program.outputs.isEmpty, !hasNetwork, diagnostics.isEmpty {
      diagnostics.append(Diagnostic(.warning, Message.nothingToReport, at: first.range))
    }
  }
}
