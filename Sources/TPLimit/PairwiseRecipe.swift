import TPCore

/// A kernel program reduced, once, to the low-dimensional Gaussian expectations that give each
/// kernel entry from the two inputs of its pair: derive once, evaluate for all pairs.
///
/// The recipe is derived from the core program of the kernels at two generic points `x₀, x₁`
/// (any two points: only the program's structure is read), by running the master theorem
/// (THEORY §3) symbolically. Every vector's `Z` becomes an expression in *atoms* — the initial
/// vectors and the `Ẑ^{Wx}` of the MatMuls — and every number a *register*, a function of the
/// inputs of the pair:
///
/// * `gram(s, i, j) = s · xᵢ·xⱼ`, the covariance of an input layer's pre-activations (the
///   initial group the lowering marks as scaled Gram matrix of the points);
/// * `Cov(Ẑ^{Wx}, Ẑ^{Wy}) = σ_W² E[Z^x Z^y]` for the atoms of one matrix (transposed uses of
///   `W` are a separate, independent family; different matrices are independent);
/// * `E[ψ]` for a moment: `ψ` is expanded into monomials, each monomial split into factors over
///   independent families, and each factor written as `ψ′(ℓ₁, ℓ₂)` of at most two linear forms
///   `ℓₖ` in its atoms, so its expectation is a one- or two-dimensional Gaussian integral with the
///   `2×2` covariance `Cov(ℓᵢ, ℓⱼ) = Σ cᵢ cⱼ Cov(atoms)`; factors odd under `ℓ → −ℓ` vanish;
/// * sums and products of registers.
///
/// `Ż^{Wx} = Σ_y Z^y E[∂Z^x/∂Ẑ^{Wᵀy}]` must vanish, which it does when every such derivative
/// has, in each monomial, an independent odd factor (the readout's `ṽ` in the backward pass);
/// jumps are replaced by smooth stand-ins before differentiating, so the proof also holds for
/// their distributional derivatives. A program outside this structure (more than two linear
/// forms in one expectation, a `Ż` not provably zero, non-constant scalars in an expression,
/// means) gets an ``Unsupported`` reason and runs through the general interpreter instead.
///
/// Each register depends on the point `x₀`, the point `x₁`, both, or neither; the evaluator
/// computes the one-point registers once per point (diagonal entries use only these, so their
/// integrals are one-dimensional) and the two-point registers once per pair.
public struct PairwiseRecipe: Sendable {
  /// One operation of the recipe; its operands are earlier registers.
  public enum Op: Sendable, Hashable {
    case constant(Double)
    /// `scale · xᵢ·xⱼ` for the pair's points `i, j ∈ {0, 1}`, `i ≤ j`.
    case gram(scale: Double, i: Int, j: Int)
    /// `Σₖ coefficientsₖ · registersₖ`.
    case linear(coefficients: [Double], registers: [Int])
    /// `a · b`.
    case product(Int, Int)
    /// `E[ψ(ℓ₀, ℓ₁)]` over a centred (or shifted) Gaussian pair.
    case expectation(Integrand)
  }

  /// `E[ψ(y₀, y₁)]`, `(y₀, y₁) ~ N(0, [[a, c], [c, b]])`, with `a`, `b`, `c` registers.
  ///
  /// `ψ`'s leaves `.vector(VectorID(0))` and `.vector(VectorID(1))` stand for the two
  /// arguments (shifted by constants inside `ψ` when an argument has a mean); a
  /// one-dimensional integrand has only the first (and `b = c = −1`).
  public struct Integrand: Sendable, Hashable {
    public var psi: CoordExpr
    public var dimension: Int
    public var variance0: Int
    public var variance1: Int
    public var covariance: Int
  }

  /// One requested number per pair: `Σ coefficient · (xₚ·x_q if dot) · ∏ moments`.
  public struct Output: Sendable {
    public struct Term: Sendable {
      public var coefficient: Double
      /// When set, the coefficient is multiplied by `x_p·x_q`.
      public var timesDot: Bool
      public var moments: [ScalarID]
      public init(coefficient: Double, timesDot: Bool, moments: [ScalarID]) {
        self.coefficient = coefficient
        self.timesDot = timesDot
        self.moments = moments
      }
    }
    /// The entry at two different points: moments of the pair `(x₀, x₁)`.
    public var offDiagonal: [Term]
    /// The entry at one point: moments of the pair `(x₀, x₀)`.
    public var diagonal: [Term]
    public init(offDiagonal: [Term], diagonal: [Term]) {
      self.offDiagonal = offDiagonal
      self.diagonal = diagonal
    }
  }

  /// Why a program has no pairwise recipe (it then runs through the general interpreter).
  public struct Unsupported: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The operations, in dependency order.
  public internal(set) var ops: [Op] = []
  /// Which of the pair's points each register depends on: bit 0 for `x₀`, bit 1 for `x₁`.
  public internal(set) var dependence: [UInt8] = []
  /// Per output, the register of its off-diagonal and of its diagonal entry.
  public internal(set) var outputs: [(offDiagonal: Int, diagonal: Int)] = []

  /// Derives the recipe of `program`, the kernel program at two points whose initial groups
  /// `pointGroups` (group index → scale `s`) have covariance `s · xᵢ·xⱼ` between their members
  /// `i, j` (member `k` at point `k`).
  public static func derive(program: Program, pointGroups: [Int: Double], outputs: [Output])
    throws(Unsupported)
    -> PairwiseRecipe
  {
    var d = Derivation(program: program, pointGroups: pointGroups)
    try d.run()
    var registers: [(offDiagonal: Int, diagonal: Int)] = []
    for o in outputs {
      let off = try d.assemble(o.offDiagonal, pair: (0, 1))
      let diag = try d.assemble(o.diagonal, pair: (0, 0))
      registers.append((off, diag))
    }
    var recipe = d.recipe
    recipe.outputs = registers
    return recipe
  }

  /// Number of expectations per pair that Mehler's series can evaluate (separable and smooth,
  /// ``SeparableIntegrand``): about `4 · 128` operations per pair instead of a 2-D rule's.
  public var seriesCount: Int {
    ops.indices.filter { k in
      guard case .expectation(let g) = ops[k], dependence[k] == 3, g.dimension == 2 else { return false }
      return ClosedFormPlan(g.psi, dimension: 2) == nil && SeparableIntegrand(g.psi) != nil
    }.count
  }

  /// Whether every expectation has a closed form: then every entry is exact and the evaluation
  /// keeps no error matrices.
  public var isExact: Bool {
    ops.allSatisfy { op in
      guard case .expectation(let g) = op else { return true }
      return ClosedFormPlan(g.psi, dimension: g.dimension) != nil
    }
  }

  /// Number of expectations per pair that need quadrature (no closed form).
  public var quadratureCount: Int {
    ops.indices.filter { k in
      guard case .expectation(let g) = ops[k], dependence[k] == 3 else { return false }
      return ClosedFormPlan(g.psi, dimension: g.dimension) == nil
    }.count
  }
}

/// A linear form `offset + Σ coefficient · atom` (atoms ascending).
struct LinearForm: Hashable {
  var offset: Double
  var atoms: [Int]
  var coefficients: [Double]
}

/// The symbolic master-theorem pass that builds a ``PairwiseRecipe``.
struct Derivation {
  let program: Program
  let pointGroups: [Int: Double]
  var recipe = PairwiseRecipe()
  var index: [PairwiseRecipe.Op: Int] = [:]

  enum AtomKind {
    case initial(group: Int, member: Int)
    case matmul(matrix: Int, transposed: Bool, operand: VectorID)
  }
  struct Atom {
    var family: Int
    var kind: AtomKind
  }
  var atoms: [Atom] = []
  /// `Z` of each program vector, over atom leaves `.vector(VectorID(atom))`.
  var z: [CoordExpr?]
  var scalars: [Int?]
  var covariances: [[Int]: Int] = [:]

  init(program: Program, pointGroups: [Int: Double]) {
    self.program = program
    self.pointGroups = pointGroups
    z = [CoordExpr?](repeating: nil, count: program.vectors.count)
    scalars = [Int?](repeating: nil, count: program.scalars.count)
  }

  static func fail(_ s: String) -> PairwiseRecipe.Unsupported { PairwiseRecipe.Unsupported(description: s) }

  // MARK: Registers

  mutating func register(_ op: PairwiseRecipe.Op) -> Int {
    if let k = index[op] { return k }
    var dep: UInt8 = 0
    switch op {
    case .constant: break
    case .gram(_, let i, let j): dep = UInt8(1 << i) | UInt8(1 << j)
    case .linear(_, let regs): for r in regs { dep |= recipe.dependence[r] }
    case .product(let a, let b): dep = recipe.dependence[a] | recipe.dependence[b]
    case .expectation(let g):
      dep = recipe.dependence[g.variance0]
      if g.dimension == 2 { dep |= recipe.dependence[g.variance1] | recipe.dependence[g.covariance] }
    }
    recipe.ops.append(op)
    recipe.dependence.append(dep)
    index[op] = recipe.ops.count - 1
    return recipe.ops.count - 1
  }

  func constantValue(_ r: Int) -> Double? {
    if case .constant(let v) = recipe.ops[r] { return v }
    return nil
  }

  mutating func constant(_ v: Double) -> Int { register(.constant(v == 0 ? 0 : v)) }

  /// `Σ coefficient · ∏ registers`, folding constants.
  mutating func combine(_ terms: [(Double, [Int])]) -> Int {
    var coefficients: [Double] = []
    var regs: [Int] = []
    var offset = 0.0
    for (c0, rs) in terms {
      var c = c0
      var factors: [Int] = []
      for r in rs {
        if let v = constantValue(r) { c *= v } else { factors.append(r) }
      }
      if c == 0 { continue }
      guard var p = factors.first else {
        offset += c
        continue
      }
      for f in factors.dropFirst() { p = register(.product(min(p, f), max(p, f))) }
      if let k = regs.firstIndex(of: p) {
        coefficients[k] += c
      } else {
        regs.append(p)
        coefficients.append(c)
      }
    }
    if offset != 0 {
      regs.append(constant(1))
      coefficients.append(offset)
    }
    if regs.isEmpty { return constant(0) }
    if regs.count == 1, coefficients[0] == 1 { return regs[0] }
    if regs.count == 1, let v = constantValue(regs[0]) { return constant(v * coefficients[0]) }
    return register(.linear(coefficients: coefficients, registers: regs))
  }

  // MARK: The master theorem

  mutating func run() throws(PairwiseRecipe.Unsupported) {
    let groups = program.initialGroups.count
    for (g, group) in program.initialGroups.enumerated() {
      guard group.mean.allSatisfy({ $0 == 0 }) else {
        throw Self.fail("an initial vector has a nonzero mean")
      }
      if pointGroups[g] != nil, group.vectors.count != 2 {
        throw Self.fail("the input group does not have one vector per point")
      }
      for (m, v) in group.vectors.enumerated() {
        atoms.append(Atom(family: g, kind: .initial(group: g, member: m)))
        z[v.raw] = .vector(VectorID(atoms.count - 1))
      }
    }
    for inst in program.instructions {
      switch inst {
      case .matmul(let dest, let m, let t, let x):
        guard let zx = z[x.raw] else { throw Self.fail("a vector is used before it is defined") }
        // Ż^{Wx} = Σ_y Z^y E[∂Z^x/∂Ẑ^{Wᵀy}] over the atoms of the opposite use of W in Z^x.
        let opposite = groups + 2 * m.raw + (t ? 0 : 1)
        for leaf in zx.vectors where atoms[leaf.raw].family == opposite {
          let d = Self.smoothingJumps(zx).derivative(withRespectTo: .vector(leaf))
          guard try provablyZeroMean(d) else {
            throw Self.fail("a Ż correction of '\(program.name(m))' does not vanish")
          }
        }
        atoms.append(
          Atom(
            family: groups + 2 * m.raw + (t ? 1 : 0), kind: .matmul(matrix: m.raw, transposed: t, operand: x))
        )
        z[dest.raw] = .vector(VectorID(atoms.count - 1))
      case .nonlin(let dest, let e):
        z[dest.raw] = try substitute(e)
      case .moment(let dest, let e):
        scalars[dest.raw] = try expectation(substitute(e))
      case .scalar:
        throw Self.fail("the program computes scalars from moments")
      }
    }
  }

  /// `e` over atoms: vectors replaced by their `Z`, constant scalars by their values.
  func substitute(_ e: CoordExpr) throws(PairwiseRecipe.Unsupported) -> CoordExpr {
    var failure: PairwiseRecipe.Unsupported?
    let out = e.substituting { leaf in
      switch leaf {
      case .vector(let v):
        if let zv = z[v.raw] { return zv }
        failure = Self.fail("a vector is used before it is defined")
        return .constant(0)
      case .scalar(let s):
        if let c = program.scalars[s.raw].constantValue { return .constant(c) }
        failure = Self.fail("an expression reads a computed scalar")
        return .constant(0)
      default: return nil
      }
    }
    if let failure { throw failure }
    return out
  }

  /// `step → sigmoid`, `sign → tanh`: smooth stand-ins with the same parity and nonzero
  /// derivatives, so that a derivative proved zero is zero for the distributional one too.
  static func smoothingJumps(_ e: CoordExpr) -> CoordExpr {
    switch e {
    case .constant, .vector, .scalar, .argument: return e
    case .negate(let a): return -smoothingJumps(a)
    case .add(let a, let b): return smoothingJumps(a) + smoothingJumps(b)
    case .subtract(let a, let b): return smoothingJumps(a) - smoothingJumps(b)
    case .multiply(let a, let b): return smoothingJumps(a) * smoothingJumps(b)
    case .divide(let a, let b): return smoothingJumps(a) / smoothingJumps(b)
    case .power(let a, let b): return .pow(smoothingJumps(a), smoothingJumps(b))
    case .apply(let f, let a):
      let g: Function = f == .step ? .sigmoid : (f == .sign ? .tanh : f)
      return .call(g, smoothingJumps(a))
    }
  }

  // MARK: Expectations

  /// `e` as `Σ coefficient · ∏ factors`, distributing products over sums (not inside functions).
  static func expand(_ e: CoordExpr) throws(PairwiseRecipe.Unsupported) -> [(Double, [CoordExpr])] {
    // A linear form stays one factor (gelu′(h) = Φ(h) + h φ(h) with h = Wx + b is one
    // direction, not three).
    if e.involvesVectors, linearForm(e) != nil { return [(1, [e])] }
    switch e {
    case .constant(let c): return c == 0 ? [] : [(c, [])]
    case .add(let a, let b): return try expand(a) + expand(b)
    case .subtract(let a, let b): return try expand(a) + expand(b).map { (-$0.0, $0.1) }
    case .negate(let a): return try expand(a).map { (-$0.0, $0.1) }
    case .multiply(let a, let b):
      let x = try expand(a)
      let y = try expand(b)
      guard x.count * y.count <= 4096 else { throw fail("an expectation expands into too many terms") }
      var out: [(Double, [CoordExpr])] = []
      for s in x { for t in y { out.append((s.0 * t.0, s.1 + t.1)) } }
      return out
    case .divide(let a, .constant(let c)) where c != 0:
      return try expand(a).map { ($0.0 / c, $0.1) }
    case .power(let a, .constant(let k)) where k == k.rounded() && k >= 1 && k <= 8:
      var out = try expand(a)
      for _ in 1..<Int(k) { out = try expand(Self.sum(out) * a) }
      return out
    default: return [(1, [e])]
    }
  }

  static func sum(_ terms: [(Double, [CoordExpr])]) -> CoordExpr {
    CoordExpr.sum(terms.map { t in t.1.reduce(CoordExpr.constant(t.0)) { $0 * $1 } })
  }

  /// The factors of a monomial grouped into independent components (by atom families).
  func components(_ factors: [CoordExpr]) -> [[CoordExpr]] {
    var familyOf: [Int: Int] = [:]  // family → component
    var parent: [Int] = []
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { x = parent[x] }
      return x
    }
    var factorComponent: [Int] = []
    for f in factors {
      parent.append(parent.count)
      let me = parent.count - 1
      factorComponent.append(me)
      for leaf in f.vectors {
        let fam = atoms[leaf.raw].family
        if let other = familyOf[fam] {
          let a = find(other)
          let b = find(me)
          if a != b { parent[a] = b }
        } else {
          familyOf[fam] = me
        }
      }
    }
    var groups: [Int: [CoordExpr]] = [:]
    var order: [Int] = []
    for (k, f) in factors.enumerated() {
      let root = find(factorComponent[k])
      if groups[root] == nil { order.append(root) }
      groups[root, default: []].append(f)
    }
    return order.map { groups[$0]! }  // safe: every root was inserted
  }

  /// `e` as a linear form in atoms, when it is affine.
  static func linearForm(_ e: CoordExpr) -> LinearForm? {
    var terms: [Int: Double] = [:]
    var offset = 0.0
    var stack: [(CoordExpr, Double)] = [(e, 1)]
    while let (x, s) = stack.popLast() {
      switch x {
      case .constant(let c): offset += s * c
      case .vector(let v): terms[v.raw, default: 0] += s
      case .negate(let a): stack.append((a, -s))
      case .apply(.identity, let a): stack.append((a, s))
      case .add(let a, let b):
        stack.append((a, s))
        stack.append((b, s))
      case .subtract(let a, let b):
        stack.append((a, s))
        stack.append((b, -s))
      case .multiply(let a, let b):
        if let c = a.constantValue {
          stack.append((b, s * c))
        } else if let c = b.constantValue {
          stack.append((a, s * c))
        } else {
          return nil
        }
      case .divide(let a, .constant(let c)) where c != 0: stack.append((a, s / c))
      default: return nil
      }
    }
    let keys = terms.keys.filter { terms[$0] != 0 }.sorted()
    guard !keys.isEmpty else { return nil }
    // safe: the keys are terms' own
    return LinearForm(offset: offset, atoms: keys, coefficients: keys.map { terms[$0]! })
  }

  /// A component's product as `ψ(y₀, y₁)` of its distinct maximal linear forms.
  static func integrand(_ factors: [CoordExpr]) -> (psi: CoordExpr, forms: [LinearForm]) {
    var forms: [LinearForm] = []
    func replace(_ e: CoordExpr) -> CoordExpr {
      if e.involvesVectors, let f = linearForm(e) {
        // A form proportional to an earlier one, ℓ′ = r ℓ, is r times its variable (gelu′ reads
        // its argument a as a and as a/√2).
        var k = forms.count
        var ratio = 1.0
        for (i, g) in forms.enumerated() where g.atoms == f.atoms {
          let r = f.coefficients[0] / g.coefficients[0]
          if zip(f.coefficients, g.coefficients).allSatisfy({ $0.0 == r * $0.1 }) {
            k = i
            ratio = r
            break
          }
        }
        if k == forms.count {
          forms.append(LinearForm(offset: 0, atoms: f.atoms, coefficients: f.coefficients))
        }
        let y = CoordExpr.constant(ratio) * .vector(VectorID(k))
        return f.offset == 0 ? y : y + .constant(f.offset)
      }
      switch e {
      case .constant, .vector, .scalar, .argument: return e
      case .negate(let a): return -replace(a)
      case .add(let a, let b): return replace(a) + replace(b)
      case .subtract(let a, let b): return replace(a) - replace(b)
      case .multiply(let a, let b): return replace(a) * replace(b)
      case .divide(let a, let b): return replace(a) / replace(b)
      case .power(let a, let b): return .pow(replace(a), replace(b))
      case .apply(let f, let a): return .call(f, replace(a))
      }
    }
    let psi = factors.dropFirst().reduce(replace(factors[0])) { $0 * replace($1) }
    return (psi, forms)
  }

  /// Whether `e` has mean zero because each of its monomials has an independent factor that is
  /// odd in its (centred) Gaussians.
  func provablyZeroMean(_ e: CoordExpr) throws(PairwiseRecipe.Unsupported) -> Bool {
    for (_, factors) in try Self.expand(e) {
      guard !factors.isEmpty else { return false }
      let odd = components(factors).contains { comp in
        Self.parity(Self.integrand(comp).psi) == .odd
      }
      if !odd { return false }
    }
    return true
  }

  enum Parity { case even, odd }

  /// The parity of `ψ` under `y → −y` (all arguments at once); nil when neither.
  static func parity(_ e: CoordExpr) -> Parity? {
    switch e {
    case .constant: return .even
    case .vector: return .odd
    case .scalar, .argument: return .even
    case .negate(let a): return parity(a)
    case .add(let a, let b), .subtract(let a, let b):
      if a.constantValue == 0 { return parity(b) }
      if b.constantValue == 0 { return parity(a) }
      let p = parity(a)
      return p != nil && p == parity(b) ? p : nil
    case .multiply(let a, let b), .divide(let a, let b):
      guard let p = parity(a), let q = parity(b) else { return nil }
      return p == q ? .even : .odd
    case .power(let a, .constant(let k)) where k == k.rounded():
      guard let p = parity(a) else { return nil }
      return p == .even || Int(k) % 2 == 0 ? .even : .odd
    case .power: return nil
    case .apply(let f, let a):
      guard let p = parity(a) else { return nil }
      if p == .even { return .even }
      switch f {
      case .tanh, .erf, .sin, .sign, .identity: return .odd
      case .abs, .cos: return .even
      default: return nil
      }
    }
  }

  /// The register of `E[e]`, `e` over atoms.
  mutating func expectation(_ e: CoordExpr) throws(PairwiseRecipe.Unsupported) -> Int {
    var terms: [(Double, [Int])] = []
    for (c, factors) in try Self.expand(e) {
      var regs: [Int] = []
      var zero = false
      for comp in components(factors) {
        let r = try componentExpectation(comp)
        if constantValue(r) == 0 {
          zero = true
          break
        }
        regs.append(r)
      }
      if !zero { terms.append((c, regs)) }
    }
    return combine(terms)
  }

  mutating func componentExpectation(_ factors: [CoordExpr]) throws(PairwiseRecipe.Unsupported) -> Int {
    let (psi, forms) = Self.integrand(factors)
    guard forms.count <= 2 else {
      throw Self.fail("an expectation involves \(forms.count) Gaussian directions (at most 2 here)")
    }
    if forms.isEmpty { return constant(psi.evaluate { _ in 0 }) }
    if Self.parity(psi) == .odd { return constant(0) }
    let a = try formCovariance(forms[0], forms[0])
    var g = PairwiseRecipe.Integrand(
      psi: psi, dimension: forms.count, variance0: a, variance1: -1, covariance: -1)
    if forms.count == 2 {
      g.variance1 = try formCovariance(forms[1], forms[1])
      g.covariance = try formCovariance(forms[0], forms[1])
    }
    return register(.expectation(g))
  }

  /// `Cov(ℓ, ℓ′) = Σ cᵢ c′ⱼ Cov(atomᵢ, atomⱼ)`.
  mutating func formCovariance(_ f: LinearForm, _ g: LinearForm) throws(PairwiseRecipe.Unsupported) -> Int {
    var terms: [(Double, [Int])] = []
    for (i, a) in f.atoms.enumerated() {
      for (j, b) in g.atoms.enumerated() {
        guard let r = try atomCovariance(a, b) else { continue }
        terms.append((f.coefficients[i] * g.coefficients[j], [r]))
      }
    }
    return combine(terms)
  }

  /// `Cov(atom a, atom b)`; nil when they are independent.
  mutating func atomCovariance(_ a: Int, _ b: Int) throws(PairwiseRecipe.Unsupported) -> Int? {
    guard atoms[a].family == atoms[b].family else { return nil }
    let key = [min(a, b), max(a, b)]
    if let r = covariances[key] { return r }
    let r: Int
    switch (atoms[a].kind, atoms[b].kind) {
    case (.initial(let g, let i), .initial(_, let j)):
      if let scale = pointGroups[g] {
        r = register(.gram(scale: scale, i: min(i, j), j: max(i, j)))
      } else {
        r = constant(program.initialGroups[g].covariance(i, j))
      }
    case (.matmul(let m, _, let x), .matmul(_, _, let y)):
      // safe: operands are defined before their MatMul
      let e = try expectation(z[x.raw]! * z[y.raw]!)
      r = combine([(program.matrices[m].variance, [e])])
    default: throw Self.fail("internal: mixed atom family")
    }
    covariances[key] = r
    return r
  }

  /// The register of `Σ coefficient · (x_p·x_q) · ∏ moments` for the pair `(p, q)` of the
  /// program's two points.
  mutating func assemble(_ terms: [PairwiseRecipe.Output.Term], pair: (Int, Int)) throws(PairwiseRecipe
    .Unsupported)
    -> Int
  {
    var out: [(Double, [Int])] = []
    for t in terms {
      var regs: [Int] = []
      for m in t.moments {
        guard let r = scalars[m.raw] else { throw Self.fail("a kernel moment is not computed") }
        regs.append(r)
      }
      if t.timesDot { regs.append(register(.gram(scale: 1, i: pair.0, j: pair.1))) }
      out.append((t.coefficient, regs))
    }
    return combine(out)
  }
}
