import Foundation
import TPTestSupport
import TensorPrograms
import Testing

/// A program whose outputs have exact closed-form limits (and, here, exact expectations at
/// every finite width, so the seed means are unbiased).
struct ConvergenceCase: Sendable, CustomTestStringConvertible {
  var name: String
  var source: String
  /// Output name → exact value.
  var exact: [String: Double]
  var testDescription: String { name }
}

/// `σ² = 2` throughout, so the limits are not the trivial 1.
let convergenceCases: [ConvergenceCase] = [
  ConvergenceCase(
    name: "W x: mean(h²) → σ², mean(relu(h)²) → σ²/2",
    source: """
      width n
      matrix W ~ N(0, 2/n)
      vector x ~ N(0, 1)
      h = W @ x
      a = mean(h * h)
      b = mean(relu(h) ** 2)
      out a, b
      """,
    exact: ["a": 2, "b": 1]),
  ConvergenceCase(
    name: "W Wᵀ y: regression coefficient mean(h y)/mean(y²) → σ²",
    source: """
      width n
      matrix W ~ N(0, 2/n)
      vector y ~ N(0, 1)
      g = W.T @ y
      h = W @ g
      c = mean(h * y) / mean(y * y)
      out c
      """,
    exact: ["c": 2]),
]

/// At widths 128 … 2048 over `Sweep.seeds` seeds: the seed mean is within 4 standard errors of
/// the exact value at every width, and the spread over seeds shrinks like `n^{-1/2}` (fitted
/// log–log slope in [−0.7, −0.3]).
@Test(.enabled(if: Build.isOptimized, "statistical sweep: run in release"), arguments: convergenceCases)
func seedMeansConvergeAtRateOneOverRootN(_ c: ConvergenceCase) throws {
  let program = try coreProgram(c.source)
  let sweep = try FiniteSweep.run(
    program, widths: Sweep.widths, seeds: Sweep.seeds, baseSeed: Sweep.baseSeed, threads: 2)
  for (name, exact) in c.exact.sorted(by: { $0.key < $1.key }) {
    let series = try #require(sweep.output(name))
    for w in series.perWidth {
      print("\(name) n=\(w.width): \(w.mean) ± \(w.standardError) (exact \(exact))")
      expectWithinStandardErrors(w.mean, standardError: w.standardError, of: exact, k: 4)
    }
    // The spread of one seed's error: standard error × √seeds.
    let spread = series.perWidth.map { $0.standardError * Double($0.values.count).squareRoot() }
    let fit = SlopeFit(widths: series.perWidth.map(\.width), errors: spread)
    print(
      "\(name): spread slope \(fit.slope) ± \(fit.slopeStandardError); RMS-error slope \(series.fitSlope(limit: exact).slope)"
    )
    #expect((-0.7)...(-0.3) ~= fit.slope, "spread of \(name) shrinks with slope \(fit.slope)")
  }
}

@Test func slopeFitsRecoverPowerLawsAndSkipZeroErrors() {
  let widths = [256, 1024, 4096]
  let fit = SlopeFit(widths: widths, errors: widths.map { 3 / Double($0).squareRoot() })
  expectClose(fit.slope, -0.5, absolute: 1e-12)
  expectClose(fit.intercept, log(3), absolute: 1e-12)
  let exact = SlopeFit(widths: widths, errors: [0, 0, 0])
  #expect(exact.slope.isNaN)
  let series = SweepResult.Series(
    name: "m",
    perWidth: widths.map {
      SweepResult.WidthSummary(width: $0, values: [1 + 1 / Double($0), 1 - 1 / Double($0)])
    })
  expectClose(series.fitSlope(limit: 1).slope, -1, absolute: 1e-12)
}
