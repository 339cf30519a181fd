import TPCore
import TPNumerics

extension InterpreterRun {
  /// `h = W x` (or `Wᵀ x`): a new base `Ẑ^{Wx}` whose covariance with the group's earlier
  /// members is `σ² E[Z^x Z^{x′}]`, plus `Ż^{Wx} = σ² Σ_j Z^{y_j} E[∂Z^x/∂Ẑ^{Wᵀ y_j}]` over the
  /// transposed group's earlier members.
  mutating func matmul(_ dest: VectorID, _ m: MatrixID, _ transposed: Bool, _ operand: VectorID, _ k: Int)
    throws(MethodUnavailable)
  {
    let sigma2 = program.matrices[m.raw].variance
    let key = MatrixKey(matrix: m.raw, transposed: transposed)
    let g: Int
    if let existing = matmulGroups[key] {
      g = existing
    } else {
      g = engine.bases.addGroup(variance: sigma2)
      matmulGroups[key] = g
    }
    let x = vectorNode[operand.raw]
    var covariances: [Double] = []
    for y in engine.bases.groups[g].operands {
      covariances.append(sigma2 * (try engine.expectation(ZGraph.node(x) * ZGraph.node(y))).value)
    }
    let variance = sigma2 * (try engine.expectation(ZGraph.node(x) * ZGraph.node(x))).value
    guard variance.isFinite, covariances.allSatisfy(\.isFinite) else {
      throw MethodUnavailable(message: "of the operand's second moment is not finite")
    }
    let matrixName = program.name(m) + (transposed ? "ᵀ" : "")
    let operandName = program.name(operand)
    let b = engine.bases.addBase(group: g, covariances: covariances, variance: variance, operand: x)
    let hat = engine.add(.base(b), label: "\(matrixName) \(operandName)")
    baseLabels[b] = "\(matrixName) \(operandName)"
    var terms: [(node: Int, coefficient: Double)] = [(hat, 1)]
    var zdot: [ZDotTerm] = []
    if let tg = matmulGroups[MatrixKey(matrix: m.raw, transposed: !transposed)] {
      let found = try zdotCoefficients(x: x, transposeGroup: tg, sigma2: sigma2)
      let other = engine.bases.groups[tg]
      for (j, c) in found where c.value != 0 {
        terms.append((other.operands[j], c.value))
        zdot.append(
          ZDotTerm(
            operand: engine.graph.nodes[other.operands[j]].label, coefficient: c.value,
            standardError: c.standardError, error: c.error, sigma2: sigma2, target: c.target, rule: c.rule,
            method: c.method))
      }
    }
    let node =
      terms.count == 1 ? hat : engine.add(.affine(constant: 0, terms: terms), label: program.name(dest))
    if node == hat { engine.graph.nodes[hat].label = program.name(dest) }
    vectorNode[dest.raw] = node
    derivations.append(
      VectorDerivation(
        vector: program.name(dest), lead: "Z^{\(program.name(dest))} = Ẑ^{\(matrixName) \(operandName)}",
        zdot: zdot))
  }

  struct Coefficient {
    var value: Double
    var standardError: Double
    /// The estimated error (the standard error, or a quadrature error).
    var error: Double
    var target: String
    var rule: String
    var method: Method
  }

  /// `σ² E[∂Z^x/∂Ẑ_j]` for each member `j` of the transposed group that `x` depends on:
  /// path-wise where no jump lies between `Ẑ_j` and `x`, by Stein's identity otherwise.
  mutating func zdotCoefficients(x: Int, transposeGroup tg: Int, sigma2: Double) throws(MethodUnavailable)
    -> [(Int, Coefficient)]
  {
    let group = engine.bases.groups[tg]
    let node = engine.graph.nodes[x]
    let support = Set(node.support)
    let jumps = Set(node.jumpSupport)
    let relevant = group.members.enumerated().filter { support.contains($0.element) }
    if relevant.isEmpty { return [] }
    let rule = options.derivativeRule
    func useStein(_ b: Int) -> Bool {
      switch rule {
      case .auto: return jumps.contains(b)
      case .pathwise: return false
      case .stein: return true
      }
    }
    var stein: [Estimate]?
    if relevant.contains(where: { useStein($0.element) }) {
      stein = try steinDerivatives(x: x, group: group)
    }
    let pathwise = Set(relevant.map(\.element).filter { !useStein($0) })
    let reverse =
      pathwise.isEmpty || !reverseModeApplies(x) ? nil : engine.pathwiseGradient(of: x, bases: pathwise)
    var out: [(Int, Coefficient)] = []
    for (j, b) in relevant {
      let target =
        "E[∂Z^{\(node.label)}/∂Ẑ^{\(baseLabels[b] ?? engine.graph.nodes[engine.graph.baseNode[b]].label)}]"
      if useStein(b), let stein {
        let e = merged(stein, into: j, group: group, relevant: support)
        out.append(
          (
            j,
            Coefficient(
              value: sigma2 * e.value, standardError: sigma2 * e.standardError, error: sigma2 * e.error,
              target: target, rule: "by Stein's identity C⁺E[Ẑ Z]", method: e.method)
          ))
      } else if let reverse, let g = reverse[b] {
        out.append(
          (
            j,
            Coefficient(
              value: sigma2 * g.mean, standardError: sigma2 * g.standardError,
              error: sigma2 * g.standardError,
              target: target, rule: "path-wise, by reverse mode over the particles", method: .mc)
          ))
      } else {
        let t = tangent(x, b)
        let e = try engine.expectation(t)
        out.append(
          (
            j,
            Coefficient(
              value: sigma2 * e.value, standardError: sigma2 * e.standardError, error: sigma2 * e.error,
              target: target, rule: "path-wise E[\(engine.graph.render(t))]", method: e.method)
          ))
      }
    }
    return out
  }

  /// Whether path-wise derivatives of `x` are averaged by one reverse sweep over the Monte Carlo
  /// particles rather than through forward-mode tangent nodes: when the tangents' expectations
  /// would be Monte Carlo anyway (too many bases for quadrature, not a polynomial for Isserlis).
  /// Tangent chains cost one node per (ancestor, base) pair and grow like steps³.
  func reverseModeApplies(_ x: Int) -> Bool {
    guard options.reverseModeDerivatives else { return false }
    switch options.method {
    case .mc: return true
    case .exact, .quadrature: return false
    case .auto:
      let node = engine.graph.nodes[x]
      return node.polynomialDegree == nil && node.support.count > options.quadratureMaximumDimension + 4
    }
  }

  /// Stein's solution `C⁺ E[G F]` splits the coefficient of a variable among members that are
  /// the same Gaussian (identical operands, e.g. an observation pass that repeats a training
  /// pass): the minimum-norm solution gives each copy a share. Only members `F` reads get a
  /// ZDot term, so the shares of identical members `F` does not read are added back here.
  func merged(_ stein: [Estimate], into j: Int, group: BaseGaussians.Group, relevant: Set<Int>) -> Estimate {
    var e = stein[j]
    let bj = group.members[j]
    let vj = engine.bases.covariance(bj, bj)
    var variance = e.standardError * e.standardError
    var errorSquared = e.error * e.error
    for (i, bi) in group.members.enumerated() where i != j && !relevant.contains(bi) {
      let vi = engine.bases.covariance(bi, bi)
      let c = engine.bases.covariance(bi, bj)
      // Identical up to rounding: correlation 1 and equal variances.
      guard vi > 0, vj > 0, abs(vi - vj) <= 1e-9 * vj, c * c >= (1 - 1e-9) * vi * vj, c > 0 else { continue }
      e.value += stein[i].value
      variance += stein[i].standardError * stein[i].standardError
      errorSquared += stein[i].error * stein[i].error
    }
    e.standardError = variance.squareRoot()
    e.error = errorSquared.squareRoot()
    return e
  }

  /// Gaussian integration by parts over the whole group `G` (independent of every other base):
  /// `E[∇_G Z^x] = C⁺ E[G Z^x]`, correct even when a jump lies on the path.
  mutating func steinDerivatives(x: Int, group: BaseGaussians.Group) throws(MethodUnavailable) -> [Estimate] {
    let m = group.members.count
    var moments: [Estimate] = []
    for b in group.members {
      moments.append(try engine.expectation(ZGraph.node(engine.graph.baseNode[b]) * ZGraph.node(x)))
    }
    // Moments that are all exactly zero (an independent mean-zero factor, say) give zero
    // derivatives whatever the covariance: no inverse is needed.
    if moments.allSatisfy({ $0.method == .exact && $0.value == 0 }) {
      return [Estimate](repeating: .exact(0), count: m)
    }
    // Directions of C whose eigenvalue is below 1/√N of the largest cannot be resolved by N
    // particles (the particles' own covariance differs from C by O(1/√N)); inverting them
    // amplifies noise that compounds over SGD steps. Exact and quadrature moments keep 1e-10.
    let sampled = moments.contains { $0.method == .mc }
    let cutoff = sampled ? 1 / Double(options.samples).squareRoot() : 1e-10
    let key = PseudoInverseKey(members: group.members, cutoff: cutoff)
    let pinv: Matrix
    if let cached = pseudoInverses[key] {
      pinv = cached
    } else {
      pinv = pseudoInverse(engine.bases.covarianceMatrix(group.members), relativeCutoff: cutoff)
      pseudoInverses[key] = pinv
    }
    var out: [Estimate] = []
    for i in 0..<m {
      var v = 0.0
      var se2 = 0.0
      var err2 = 0.0
      var method = Method.exact
      for j in 0..<m {
        v += pinv[i, j] * moments[j].value
        se2 += pinv[i, j] * pinv[i, j] * moments[j].standardError * moments[j].standardError
        err2 += pinv[i, j] * pinv[i, j] * moments[j].error * moments[j].error
        method = method.combined(moments[j].method)
      }
      out.append(
        Estimate(value: v, error: err2.squareRoot(), standardError: se2.squareRoot(), method: method))
    }
    return out
  }

  /// `∂Z^{node}/∂(base b)` as an expression over nodes (forward mode), holding every other base
  /// fixed. Non-trivial tangents become graph nodes themselves, so they are shared and every
  /// expectation method applies to them.
  mutating func tangent(_ k: Int, _ b: Int) -> CoordExpr {
    let node = engine.graph.nodes[k]
    guard node.support.contains(b) else { return 0 }
    if let t = tangents[TangentKey(node: k, base: b)] { return t }
    var result: CoordExpr
    switch node.kind {
    case .base(let bb): result = bb == b ? 1 : 0
    case .affine(_, let terms):
      result = 0
      for t in terms { result = result + .constant(t.coefficient) * tangent(t.node, b) }
    case .nonlin(let e):
      result = 0
      for leaf in e.vectors {
        let dt = tangent(leaf.raw, b)
        if dt.constantValue == 0 { continue }
        result = result + e.derivative(withRespectTo: .vector(leaf)) * dt
      }
    }
    if result.constantValue == nil, case .vector = result {
    } else if result.constantValue == nil {
      result = ZGraph.node(engine.add(.nonlin(result), label: "∂\(node.label)"))
    }
    tangents[TangentKey(node: k, base: b)] = result
    return result
  }
}
