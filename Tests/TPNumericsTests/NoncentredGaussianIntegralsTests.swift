import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct NoncentredGaussianIntegralsTests {
  static let functions = ClosedFormFunction.allCases

  /// The test's own definitions of the functions (with `step(0) = sign(0) = 0`), and their
  /// absolute values for the error scale: `[f₀(x), …, f₇(x), |f₀(x)|, …, |f₇(x)|]`.
  static func values(_ x: Double, _ out: inout [Double]) {
    let n = functions.count
    for (k, f) in functions.enumerated() {
      let v: Double
      switch f {
      case .one: v = 1
      case .identity: v = x
      case .relu: v = x > 0 ? x : 0
      case .step: v = x > 0 ? 1 : 0
      case .abs: v = x < 0 ? -x : x
      case .sign: v = x > 0 ? 1 : (x < 0 ? -1 : 0)
      case .erf: v = erf(x)
      case .gaussian: v = exp(-x * x)
      }
      out[k] = v
      out[n + k] = abs(v)
    }
  }

  /// All 64 pairs `E[f(X) g(Y)]` against nested quadrature, to `10⁻¹³·max(1, E|f(X) g(Y)|)`.
  @Test(arguments: NoncentredCases.pairs)
  func pairsMatchNestedQuadrature(_ p: NoncentredCases.Pair) {
    let n = Self.functions.count
    let reference = ReferenceQuadrature.expectations(p, nx: 2 * n, ny: 2 * n, Self.values, Self.values)
    let pair = NoncentredCases.gaussianPair(p)
    for (a, f) in Self.functions.enumerated() {
      for (b, g) in Self.functions.enumerated() {
        let exact = reference[a * 2 * n + b]
        let scale = reference[(n + a) * 2 * n + n + b]
        let value = GaussianIntegrals.expectation(f, g, pair)
        expectClose(value, exact, absolute: 1e-13 * max(1, scale), "E[\(f)(X) \(g)(Y)]")
      }
    }
  }

  /// `E[f(X)]` for each function against 1-D adaptive quadrature (split at 0), and the pair
  /// forms with the constant 1 on one side reduce to it.
  @Test(arguments: NoncentredCases.pairs)
  func univariateMatchesQuadrature(_ p: NoncentredCases.Pair) {
    let n = Self.functions.count
    let sd = p.k11.squareRoot()
    var v = [Double](repeating: 0, count: 2 * n)
    for (a, f) in Self.functions.enumerated() {
      let exact: Double
      if sd == 0 {
        Self.values(p.m1, &v)
        exact = v[a]
      } else {
        exact = ReferenceQuadrature.integrate(
          { x in
            Self.values(x, &v)
            let z = (x - p.m1) / sd
            return v[a] * exp(-z * z / 2) / (sd * (2 * Double.pi).squareRoot())
          }, p.m1 - 14 * sd, p.m1 + 14 * sd, breakpoints: [0], panelWidth: 2 * sd)
      }
      let value = GaussianIntegrals.expectation(f, mean: p.m1, variance: p.k11)
      expectClose(value, exact, absolute: 1e-14 * max(1, abs(exact)), "E[\(f)(X)]")
      let pair = NoncentredCases.gaussianPair(p)
      expectClose(GaussianIntegrals.expectation(f, .one, pair), value, absolute: 1e-15 * max(1, abs(value)))
      expectClose(
        GaussianIntegrals.expectation(.one, f, pair.swapped), value, absolute: 1e-15 * max(1, abs(value)))
    }
  }

  /// The closed forms the documentation states, at a few points:
  /// `E[step] = Φ(t)`, `E[relu] = μΦ(t) + σφ(t)`, `E[erf] = erf(μ/√(1+2σ²))`,
  /// `E[exp(−X²)] = (1+2σ²)^{−½} exp(−μ²/(1+2σ²))`, `E[relu²] = (μ² + σ²)Φ(t) + μσφ(t)`.
  @Test func statedUnivariateFormulas() {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    func pdf(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
    for (mu, v) in [(0.3, 2.0), (-1.7, 0.5), (8.0, 1.0), (-8.0, 1.0), (0.0, 3.0)] {
      let s = v.squareRoot()
      let t = mu / s
      func e(_ f: ClosedFormFunction) -> Double { GaussianIntegrals.expectation(f, mean: mu, variance: v) }
      expectClose(e(.step), cdf(t), absolute: 1e-16, relative: 1e-15)
      expectClose(e(.relu), mu * cdf(t) + s * pdf(t), absolute: 1e-15)
      expectClose(e(.sign), cdf(t) - cdf(-t), absolute: 1e-15)
      expectClose(e(.abs), mu * (cdf(t) - cdf(-t)) + 2 * s * pdf(t), absolute: 1e-14)
      expectClose(e(.erf), erf(mu / (1 + 2 * v).squareRoot()), absolute: 1e-16)
      expectClose(e(.gaussian), exp(-mu * mu / (1 + 2 * v)) / (1 + 2 * v).squareRoot(), absolute: 1e-16)
      let reluSquared = GaussianIntegrals.expectation(
        PiecewiseMonomial(power: 2, indicator: .positive), mean: mu, variance: v)
      expectClose(reluSquared, (mu * mu + v) * cdf(t) + mu * s * pdf(t), absolute: 1e-14 * max(1, mu * mu))
      let xStep = GaussianIntegrals.expectation(
        PiecewiseMonomial(power: 1, indicator: .positive), mean: mu, variance: v)
      #expect(xStep == e(.relu))
    }
    // Zero variance: f(μ), with step(0) = sign(0) = 0.
    #expect(GaussianIntegrals.expectation(.step, mean: 0, variance: 0) == 0)
    #expect(GaussianIntegrals.expectation(.sign, mean: 0, variance: -1e-18) == 0)
    #expect(GaussianIntegrals.expectation(.sign, mean: -2, variance: 0) == -1)
    #expect(GaussianIntegrals.expectation(.abs, mean: -2, variance: 0) == 2)
    #expect(GaussianIntegrals.expectation(.relu, mean: 1.5, variance: 0) == 1.5)
  }

  /// `sign(x) = step(x) − step(−x)` and `abs(x) = relu(x) + relu(−x)`, with `−X` the pair whose
  /// first mean and covariance change sign.
  @Test(arguments: NoncentredCases.pairs)
  func reflectionIdentities(_ p: NoncentredCases.Pair) {
    let pair = NoncentredCases.gaussianPair(p)
    var reflected = pair
    reflected.mean1 = -reflected.mean1
    reflected.k12 = -reflected.k12
    for g in Self.functions {
      let sign = GaussianIntegrals.expectation(.sign, g, pair)
      let steps =
        GaussianIntegrals.expectation(.step, g, pair) - GaussianIntegrals.expectation(.step, g, reflected)
      expectClose(sign, steps, absolute: 1e-15, "sign·\(g)")
      let abs = GaussianIntegrals.expectation(.abs, g, pair)
      let relus =
        GaussianIntegrals.expectation(.relu, g, pair) + GaussianIntegrals.expectation(.relu, g, reflected)
      expectClose(abs, relus, absolute: 1e-14 * max(1, Swift.abs(abs)), "abs·\(g)")
      // The pair forms are symmetric under exchanging the variables.
      for f in Self.functions {
        let fg = GaussianIntegrals.expectation(f, g, pair)
        let gf = GaussianIntegrals.expectation(g, f, pair.swapped)
        expectClose(fg, gf, absolute: 1e-14 * max(1, Swift.abs(fg)), "\(f)·\(g) vs swapped")
      }
    }
  }

  /// At zero means the general forms are the centred closed forms of ``GaussianIntegrals``.
  @Test func centredFormsAgree() {
    let covariances: [(Double, Double, Double)] = [
      (1, 0, 1), (1, 0.5, 1), (1, -0.3, 1), (1, 0.999, 1), (2.5, 0.5, 0.4), (0.3, -0.3, 4), (3, 1.4, 0.7),
      (2, 2, 2), (1, -1, 1), (0, 0, 1), (1, 0, 0), (0, 0, 0), (1e-8, 1e-9, 3), (100, -50, 40),
    ]
    for (k11, k12, k22) in covariances {
      let pair = GaussianPair(k11: k11, k12: k12, k22: k22)
      func e(_ f: ClosedFormFunction, _ g: ClosedFormFunction) -> Double {
        GaussianIntegrals.expectation(f, g, pair)
      }
      let scale = max(1, (max(k11, 0) * max(k22, 0)).squareRoot())
      let label: Comment = "k \(k11), \(k12), \(k22)"
      expectClose(e(.relu, .relu), GaussianIntegrals.reluRelu(k11, k12, k22), absolute: 1e-13 * scale, label)
      expectClose(e(.step, .step), GaussianIntegrals.stepStep(k11, k12, k22), absolute: 1e-13, label)
      expectClose(e(.erf, .erf), GaussianIntegrals.erfErf(k11, k12, k22), absolute: 1e-13, label)
      expectClose(
        e(.identity, .relu), GaussianIntegrals.identityRelu(k11, k12, k22), absolute: 1e-13 * scale, label)
      expectClose(
        e(.identity, .step), GaussianIntegrals.identityStep(k11, k12, k22), absolute: 1e-13 * scale, label)
      expectClose(e(.relu, .step), GaussianIntegrals.reluStep(k11, k12, k22), absolute: 1e-13 * scale, label)
      expectClose(e(.identity, .identity), k12, absolute: 1e-13 * scale, label)
      expectClose(
        e(.gaussian, .gaussian), 1 / ((1 + 2 * k11) * (1 + 2 * k22) - 4 * k12 * k12).squareRoot(),
        absolute: 1e-13,
        label)
      expectClose(
        GaussianIntegrals.expectation(.relu, mean: 0, variance: k11), GaussianIntegrals.reluMean(k11),
        absolute: 1e-13 * max(1, k11), label)
      expectClose(
        GaussianIntegrals.expectation(.step, mean: 0, variance: k11), GaussianIntegrals.stepMean(k11),
        absolute: 1e-13, label)
    }
  }

  /// `E[exp(−X² − Y²)]` three ways: the closed form, tilting by one factor and integrating the
  /// other in closed form, and nested quadrature (in ``pairsMatchNestedQuadrature(_:)``); here
  /// also against a 2-D Gauss–Hermite grid, exact to rounding for this smooth integrand.
  @Test func gaussianFactorPair() {
    for (m1, m2, k11, k12, k22) in [
      (0.3, -0.5, 1.0, 0.4, 2.0), (1.5, 1.5, 0.5, -0.2, 0.3), (-2.0, 0.7, 0.2, 0.0, 0.1),
      (0.8, 0.4, 1.0, 1.0, 1.0),
    ] {
      let pair = GaussianPair(mean1: m1, mean2: m2, k11: k11, k12: k12, k22: k22)
      let closed = GaussianIntegrals.gaussianFactorPair(pair)
      let (c, mean, variance) = GaussianIntegrals.tiltedByGaussianFactor(pair)
      expectClose(
        closed, c * exp(-mean * mean / (1 + 2 * variance)) / (1 + 2 * variance).squareRoot(), absolute: 1e-15)
      let grid = GaussianQuadratureGrid.expectation(
        covariance: Matrix([[k11, k12], [k12, k22]]), degree: 150
      ) {
        exp(-($0[0] + m1) * ($0[0] + m1) - ($0[1] + m2) * ($0[1] + m2))
      }
      expectClose(closed, grid, absolute: 1e-14)
    }
  }

  @Test func degenerateInputsNeverNaN() {
    let pairs = [
      GaussianPair(k11: 0, k12: 0, k22: 0), GaussianPair(mean1: 1, k11: 1, k12: 1 + 1e-15, k22: 1),
      GaussianPair(mean1: -0.3, mean2: 0.2, k11: 1, k12: -1 - 1e-15, k22: 1),
      GaussianPair(mean1: 2, k11: -1e-18, k12: 1e-12, k22: 1),
      GaussianPair(mean1: 1e-300, mean2: 1e-300, k11: 1e-300, k12: 1e-300, k22: 1e-300),
      GaussianPair(mean1: 1e5, mean2: -1e5, k11: 1e-20, k12: 0, k22: 1e-20),
      GaussianPair(mean1: 1e3, mean2: 1e3, k11: 1e6, k12: -1e6, k22: 1e6),
    ]
    for pair in pairs {
      for f in Self.functions {
        #expect(
          GaussianIntegrals.expectation(f, mean: pair.mean1, variance: pair.k11).isFinite, "\(f), \(pair)")
        for g in Self.functions {
          #expect(GaussianIntegrals.expectation(f, g, pair).isFinite, "\(f)·\(g), \(pair)")
        }
      }
    }
  }
}
