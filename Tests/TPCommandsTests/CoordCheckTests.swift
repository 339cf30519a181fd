import Foundation
import TPTestSupport
import Testing

@testable import TPCommands
@testable import TensorPrograms

/// `tp coordcheck`: the measured width exponents of the coordinates of trained networks against
/// the exponents THEORY §5 gives for each parametrization (independent references), and the
/// exit code.
@Suite struct CoordCheckTests {
  struct Quantity: Decodable {
    var vector: String
    var kind: String
    var step: Int
    var slope: Double?
    var slope_error: Double?
    var expected_slope: Double?
    var grows: Bool
  }

  struct Document: Decodable {
    var parametrization: String
    var passed: Bool
    var quantities: [Quantity]
  }

  static func run(_ file: String, _ extra: [String] = []) throws -> (ExitCode, Document) {
    let r = tp(
      ["coordcheck", example(file), "--widths", "128,256,512,1024,2048", "--seeds", "32", "--json"] + extra)
    let doc = try JSONDecoder().decode(Document.self, from: Data(r.stdout.utf8))
    return (r.code, doc)
  }

  /// Step-0 sizes and step-1 changes (where the prediction is asymptotic already at these
  /// widths; a size after training mixes an O(1) start with a growing change) within ±0.15 of
  /// the predicted exponent, each measured to 0.075 or better (so ±0.15 is at least 2 SE; the
  /// hidden vectors' slopes are measured to about 0.03, the output's to 0.04–0.06).
  @Test(arguments: [
    ("sp2_relu.tp", ExitCode.checkFailed), ("mup2_relu.tp", .success), ("ntk2_relu.tp", .success),
  ])
  func exponentsMatchTheParametrization(_ file: String, _ code: ExitCode) throws {
    let (exit, doc) = try Self.run(file)
    #expect(exit == code)
    #expect(doc.passed == (code == .success))
    let checked = doc.quantities.filter {
      ($0.kind == "size" && $0.step == 0) || ($0.kind == "change" && $0.step == 1)
    }
    #expect(checked.count == 10, "5 vectors × (size at 0, change at 1)")
    for q in checked {
      let expected = try #require(q.expected_slope, "\(q.vector)")
      let slope = try #require(q.slope)
      let se = try #require(q.slope_error)
      #expect(se < 0.075, "\(file) \(q.vector) \(q.kind) \(q.step): SE \(se)")
      #expect(
        abs(slope - expected) <= 0.15,
        "\(file) \(q.vector) \(q.kind) \(q.step): \(slope) ± \(se) vs \(expected)")
    }
  }

  /// The exponents themselves (THEORY §5): μP moves every feature by Θ(1); NTK by n^−1/2 with
  /// the output moving Θ(1); SP (c = 0) moves the hidden layer by n^1/2 and the output by n.
  @Test func predictedExponents() throws {
    func changes(_ file: String) throws -> [String: Double] {
      let program = try TensorProgram(source: String(contentsOfFile: example(file), encoding: .utf8))
      let e = try CoordinateExponents.predict(program.checked)
      return Dictionary(uniqueKeysWithValues: e.names.indices.map { (e.names[$0], e.change[$0]) })
    }
    let mup = try changes("mup2_relu.tp")
    #expect(mup.values.allSatisfy { $0 == 0 }, "\(mup)")
    let ntk = try changes("ntk2_relu.tp")
    #expect(ntk["f"] == 0 && ntk.filter { $0.key != "f" }.values.allSatisfy { $0 == -0.5 }, "\(ntk)")
    let sp = try changes("sp2_relu.tp")
    #expect(sp["f"] == 1 && sp["x1"] == -0.5 && sp["x2"] == 0.5, "\(sp)")
  }

  @Test func plotHasOnePanelPerStepAndKind() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tp-coord-\(UUID().uuidString).svg"
    ).path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = tp([
      "coordcheck", example("mup2_relu.tp"), "--widths", "64,128,256", "--seeds", "4", "--plot", out,
    ])
    #expect(r.code == .success, "\(r.stderr)")
    let svg = try String(contentsOfFile: out, encoding: .utf8)
    // Steps 0…3: four size panels and three change panels.
    #expect(svg.components(separatedBy: "<g class=\"panel\"").count - 1 == 7)
    #expect(r.stdout.contains("no quantity grows with the width"))
  }

  @Test func badInputIsAUsageOrProgramError() {
    #expect(tp("coordcheck", example("core_tour.tp"), "--widths", "64,128", "--seeds", "2").code == .usage)
    #expect(tp("coordcheck", example("mup2_relu.tp"), "--widths", "64").code == .usage)
    #expect(tp("coordcheck", example("mup2_relu.tp"), "--tolerance", "x").code == .usage)
    #expect(tp("coordcheck", example("ntk_trained_inf.tp"), "--widths", "64,128").code == .usage)
  }
}

/// Empirical NNGP and NTK at finite widths (`tp run --width`, `tp check`) against the limit.
@Suite struct FiniteKernelTests {
  struct Kernel: Decodable {
    var name: String
    var matrix: [[Double]]
    var errors: [[Double]]
  }

  struct RunDocument: Decodable { var kernels: [Kernel]? }

  /// The empirical NTK at width 4096 over 8 seeds lies within 4 SE of the limit for every entry,
  /// and `tp check` (the test it uses for trajectories) passes; all entries are compared.
  @Test(arguments: [("kernel_relu.tp", 14), ("ntk_shared_relu.tp", 12)])
  func empiricalNTKAt4096ApproachesTheLimit(_ file: String, _ quantities: Int) throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let limit = try JSONDecoder().decode(
      RunDocument.self, from: Data(tp("run", example(file), "--json").stdout.utf8))
    let finite = tp("run", example(file), "--json", "--width", "4096", "--seeds", "8", "--seed", "100")
    #expect(finite.code == .success, "\(finite.stderr)")
    let empirical = try JSONDecoder().decode(RunDocument.self, from: Data(finite.stdout.utf8))
    let l = try #require(limit.kernels?.first { $0.name == "ntk" })
    let e = try #require(empirical.kernels?.first { $0.name == "ntk" })
    for i in l.matrix.indices {
      for j in l.matrix.indices {
        #expect(e.errors[i][j] > 0)
        let se = (e.errors[i][j] * e.errors[i][j] + l.errors[i][j] * l.errors[i][j]).squareRoot()
        #expect(
          abs(e.matrix[i][j] - l.matrix[i][j]) <= 4 * se,
          "\(file) [\(i), \(j)]: \(e.matrix[i][j]) vs \(l.matrix[i][j])")
      }
    }
    let check = tp("check", example(file), "--widths", "512,1024,2048,4096", "--seeds", "8")
    #expect(check.code == .success, "\(check.stdout)\(check.stderr)")
    // 6 NNGP and 6 NTK entries, and the posterior's mean and variance where there is one.
    #expect(
      check.stdout.contains("all \(quantities) quantities are consistent with their limits"),
      "\(check.stdout)")
  }

  /// A wrong limit is caught: the NTK limit shifted by 0.3 fails the check.
  @Test func wrongKernelLimitFails() {
    let r = CheckTestHooks.$limitPerturbation.withValue(0.3) {
      tp("check", example("kernel_relu.tp"), "--widths", "512,1024,2048", "--seeds", "8")
    }
    #expect(r.code == .checkFailed, "\(r.stdout)")
  }

  /// The empirical NTK is the trainer's own: one small full-batch SGD step of the same network
  /// moves the outputs by −(η/|X|) Θ̂(x, X) (f₀(X) − Y) to first order in η.
  @Test func empiricalNTKPredictsOneSGDStep() throws {
    let source = """
      width n
      layer U : 2 -> n  (var: 2)
      layer W : n -> n  (var: 2)
      layer V : n -> 1
      model f(xi) {
        return V @ relu(W @ relu(U @ xi))
      }
      parametrization ntk
      data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1 ]
      train f on train with sgd(lr: 0.001, steps: 1, batch: full, loss: mse)
      observe f at [1, 0], [0.6, 0.8], [-0.5, 0.5]
      kernel f at [1, 0], [0.6, 0.8], [-0.5, 0.5]
      """
    let program = try TensorProgram(source: source)
    let r = try program.runFinite(width: 256, seed: 3)
    let theta = try #require(r.kernels.first { $0.name == "ntk" }).rows
    func f(_ step: Int, _ p: Int) -> Double {
      let points: [[Double]] = [[1, 0], [0.6, 0.8], [-0.5, 0.5]]
      return r.trajectory.first { $0.observable == "f" && $0.step == step && $0.points == [points[p]] }!.value
    }
    let y = [1.0, -1]
    for p in 0..<3 {
      var predicted = 0.0
      for i in 0..<2 { predicted -= 0.001 / 2 * theta[p][i] * (f(0, i) - y[i]) }
      let moved = f(1, p) - f(0, p)
      // Second-order terms are O(η²) relative: 1e-3 of the move is generous.
      #expect(abs(moved - predicted) <= 1e-2 * abs(predicted), "\(p): \(moved) vs \(predicted)")
    }
  }

  @Test func oneSeedSaysItHasNoErrors() {
    let r = tp("run", example("kernel_relu.tp"), "--width", "64")
    #expect(r.code == .success, "\(r.stderr)")
    #expect(r.stdout.contains("ntk"))
    #expect(r.stderr.contains("--seeds K averages K networks"))
    #expect(r.stdout.contains("posterior at"), "the posterior of the network's readout-averaged NNGP")
    #expect(tp("run", example("kernel_relu.tp"), "--seeds", "4").code == .usage)
  }

  /// A program with nothing that has a finite-width counterpart (a model and nothing asked of
  /// it) is not a pass.
  @Test func nothingToCompareIsAnError() throws {
    let source = try String(contentsOfFile: example("kernel_relu.tp"), encoding: .utf8)
      .split(separator: "\n").filter { !$0.hasPrefix("kernel ") && !$0.hasPrefix("posterior ") }
      .joined(separator: "\n")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tp-post-\(UUID().uuidString).tp"
    ).path
    try Data(source.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let check = tp("check", path, "--widths", "64,128", "--seeds", "2")
    #expect(check.code == .usage)
    #expect(check.stdout.isEmpty)
    #expect(check.stderr.contains("nothing to check"), "\(check.stderr)")
  }
}
