import Foundation
import TPCore
import TPTestSupport
import Testing

@testable import TPLimit
@testable import TensorPrograms

/// `E[f(u) g(v)]`, `(u, v) ~ N(0, [[a, c], [c, b]])`, by ``legendrePairExpectation`` with the
/// composite Gauss–Legendre rule of ``legendreNormalRule(panels:)`` (written in these tests,
/// independently of the library); the error is estimated as the difference between 60 and 30
/// panels.
func legendreReference(_ f: (Double) -> Double, _ g: (Double) -> Double, a: Double, b: Double, c: Double)
  -> (value: Double, error: Double)
{
  func integrate(_ panels: Int) -> Double {
    legendrePairExpectation(f, g, a: a, b: b, c: c, rule: legendreNormalRule(panels: panels))
  }
  let fine = integrate(60)
  return (fine, abs(fine - integrate(30)))
}

/// Mehler's series for separable integrands (`tanh·tanh`, the NTK's `tanh²·tanh²` from
/// `tanh′ = 1 − tanh²`, `gelu·gelu`, and `gelu′·gelu′` as the library writes `gelu′`) at
/// variances 0.4–2.5 and correlations in [−0.99, 0.999]: where the series' bound meets its
/// tolerance, the value is within the stated bound of an independent Gauss–Legendre reference
/// (plus the reference's own estimated error and 4 ulp of rounding in the comparison); so is the
/// trapezoidal rule within its estimate. The series must cover every |ρ| ≤ 0.95 at these
/// variances (the degree is chosen for that), with a bound below 1e-11.
@Test func mehlerSeriesMatchesTheTrapezoidAndAnIndependentReference() throws {
  let y = CoordExpr.vector(VectorID(0))
  let gelu = { (x: Double) in 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
  let dgelu = { (x: Double) in
    0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
  }
  let cases: [(String, CoordExpr, (Double) -> Double)] = [
    ("tanh", .call(.tanh, y), { tanh($0) }),
    ("tanh²", .call(.tanh, y) * .call(.tanh, y), { tanh($0) * tanh($0) }),
    ("gelu", .call(.gelu, y), gelu),
    ("gelu′", Function.gelu.derivative(at: y), dgelu),
  ]
  let second = CoordExpr.vector(VectorID(1))
  var fallbacks = 0
  for (name, f, fn) in cases {
    let g = f.substituting { $0 == y ? second : nil }
    let psi = f * g
    let separable = try #require(SeparableIntegrand(psi), "\(name)")
    let trapezoid = QuadraturePlan(psi, dimension: 2)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: trapezoid.scratchCount)
    defer { scratch.deallocate() }
    for (a, b) in [(0.4, 0.4), (1.0, 1.3), (2.5, 0.7)] {
      let s0 = MehlerSide(separable.first, variances: [a], maxDegree: MehlerPair.maxDegree, threads: 1)
      let s1 = MehlerSide(separable.second, variances: [b], maxDegree: MehlerPair.maxDegree, threads: 1)
      let pair = MehlerPair(scale: separable.scale, sides: [s0, s1], dependence: [1, 2])
      for rho in [-0.99, -0.6, 0, 0.35, 0.8, 0.95, 0.99, 0.999] {
        let c = rho * (a * b).squareRoot()
        let reference = legendreReference(fn, fn, a: a, b: b, c: c)
        let slack = reference.error + 4 * Double.ulpOfOne * max(1, abs(reference.value))
        let series = pair.value(0, 0, rho)
        let bound = pair.summaries[0].withUnsafeBufferPointer { m0 in
          pair.summaries[1].withUnsafeBufferPointer { m1 in
            MehlerPair.error(
              m0.baseAddress!, m1.baseAddress!, tails: m0[5], m1[5], degree: pair.degree, scale: pair.scale,
              rho,
              0, 0, 0)
          }
        }
        let label = "\(name) a \(a) b \(b) ρ \(rho)"
        if let bound {
          #expect(
            abs(series - reference.value) <= bound + slack,
            "\(label): \(series - reference.value) vs \(bound)")
          #expect(bound < 1e-11, "\(label)")
        } else {
          fallbacks += 1
          #expect(abs(rho) > 0.95, "\(label): the series should cover |ρ| ≤ 0.95")
        }
        let (t, te) = trapezoid.integrateWithError(a, b, c, scratch)
        #expect(abs(t - reference.value) <= te + slack, "\(label) trapezoid: \(t - reference.value) vs \(te)")
      }
    }
  }
  // Not an assertion on coverage beyond |ρ| ≤ 0.95; recorded for the log.
  print("Mehler series: \(fallbacks) of 96 pairs beyond the series' tolerance (trapezoid instead)")
}

/// tanh and gelu MLPs (depth 1–3, with and without biases) on 50 random points of R³: the
/// pairwise recipe with Mehler's series (the default) equals the layer recursion integrated
/// independently (``numericalRecursion``) within
/// the stated error plus 1e-12 on 9 of the 1275 entries (two diagonal ones and 7 spread over
/// the matrix: the reference, 48-panel Gauss–Legendre on 480² nodes per integral, costs ~80 ms
/// per entry; at 24 panels its own error, ~5e-12 on the NTK, exceeds the series'); and equals the recipe
/// with the trapezoidal rule at every pair (`mehlerSeries = false`) on the first 8 points,
/// within the sum of both stated errors plus 1e-13 rounding. The interpreter itself is compared
/// with the recipe (series) in ``pairwiseRecipeMatchesTheInterpreter(_:)`` on 2 points: it takes
/// 0.2–0.4 s per pair for these activations.
@Test(arguments: pairwiseCases.filter { ["tanh", "gelu"].contains($0.activation) })
func mehlerSeriesKernelsMatchTheRecursionAndTheTrapezoid(_ c: PairwiseCase) throws {
  let points = pairwisePoints(50, 3, seed: 17)
  let source = pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: points)
  let (k, t) = try pairwiseKernels(try TensorProgram(source: source).runLimit())
  let gelu = { (x: Double) in 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
  let dgelu = { (x: Double) in
    0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
  }
  let phi: (Double) -> Double = c.activation == "tanh" ? { tanh($0) } : gelu
  let dphi: (Double) -> Double = c.activation == "tanh" ? { 1 - tanh($0) * tanh($0) } : dgelu
  for (i, j) in [(0, 0), (7, 7)] + stride(from: 1, to: 50, by: 8).map({ (($0 * 7) % 50, $0) }) {
    let expected = numericalRecursion(
      phi, dphi, points[i], points[j], biasVar: c.biases ? 0.1 : 0, hidden: c.hidden, panels: 48)
    #expect(
      abs(k.value(i, j) - expected.nngp) <= k.error(i, j) + 1e-12,
      "NNGP (\(i), \(j)) \(k.value(i, j) - expected.nngp) err \(k.error(i, j))")
    #expect(
      abs(t.value(i, j) - expected.ntk) <= t.error(i, j) + 1e-12,
      "NTK (\(i), \(j)) \(t.value(i, j) - expected.ntk) err \(t.error(i, j))")
    // Pairs near |ρ| = 1 at the larger variances fall back to the trapezoidal rule, whose
    // stated error reaches a few 1e-9 there (the series' own bound is below 1e-12).
    #expect(
      k.error(i, j) < 1e-8 && t.error(i, j) < 1e-8, "(\(i), \(j)) \(k.error(i, j)) \(t.error(i, j))")
  }
  let few = Array(points.prefix(8))
  let program = try TensorProgram(
    source: pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: few))
  var trapezoid = LimitOptions()
  trapezoid.mehlerSeries = false
  let (ks, ts) = try pairwiseKernels(try program.runLimit())
  let (kt, tt) = try pairwiseKernels(try program.runLimit(trapezoid))
  for i in few.indices {
    for j in few.indices {
      #expect(abs(ks.value(i, j) - kt.value(i, j)) <= ks.error(i, j) + kt.error(i, j) + 1e-13)
      #expect(abs(ts.value(i, j) - tt.value(i, j)) <= ts.error(i, j) + tt.error(i, j) + 1e-13)
    }
  }
}
