import Foundation
import TPCommands
import TPTestSupport
import Testing

@testable import TensorPrograms

/// The limit interpreter against finite networks (THEORY §3, §7): the expected numbers come from
/// finite-width runs of the same program, never from the interpreter's own output.
@Suite(.serialized)
struct FiniteWidthTests {
  static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples")

  static func example(_ name: String) throws -> TensorProgram {
    let url = examples.appendingPathComponent(name)
    // The full path: `csv("…")` data files are found next to the program.
    return try TensorProgram(source: try String(contentsOf: url, encoding: .utf8), fileName: url.path)
  }

  /// The full sweep of the issue: widths 512 … 8192, 8 seeds each.
  static let widths = [512, 1024, 2048, 4096, 8192]
  static let seeds = 8
  /// Monte Carlo replicates of the limit and particles per replicate.
  static let replicates = 8
  static let samples = 1 << 17

  // MARK: ReLU: the point mass of relu′ = step

  /// The finite sweep of `relu2_sgd.tp` over ``widths``, run once for the two ReLU tests (seeds
  /// are the same at every width, so its width-8192 runs are the path-wise test's).
  static let reluSweep = Result(catching: { () throws -> SweepResult in
    let program = try example("relu2_sgd.tp")
    return try FiniteSweep.run(program.core, widths: widths, seeds: seeds)
  })

  /// `relu2_sgd.tp` (auto rule) approaches its limit at the `n^{-1/2}` rate for every output, and
  /// the seed mean at 8192 is within 4 combined standard errors of the limit.
  @Test func reluNetworkTrainedBySGDMatchesFiniteWidths() throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let program = try Self.example("relu2_sgd.tp")
    let limit = try ReplicatedLimit(program, rule: .auto, replicates: Self.replicates, samples: Self.samples)
    let sweep = try Self.reluSweep.get()
    for name in ["f[1]", "f[2]", "f[3]"] {
      let series = try #require(sweep.output(name))
      let fit = series.fitSlope(limit: limit.mean[name]!)
      #expect(fit.slope >= -0.7 && fit.slope <= -0.3, "\(name): slope \(fit.slope), RMS errors \(fit.errors)")
      let last = try #require(series.perWidth.last)
      let se = (last.standardError * last.standardError + limit.se(name) * limit.se(name)).squareRoot()
      expectWithinStandardErrors(last.mean, standardError: se, of: limit.mean[name]!, k: 4)
    }
  }

  /// Path-wise derivatives drop the point mass of `step` (THEORY §3): at width 8192 the finite
  /// network is more than 5 combined standard errors from the path-wise limit of `f[2]`.
  @Test func pathwiseDerivativesMissThePointMassOfStep() throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let program = try Self.example("relu2_sgd.tp")
    let pathwise = try ReplicatedLimit(
      program, rule: .pathwise, replicates: Self.replicates, samples: Self.samples)
    let sweep = try Self.reluSweep.get()
    #expect(sweep.widths.last == 8192)
    var worst = 0.0
    for name in ["f[1]", "f[2]", "f[3]"] {
      let last = try #require(sweep.output(name)?.perWidth.last)
      let se = (last.standardError * last.standardError + pathwise.se(name) * pathwise.se(name)).squareRoot()
      let z = abs(last.mean - pathwise.mean[name]!) / se
      if name == "f[1]" {
        // No jump lies on a path before the first update: path-wise is still right.
        #expect(z < 4, "f[1]: \(last.mean) vs path-wise \(pathwise.mean[name]!) (\(z) SE)")
      }
      worst = max(worst, z)
    }
    #expect(worst > 5, "the path-wise limit should be visibly wrong for some output (max \(worst) SE)")
    let f2 = try #require(sweep.output("f[2]")?.perWidth.last)
    let se2 = (f2.standardError * f2.standardError + pathwise.se("f[2]") * pathwise.se("f[2]")).squareRoot()
    #expect(
      abs(f2.mean - pathwise.mean["f[2]"]!) > 5 * se2,
      "f[2]: \(f2.mean) vs path-wise \(pathwise.mean["f[2]"]!)")
  }

  // MARK: tanh: no jumps, so both rules are right

  /// `tanh2_sgd.tp`: path-wise and Stein coefficients give the same limit (paired replicates within
  /// 4 standard errors of their difference), and both agree with finite widths.
  @Test func tanhNetworkPathwiseAndSteinAgreeWithEachOtherAndWithFiniteWidths() throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let program = try Self.example("tanh2_sgd.tp")
    let pathwise = try ReplicatedLimit(
      program, rule: .pathwise, replicates: Self.replicates, samples: Self.samples)
    let stein = try ReplicatedLimit(program, rule: .stein, replicates: Self.replicates, samples: Self.samples)
    let sweep = try FiniteSweep.run(program.core, widths: [1024, 2048, 4096, 8192], seeds: Self.seeds)
    for name in ["f[1]", "f[2]", "f[3]"] {
      // Same seeds: replicate r of both rules shares its particles, so compare differences.
      let d = zip(pathwise.values[name]!, stein.values[name]!).map { $0 - $1 }
      let (dMean, dSE) = meanAndStandardError(d)
      let reported =
        (pathwise.reportedSE[name]! * pathwise.reportedSE[name]! + stein.reportedSE[name]! * stein.reportedSE[
          name]!)
        .squareRoot()
      expectWithinStandardErrors(dMean, standardError: max(dSE, reported), of: 0, k: 4)
      let series = try #require(sweep.output(name))
      let last = try #require(series.perWidth.last)
      for limit in [pathwise, stein] {
        let se = (last.standardError * last.standardError + limit.se(name) * limit.se(name)).squareRoot()
        expectWithinStandardErrors(last.mean, standardError: se, of: limit.mean[name]!, k: 4)
        let fit = series.fitSlope(limit: limit.mean[name]!)
        #expect(
          fit.slope >= -0.8 && fit.slope <= -0.3, "\(name): slope \(fit.slope), RMS errors \(fit.errors)")
      }
    }
  }

  // MARK: tp check on the examples

  static func tp(_ args: [String]) -> (code: ExitCode, stdout: String) {
    let sink = CapturingSink()
    let code = TPCommands.run(args, io: sink)
    return (code, sink.stdout + sink.stderr)
  }

  /// `tp check` passes on every core example (network programs are checked elsewhere).
  @Test func tpCheckPassesOnEveryCoreExample() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter {
      $0.hasSuffix(".tp")
    }
    .sorted()
    var checked: [String] = []
    for file in files where !(try Self.example(file)).isNetwork {
      let path = Self.examples.appendingPathComponent(file).path
      let (code, text) = Self.tp(["check", path, "--widths", "256,512,1024,2048", "--seeds", "6"])
      #expect(code == .success, "tp check \(file) exited \(code.rawValue):\n\(text)")
      checked.append(file)
    }
    #expect(checked.contains("transpose_ww.tp") && checked.contains("relu2_sgd.tp"), "\(checked)")
    #expect(checked.count >= 8, "\(checked)")
  }

  /// A wrong limit makes `tp check` exit 4 (the limit perturbed through a test-only hook).
  @Test func tpCheckExitsFourWhenTheLimitIsWrong() throws {
    let path = Self.examples.appendingPathComponent("transpose_ww.tp").path
    let args = ["check", path, "--widths", "256,1024,4096", "--seeds", "6"]
    let (code, text) = CheckTestHooks.$limitPerturbation.withValue(0.25) { Self.tp(args) }
    #expect(code == .checkFailed, "exit \(code.rawValue):\n\(text)")
    // The hook is scoped: the same check passes without it.
    #expect(Self.tp(args).code == .success)
  }
}

/// The limit computed with `replicates` independent Monte Carlo seeds. The replicate spread
/// measures the whole MC error, including the error of the `Ż` coefficients and moments that an
/// output inherits; the reported standard error covers only the final average.
struct ReplicatedLimit {
  var values: [String: [Double]] = [:]
  var mean: [String: Double] = [:]
  /// Standard deviation over replicates / √replicates.
  var replicateSE: [String: Double] = [:]
  /// The reported standard error of the replicate mean, `rms(reported) / √replicates`.
  var reportedSE: [String: Double] = [:]

  init(_ program: TensorProgram, rule: DerivativeRule, replicates: Int, samples: Int) throws {
    var reported: [String: [Double]] = [:]
    for r in 0..<replicates {
      let options = LimitOptions(
        samples: samples, replicates: 1, seed: UInt64(1000 + r), derivativeRule: rule)
      for o in try program.limit(options).outputs {
        values[o.name, default: []].append(o.scalarValue)
        reported[o.name, default: []].append(o.standardError)
      }
    }
    for (name, v) in values {
      (mean[name], replicateSE[name]) = meanAndStandardError(v)
      let ms = reported[name]!.reduce(0) { $0 + $1 * $1 } / Double(replicates)
      reportedSE[name] = (ms / Double(replicates)).squareRoot()
    }
  }

  /// The standard error used in comparisons: the larger of the two.
  func se(_ name: String) -> Double { max(replicateSE[name] ?? 0, reportedSE[name] ?? 0) }
}

extension CapturingSink: OutputSink {}
