import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

/// The Gaussian pairs of the non-centred tests: centred and not, unequal variances, `ρ = 0`,
/// `±0.999`, `±0.9999` and `±1` exactly (thresholds apart and coinciding), zero variance on one
/// side and on both (means positive, negative and exactly 0), and means at ±8 standard
/// deviations, where only the tails contribute.
enum NoncentredCases {
  typealias Pair = ReferenceQuadrature.Pair

  static let pairs: [Pair] = [
    Pair(m1: 0, m2: 0, k11: 1, k22: 1, rho: 0),
    Pair(m1: 0.5, m2: -0.3, k11: 1, k22: 1, rho: 0.5),
    Pair(m1: 1.2, m2: 0.7, k11: 2.5, k22: 0.4, rho: -0.3),
    Pair(m1: -0.8, m2: 1.5, k11: 0.3, k22: 4, rho: 0.999),
    Pair(m1: 0.4, m2: -0.6, k11: 1.7, k22: 0.9, rho: -0.999),
    Pair(m1: 0.2, m2: 0.1, k11: 1, k22: 1, rho: 0.9999),
    // ρ = ±1 with the two thresholds apart, and coinciding (t₁ = t₂, or t₁ = −t₂ for ρ = −1).
    Pair(m1: 0.3, m2: -0.2, k11: 1, k22: 2, rho: 1),
    Pair(m1: -0.7, m2: 0.2, k11: 2, k22: 0.5, rho: -1),
    Pair(m1: 0.5, m2: 1, k11: 1, k22: 4, rho: 1),
    Pair(m1: 0.5, m2: -1, k11: 1, k22: 4, rho: -1),
    Pair(m1: 0, m2: 0, k11: 1, k22: 1, rho: 1),
    Pair(m1: 0, m2: 0, k11: 2, k22: 3, rho: -1),
    // Zero variance on one side or both.
    Pair(m1: 0.9, m2: -0.4, k11: 0, k22: 1.3, rho: 0),
    Pair(m1: -0.9, m2: 0.4, k11: 1.3, k22: 0, rho: 0),
    Pair(m1: 0, m2: 0.5, k11: 0, k22: 1, rho: 0),
    Pair(m1: 0.6, m2: 0.8, k11: 0, k22: 0, rho: 0),
    Pair(m1: -0.6, m2: 0, k11: 0, k22: 0, rho: 0),
    // Far tails: |μ|/σ = 8.
    Pair(m1: 8, m2: 0.5, k11: 1, k22: 1, rho: 0.6),
    Pair(m1: -8, m2: 0.5, k11: 1, k22: 1, rho: 0.6),
    Pair(m1: 8, m2: -8, k11: 1, k22: 1, rho: -0.4),
    Pair(m1: -8, m2: -8, k11: 1, k22: 1, rho: 0.9),
    Pair(m1: 16, m2: -4, k11: 4, k22: 0.5, rho: 0.95),
    // Unequal variances, a mean exactly 0.
    Pair(m1: 3, m2: -2, k11: 0.25, k22: 9, rho: 0.3),
    Pair(m1: -1.1, m2: -0.5, k11: 5, k22: 0.2, rho: -0.7),
    Pair(m1: 2, m2: 0, k11: 1, k22: 1, rho: 0.8),
  ]

  /// The library's pair for a test pair.
  static func gaussianPair(_ p: Pair) -> GaussianPair {
    GaussianPair(mean1: p.m1, mean2: p.m2, k11: p.k11, k12: p.k12, k22: p.k22)
  }
}

@Suite struct TruncatedGaussianMomentsTests {
  static let maxPower = 6
  /// The indicator slots of the reference vectors: xⁱ·1{x>0}, xⁱ·1{x<0}, xⁱ, and |x|ⁱ (for the
  /// error scale).
  static let slots: [Indicator] = [.positive, .negative, .one]

  /// Writes `[xⁱ 1{x>0}, xⁱ 1{x<0}, xⁱ, |x|ⁱ]` for `i ≤ maxPower`, slot-major.
  static func monomials(_ x: Double, _ out: inout [Double]) {
    let n = maxPower + 1
    var power = 1.0
    for i in 0..<n {
      out[i] = x > 0 ? power : 0
      out[n + i] = x < 0 ? power : 0
      out[2 * n + i] = power
      out[3 * n + i] = abs(power)
      power *= x
    }
  }

  struct Univariate: Sendable, CustomTestStringConvertible {
    let mean: Double
    let variance: Double
    var testDescription: String { "μ \(mean), σ² \(variance)" }
  }

  static let univariateCases: [Univariate] = [
    (0, 1), (0.3, 1), (-0.3, 1), (1.5, 0.2), (-2, 3), (8, 1), (-8, 1), (-24, 9), (40, 25), (0.1, 1e-6),
    (0, 0), (0.7, 0), (-0.7, 0), (-1e-3, 2e-12),
  ].map { Univariate(mean: $0.0, variance: $0.1) }

  /// `E[Xⁱ s(X)]`, `i ≤ 8`, against adaptive quadrature of `xⁱ s(x) p(x)` over `μ ± 14σ` split
  /// at 0; zero variance is the point mass. Errors relative to the scale `E|X|ⁱ`.
  @Test(arguments: univariateCases)
  func univariateMatchesQuadrature(_ c: Univariate) {
    let k = 8
    let sd = c.variance.squareRoot()
    for indicator in Indicator.allCases {
      let moments = TruncatedGaussianMoments.univariate(
        mean: c.mean, variance: c.variance, indicator: indicator, maxPower: k)
      #expect(moments.count == k + 1)
      for i in 0...k {
        func keep(_ x: Double) -> Double {
          switch indicator {
          case .one: return 1
          case .positive: return x > 0 ? 1 : 0
          case .negative: return x < 0 ? 1 : 0
          }
        }
        let exact: Double
        let scale: Double
        if sd == 0 {
          exact = pow(c.mean, Double(i)) * keep(c.mean)
          scale = pow(abs(c.mean), Double(i))
        } else {
          func density(_ x: Double) -> Double {
            exp(-(x - c.mean) * (x - c.mean) / (2 * c.variance)) / (sd * (2 * Double.pi).squareRoot())
          }
          let (lo, hi) = (c.mean - 14 * sd, c.mean + 14 * sd)
          exact = ReferenceQuadrature.integrate(
            { x in pow(x, Double(i)) * keep(x) * density(x) }, lo, hi, breakpoints: [0], panelWidth: 2 * sd)
          scale = ReferenceQuadrature.integrate(
            { x in pow(abs(x), Double(i)) * density(x) }, lo, hi, breakpoints: [0], panelWidth: 2 * sd)
        }
        expectClose(moments[i], exact, absolute: 1e-14 * max(scale, 1e-300), "i \(i), \(indicator)")
        let one = GaussianIntegrals.expectation(
          PiecewiseMonomial(power: i, indicator: indicator), mean: c.mean, variance: c.variance)
        #expect(one == moments[i])
      }
    }
  }

  /// Every table entry `E[Xⁱ Yʲ s(X) t(Y)]`, `i + j ≤ 6`, all nine indicator pairs, against
  /// nested quadrature of `E[Xⁱ s(X) E[Yʲ t(Y) | X]]`. The error is measured against the scale
  /// `E[|X|ⁱ|Y|ʲ]` (absolute for values of order 1, relative for large ones).
  @Test(arguments: NoncentredCases.pairs)
  func bivariateMatchesNestedQuadrature(_ p: NoncentredCases.Pair) {
    let n = Self.maxPower + 1
    let reference = ReferenceQuadrature.expectations(p, nx: 4 * n, ny: 4 * n, Self.monomials, Self.monomials)
    var worst = 0.0
    for (sx, x) in Self.slots.enumerated() {
      for (sy, y) in Self.slots.enumerated() {
        let table = TruncatedGaussianMoments.bivariate(
          NoncentredCases.gaussianPair(p), x, y, maxPowerX: Self.maxPower, maxPowerY: Self.maxPower)
        for i in 0..<n {
          for j in 0..<(n - i) {
            let exact = reference[(sx * n + i) * 4 * n + sy * n + j]
            let scale = reference[(3 * n + i) * 4 * n + 3 * n + j]
            let error = abs(table[i, j] - exact) / max(scale, 1)
            worst = max(worst, error)
            #expect(
              error <= 1e-13, "E[X^\(i) Y^\(j) \(x)(X) \(y)(Y)] = \(table[i, j]) vs \(exact), scale \(scale)")
          }
        }
      }
    }
  }

  /// Summed over the four orthants, the truncated tables give the untruncated moments, which
  /// equal the binomial expansion of Isserlis' centred moments:
  /// `E[XⁱYʲ] = Σ C(i,a) C(j,b) μ₁^{i−a} μ₂^{j−b} E[UᵃVᵇ]`.
  @Test(arguments: NoncentredCases.pairs.filter { ($0.k11 > 0 || $0.m1 != 0) && ($0.k22 > 0 || $0.m2 != 0) })
  func orthantsSumToUntruncatedMoments(_ p: NoncentredCases.Pair) {
    let pair = NoncentredCases.gaussianPair(p)
    let k = Self.maxPower
    let covariance = Matrix([[p.k11, p.k12], [p.k12, p.k22]])
    func binomial(_ n: Int, _ r: Int) -> Double {
      (0..<r).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
    }
    let tables = [Indicator.positive, .negative].flatMap { x in
      [Indicator.positive, .negative].map { y in
        TruncatedGaussianMoments.bivariate(pair, x, y, maxPowerX: k, maxPowerY: k)
      }
    }
    let full = TruncatedGaussianMoments.bivariate(pair, .one, .one, maxPowerX: k, maxPowerY: k)
    for i in 0...k {
      for j in 0...(k - i) {
        var exact = 0.0
        var scale = 0.0
        for a in 0...i {
          for b in 0...j {
            let term =
              binomial(i, a) * binomial(j, b) * pow(p.m1, Double(i - a)) * pow(p.m2, Double(j - b))
              * GaussianIntegrals.gaussianMoment(of: [a, b], covariance: covariance)
            exact += term
            scale += abs(term)
          }
        }
        let sum = tables.reduce(0) { $0 + $1[i, j] }
        expectClose(sum, exact, absolute: 1e-13 * max(scale, 1), "orthant sum, i \(i), j \(j)")
        expectClose(full[i, j], exact, absolute: 1e-13 * max(scale, 1), "untruncated, i \(i), j \(j)")
      }
    }
  }

  @Test func tableLayoutAndBuffers() {
    let pair = GaussianPair(mean1: 0.3, mean2: -0.4, k11: 1.2, k12: 0.5, k22: 0.8)
    let table = TruncatedGaussianMoments.bivariate(pair, .positive, .negative, maxPowerX: 2, maxPowerY: 3)
    #expect(table.values.count == 12)
    var buffer = [Double](repeating: .nan, count: 12)
    buffer.withUnsafeMutableBufferPointer {
      TruncatedGaussianMoments.bivariate(pair, .positive, .negative, maxPowerX: 2, maxPowerY: 3, into: $0)
    }
    #expect(buffer == table.values)
    for i in 0...2 {
      for j in 0...3 {
        #expect(table[i, j] == buffer[i * 4 + j])
        let single = GaussianIntegrals.expectation(
          PiecewiseMonomial(power: i, indicator: .positive),
          PiecewiseMonomial(power: j, indicator: .negative), pair)
        #expect(single == table[i, j])
      }
    }
    // A table with the roles swapped is the transpose.
    let swapped = TruncatedGaussianMoments.bivariate(
      pair.swapped, .negative, .positive, maxPowerX: 3, maxPowerY: 2)
    for i in 0...2 {
      for j in 0...3 { expectClose(swapped[j, i], table[i, j], absolute: 1e-15 * max(1, abs(table[i, j]))) }
    }
  }

  @Test func degenerateInputsNeverNaN() {
    let pairs = [
      GaussianPair(mean1: 0, mean2: 0, k11: 0, k12: 0, k22: 0),
      GaussianPair(mean1: 0, mean2: 0, k11: 1, k12: 1 + 1e-15, k22: 1),
      GaussianPair(mean1: 0.2, mean2: -0.1, k11: 1, k12: -1 - 1e-15, k22: 1),
      GaussianPair(mean1: 1, mean2: 1, k11: -1e-18, k12: 1e-10, k22: 2),
      GaussianPair(mean1: 1e-300, mean2: -1e-300, k11: 1e-300, k12: 1e-300, k22: 1e-300),
      GaussianPair(mean1: 1e3, mean2: -1e3, k11: 1e-30, k12: 0, k22: 1e-30),
      GaussianPair(mean1: 50, mean2: -60, k11: 1, k12: 0.5, k22: 1),
      GaussianPair(mean1: 0, mean2: 0, k11: 1e100, k12: 0.999e100, k22: 1e100),
    ]
    for pair in pairs {
      for x in Indicator.allCases {
        for y in Indicator.allCases {
          let t = TruncatedGaussianMoments.bivariate(pair, x, y, maxPowerX: 2, maxPowerY: 2)
          let finite = t.values.allSatisfy { $0.isFinite }
          #expect(finite, "\(pair), \(x), \(y)")
        }
      }
    }
    // Clamping: a covariance just past ±√(k11 k22) is ρ = ±1.
    let clamped = TruncatedGaussianMoments.bivariate(
      GaussianPair(mean1: 0.2, mean2: 0.1, k11: 1, k12: 1 + 1e-15, k22: 1), .positive, .positive,
      maxPowerX: 2,
      maxPowerY: 2)
    let exact = TruncatedGaussianMoments.bivariate(
      GaussianPair(mean1: 0.2, mean2: 0.1, k11: 1, k12: 1, k22: 1), .positive, .positive, maxPowerX: 2,
      maxPowerY: 2)
    #expect(clamped == exact)
  }
}
