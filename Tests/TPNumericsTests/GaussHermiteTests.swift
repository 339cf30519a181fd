import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct GaussHermiteTests {
  static let degrees = [1, 2, 3, 5, 10, 25, 50, 100, 200, 250]

  @Test(arguments: degrees)
  func weightsSumToOneAndRuleIsSymmetric(_ degree: Int) {
    let rule = GaussHermiteRule.probabilists(degree: degree)
    #expect(rule.nodes.count == degree && rule.weights.count == degree)
    expectClose(rule.weights.reduce(0, +), 1, absolute: 1e-13)
    #expect(rule.weights.allSatisfy { $0 >= 0 && $0.isFinite })
    #expect(zip(rule.nodes, rule.nodes.dropFirst()).allSatisfy { $0 < $1 })
    for i in 0..<degree {
      #expect(rule.nodes[i] == -rule.nodes[degree - 1 - i])
      #expect(rule.weights[i] == rule.weights[degree - 1 - i])
    }
  }

  /// E[x^{2k}] = (2k − 1)!! exactly (to rounding) for 2k ≤ 2p − 1; odd moments vanish.
  @Test(arguments: [1, 2, 3, 7, 15, 30])
  func momentsAreExact(_ degree: Int) {
    let rule = GaussHermiteRule.probabilists(degree: degree)
    for k in 0..<degree {
      let even = rule.expectation { pow($0, Double(2 * k)) }
      expectClose(even, TestData.doubleFactorial(oddUpTo: k), relative: 1e-12, "E x^\(2 * k), p = \(degree)")
      let odd = rule.expectation { pow($0, Double(2 * k + 1)) }
      expectClose(odd, 0, absolute: 1e-12 * TestData.doubleFactorial(oddUpTo: k + 1))
    }
  }

  @Test(arguments: [20, 60, 200])
  func smoothIntegrands(_ degree: Int) {
    let rule = GaussHermiteRule.probabilists(degree: degree)
    // E cos Z = e^{−1/2}; E exp(Z) = e^{1/2}; E x² for the large rules too.
    expectClose(rule.expectation { cos($0) }, exp(-0.5), absolute: 1e-14)
    expectClose(rule.expectation { exp($0) }, exp(0.5), relative: 1e-13)
    expectClose(rule.expectation { $0 * $0 }, 1, relative: 1e-13)
    expectClose(rule.expectation { pow($0, 8) }, 105, relative: 1e-12)
  }

  @Test func smallRulesInClosedForm() {
    // p = 1: node 0, weight 1. p = 2: He₂ = x² − 1, nodes ±1, weights ½.
    // p = 3: He₃ = x³ − 3x, nodes 0, ±√3, weights 2/3 and 1/6.
    let one = GaussHermiteRule.probabilists(degree: 1)
    #expect(one.nodes == [0] && one.weights == [1])
    let two = GaussHermiteRule.probabilists(degree: 2)
    expectClose(two.nodes[1], 1, absolute: 1e-15)
    expectClose(two.weights[0], 0.5, absolute: 1e-15)
    let three = GaussHermiteRule.probabilists(degree: 3)
    expectClose(three.nodes[2], 3.0.squareRoot(), absolute: 1e-15)
    #expect(three.nodes[1] == 0)
    expectClose(three.weights[1], 2.0 / 3, absolute: 1e-15)
    expectClose(three.weights[0], 1.0 / 6, absolute: 1e-15)
  }

  @Test func outerWeightsOfLargeRuleAreRelativelyAccurate() {
    // The outermost weights of a big rule are tiny but positive and decay smoothly; check
    // the largest node against the asymptotic bound √(4p + 2) and weight positivity.
    let rule = GaussHermiteRule.probabilists(degree: 200)
    #expect(rule.nodes.last! < (4.0 * 200 + 2).squareRoot())
    #expect(rule.weights[0] > 0 && rule.weights[0] < 1e-100)
    // E[x^{398}] is exact only if the outer weights are right (relative accuracy).
    let moment = rule.expectation { pow($0 / 20, 398) }  // scaled to stay in range
    let logExact = (1...199).reduce(0.0) { $0 + log(Double(2 * $1 - 1)) } - 398 * log(20.0)
    expectClose(log(moment), logExact, absolute: 1e-10)
  }

  @Test func tensorGrid() {
    let grid = GaussianQuadratureGrid(dimension: 2, degree: 20)
    #expect(grid.points.count == 400 && grid.weights.count == 400 && grid.coordinates.count == 800)
    expectClose(grid.weights.reduce(0, +), 1, absolute: 1e-14)
    expectClose(grid.expectation { $0[0] * $0[0] * $0[1] * $0[1] }, 1, relative: 1e-13)
    expectClose(grid.expectation { cos($0[0]) * cos($0[1]) }, exp(-1), absolute: 1e-14)
    expectClose(grid.expectation { $0[0] * $0[1] }, 0, absolute: 1e-15)
    let zero = GaussianQuadratureGrid(dimension: 0, degree: 5)
    #expect(zero.points == [[]] && zero.weights == [1])
    #expect(GaussianQuadratureGrid.pointCount(dimension: 3, degree: 10) == 1000)
    #expect(GaussianQuadratureGrid.pointCount(dimension: 100, degree: 10) == nil)
    #expect(GaussianQuadratureGrid.pointCount(dimension: 2, degree: 0) == nil)
  }

  @Test func correlatedExpectation() {
    // E[u² v²] = k11 k22 + 2 k12² (Isserlis), including a singular covariance (u = v).
    let k = Matrix([[2, 0.7], [0.7, 1.5]])
    expectClose(
      GaussianQuadratureGrid.expectation(covariance: k, degree: 6) { $0[0] * $0[0] * $0[1] * $0[1] },
      2 * 1.5 + 2 * 0.49, relative: 1e-13)
    let singular = Matrix([[1, 1], [1, 1]])
    expectClose(
      GaussianQuadratureGrid.expectation(covariance: singular, degree: 6) { $0[0] * $0[0] * $0[1] * $0[1] },
      3,
      relative: 1e-13)
  }
}
