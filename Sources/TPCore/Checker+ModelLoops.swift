import TPSyntax

/// Depth as a loop: `for` loops, indexed names and reassignment in a model body.
///
/// A model body may hold `for` loops over constant ranges (the bounds may use `param`s, so
/// `--set L=…` changes the depth), names with constant indices (`W[l]`, `x[l]`), and, inside a
/// loop, reassignment of a name (`x = relu(W[l] @ x)`). The checker unrolls these into the
/// straight-line body that every later stage reads:
///
/// * a loop variable becomes its value, so `W[l + 1]` in iteration `l = 2` is the name `"W[3]"`
///   (the name a layer family `layer W[l] : n -> n for l in 1 ..< L` gives its members);
/// * the successive values of a reassigned name `x` are named `x#1`, `x#2`, …, and the last one
///   keeps the name `x`, so `observe movement x` means the model's final `x`.
///
/// The unrolled body is exactly the body a user would write out by hand with those names, so a
/// network written with a loop and the same network written out have the same meaning, the same
/// declarations in the same order, and so the same numbers in the limit and at finite width.
extension CheckerState {
  /// The most statements a model body may unroll to.
  static var maximumModelStatements: Int { 100_000 }

  /// `body` with its loops unrolled, indices resolved and reassigned names versioned.
  mutating func straightLineModelBody(_ body: [Stmt]) throws(Failure) -> [Stmt] {
    var unrolling = ModelUnrolling()
    try unrollModel(body, inLoop: false, &unrolling)
    return unrolling.straightLine()
  }

  /// Refuses a model body that would unroll to more than ``maximumModelStatements`` statements
  /// (checked before a loop runs, from its iteration count, and at every statement added).
  private mutating func checkUnrolledSize(_ statements: Int, _ range: SourceRange) throws(Failure) {
    guard statements <= Self.maximumModelStatements else {
      throw error(
        "the model unrolls to more than \(Self.maximumModelStatements) statements; use fewer layers", range)
    }
  }

  private mutating func unrollModel(_ body: [Stmt], inLoop: Bool, _ u: inout ModelUnrolling) throws(Failure) {
    for s in body {
      switch s.kind {
      case .forLoop(let v, let lower, let upper, let inclusive, let inner):
        let iterations = try loopRange(v, lower, upper, inclusive, s.range)
        try checkUnrolledSize(u.statements.count + iterations.count * max(inner.count, 1), s.range)
        for i in iterations {
          loopVariables[v] = i
          do throws(Failure) {
            try unrollModel(inner, inLoop: true, &u)
          } catch {
            loopVariables[v] = nil
            throw error
          }
        }
        loopVariables[v] = nil
      case .assign(let t, let e):
        let value = try resolveModelExpression(e, u)
        let name = try targetName(t)
        if u.versions[name] != nil, !inLoop {
          throw error(
            Message.redefinition(name) + "; only a statement inside a 'for' loop may reassign it", t.range)
        }
        if bindings[name] != nil || families[t.name] != nil {
          throw error(Message.redefinition(name), t.range)
        }
        let version = (u.versions[name] ?? 0) + 1
        try checkUnrolledSize(u.statements.count + 1, s.range)
        u.versions[name] = version
        let versioned = ModelUnrolling.versioned(name, version)
        u.current[name] = versioned
        u.statements.append(
          Stmt(.assign(Target(name: versioned, indices: [], range: t.range), value), s.range))
      case .returnValue(let e):
        if inLoop { throw error("'return' cannot be inside a loop", s.range) }
        u.statements.append(Stmt(.returnValue(try resolveModelExpression(e, u)), s.range))
      default:
        // checkModelBody reports anything else a model body may not hold.
        u.statements.append(s)
      }
    }
  }

  /// `e` with loop variables replaced by their values, constant indices folded into names and
  /// names referring to the current version of a reassigned value.
  private mutating func resolveModelExpression(_ e: Expr, _ u: ModelUnrolling) throws(Failure) -> Expr {
    switch e.kind {
    case .number: return e
    case .name(let n):
      if let i = loopVariables[n] { return Expr(.number(Double(i)), e.range) }
      return Expr(.name(u.current[n] ?? n), e.range)
    case .indexed(let n, let idx):
      // A family of the core program keeps its index (checkModelBody reports the misuse).
      if families[n] != nil { return e }
      let name = displayName(n, try evalIndices(idx))
      return Expr(.name(u.current[name] ?? name), e.range)
    case .negate(let a):
      return Expr(.negate(try resolveModelExpression(a, u)), e.range)
    case .binary(let op, let a, let b):
      return Expr(.binary(op, try resolveModelExpression(a, u), try resolveModelExpression(b, u)), e.range)
    case .call(let f, let primes, let args):
      var resolved: [Expr] = []
      for a in args { resolved.append(try resolveModelExpression(a, u)) }
      return Expr(.call(f, primes: primes, resolved), e.range)
    case .transpose(let a):
      return Expr(.transpose(try resolveModelExpression(a, u)), e.range)
    case .list(let items):
      var resolved: [Expr] = []
      for a in items { resolved.append(try resolveModelExpression(a, u)) }
      return Expr(.list(resolved), e.range)
    }
  }
}

/// The state of unrolling one model body.
struct ModelUnrolling {
  /// The unrolled statements; every definition carries its versioned name.
  var statements: [Stmt] = []
  /// How many times each name has been defined so far.
  var versions: [String: Int] = [:]
  /// The versioned name of each name's latest definition.
  var current: [String: String] = [:]

  /// `x#k`: the `k`-th definition of `x` (`#` cannot appear in a user's name).
  static func versioned(_ name: String, _ version: Int) -> String { "\(name)#\(version)" }

  /// The statements with each name's last definition renamed back to the plain name.
  func straightLine() -> [Stmt] {
    var final: [String: String] = [:]
    for (name, count) in versions { final[Self.versioned(name, count)] = name }
    return statements.map { s in
      switch s.kind {
      case .assign(let t, let e):
        let target = Target(name: final[t.name] ?? t.name, indices: [], range: t.range)
        return Stmt(.assign(target, Self.renamed(e, final)), s.range)
      case .returnValue(let e):
        return Stmt(.returnValue(Self.renamed(e, final)), s.range)
      default:
        return s
      }
    }
  }

  private static func renamed(_ e: Expr, _ final: [String: String]) -> Expr {
    switch e.kind {
    case .number, .indexed: return e
    case .name(let n): return Expr(.name(final[n] ?? n), e.range)
    case .negate(let a): return Expr(.negate(renamed(a, final)), e.range)
    case .binary(let op, let a, let b):
      return Expr(.binary(op, renamed(a, final), renamed(b, final)), e.range)
    case .call(let f, let primes, let args):
      return Expr(.call(f, primes: primes, args.map { renamed($0, final) }), e.range)
    case .transpose(let a): return Expr(.transpose(renamed(a, final)), e.range)
    case .list(let items): return Expr(.list(items.map { renamed($0, final) }), e.range)
    }
  }
}
