import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct BivariateNormalTests {
  /// The Gauss–Legendre tables against rules computed here by Newton's method (itself good to
  /// about 2 ulps): a typo in a digit shows up far above rounding.
  @Test func legendreTablesMatchNewton() {
    for (rule, n) in [6, 12, 20].enumerated() {
      let reference = ReferenceQuadrature.legendre(n)
      let nodes = BivariateNormal.legendreNodes[rule]
      let weights = BivariateNormal.legendreWeights[rule]
      #expect(nodes.count == n / 2 && weights.count == n / 2)
      for i in 0..<(n / 2) {
        expectClose(nodes[i], reference.nodes[i], absolute: 4e-16, "node \(i) of \(n)")
        expectClose(weights[i], reference.weights[i], absolute: 4e-16, "weight \(i) of \(n)")
      }
    }
  }

  static let thresholds: [Double] = [-8, -3, -1.5, -0.3, 0, 0.7, 2, 5, 8]
  static let correlations: [Double] = [
    -1, -0.999_999_9, -0.999, -0.95, -0.93, -0.9, -0.7, -0.5, -0.2, 0, 0.1, 0.29, 0.31, 0.6, 0.8, 0.92,
    0.93, 0.99, 0.999_999, 1,
  ]

  /// `P(Z₁ > h, Z₂ > k) = ∫_h^∞ φ(x) Φ((ρx − k)/√(1 − ρ²)) dx` by adaptive quadrature (split where
  /// the inner Φ switches), with `Φ` from `erfc`; `ρ = ±1` in closed form.
  static func reference(_ h: Double, _ k: Double, _ rho: Double) -> Double {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    if rho == 1 { return cdf(-max(h, k)) }
    if rho == -1 { return max(0, cdf(-k) - cdf(h)) }
    // (1 − ρ)(1 + ρ): 1 − ρ² would lose the digits of √(1 − ρ²) that matter near |ρ| = 1.
    let c = ((1 - rho) * (1 + rho)).squareRoot()
    // Near |ρ| = 1 the inner Φ switches over a width √(1 − ρ²)/|ρ| around k/ρ: breakpoints at
    // geometrically growing distances from there keep the adaptive rule from stepping over it.
    var breaks: [Double] = []
    if rho != 0 {
      let width = c / abs(rho)
      let centre = k / rho
      breaks = [centre]
      for m in 0..<30 {
        let d = width * pow(2, Double(m))
        breaks += [centre - d, centre + d]
      }
    }
    return ReferenceQuadrature.integrate(
      { x in exp(-x * x / 2) / (2 * Double.pi).squareRoot() * cdf((rho * x - k) / c) }, h, 40,
      breakpoints: breaks, panelWidth: 1, absolute: 1e-19)
  }

  @Test(arguments: correlations)
  func matchesQuadrature(_ rho: Double) {
    var worst = 0.0
    for h in Self.thresholds {
      for k in Self.thresholds {
        let value = BivariateNormal.upperOrthant(h, k, correlation: rho)
        let exact = Self.reference(h, k, rho)
        worst = max(worst, abs(value - exact))
        expectClose(value, exact, absolute: 1e-15, "h \(h), k \(k), ρ \(rho)")
      }
    }
    #expect(worst <= 1e-15)
  }

  @Test func identities() {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    for rho in Self.correlations {
      // Sheppard: P(Z₁ > 0, Z₂ > 0) = ¼ + asin(ρ)/(2π).
      expectClose(
        BivariateNormal.upperOrthant(0, 0, correlation: rho), 0.25 + asin(rho) / (2 * .pi), absolute: 1e-15)
      for h in Self.thresholds {
        for k in Self.thresholds {
          let p = BivariateNormal.upperOrthant(h, k, correlation: rho)
          // Symmetric in (h, k); P(Z₁ > h, Z₂ > k) + P(Z₁ > h, −Z₂ > −k) = P(Z₁ > h).
          expectClose(BivariateNormal.upperOrthant(k, h, correlation: rho), p, absolute: 3e-16)
          let complement = BivariateNormal.upperOrthant(h, -k, correlation: -rho)
          expectClose(p + complement, cdf(-h), absolute: 2e-15, "h \(h), k \(k), ρ \(rho)")
          expectClose(BivariateNormal.cdf(-h, -k, correlation: rho), p, absolute: 0)
          #expect(p >= 0 && p <= 1)
        }
      }
    }
  }

  @Test func extremeAndDegenerateInputs() {
    // Infinite and huge thresholds.
    #expect(BivariateNormal.upperOrthant(.infinity, 0, correlation: 0.5) == 0)
    #expect(BivariateNormal.upperOrthant(-.infinity, -.infinity, correlation: -0.5) == 1)
    expectClose(
      BivariateNormal.upperOrthant(-.infinity, 1, correlation: 0.5), 0.5 * erfc(1 / 2.0.squareRoot()),
      absolute: 1e-16)
    expectClose(
      BivariateNormal.upperOrthant(-1e300, 1, correlation: 0.999), 0.5 * erfc(1 / 2.0.squareRoot()),
      absolute: 1e-16)
    #expect(BivariateNormal.upperOrthant(1e300, -1e300, correlation: -0.95) == 0)
    for rho in [-1.0, -0.99, -0.5, 0.5, 0.99, 1] {
      for (h, k) in [
        (1e300, 1e300), (-1e300, -1e300), (1e300, -1e300), (39.0, -39.0), (-39.0, 39.0), (50.0, 0.0),
      ] {
        let p = BivariateNormal.upperOrthant(h, k, correlation: rho)
        #expect(p.isFinite && p >= 0 && p <= 1, "h \(h), k \(k), ρ \(rho)")
      }
    }
    // Correlations just outside [−1, 1] (rounding) are clamped.
    #expect(
      BivariateNormal.upperOrthant(0.3, -0.2, correlation: 1 + 1e-15)
        == BivariateNormal.upperOrthant(0.3, -0.2, correlation: 1))
    #expect(
      BivariateNormal.upperOrthant(-0.3, -0.2, correlation: -1 - 1e-15)
        == BivariateNormal.upperOrthant(-0.3, -0.2, correlation: -1))
    // ρ = −1: P(h < Z < −k), empty when h ≥ −k (never −0).
    #expect(BivariateNormal.upperOrthant(0.5, -0.5, correlation: -1).sign == .plus)
    expectClose(
      BivariateNormal.upperOrthant(-1, -1, correlation: -1), 1 - erfc(1 / 2.0.squareRoot()), absolute: 4e-16)
  }

  @Test func positiveOrthantOfGeneralPairs() {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    let pair = GaussianPair(mean1: 0.4, mean2: -1.1, k11: 2.5, k12: -0.6, k22: 0.9)
    let rho = -0.6 / (2.5 * 0.9).squareRoot()
    expectClose(
      BivariateNormal.positiveOrthant(pair),
      Self.reference(-0.4 / 2.5.squareRoot(), 1.1 / 0.9.squareRoot(), rho),
      absolute: 1e-15)
    // Zero variance: the variable is its mean, and 1{0 > 0} = 0.
    let p1 = GaussianPair(mean1: 0.4, mean2: -0.2, k11: 0, k12: 0, k22: 2)
    expectClose(BivariateNormal.positiveOrthant(p1), cdf(-0.2 / 2.0.squareRoot()), absolute: 1e-16)
    #expect(BivariateNormal.positiveOrthant(GaussianPair(mean1: 0, mean2: 1, k11: 0, k12: 0, k22: 1)) == 0)
    #expect(
      BivariateNormal.positiveOrthant(GaussianPair(mean1: 1, mean2: 2, k11: -1e-18, k12: 0, k22: 0)) == 1)
    #expect(BivariateNormal.positiveOrthant(GaussianPair(mean1: 1, mean2: -2, k11: 0, k12: 0, k22: 0)) == 0)
  }

  @Test func standardNormal() {
    // Φ(−8) = 6.220960574271784e-16 (tail to full relative accuracy), Φ(0) = ½, Φ(1.96).
    expectClose(StandardNormal.cdf(-8), 6.220_960_574_271_784_1e-16, relative: 1e-14)
    #expect(StandardNormal.cdf(0) == 0.5)
    expectClose(StandardNormal.cdf(1.96), 0.975_002_104_851_779_6, absolute: 1e-15)
    expectClose(StandardNormal.density(1), exp(-0.5) / (2 * Double.pi).squareRoot(), relative: 1e-15)
    #expect(StandardNormal.cdf(-.infinity) == 0 && StandardNormal.cdf(.infinity) == 1)
    #expect(StandardNormal.density(1e200) == 0)
  }
}
