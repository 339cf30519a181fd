import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct GaussianIntegralsTests {
  struct Covariance: Sendable, CustomTestStringConvertible {
    let k11: Double
    let k22: Double
    let rho: Double
    var k12: Double { rho * (k11 * k22).squareRoot() }
    var testDescription: String { "k11 \(k11), k22 \(k22), ρ \(rho)" }
  }

  static let covariances: [Covariance] = [
    Covariance(k11: 1, k22: 1, rho: 0), Covariance(k11: 1, k22: 1, rho: 0.5),
    Covariance(k11: 1, k22: 1, rho: -0.3), Covariance(k11: 1, k22: 1, rho: 0.999),
    Covariance(k11: 2.5, k22: 0.4, rho: 0.5), Covariance(k11: 0.3, k22: 4, rho: -0.3),
    Covariance(k11: 3, k22: 0.7, rho: 0.999),
  ]

  typealias Form = @Sendable (Double, Double, Double) -> Double

  /// Monte Carlo over the shared pool of 10⁶ pairs: u = √k11 z₁, v = √k22 (ρ z₁ + √(1−ρ²) z₂).
  /// All six products are accumulated in one pass (written out, no closures, so the check
  /// stays fast in debug builds), and each closed form must lie within 4 standard errors.
  @Test(arguments: covariances)
  func closedFormsMatchMonteCarlo(_ c: Covariance) {
    let z = TestData.normals
    let m = z.count / 2
    let (a, b) = (c.k11.squareRoot(), c.k22.squareRoot())
    let orthogonal = (1 - c.rho * c.rho).squareRoot()
    var sum = [Double](repeating: 0, count: 6)
    var sumOfSquares = [Double](repeating: 0, count: 6)
    z.withUnsafeBufferPointer { z in
      for i in 0..<m {
        let z1 = z[2 * i]
        let u = a * z1
        let v = b * (c.rho * z1 + orthogonal * z[2 * i + 1])
        let reluU = u > 0 ? u : 0
        let reluV = v > 0 ? v : 0
        let stepU: Double = u > 0 ? 1 : 0
        let stepV: Double = v > 0 ? 1 : 0
        let products = (reluU * reluV, stepU * stepV, erf(u) * erf(v), u * reluV, u * stepV, reluU * stepV)
        sum[0] += products.0
        sum[1] += products.1
        sum[2] += products.2
        sum[3] += products.3
        sum[4] += products.4
        sum[5] += products.5
        sumOfSquares[0] += products.0 * products.0
        sumOfSquares[1] += products.1 * products.1
        sumOfSquares[2] += products.2 * products.2
        sumOfSquares[3] += products.3 * products.3
        sumOfSquares[4] += products.4 * products.4
        sumOfSquares[5] += products.5 * products.5
      }
    }
    let forms: [(String, Double)] = [
      ("relu·relu", GaussianIntegrals.reluRelu(c.k11, c.k12, c.k22)),
      ("step·step", GaussianIntegrals.stepStep(c.k11, c.k12, c.k22)),
      ("erf·erf", GaussianIntegrals.erfErf(c.k11, c.k12, c.k22)),
      ("id·relu", GaussianIntegrals.identityRelu(c.k11, c.k12, c.k22)),
      ("id·step", GaussianIntegrals.identityStep(c.k11, c.k12, c.k22)),
      ("relu·step", GaussianIntegrals.reluStep(c.k11, c.k12, c.k22)),
    ]
    let count = Double(m)
    for (f, (name, exact)) in forms.enumerated() {
      let mean = sum[f] / count
      let variance = (sumOfSquares[f] / count - mean * mean) * count / (count - 1)
      let se = (variance / count).squareRoot()
      #expect(abs(mean - exact) <= 4 * se, "\(name): MC \(mean) ± \(se) vs closed form \(exact)")
    }
  }

  /// erf is smooth, so a high-degree 2-D Gauss–Hermite grid is an independent reference
  /// accurate far beyond Monte Carlo.
  @Test(arguments: covariances)
  func erfMatchesQuadrature(_ c: Covariance) {
    let k = Matrix([[c.k11, c.k12], [c.k12, c.k22]])
    let quadrature = GaussianQuadratureGrid.expectation(covariance: k, degree: 150) {
      erf($0[0]) * erf($0[1])
    }
    expectClose(GaussianIntegrals.erfErf(c.k11, c.k12, c.k22), quadrature, absolute: 1e-12)
  }

  /// relu·relu and step·step against quadrature in polar form, where the kink disappears:
  /// E[relu(u)relu(v)] = (1/2π)∫∫ r³ e^{−r²/2} relu(·)relu(·) dθ dr reduces to an angular
  /// integral, computed here with a fine midpoint rule.
  @Test(arguments: covariances)
  func arcCosineKernelsMatchAngularIntegral(_ c: Covariance) {
    // u = √k11 cos φ · r, v = √k22 (ρ cos φ + √(1−ρ²) sin φ) · r with (r, φ) polar, so
    // E[relu(u)relu(v)] = (1/2π) ∫ relu(a cos φ) relu(b(...)) dφ · E_r[r²] where
    // E[r²] over the density r e^{−r²/2} is 2; and P(u>0, v>0) is the angle fraction.
    let steps = 200_000
    let (a, b) = (c.k11.squareRoot(), c.k22.squareRoot())
    let orthogonal = (1 - c.rho * c.rho).squareRoot()
    var reluSum = 0.0
    var stepSum = 0.0
    for s in 0..<steps {
      let phi = (Double(s) + 0.5) / Double(steps) * 2 * .pi
      let u = a * cos(phi)
      let v = b * (c.rho * cos(phi) + orthogonal * sin(phi))
      reluSum += max(u, 0) * max(v, 0)
      stepSum += (u > 0 && v > 0) ? 1 : 0
    }
    expectClose(GaussianIntegrals.reluRelu(c.k11, c.k12, c.k22), 2 * reluSum / Double(steps), absolute: 1e-8)
    expectClose(GaussianIntegrals.stepStep(c.k11, c.k12, c.k22), stepSum / Double(steps), absolute: 1e-4)
  }

  @Test func specialCases() {
    // ρ = 1 (u = v): E relu² = k/2, P(u > 0) = ½, E[u relu(u)] = k/2, E[relu(u) step(u)] = √(k/2π).
    expectClose(GaussianIntegrals.reluRelu(3, 3, 3), 1.5, absolute: 1e-15)
    expectClose(GaussianIntegrals.stepStep(3, 3, 3), 0.5, absolute: 1e-15)
    expectClose(GaussianIntegrals.identityRelu(3, 3, 3), 1.5, absolute: 1e-15)
    expectClose(GaussianIntegrals.reluStep(3, 3, 3), (3 / (2 * Double.pi)).squareRoot(), absolute: 1e-15)
    expectClose(GaussianIntegrals.reluStep(3, 3, 3), GaussianIntegrals.reluMean(3), absolute: 1e-15)
    // ρ = 0: E relu(u) relu(v) = E relu(u) · E relu(v) = √(k11 k22)/(2π); P = ¼.
    expectClose(GaussianIntegrals.reluRelu(2, 0, 8), 4 / (2 * Double.pi), absolute: 1e-15)
    expectClose(GaussianIntegrals.stepStep(2, 0, 8), 0.25, absolute: 1e-15)
    expectClose(GaussianIntegrals.erfErf(2, 0, 8), 0, absolute: 1e-15)
    // ρ = −1: relu(u) relu(−u) = 0, step(u) step(−u) = 0.
    expectClose(GaussianIntegrals.reluRelu(1, -1, 1), 0, absolute: 1e-15)
    expectClose(GaussianIntegrals.stepStep(1, -1, 1), 0, absolute: 1e-15)
    expectClose(GaussianIntegrals.reluStep(1, -1, 1), 0, absolute: 1e-15)
    // E[erf(u)²] for k = 1/2: (2/π) asin(1/2) = 1/3.
    expectClose(GaussianIntegrals.erfErf(0.5, 0.5, 0.5), 1.0 / 3, absolute: 1e-15)
    // E[u step(u)] = E relu(u) = √(k/2π).
    expectClose(GaussianIntegrals.identityStep(2, 2, 2), GaussianIntegrals.reluMean(2), absolute: 1e-15)
  }

  @Test func degenerateAndRoundedInputsNeverNaN() {
    let forms: [Form] = [
      GaussianIntegrals.reluRelu, GaussianIntegrals.stepStep, GaussianIntegrals.erfErf,
      GaussianIntegrals.identityRelu, GaussianIntegrals.identityStep, GaussianIntegrals.reluStep,
    ]
    let inputs: [(Double, Double, Double)] = [
      (0, 0, 0), (1, 0, 0), (0, 0, 1), (1, 1 + 1e-15, 1), (1, -1 - 1e-15, 1), (2, 3, 4.5 - 1e-15),
      (-1e-18, 0, 1), (1e-300, 1e-300, 1e-300), (1e300, 1e300, 1e300),
    ]
    for form in forms {
      for (a, b, c) in inputs { #expect(form(a, b, c).isFinite, "\(a), \(b), \(c)") }
    }
    // A zero-variance variable is the constant 0, and step(0) = relu(0) = 0.
    #expect(GaussianIntegrals.reluRelu(0, 0, 1) == 0)
    #expect(GaussianIntegrals.stepStep(1, 0, 0) == 0)
    #expect(GaussianIntegrals.identityStep(1, 0, 0) == 0)
    #expect(GaussianIntegrals.reluStep(1, 0, 0) == 0)
    // Clamping: ρ slightly above 1 behaves like ρ = 1.
    expectClose(GaussianIntegrals.reluRelu(1, 1 + 1e-15, 1), 0.5, absolute: 1e-14)
    expectClose(GaussianIntegrals.stepStep(1, 1 + 1e-15, 1), 0.5, absolute: 1e-14)
  }

  @Test func isserlisMomentsInClosedForm() {
    let c = Matrix([[2, 0.3, -0.5, 0.1], [0.3, 1, 0.2, 0.4], [-0.5, 0.2, 1.5, 0.6], [0.1, 0.4, 0.6, 3]])
    func m(_ e: [Int]) -> Double { GaussianIntegrals.gaussianMoment(of: e, covariance: c) }
    #expect(m([0, 0, 0, 0]) == 1)
    #expect(m([1, 0, 0, 0]) == 0)
    #expect(m([1, 1, 1, 0]) == 0)
    expectClose(m([2, 0, 0, 0]), 2, absolute: 1e-15)
    expectClose(m([1, 1, 0, 0]), 0.3, absolute: 1e-15)
    expectClose(m([4, 0, 0, 0]), 3 * 4, absolute: 1e-14)  // 3σ⁴
    expectClose(m([6, 0, 0, 0]), 15 * 8, absolute: 1e-13)  // 15σ⁶
    expectClose(m([2, 2, 0, 0]), 2 * 1 + 2 * 0.09, absolute: 1e-14)  // k11 k22 + 2 k12²
    // E[Z1 Z2 Z3 Z4] = c12 c34 + c13 c24 + c14 c23.
    expectClose(m([1, 1, 1, 1]), 0.3 * 0.6 + (-0.5) * 0.4 + 0.1 * 0.2, absolute: 1e-15)
    // E[Z1³ Z2] = 3 c11 c12.
    expectClose(m([3, 1, 0, 0]), 3 * 2 * 0.3, absolute: 1e-14)
  }

  @Test func isserlisMomentsMatchQuadrature() {
    let c = Matrix([[1.2, 0.4, -0.3], [0.4, 0.9, 0.5], [-0.3, 0.5, 2]])
    for e in [[2, 2, 2], [4, 1, 1], [3, 0, 3], [1, 2, 3], [0, 4, 2]] {
      let quadrature = GaussianQuadratureGrid.expectation(covariance: c, degree: 5) { x in
        (0..<3).reduce(1.0) { $0 * pow(x[$1], Double(e[$1])) }
      }
      expectClose(GaussianIntegrals.gaussianMoment(of: e, covariance: c), quadrature, absolute: 1e-11, "\(e)")
    }
  }
}
