import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct ReverseEngineeredActivationTests {
  /// The polynomial `Σ cⱼ zʲ` read back from a `def NAME(z) = c₀ + z * (c₁ + z * (…))`
  /// string: the numbers in order of appearance, with `z * (` for a zero coefficient.
  static func parseDefinition(_ text: String) -> [Double] {
    guard let body = text.split(separator: "=", maxSplits: 1).last else { return [] }
    var coefficients: [Double] = []
    for part in body.components(separatedBy: "(") {
      let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.hasPrefix("z *") {
        coefficients.append(0)
        continue
      }
      let number = trimmed.components(separatedBy: " + z *").first ?? ""
      let clean = number.trimmingCharacters(in: CharacterSet(charactersIn: ") \n"))
      if let value = Double(clean) { coefficients.append(value) }
    }
    return coefficients
  }

  /// One-hidden-layer kernels of a polynomial activation (given by monomials), computed
  /// independently of the Hermite-series identities by a 2-D Gauss–Hermite grid over
  /// `(u, v)` with correlation `ρ`: `E[φ(u)φ(v)]` and `E[φ′(u)φ′(v)]`, exact for the degree.
  static func shallowKernels(_ c: [Double], _ rho: Double, nodes: Int) -> (nngp: Double, ntk: Double) {
    let rule = GaussHermiteRule.probabilists(degree: nodes)
    func phi(_ z: Double) -> Double { c.reversed().reduce(0) { $0 * z + $1 } }
    let dc = c.enumerated().dropFirst().map { Double($0.0) * $0.1 }
    func dphi(_ z: Double) -> Double { dc.reversed().reduce(0) { $0 * z + $1 } }
    let s = (1 - rho * rho).squareRoot()
    var k = 0.0
    var d = 0.0
    for (x, wx) in zip(rule.nodes, rule.weights) {
      for (y, wy) in zip(rule.nodes, rule.weights) {
        let u = x
        let v = rho * x + s * y
        k += wx * wy * phi(u) * phi(v)
        d += wx * wy * dphi(u) * dphi(v)
      }
    }
    return (k, k + rho * d)
  }

  /// From exact coefficients: `aₖ = √bₖ` (NNGP), `√(bₖ/(k+1))` (NTK), and the kernels of
  /// the resulting polynomial activation, integrated independently, are `Σ bₖ ρᵏ`.
  @Test func exactCoefficientsAreRealised() throws {
    let b: [Double] = [0.1, 0.5, 0.2, 0.05, 0.01]
    let nngp = try ReverseEngineeredActivation(kernelCoefficients: b, target: .nngp)
    let ntk = try ReverseEngineeredActivation(kernelCoefficients: b, target: .ntk)
    for k in b.indices {
      expectClose(nngp.hermiteCoefficients[k], b[k].squareRoot(), relative: 1e-15)
      expectClose(ntk.hermiteCoefficients[k], (b[k] / Double(k + 1)).squareRoot(), relative: 1e-15)
    }
    #expect(nngp.maxError == 0)
    expectClose(nngp.scale, b.reduce(0, +), relative: 1e-15)
    for rho in [-1, -0.6, 0, 0.3, 0.9, 1.0] {
      let target = b.enumerated().reduce(0.0) { $0 + $1.1 * pow(rho, Double($1.0)) }
      expectClose(
        Self.shallowKernels(nngp.monomialCoefficients(), rho, nodes: 12).nngp, target, absolute: 1e-13)
      expectClose(
        Self.shallowKernels(ntk.monomialCoefficients(), rho, nodes: 12).ntk, target, absolute: 1e-13)
      expectClose(nngp.kernel(rho), target, absolute: 1e-15)
    }
    // Signs are free: the kernels only see aₖ².
    let flipped = try ReverseEngineeredActivation(
      kernelCoefficients: b, target: .nngp, negative: [false, true, false, true, false])
    #expect(flipped.hermiteCoefficients[1] < 0 && flipped.hermiteCoefficients[3] < 0)
    expectClose(
      Self.shallowKernels(flipped.monomialCoefficients(), 0.4, nodes: 12).nngp, nngp.kernel(0.4),
      absolute: 1e-13)
  }

  /// relu's NNGP from its exact coefficients `aₖ²` (k ≤ 2000): the truncation keeps the
  /// lowest degree whose tail is within 10⁻³ of the scale, and the activation's NNGP,
  /// integrated independently, matches the arc-cosine kernel to that accuracy.
  @Test func truncatingExactCoefficients() throws {
    let b = (0...2000).map { k -> Double in
      let a = KernelScienceFixtures.reluCoefficient(k)
      return a * a
    }
    let activation = try ReverseEngineeredActivation.truncating(
      kernelCoefficients: b, target: .nngp, tolerance: 1e-3)
    #expect(activation.degree > 10 && activation.degree < 60)
    #expect(activation.relativeError <= 1e-3 && activation.relativeError > 0)
    let scale = KernelScienceFixtures.arcCosine1(1) / 2
    let polynomial = activation.monomialCoefficients()
    var worst = 0.0
    for rho in stride(from: -1.0, through: 1.0, by: 0.05) {
      let shallow = Self.shallowKernels(polynomial, rho, nodes: activation.degree + 2).nngp
      worst = max(worst, abs(shallow - KernelScienceFixtures.arcCosine1(rho) / 2))
    }
    print("truncated relu NNGP: degree \(activation.degree), max error \(worst / scale) of the scale")
    #expect(worst <= 1e-3 * scale)
    // Dropping nothing is allowed: a tight tolerance keeps every coefficient.
    #expect(
      try ReverseEngineeredActivation.truncating(kernelCoefficients: [1, 0.5], target: .ntk, tolerance: 1e-9)
        .degree == 1)
    #expect(throws: KernelAnalysisError.self) {
      try ReverseEngineeredActivation.truncating(kernelCoefficients: [1, 0.5], target: .ntk, tolerance: 0)
    }
  }

  @Test func negativeCoefficientsAreRejected() throws {
    #expect(throws: KernelAnalysisError.negativeCoefficient(index: 1, value: -0.2)) {
      try ReverseEngineeredActivation(kernelCoefficients: [1, -0.2], target: .ntk)
    }
    #expect(throws: KernelAnalysisError.self) {
      try ReverseEngineeredActivation(kernelCoefficients: [], target: .ntk)
    }
    #expect(throws: KernelAnalysisError.self) {
      try ReverseEngineeredActivation(kernelCoefficients: [1, .nan], target: .ntk)
    }
    // Rounding-level negatives are zeros.
    #expect(
      try ReverseEngineeredActivation(kernelCoefficients: [1, -1e-17], target: .nngp).hermiteCoefficients[1]
        == 0)
  }

  /// The `.tp` rendering: Horner form, `%.17g` numbers that round-trip, zero coefficients
  /// folded into `z * (`, and the same function as the Hermite form, also after rescaling
  /// for a pre-activation variance `q`.
  @Test func tpDefinitionRoundTrips() throws {
    let design = try ReverseEngineeredActivation(
      kernelCoefficients: [0.2, 0.5, 0, 0.1, 0.02, 0.003], target: .nngp)
    let text = try design.tpDefinition()
    #expect(text.hasPrefix("def phi(z) = "))
    let parsed = Self.parseDefinition(text)
    let monomials = design.monomialCoefficients()
    #expect(parsed.count == monomials.count)
    for (p, m) in zip(parsed, monomials) { #expect(p == m) }
    for z in stride(from: -3.0, through: 3.0, by: 0.5) {
      let horner = parsed.reversed().reduce(0) { $0 * z + $1 }
      expectClose(horner, design.value(at: z), absolute: 1e-13 * max(1, abs(horner)))
    }
    let q = 2.5
    let scaled = Self.parseDefinition(try design.tpDefinition(name: "act", preactivationVariance: q))
    for h in [-2.0, 0.3, 1.7] {
      let horner = scaled.reversed().reduce(0) { $0 * h + $1 }
      expectClose(horner, design.value(at: h / q.squareRoot()), absolute: 1e-13)
    }
    #expect(try design.tpDefinition(name: "act").hasPrefix("def act(z) = "))
    #expect(throws: KernelAnalysisError.self) { try design.tpDefinition(preactivationVariance: 0) }
    // A zero coefficient in the middle: φ = h₀·0 + ... gives "z * (".
    let sparse = try ReverseEngineeredActivation(kernelCoefficients: [0, 1], target: .nngp)
    #expect(try sparse.tpDefinition() == "def phi(z) = z * (1)")
  }

  /// The 4-hidden-layer ReLU NTK (layer recursion of Jacot et al./Arora et al., in the test)
  /// matched by a one-hidden-layer NTK to 10⁻³ of the kernel's scale on `[−1, 0.9] ∪ {1}` —
  /// every off-diagonal cosine up to 0.9 and the diagonal. The match is verified on a
  /// different grid with the activation's kernel integrated independently (2-D
  /// Gauss–Hermite of the printed polynomial).
  @Test func matchesDeepReLUNTK() throws {
    let deep: (Double) -> Double = { KernelScienceFixtures.reluNTK($0, hiddenLayers: 4) }
    let design = (0..<600).map { -1 + 1.9 * Double($0) / 599 } + [1]
    let activation = try ReverseEngineeredActivation.design(
      kernel: deep, target: .ntk, tolerance: 1e-3, maxDegree: 60, points: design)
    let scale = deep(1)
    expectClose(scale, 5, absolute: 1e-14)
    #expect(activation.relativeError <= 1e-3)
    #expect(activation.hermiteCoefficients.allSatisfy { $0.isFinite })
    let polynomial = Self.parseDefinition(try activation.tpDefinition())
    let nodes = activation.degree + 2
    var worst = 0.0
    let check: [Double] = (0..<97).map { i -> Double in -1 + 1.9 * (Double(i) + 0.37) / 97 } + [1]
    for rho in check {
      worst = max(worst, abs(Self.shallowKernels(polynomial, rho, nodes: nodes).ntk - deep(rho)))
    }
    print(
      "reverse engineering: degree \(activation.degree), design error \(activation.relativeError), "
        + "verified max error \(worst / scale) of the scale")
    #expect(worst <= 1e-3 * scale)
  }

  /// On data: 200 random points on the unit sphere in R¹⁶; the design is fitted on the
  /// data's cosines and the diagonal, and the one-hidden-layer NTK Gram matrix matches the
  /// deep one entrywise to 10⁻³ of its scale.
  @Test func matchesDeepReLUNTKOnSphereData() throws {
    let points = KernelScienceFixtures.spherePoints(count: 200, dimension: 16, seed: 77)
    var cosines: [Double] = [1]
    for i in 0..<points.count {
      for j in 0..<i { cosines.append(KernelScienceFixtures.dot(points[i], points[j])) }
    }
    let deep: (Double) -> Double = { KernelScienceFixtures.reluNTK($0, hiddenLayers: 4) }
    let activation = try ReverseEngineeredActivation.design(
      kernel: deep, target: .ntk, tolerance: 1e-3, maxDegree: 60, points: cosines)
    let target = KernelScienceFixtures.gram(points, deep)
    let realised = KernelScienceFixtures.gram(points) { activation.kernel($0) }
    let worst = TestData.maxDifference(target, realised)
    print(
      "reverse engineering on S¹⁵ data: degree \(activation.degree), max Gram error \(worst / target.maxAbsoluteEntry)"
    )
    #expect(worst <= 1e-3 * target.maxAbsoluteEntry)
  }

  @Test func unreachableToleranceThrows() {
    // The ReLU NTK's √(1 − ρ) cusp at ρ = 1 cannot be matched uniformly at low degree.
    #expect(throws: KernelAnalysisError.self) {
      try ReverseEngineeredActivation.design(
        kernel: { KernelScienceFixtures.reluNTK($0, hiddenLayers: 4) }, target: .ntk, tolerance: 1e-3,
        maxDegree: 30)
    }
  }
}
