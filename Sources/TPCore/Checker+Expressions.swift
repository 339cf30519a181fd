import TPSyntax

extension CheckerState {
  /// Evaluates an index list to integers (loop variables, literals, `+ - *`).
  mutating func evalIndices(_ indices: [Expr]) throws(Failure) -> [Int] {
    var out: [Int] = []
    for e in indices { out.append(try integer(e, "an index")) }
    return out
  }

  /// Like ``evalIndices(_:)`` but records nothing (used when poisoning after an error).
  func evalIndicesQuietly(_ indices: [Expr]) throws -> [Int] {
    var copy = self
    let before = copy.diagnostics.count
    let r = try copy.evalIndices(indices)
    if copy.diagnostics.count != before { throw Failure() }
    return r
  }

  /// A compile-time integer: an index or a loop bound.
  mutating func integer(_ e: Expr, _ context: String) throws(Failure) -> Int {
    let v = try constant(e, context)
    guard v == v.rounded() else { throw error(Message.notInteger(context, v), e.range) }
    guard abs(v) < 1e9 else { throw error("\(context) is out of range, found \(Program.format(v))", e.range) }
    let i = Int(v)
    if context == "an index", i < 0 { throw error("an index must be non-negative, found \(i)", e.range) }
    return i
  }

  /// A compile-time constant scalar.
  mutating func constant(_ e: Expr, _ context: String) throws(Failure) -> Double {
    switch try eval(e) {
    case .scalar(let s):
      guard let v = s.constantValue else { throw error(Message.notConstant(context), e.range) }
      guard v.isFinite else { throw error("\(context) is not a finite number", e.range) }
      return v
    case .vector: throw error(Message.vectorWhereScalar(text(e), context), e.range)
    case .matrix: throw error("\(context) must be a constant, but '\(text(e))' is a matrix", e.range)
    case .list: throw error("\(context) must be a single number, not a list", e.range)
    }
  }

  // MARK: Expressions

  mutating func eval(_ e: Expr) throws(Failure) -> Value {
    switch e.kind {
    case .number(let v):
      return .scalar(.constant(v))
    case .name(let n):
      return try evalName(n, e.range)
    case .indexed(let n, let idx):
      let i = try evalIndices(idx)
      if bindings[n] != nil { throw error("'\(n)' is not indexed; write '\(n)' without brackets", e.range) }
      guard let fam = families[n] else {
        if loopVariables[n] != nil { throw error("loop variable '\(n)' cannot be indexed", e.range) }
        if definedNames.contains(n) { throw error(Message.usedBeforeDefinition(displayName(n, i)), e.range) }
        throw error(
          Message.unknownName(n, suggestion: suggestName(n)),
          SourceRange(e.range.start, e.range.start + n.utf8.count))
      }
      if fam.arity != i.count {
        throw error("'\(n)' takes \(fam.arity) index\(fam.arity == 1 ? "" : "es"), found \(i.count)", e.range)
      }
      guard let b = fam.members[i] else {
        throw error(Message.usedBeforeDefinition(displayName(n, i)), e.range)
      }
      return try value(of: b, displayName(n, i), e.range)
    case .negate(let a):
      switch try eval(a) {
      case .scalar(let x): return .scalar(-x)
      case .vector(let x): return .vector(-x)
      case .matrix(let m, _): throw error(Message.matrixMisuse(program.name(m)), a.range)
      case .list: throw error("a list cannot be negated", a.range)
      }
    case .binary(.matmul, let l, let r):
      return try evalMatmul(l, r, e.range)
    case .binary(let op, let l, let r):
      let a = try eval(l)
      let b = try eval(r)
      let (x, xv) = try arithmeticOperand(a, l)
      let (y, yv) = try arithmeticOperand(b, r)
      let result: CoordExpr
      switch op {
      case .add: result = x + y
      case .subtract: result = x - y
      case .multiply: result = x * y
      case .divide:
        if y.constantValue == 0 { throw error("division by zero", r.range) }
        result = x / y
      case .power:
        if let base = x.constantValue, let p = y.constantValue, base < 0, p != p.rounded() {
          throw error("a real power needs a positive base", e.range)
        }
        // A vector's real power is NaN wherever the base is negative: refuse it unless the base
        // is provably non-negative (a scalar's is checked when it is computed).
        if xv, !isIntegerExponent(y), !bounds(x).isNonNegative {
          throw error(Message.realPowerBase(text(l)), l.range)
        }
        result = .pow(x, y)
      case .matmul: throw Failure()  // handled above
      }
      try checkFinite(result, operands: [x, y], e)
      return xv || yv ? .vector(result) : .scalar(result)
    case .call(let name, let primes, let args):
      return try evalCall(name, primes, args, e)
    case .transpose(let a):
      let v = try eval(a)
      guard case .matrix(let m, let t) = v else {
        throw error("'.T' applies to matrices only; '\(text(a))' is not a matrix", e.range)
      }
      return .matrix(m, transposed: !t)
    case .list(let items):
      var values: [Value] = []
      for item in items { values.append(try eval(item)) }
      return .list(values)
    }
  }

  /// An operand of coordinatewise arithmetic: its expression and whether it is a vector.
  mutating func arithmeticOperand(_ v: Value, _ e: Expr) throws(Failure) -> (CoordExpr, Bool) {
    switch v {
    case .scalar(let x): return (x, false)
    case .vector(let x): return (x, true)
    case .matrix(let m, _): throw error(Message.matrixMisuse(program.name(m)), e.range)
    case .list: throw error("arithmetic on a list is not supported", e.range)
    }
  }

  mutating func evalName(_ n: String, _ range: SourceRange) throws(Failure) -> Value {
    if let k = functionParameters?[n] { return .scalar(.argument(k)) }
    if let i = loopVariables[n] { return .scalar(.constant(Double(i))) }
    if let b = bindings[n] {
      if functionParameters != nil, case .vector = b {
        throw error("a function body may use only its parameters and scalars; '\(n)' is a vector", range)
      }
      return try value(of: b, n, range)
    }
    if families[n] != nil { throw error("'\(n)' is an indexed family; write '\(n)[…]'", range) }
    if n == widthName {
      throw error("the width '\(n)' can only appear in a matrix variance such as '1/\(n)'", range)
    }
    if Function(rawValue: n) != nil || functions[n] != nil || n == "mean" {
      throw error("'\(n)' is a function; call it as '\(n)(…)'", range)
    }
    if definedNames.contains(n) { throw error(Message.usedBeforeDefinition(n), range) }
    throw error(Message.unknownName(n, suggestion: suggestName(n)), range)
  }

  /// A defined name close to `n`, for "did you mean". The comparisons a file may spend on
  /// suggestions are limited, so a generated file with thousands of names and errors stays fast.
  mutating func suggestName(_ n: String) -> String? {
    var candidates = Array(bindings.keys) + Array(families.keys) + Array(loopVariables.keys)
    if let p = functionParameters { candidates += p.keys }
    suggestionBudget -= candidates.count
    return suggestionBudget >= 0 ? closestMatch(to: n, among: candidates) : nil
  }

  mutating func value(of b: Binding, _ name: String, _ range: SourceRange) throws(Failure) -> Value {
    switch b {
    case .vector(let v): return .vector(.vector(v))
    case .scalar(let s):
      if let c = program.scalars[s.raw].constantValue { return .scalar(.constant(c)) }
      if functionParameters != nil {
        throw error("a function body may use only its parameters and constants; '\(name)' is computed", range)
      }
      return .scalar(.scalar(s))
    case .matrix(let m): return .matrix(m, transposed: false)
    case .poisoned: throw Failure()
    case .network(let kind):
      throw error("'\(name)' is a \(kind) and can only be used in a model or training statement", range)
    }
  }

  mutating func evalMatmul(_ l: Expr, _ r: Expr, _ range: SourceRange) throws(Failure) -> Value {
    if functionParameters != nil { throw error("'@' cannot be used inside a function definition", range) }
    // '@' binds like '*', so '0.1 * W @ x' means '(0.1 * W) @ x'; say how to write what was meant.
    if case .binary(let op, let a, let m) = l.kind, op == .multiply || op == .divide, isMatrix(m) {
      throw error(
        "'@' binds as tightly as '\(op.rawValue)'; write '\(text(a)) \(op.rawValue) (\(text(m)) @ \(text(r)))'",
        l.range)
    }
    let lhs = try eval(l)
    guard case .matrix(let m, let transposed) = lhs else {
      if case .list = lhs { throw error(Message.matmulLeft + ", found a list", l.range) }
      throw error(Message.matmulLeft + ", but '\(text(l))' is a \(kindName(lhs))", l.range)
    }
    let rhs = try eval(r)
    let operand: VectorID
    switch rhs {
    case .vector(.vector(let v)): operand = v
    case .vector(let x):
      operand = newVector(nil, r.range, temporary: true)
      try emit(.nonlin(dest: operand, x), r.range)
    case .scalar: throw error(Message.scalarWhereVector(text(r), "the right operand of '@'"), r.range)
    case .matrix:
      throw error(
        "the right operand of '@' must be a vector; a program never multiplies two matrices", r.range)
    case .list: throw error("the right operand of '@' must be a vector, not a list", r.range)
    }
    let dest = newVector(nil, range, temporary: true)
    try emit(.matmul(dest: dest, matrix: m, transposed: transposed, operand: operand), range)
    return .vector(.vector(dest))
  }

  /// True when `e` names a matrix (`W`, `W[l]`, `W.T`), judged without evaluating it.
  func isMatrix(_ e: Expr) -> Bool {
    switch e.kind {
    case .name(let n): if case .matrix? = bindings[n] { return true }
    case .indexed(let n, _):
      return families[n]?.members.values.contains { if case .matrix = $0 { true } else { false } } ?? false
    case .transpose(let a): return isMatrix(a)
    default: break
    }
    return false
  }

  func kindName(_ v: Value) -> String {
    switch v {
    case .scalar: return "scalar"
    case .vector: return "vector"
    case .matrix: return "matrix"
    case .list: return "list"
    }
  }

  mutating func evalCall(_ name: String, _ primes: Int, _ args: [Expr], _ e: Expr) throws(Failure) -> Value {
    let nameRange = SourceRange(e.range.start, e.range.start + name.utf8.count)
    if name == "mean" {
      if primes > 0 { throw error("'mean' has no derivative", nameRange) }
      if functionParameters != nil {
        throw error("'mean' cannot be used inside a function definition", nameRange)
      }
      guard args.count == 1 else {
        throw error(Message.arity("mean", expected: 1, found: args.count), e.range)
      }
      switch try eval(args[0]) {
      case .vector(let x):
        let id = newTemporaryScalar(e.range)
        try emit(.moment(dest: id, x), e.range)
        return .scalar(.scalar(id))
      case .scalar: throw error(Message.scalarWhereVector(text(args[0]), "'mean'"), args[0].range)
      case .matrix: throw error("'mean' takes a vector expression, not a matrix", args[0].range)
      case .list: throw error("'mean' takes a vector expression, not a list", args[0].range)
      }
    }
    var values: [Value] = []
    for a in args { values.append(try eval(a)) }
    var operands: [CoordExpr] = []
    var isVector = false
    for (v, a) in zip(values, args) {
      let (x, xv) = try arithmeticOperand(v, a)
      operands.append(x)
      isVector = isVector || xv
    }
    if let f = Function(rawValue: name) {
      guard args.count == 1 else { throw error(Message.arity(name, expected: 1, found: args.count), e.range) }
      if f.isScalarOnly && isVector {
        throw error(
          "'\(name)' is defined for scalars only, but '\(text(args[0]))' is a vector", args[0].range)
      }
      let body = try differentiate(CoordExpr.call(f, .argument(0)), primes, name, e.range)
      let result = body.substituting { $0 == .argument(0) ? operands[0] : nil }
      try checkSize(result, e.range, "'\(name)\(String(repeating: "'", count: primes))(…)'")
      try checkFinite(result, operands: operands, e)
      return isVector ? .vector(result) : .scalar(result)
    }
    if name == definingFunction { throw error(Message.recursiveFunction(name), nameRange) }
    guard let fn = functions[name] else {
      if case .poisoned? = bindings[name] { throw Failure() }
      let candidates = Function.allCases.map(\.rawValue) + Array(functions.keys) + ["mean"]
      throw error(
        Message.unknownFunction(name, suggestion: closestMatch(to: name, among: candidates)), nameRange)
    }
    guard args.count == fn.arity else {
      throw error(Message.arity(name, expected: fn.arity, found: args.count), e.range)
    }
    if primes > 0, fn.arity != 1 {
      throw error(
        "'\(name)\(String(repeating: "'", count: primes))' needs a function of one argument", nameRange)
    }
    let body = try differentiate(fn.body, primes, name, e.range)
    let result = body.substituting { leaf in
      if case .argument(let k) = leaf { return operands[k] }
      return nil
    }
    try checkSize(result, e.range, "'\(name)\(String(repeating: "'", count: primes))(…)'")
    try checkFinite(result, operands: operands, e)
    if isVector { try checkRealPowers(result, e.range) }
    return isVector ? .vector(result) : .scalar(result)
  }

  /// True for a constant integer exponent (any base is allowed).
  func isIntegerExponent(_ p: CoordExpr) -> Bool {
    guard let v = p.constantValue else { return false }
    return v == v.rounded()
  }

  /// Refuses a real power inside `e` (a vector expression, here from a user function's body)
  /// whose base can be negative.
  mutating func checkRealPowers(_ e: CoordExpr, _ range: SourceRange) throws(Failure) {
    var stack = [e]
    while let node = stack.popLast() {
      if case .power(let base, let p) = node, !isIntegerExponent(p), base.involvesVectors,
        !bounds(base).isNonNegative
      {
        let text = program.render(base)
        throw error(Message.realPowerBase(text.count > 40 ? String(text.prefix(37)) + "…" : text), range)
      }
      let (a, b) = node.children
      if let b { stack.append(b) }
      if let a { stack.append(a) }
    }
  }

  /// The `primes`-th derivative of a one-argument `body`, checked for size after every step:
  /// each step can triple the tree, and a step costs time in proportion to the tree it starts from.
  mutating func differentiate(_ body: CoordExpr, _ primes: Int, _ name: String, _ range: SourceRange)
    throws(Failure) -> CoordExpr
  {
    var body = body
    for k in 0..<primes {
      body = body.derivative(withRespectTo: .argument(0))
      try checkSize(body, range, "'\(name)\(String(repeating: "'", count: k + 1))'")
    }
    return body
  }

  // MARK: Declarations

  mutating func checkDef(_ name: String, _ params: [String], _ body: Expr, _ range: SourceRange)
    throws(Failure)
  {
    try checkFreshName(name, range)
    var table: [String: Int] = [:]
    for (k, p) in params.enumerated() {
      if table[p] != nil { throw error("parameter '\(p)' appears twice", range) }
      table[p] = k
    }
    let saved = functionParameters
    functionParameters = table
    definingFunction = name
    defer {
      functionParameters = saved
      definingFunction = nil
    }
    let template: CoordExpr
    switch try eval(body) {
    case .scalar(let x): template = x
    case .vector: throw error("a function body may use only its parameters and scalars", body.range)
    case .matrix: throw error("a function cannot return a matrix", body.range)
    case .list: throw error("a function cannot return a list", body.range)
    }
    try checkSize(template, range, "the body of '\(name)'")
    functions[name] = UserFunction(name: name, arity: params.count, body: template, range: range)
  }

  mutating func checkMatrix(_ targets: [Target], _ mean: Expr, _ variance: Expr, _ range: SourceRange)
    throws(Failure)
  {
    let width = try requireWidth(range)
    let mu = try constant(mean, "a matrix mean")
    if mu != 0 { throw error("matrix entries must have mean 0", mean.range) }
    // The variance must literally be c/n: the 1/n scaling is what makes the limit exist.
    guard case .binary(.divide, let c, let d) = variance.kind, case .name(let dn) = d.kind, dn == width else {
      throw error(Message.varianceForm(width), variance.range)
    }
    let sigma2 = try constant(c, "the numerator of a matrix variance")
    guard sigma2 > 0 else { throw error(Message.varianceForm(width), variance.range) }
    for t in targets {
      let name = try targetName(t)
      let id = MatrixID(program.matrices.count)
      program.matrices.append(MatrixInfo(name: name, variance: sigma2, range: t.range))
      try bind(t, .matrix(id))
    }
  }

  /// A list of constants (`[0, 0.5]`) or a single constant.
  mutating func constantList(_ e: Expr, _ context: String) throws(Failure) -> [Double]? {
    guard case .list(let items) = e.kind else { return nil }
    var out: [Double] = []
    for item in items { out.append(try constant(item, context)) }
    return out
  }

  mutating func checkVector(_ targets: [Target], _ mean: Expr, _ cov: Expr, _ range: SourceRange)
    throws(Failure)
  {
    _ = try requireWidth(range)
    let k = targets.count
    let means: [Double]
    if let list = try constantList(mean, "a mean") {
      guard list.count == k else {
        throw error(
          "'N' has \(list.count) mean\(list.count == 1 ? "" : "s") for \(k) vector\(k == 1 ? "" : "s")",
          mean.range)
      }
      means = list
    } else {
      means = Array(repeating: try constant(mean, "a mean"), count: k)
    }
    var covariance = [Double](repeating: 0, count: k * k)
    if case .list(let rows) = cov.kind {
      guard rows.count == k else {
        throw error(
          "the covariance has \(rows.count) row\(rows.count == 1 ? "" : "s") for \(k) vector\(k == 1 ? "" : "s")",
          cov.range)
      }
      for (i, row) in rows.enumerated() {
        guard let values = try constantList(row, "a covariance entry"), values.count == k else {
          throw error("row \(i) of the covariance must be a list of \(k) numbers", row.range)
        }
        for j in 0..<k { covariance[i * k + j] = values[j] }
      }
      for i in 0..<k {
        for j in 0..<i
        where abs(covariance[i * k + j] - covariance[j * k + i]) > 1e-12 * max(1, abs(covariance[i * k + j]))
        {
          throw error(
            Message.covarianceNotSymmetric(i, j, covariance[i * k + j], covariance[j * k + i]), cov.range)
        }
      }
      if !isPositiveSemidefinite(covariance, size: k) { throw error(Message.covarianceNotPSD, cov.range) }
    } else {
      let v = try constant(cov, "a variance")
      guard v >= 0 else {
        throw error("a variance must be non-negative, found \(Program.format(v))", cov.range)
      }
      for i in 0..<k { covariance[i * k + i] = v }
    }
    var ids: [VectorID] = []
    for t in targets {
      let name = try targetName(t)
      let id = newVector(name, t.range, temporary: false)
      try bind(t, .vector(id))
      ids.append(id)
    }
    program.initialGroups.append(InitialGroup(vectors: ids, mean: means, covariance: covariance))
  }
}
