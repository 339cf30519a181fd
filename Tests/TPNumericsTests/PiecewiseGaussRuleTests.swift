import Foundation
import TPNumerics
import TPTestSupport
import Testing

/// The kink-aware rule against closed forms that owe nothing to it: Φ via `erfc`, Sheppard's
/// and the trivariate orthant formula, the arc-cosine kernel and the non-centred relu mean.
@Suite struct PiecewiseGaussRuleTests {
  static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

  func expectation(_ rule: PiecewiseGaussRule, _ f: ([Double]) -> Double) -> Double {
    let r = rule.dimension
    var s = 0.0
    for k in 0..<rule.count { s += rule.weights[k] * f(Array(rule.coordinates[(k * r)..<((k + 1) * r)])) }
    return s
  }

  @Test func gaussLegendreIntegratesPolynomialsExactly() {
    for m in [1, 2, 5, 10, 17] {
      let rule = GaussLegendreRule(nodes: m)
      expectClose(rule.weights.reduce(0, +), 2, absolute: 1e-13)
      for k in 0...(2 * m - 1) {
        let exact = k % 2 == 1 ? 0 : 2 / Double(k + 1)
        let q = zip(rule.nodes, rule.weights).reduce(0) { $0 + $1.1 * pow($1.0, Double(k)) }
        expectClose(q, exact, absolute: 1e-14, "m = \(m), x^\(k)")
      }
    }
  }

  @Test func weightsSumToOne() throws {
    for r in 1...3 {
      let rule = try #require(
        PiecewiseGaussRule(
          dimension: r, hyperplanes: [Hyperplane(offset: 0.3, normal: (0..<r).map { Double($0 + 1) })],
          nodesPerPiece: 8, maximumPoints: 4_000_000))
      expectClose(rule.weights.reduce(0, +), 1, absolute: 5e-13)
    }
  }

  @Test(arguments: [-2.5, -0.7, 0, 0.3, 1.9, 5.0])
  func stepAndReluOfOneShiftedCoordinate(_ t: Double) throws {
    // E[step(ε + t)] = Φ(t); E[relu(ε + t)] = t Φ(t) + φ(t).
    let rule = try #require(
      PiecewiseGaussRule(
        dimension: 1, hyperplanes: [Hyperplane(offset: t, normal: [1])], nodesPerPiece: 10,
        maximumPoints: 10_000))
    expectClose(expectation(rule) { $0[0] + t > 0 ? 1 : 0 }, Self.phi(t), absolute: 1e-13)
    let density = exp(-0.5 * t * t) / (2 * Double.pi).squareRoot()
    expectClose(expectation(rule) { max(0, $0[0] + t) }, t * Self.phi(t) + density, absolute: 1e-13)
  }

  @Test func sheppardInTwoDimensions() throws {
    // P(u > 0, v > 0) = (π − arccos ρ)/(2π) for unit u = a·ε, v = b·ε with ρ = a·b.
    for (a, b) in [
      ([1.0, 0.0], [0.6, 0.8]), ([0.8, -0.6], [-0.28, 0.96]),
      ([1, 0], [-0.999, (1 - 0.998001).squareRoot()]),
    ] {
      let rule = try #require(
        PiecewiseGaussRule(
          dimension: 2, hyperplanes: [Hyperplane(offset: 0, normal: a), Hyperplane(offset: 0, normal: b)],
          nodesPerPiece: 10, maximumPoints: 1_000_000))
      let rho = a[0] * b[0] + a[1] * b[1]
      let q = expectation(rule) { e in
        (a[0] * e[0] + a[1] * e[1] > 0 && b[0] * e[0] + b[1] * e[1] > 0) ? 1 : 0
      }
      expectClose(q, (Double.pi - acos(rho)) / (2 * Double.pi), absolute: 1e-13, "ρ = \(rho)")
      // The arc-cosine kernel of degree 1 (Cho & Saul): E[relu(u) relu(v)] = (sin θ + (π − θ) cos θ)/(2π).
      let theta = acos(rho)
      let arc = (sin(theta) + (Double.pi - theta) * cos(theta)) / (2 * Double.pi)
      let qr = expectation(rule) { e in max(0, a[0] * e[0] + a[1] * e[1]) * max(0, b[0] * e[0] + b[1] * e[1])
      }
      expectClose(qr, arc, absolute: 1e-13, "ρ = \(rho)")
    }
  }

  @Test func trivariateOrthant() throws {
    // P(u₁ > 0, u₂ > 0, u₃ > 0) = 1/8 + (asin ρ₁₂ + asin ρ₁₃ + asin ρ₂₃)/(4π) for centred unit-variance uᵢ.
    let normals: [[Double]] = [[1, 0, 0], [0.6, 0.8, 0], [0.3, -0.4, (1 - 0.25).squareRoot()]]
    let rule = try #require(
      PiecewiseGaussRule(
        dimension: 3, hyperplanes: normals.map { Hyperplane(offset: 0, normal: $0) }, nodesPerPiece: 8,
        maximumPoints: 4_000_000))
    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    let q = expectation(rule) { e in normals.allSatisfy { dot($0, e) > 0 } ? 1 : 0 }
    let exact =
      0.125
      + (asin(dot(normals[0], normals[1])) + asin(dot(normals[0], normals[2]))
        + asin(dot(normals[1], normals[2]))) / (4 * Double.pi)
    expectClose(q, exact, absolute: 1e-12)
  }

  @Test func countIsExactAndEnforced() throws {
    let hs = [
      Hyperplane(offset: 0.1, normal: [1, 2, 0]), Hyperplane(offset: -0.3, normal: [0, 1, -1]),
      Hyperplane(offset: 0, normal: [1, 1, 1]),
    ]
    let count = try #require(
      PiecewiseGaussRule.pointCount(dimension: 3, hyperplanes: hs, nodesPerPiece: 6, limit: 10_000_000))
    let rule = try #require(
      PiecewiseGaussRule(dimension: 3, hyperplanes: hs, nodesPerPiece: 6, maximumPoints: count))
    #expect(rule.count == count)
    #expect(PiecewiseGaussRule(dimension: 3, hyperplanes: hs, nodesPerPiece: 6, maximumPoints: 1000) == nil)
  }
}
