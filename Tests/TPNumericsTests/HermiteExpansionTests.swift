import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct NormalisedHermiteTests {
  /// `hₖ = Heₖ/√(k!)` against the explicit sum for `Heₖ`.
  @Test func recurrenceMatchesExplicitPolynomials() {
    for z in [-3.1, -1, 0, 0.4, 2.5] {
      let h = NormalisedHermite.values(through: 12, at: z)
      for k in 0...12 {
        let expected =
          KernelScienceFixtures.explicitHermite(k, z) / exp(0.5 * KernelScienceFixtures.logFactorial(k))
        expectClose(h[k], expected, absolute: 1e-12 * max(1, abs(expected)))
      }
    }
    // He₄ = z⁴ − 6z² + 3.
    expectClose(NormalisedHermite.value(4, at: 2), (16 - 24 + 3) / 24.0.squareRoot(), absolute: 1e-15)
    #expect(NormalisedHermite.values(through: -1, at: 1) == [])
    #expect(NormalisedHermite.values(through: 0, at: 5) == [1])
  }

  /// `E[hⱼ hₖ] = δⱼₖ` with a Gauss–Hermite rule exact for the products.
  @Test func orthonormalUnderTheGaussianLaw() {
    let rule = GaussHermiteRule.probabilists(degree: 60)
    let degree = 50
    var gram = [[Double]](repeating: [Double](repeating: 0, count: degree + 1), count: degree + 1)
    for (x, w) in zip(rule.nodes, rule.weights) {
      let h = NormalisedHermite.values(through: degree, at: x)
      for j in 0...degree { for k in 0...j { gram[j][k] += w * h[j] * h[k] } }
    }
    for j in 0...degree { for k in 0...j { expectClose(gram[j][k], j == k ? 1 : 0, absolute: 1e-12) } }
  }

  @Test func clenshawAndMonomialFormsAgreeWithTheDirectSum() {
    let a: [Double] = [0.3, -1.2, 0.5, 0.25, -0.1, 0.05, 0.02]
    let c = NormalisedHermite.monomialCoefficients(of: a)
    #expect(c.count == a.count)
    for z in stride(from: -4.0, through: 4.0, by: 0.37) {
      let h = NormalisedHermite.values(through: a.count - 1, at: z)
      let direct = zip(a, h).reduce(0) { $0 + $1.0 * $1.1 }
      expectClose(NormalisedHermite.series(a, at: z), direct, absolute: 1e-13 * max(1, abs(direct)))
      let monomial = c.reversed().reduce(0) { $0 * z + $1 }
      expectClose(monomial, direct, absolute: 1e-12 * max(1, abs(direct)))
    }
    // h₂ = (z² − 1)/√2: monomials (−1/√2, 0, 1/√2).
    let h2 = NormalisedHermite.monomialCoefficients(of: [0, 0, 1])
    expectClose(h2[0], -1 / 2.0.squareRoot(), absolute: 1e-16)
    #expect(h2[1] == 0)
    expectClose(h2[2], 1 / 2.0.squareRoot(), absolute: 1e-16)
    #expect(NormalisedHermite.series([], at: 1) == 0)
  }
}

@Suite struct HermiteExpansionTests {
  /// relu, by the composite rule split at the kink, against `a₂ⱼ = Heⱼ₋₂(0)/(√(2π)√(k!))`:
  /// the reported error bounds the actual one, which is at rounding level.
  @Test(arguments: [12, 40, 100])
  func reluCoefficientsMatchClosedForm(_ degree: Int) throws {
    let e = try HermiteExpansion(
      of: { max($0, 0) }, degree: degree, breakpoints: [0], derivative: { $0 > 0 ? 1 : 0 })
    guard case .piecewiseGaussLegendre = e.method else {
      Issue.record("relu must use the piecewise rule")
      return
    }
    expectClose(e.coefficients[0], 1 / (2 * Double.pi).squareRoot(), absolute: 1e-15)
    expectClose(e.coefficients[1], 0.5, absolute: 1e-15)
    expectClose(e.coefficients[2], 1 / (2 * Double.pi.squareRoot()), absolute: 1e-15)
    for k in 0...degree {
      let exact = KernelScienceFixtures.reluCoefficient(k)
      let actual = abs(e.coefficients[k] - exact)
      #expect(actual <= e.errors[k] + 1e-16, "k = \(k): error \(actual) above the reported \(e.errors[k])")
      #expect(actual <= 1e-13)
      #expect(e.errors[k] <= 1e-12)
    }
    expectClose(e.secondMoment, 0.5, absolute: 1e-14)
    expectClose(e.derivativeSecondMoment ?? .nan, 0.5, absolute: 1e-14)
    // Parseval: the tail beyond K carries E[relu²] − Σ aₖ², which decays like K^{−3/2}.
    #expect(e.truncatedPower > 0 && e.truncatedPower < 0.2 * pow(Double(degree), -1.5))
  }

  /// abs = relu(z) + relu(−z): `aₖ = (1 + (−1)ᵏ) aₖ(relu)`; step: `aₖ = Heₖ₋₁(0)/(√(2π)√(k!))`.
  @Test func absAndStepCoefficients() throws {
    let absolute = try HermiteExpansion(of: { abs($0) }, degree: 30, breakpoints: [0])
    let step = try HermiteExpansion(of: { $0 > 0 ? 1 : 0 }, degree: 30, breakpoints: [0])
    for k in 0...30 {
      expectClose(
        absolute.coefficients[k], (k % 2 == 0 ? 2 : 0) * KernelScienceFixtures.reluCoefficient(k),
        absolute: 1e-13)
      expectClose(step.coefficients[k], KernelScienceFixtures.stepCoefficient(k), absolute: 1e-13)
    }
    expectClose(step.secondMoment, 0.5, absolute: 1e-14)
  }

  @Test(arguments: [20, 60])
  func erfCoefficientsMatchClosedForm(_ degree: Int) throws {
    let e = try HermiteExpansion(of: { erf($0) }, degree: degree)
    guard case .gaussHermite = e.method else {
      Issue.record("smooth functions use Gauss–Hermite")
      return
    }
    expectClose(e.coefficients[1], 2 / (3 * Double.pi).squareRoot(), absolute: 1e-15)
    for k in 0...degree {
      expectClose(e.coefficients[k], KernelScienceFixtures.erfCoefficient(k), absolute: 1e-10)
      #expect(abs(e.coefficients[k] - KernelScienceFixtures.erfCoefficient(k)) <= e.errors[k] + 1e-16)
    }
    // E[erf(Z)²] = (2/π) arcsin(2/3) (Williams at ρ = 1).
    expectClose(e.secondMoment, 2 / Double.pi * asin(2.0 / 3), absolute: 1e-14)
  }

  /// tanh has no closed form: against adaptive Gauss–Legendre of `tanh(z) hₖ(z) pdf(z)` on
  /// [−40, 40] (the test's own reference quadrature).
  @Test func tanhCoefficientsMatchIndependentIntegral() throws {
    let degree = 25
    for quadrature in [HermiteExpansion.Quadrature.automatic, .piecewise] {
      let e = try HermiteExpansion(of: { tanh($0) }, degree: degree, quadrature: quadrature)
      for k in 0...degree {
        let reference = ReferenceQuadrature.integrate(
          { z in
            tanh(z) * NormalisedHermite.value(k, at: z) * exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
          },
          -40, 40, panelWidth: 1, absolute: 1e-17, relative: 1e-14)
        expectClose(e.coefficients[k], reference, absolute: 1e-10, "k = \(k), \(quadrature)")
        #expect(e.errors[k] < 1e-10)
      }
    }
  }

  /// A polynomial (as a `def` would give): exact coefficients from `zʲ = Σ c Heₘ`, and zeros
  /// beyond its degree.
  @Test func polynomialCoefficientsAreExact() throws {
    let c: [Double] = [1, 2, 0, -0.5, 0.25]  // 1 + 2z − ½z³ + ¼z⁴
    let f: (Double) -> Double = { z in c.reversed().reduce(0) { $0 * z + $1 } }
    let degree = 10
    let exact = KernelScienceFixtures.polynomialCoefficients(c, degree: degree)
    for quadrature in [HermiteExpansion.Quadrature.automatic, .piecewise] {
      let e = try HermiteExpansion(of: f, degree: degree, quadrature: quadrature)
      for k in 0...degree { expectClose(e.coefficients[k], exact[k], absolute: 1e-12) }
      // E[φ²] = Σ aₖ² exactly for a polynomial.
      expectClose(e.secondMoment, exact.reduce(0) { $0 + $1 * $1 }, relative: 1e-13)
      #expect(e.truncatedPower < 1e-12)
    }
    // By hand: a₀ = E φ = 1 + ¼·3, a₁ = E[zφ] = 2 − ½·3, a₄ = ¼·√24.
    expectClose(exact[0], 1.75, absolute: 1e-15)
    expectClose(exact[1], 0.5, absolute: 1e-15)
    expectClose(exact[4], 0.25 * 24.0.squareRoot(), absolute: 1e-14)
  }

  @Test func exactExpansionFromCoefficients() throws {
    let e = try HermiteExpansion(coefficients: [1, 2, 3])
    #expect(e.method == .exact && e.errors == [0, 0, 0] && e.degree == 2)
    #expect(e.secondMoment == 14 && e.derivativeSecondMoment == 2 * 2 * 1 + 3 * 3 * 2)
    expectClose(e.value(at: 1.5), 1 + 2 * 1.5 + 3 * (1.5 * 1.5 - 1) / 2.0.squareRoot(), absolute: 1e-15)
  }

  @Test func invalidInputsThrow() {
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(of: { $0 }, degree: -1) }
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(of: { $0 }, degree: 100_000) }
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(coefficients: []) }
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(coefficients: [1, .nan]) }
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(coefficients: [1, 2], errors: [0]) }
    #expect(throws: KernelAnalysisError.self) {
      try HermiteExpansion(coefficients: [1, 2], errors: [0, -1])
    }
    #expect(NormalisedHermite.value(-1, at: 2) == 0)
    #expect(throws: KernelAnalysisError.self) { try HermiteExpansion(of: { log($0) }, degree: 3) }
    #expect(throws: KernelAnalysisError.self) {
      try HermiteExpansion(of: { $0 }, degree: 3, breakpoints: [.nan])
    }
    #expect(throws: KernelAnalysisError.self) {
      try HermiteExpansion(of: { abs($0) }, degree: 3, breakpoints: [0], quadrature: .gaussHermite)
    }
  }
}
