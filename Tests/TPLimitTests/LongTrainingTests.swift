import Foundation
import TPTestSupport
import Testing

@testable import TPLimit
@testable import TensorPrograms

/// `examples/mup2_tanh.tp` (μP, two hidden tanh layers, batch 1, two examples, three observed
/// points) trained for `steps` SGD steps.
func trainedTanh2(steps: Int) throws -> TensorProgram {
  let url = FiniteWidthTests.examples.appendingPathComponent("mup2_tanh.tp")
  return try TensorProgram(
    source: try String(contentsOf: url, encoding: .utf8), fileName: "mup2_tanh.tp",
    overrides: ["steps": Double(steps)])
}

/// Reverse-mode sweeps give each particle the same chain-rule value as forward-mode tangent
/// nodes, so the two computations of the same limit agree to rounding (not to sampling error).
@Test func reverseModeDerivativesEqualTangentNodes() throws {
  let p = try trainedTanh2(steps: 6)
  var options = LimitOptions(samples: 1 << 13, replicates: 1)
  let reverse = try p.runLimit(options)
  options.reverseModeDerivatives = false
  let tangents = try p.runLimit(options)
  #expect(reverse.trajectory.count == 7 * 3)
  for (a, b) in zip(reverse.trajectory, tangents.trajectory) {
    expectClose(a.value, b.value, relative: 1e-9, "\(TensorProgram.label(a))")
  }
  // Some values are Monte Carlo, so the comparison is not between exact numbers.
  #expect(reverse.trajectory.contains { $0.method == .mc })
}

/// Freeing node buffers under a small memory budget and recomputing them on demand changes
/// nothing: the results are bit-identical.
@Test func cacheBudgetDoesNotChangeResults() throws {
  LargeMemoryTests.begin()
  defer { LargeMemoryTests.end() }
  let p = try trainedTanh2(steps: 5)
  let roomy = try p.runLimit(LimitOptions(samples: 1 << 13, replicates: 1))
  let tight = try p.runLimit(LimitOptions(samples: 1 << 13, replicates: 1, cacheBytes: 1 << 16))
  #expect(roomy.trajectory.map(\.value) == tight.trajectory.map(\.value))
  #expect(roomy.trajectory.map(\.standardError) == tight.trajectory.map(\.standardError))
}

/// `replicates: R` is the mean of `R` independent runs, with sampling error `rms(se)/√R` and
/// error `max(sd, rms(se)) / √R` plus the deterministic part in quadrature; a program with no
/// Monte Carlo is run once.
@Test func replicatesAverageIndependentRuns() throws {
  let program = try trainedTanh2(steps: 3).lowered(.limit).program
  let r = 4
  let combined = try LimitInterpreter.run(program, options: LimitOptions(samples: 1 << 12, replicates: r))
  #expect(combined.replicates == r)
  var runs: [LimitResult] = []
  for i in 0..<r {
    runs.append(
      try LimitInterpreter.run(
        program,
        options: LimitOptions(samples: 1 << 12, replicates: 1, seed: LimitInterpreter.replicateSeed(0, i))))
  }
  for (k, o) in combined.outputs.enumerated() {
    let (m, se) = meanAndStandardError(runs.map { $0.outputs[k].scalarValue })
    let sd = se * Double(r).squareRoot()
    let rms = (runs.reduce(0) { $0 + $1.outputs[k].standardError * $1.outputs[k].standardError } / Double(r))
      .squareRoot()
    expectClose(o.scalarValue, m, relative: 1e-12, "\(o.name)")
    guard o.method == .mc else { continue }
    expectClose(o.standardError, rms / 2, relative: 1e-12, "\(o.name)")
    let deterministic =
      (runs.reduce(0) { acc, run in
        let x = run.outputs[k]
        return acc + max(0, x.error * x.error - x.standardError * x.standardError)
      } / Double(r)).squareRoot()
    let sampling = max(sd, rms) / 2
    expectClose(
      o.error, (sampling * sampling + deterministic * deterministic).squareRoot(), relative: 1e-12,
      "\(o.name)")
  }
  let exact = try TensorProgram(source: "width n\nvector x ~ N(0, 2)\nm = mean(x * x)\nout m\n")
  let once = try exact.limit(LimitOptions(replicates: 8))
  #expect(once.replicates == 1 && once.outputs[0].method == .exact)
  expectClose(once.outputs[0].scalarValue, 2, relative: 1e-12)
}

/// Long SGD runs of a two-hidden-layer network in the limit against direct finite-width
/// training: at the last step the trained points sit at their targets and the held-out point
/// (0.8, 0.6) agrees with the finite networks within 4 combined standard errors. The finite
/// side is Richardson-extrapolated from widths n/2 and n (`2·m(n) − m(n/2)` removes the O(1/n)
/// bias, which at n = 1024 is several seed errors at the trained points). The default suite runs
/// 20 steps at n = 1024; `TP_LONG_TESTS=1` runs the 50 steps at n = 4096 (minutes).
@Test func longTrainingOfATwoHiddenLayerNetwork() throws {
  LargeMemoryTests.begin()
  defer { LargeMemoryTests.end() }
  let long = LongTests.enabled
  let steps = long ? 50 : 20
  let width = long ? 4096 : 1024
  let p = try trainedTanh2(steps: steps)
  let limit = try p.runLimit(LimitOptions(samples: long ? 1 << 15 : 1 << 13, replicates: 4))
  let last = limit.trajectory.filter { $0.step == steps }
  #expect(last.count == 3)
  func finite(_ n: Int) throws -> [String: [Double]] {
    var values: [String: [Double]] = [:]
    for seed in 0..<6 {
      for t in try p.runFinite(width: n, seed: UInt64(seed)).trajectory where t.step == steps {
        values[TensorProgram.label(t), default: []].append(t.value)
      }
    }
    return values
  }
  let (wide, half) = (try finite(width), try finite(width / 2))
  for t in last {
    let (m, se) = meanAndStandardError(try #require(wide[TensorProgram.label(t)]))
    let (mh, seh) = meanAndStandardError(try #require(half[TensorProgram.label(t)]))
    let (extrapolated, seE) = (2 * m - mh, (4 * se * se + seh * seh).squareRoot())
    print(
      "\(steps) steps: \(TensorProgram.label(t)) limit \(t.value) ± \(t.error), n=\(width) \(m) ± \(se),"
        + " extrapolated \(extrapolated) ± \(seE)")
    expectWithinStandardErrors(
      extrapolated, standardError: (seE * seE + t.error * t.error).squareRoot(), of: t.value)
  }
}
