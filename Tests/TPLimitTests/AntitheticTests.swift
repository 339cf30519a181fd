import Foundation
import TPTestSupport
import Testing

@testable import TPLimit
@testable import TensorPrograms

/// The antithetic samplers (``Sampler/antithetic``, ``Sampler/rqmcAntithetic``): particles come
/// in exact pairs `(x, −x)`, a replicate's standard error is that of its pair means, and the
/// limit agrees with a value worked by hand within a stated multiple of its reported error.
@Suite struct AntitheticTests {
  /// Every base of every group is negated between particles `2i` and `2i + 1`, bit for bit,
  /// also for correlated bases (a Cholesky row with two loadings) and for an odd `--samples`
  /// (rounded down to even).
  @Test(arguments: [Sampler.antithetic, .rqmcAntithetic], [1000, 1001])
  func particlesArePairedExactly(sampler: Sampler, samples: Int) {
    var options = LimitOptions(method: .mc, samples: samples, replicates: 1, seed: 7)
    options.sampler = sampler
    let engine = ExpectationEngine(options: options)
    let g = engine.bases.addGroup()
    let b0 = engine.bases.addBase(group: g, covariances: [], variance: 1)
    let b1 = engine.bases.addBase(group: g, covariances: [0.6], variance: 2)
    let h = engine.bases.addGroup()
    let b2 = engine.bases.addBase(group: h, covariances: [], variance: 0.5)
    let points = engine.monteCarloPoints()
    #expect(points.count == 1000)
    for b in [b0, b1, b2] {
      let v = points.baseValues(b)
      #expect(v.count == 1000)
      let unpaired = (0..<500).filter { v[2 * $0 + 1] != -v[2 * $0] }
      #expect(unpaired.isEmpty, "base \(b): \(unpaired.count) pairs are not (x, −x)")
      // Not degenerate: the pairs differ from each other.
      #expect(Set(v).count == 1000)
    }
  }

  /// A replicate's standard error of `E[x² + x]` is `sd(q)/√(N/2)` over the pair means
  /// `q_i = (f(x_{2i}) + f(x_{2i+1}))/2` — computed here from the particles — not `sd/√N`.
  @Test func standardErrorIsThatOfThePairMeans() throws {
    var options = LimitOptions(method: .mc, samples: 10_000, replicates: 1, seed: 3)
    options.sampler = .antithetic
    let engine = ExpectationEngine(options: options)
    let g = engine.bases.addGroup()
    let b = engine.bases.addBase(group: g, covariances: [], variance: 1.5)
    let k = engine.add(.base(b), label: "x")
    let x = ZGraph.node(k)
    let points = engine.monteCarloPoints()
    let square = x * x
    let (mean, se, psi) = points.expectation(square + x, engine.graph, capture: 10_000)
    let v = points.baseValues(b)
    let f: [Double] = v.map { (z: Double) -> Double in z * z + z }
    var q = [Double](repeating: 0, count: 5000)
    for i in 0..<5000 { q[i] = 0.5 * (f[2 * i] + f[2 * i + 1]) }
    let qMean: Double = q.reduce(0, +) / 5000
    var qSquares = 0.0
    for value in q { qSquares += (value - qMean) * (value - qMean) }
    let qVar = qSquares / 4999
    expectClose(mean, f.reduce(0, +) / 10_000, relative: 1e-12)
    expectClose(se, (qVar / 5000).squareRoot(), relative: 1e-9)
    // The odd part `x` cancels in every pair, so the pair means are `x²`: Var(q) = 2σ⁴ = 4.5
    // over N/2 pairs, against Var(x² + x) = 2σ⁴ + σ² = 6 over N for `sd/√N`, which would
    // understate this (even-dominated) error by √(4.5·2/6) = √1.5. Within 10 % (the ratio of
    // two sample deviations of x² at N = 10⁴ has a standard error of about 2.5 %).
    var fSquares = 0.0
    for value in f { fSquares += (value - mean) * (value - mean) }
    let naive = (fSquares / 9999 / 10_000).squareRoot()
    expectClose(se / naive, 1.5.squareRoot(), relative: 0.1)
    // The influence turns into the same error (ExpectationEngine.influenceStandardError, up
    // to its N − 1 in place of N − 2: a relative 1/(2N)).
    let fromInfluence = ExpectationEngine.influenceStandardError(try #require(psi), particles: 10_000)
    expectClose(fromInfluence, se, relative: 1e-4)
  }

  /// `m = E[exp(x) + relu(h) + x³]` with `h = W relu(x)`, `W ~ N(0, 1/n)`, all by Monte Carlo:
  /// `Z^h ~ N(0, E[relu(x)²]) = N(0, 1/2)`, so `E[relu(h)] = √(1/2)/√(2π) = 1/(2√π)`;
  /// `E[exp(x)] = e^{1/2}`; `E[x³] = 0`. The variance of `h` is itself sampled, so the error
  /// includes what it inherits. Agreement within 4.5 reported errors (8 replicates: Student's
  /// t with 7 degrees of freedom exceeds 4.5 with probability 0.3 %); `E[x³]` cancels exactly
  /// within every pair.
  @Test(arguments: [Sampler.antithetic, .rqmcAntithetic])
  func limitAgreesWithTheValueWorkedByHand(sampler: Sampler) throws {
    var options = LimitOptions(method: .mc, samples: 1 << 14, replicates: 8, seed: 11)
    options.sampler = sampler
    let r = try limitOf(
      """
      width n
      matrix W ~ N(0, 1/n)
      vector x ~ N(0, 1)
      h = W @ relu(x)
      m = mean(exp(x) + relu(h) + x * x * x)
      c = mean(x * x * x)
      out m, c
      """, options)
    let m = try #require(r.output("m"))
    let exact = exp(0.5) + 1 / (2 * Double.pi.squareRoot())
    #expect(m.method == .mc)
    #expect(m.error > 0 && m.error < 0.02, "error \(m.error)")
    expectWithinStandardErrors(m.scalarValue, standardError: m.error, of: exact, k: 4.5)
    let c = try #require(r.output("c"))
    #expect(abs(c.scalarValue) < 1e-12 && c.error < 1e-12, "E[x³] = \(c.scalarValue) ± \(c.error)")
    #expect(r.errorFromReplicateSpread && r.sampler == sampler)
  }
}
