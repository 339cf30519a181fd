import Foundation
import TPCommands
import Testing

/// `reverse f to "FILE"` (Simon, Anand & DeWeese 2022): the generated one-hidden-layer program
/// runs, and its NTK — computed by `tp` from the file alone — matches the four-hidden-layer
/// ReLU NTK of `examples/reverse_relu4.tp`, which this test computes by its own arc-cosine
/// recursion; and every bad option is a located program error.
@Suite struct ReverseEngineeringTests {
  static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

  /// The NTK of a depth-`depth` ReLU network in the NTK parametrization at the cosine `rho`
  /// of two unit inputs: input layer of variance `d` (so `Σ₁ = ρ`), hidden layers of
  /// variance 2, readout of variance 1, no biases (Cho & Saul 2009 for `E[relu relu]` and
  /// `E[step step]`; Jacot et al. 2018 for `Θ_{l+1} = Σ_{l+1} + σ² E[φ′φ′] Θ_l`). Every
  /// pre-activation has variance 1, so the correlations are the covariances.
  static func reluNTK(_ rho: Double, depth: Int = 4) -> Double {
    var sigma = rho
    var theta = rho
    for layer in 0..<depth {
      let s2 = layer == depth - 1 ? 1.0 : 2.0
      let c = max(-1, min(1, sigma))
      let angle = acos(c)
      let k1 = ((1 - c * c).squareRoot() + (Double.pi - angle) * c) / (2 * .pi)
      let k0 = (Double.pi - angle) / (2 * .pi)
      sigma = s2 * k1
      theta = s2 * k1 + s2 * k0 * theta
    }
    return theta
  }

  static func json(_ r: (code: ExitCode, stdout: String, stderr: String)) throws -> [String: Any] {
    #expect(r.code == .success, "\(r.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  @Test func generatedProgramHasTheDeepReLUNTK() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverse-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = try String(
      contentsOf: Self.examples.appendingPathComponent("reverse_relu4.tp"), encoding: .utf8)
    let path = directory.appendingPathComponent("reverse_relu4.tp").path
    try source.write(toFile: path, atomically: true, encoding: .utf8)

    let report = try Self.json(tp("run", path, "--json"))
    let r = try #require((report["reverse"] as? [[String: Any]])?.first)
    let accuracy = try #require(r["accuracy"] as? Double)
    let rhoMax = try #require(r["rho_max"] as? Double)
    #expect(accuracy == 1e-3)
    #expect(try #require(r["fit_error"] as? Double) <= accuracy)
    #expect(try #require(r["verified_error"] as? Double) <= accuracy, "\(r)")
    let degree = try #require(r["degree"] as? Int)
    let a = try #require(r["hermite_coefficients"] as? [Double])
    let b = try #require(r["kernel_coefficients"] as? [Double])
    #expect(a.count == degree + 1 && b.count == degree + 1)
    // The NTK series of a one-hidden-layer network: bₖ = (k + 1) aₖ² (as `hermite` reports).
    for k in 0...degree { #expect(abs(b[k] - Double(k + 1) * a[k] * a[k]) <= 1e-14 * max(b[k], 1)) }

    // The generated program, run as a user would, on its own points …
    let generated = directory.appendingPathComponent("reverse_relu4_shallow.tp").path
    let text = try String(contentsOfFile: generated, encoding: .utf8)
    let scale = Self.reluNTK(1)
    func checkKernelRow(_ program: String, minimumPoints: Int) throws {
      let out = try Self.json(tp("run", program, "--json"))
      let kernels = try #require(out["kernels"] as? [[String: Any]])
      let ntk = try #require(kernels.first { $0["name"] as? String == "ntk" })
      let row = try #require((ntk["matrix"] as? [[Double]])?.first)
      let columns = try #require(ntk["column_points"] as? [[Double]])
      #expect(row.count == columns.count && row.count >= minimumPoints)
      var worst = 0.0
      for (value, x) in zip(row, columns) {
        let rho = x[0]  // the anchor is (1, 0, …, 0)
        #expect(rho <= rhoMax + 1e-12 || rho == 1)
        worst = max(worst, abs(value - Self.reluNTK(rho)) / scale)
      }
      #expect(worst <= accuracy, "largest error \(worst) of the scale \(scale)")
      print(
        "reverse_relu4: generated network's NTK on \(row.count) points, largest error \(worst) of \(scale)")
    }
    try checkKernelRow(generated, minimumPoints: 17)

    // … and on 24 other points of the fitted range, spread evenly in angle.
    let low = acos(rhoMax)
    var points = ["[1, 0, 0, 0, 0, 0, 0, 0] -> 0"]
    for j in 0..<24 {
      let theta = low + (Double.pi - low) * (Double(j) + 0.37) / 24
      points.append("[\(cos(theta)), \(sin(theta)), 0, 0, 0, 0, 0, 0] -> 0")
    }
    let start = try #require(text.range(of: "data sphere = ["))
    let end = try #require(text.range(of: "\n]", range: start.upperBound..<text.endIndex))
    let dense = text.replacingCharacters(
      in: start.lowerBound..<end.upperBound,
      with: "data sphere = [\n" + points.joined(separator: ",\n") + "\n]")
    let densePath = directory.appendingPathComponent("dense.tp").path
    try dense.write(toFile: densePath, atomically: true, encoding: .utf8)
    try checkKernelRow(densePath, minimumPoints: 25)
  }

  static let network = """
    width n
    layer U : 3 -> n  (var: 3)
    layer W : n -> n  (var: 2)
    layer V : n -> 1
    model f(xi) {
      x1 = relu(U @ xi)
      return V @ relu(W @ x1)
    }
    parametrization ntk

    """

  @Test(arguments: [
    ("reverse f (kernal: ntk)", "unknown option 'kernal'; did you mean 'kernel'?"),
    ("reverse f (kernel: ntx)", "kernel must be 'ntk' or 'nngp'; did you mean 'ntk'?"),
    (
      "reverse f (accuracy: 0)",
      "accuracy (the largest error relative to the kernel's scale) must be in (0, 1)"
    ),
    (
      "reverse f (rho_max: 1.5)", "rho_max (the fit covers ρ from -1 to rho_max, and ρ = 1) must be in [0, 1]"
    ),
    ("reverse f (degree: 61)", "degree must be between 0 and 60, found 61"),
    ("reverse f (degree: 2, degree: 3)", "option 'degree' is given twice"),
    ("reverse g", "'g'"),
    ("reverse f to \"out.csv\"", "the generated program's file name must end in '.tp'"),
    ("reverse f to out.tp", "expected a file name in double quotes, after 'to'"),
  ])
  func badOptionsAreProgramErrors(_ statement: String, _ message: String) throws {
    try expectProgramError(Self.network + statement + "\n", message)
  }

  @Test func diagnosticPointsAtTheOption() throws {
    let path = try temporaryProgram(Self.network + "reverse f (accuracy: 2)\n", prefix: "reverse")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path)
    #expect(r.code == .program)
    // Line 10 of the program, the value after 'accuracy: ' (column 22).
    #expect(r.stderr.contains("\(path):10:22: error:"), "\(r.stderr)")
    #expect(r.stderr.contains("^"), "\(r.stderr)")
  }

  @Test func modelWithOneInputIsRefused() throws {
    try expectProgramError(
      "width n\nlayer U : 1 -> n\nlayer V : n -> 1\nmodel f(xi) {\n  return V @ relu(U @ xi)\n}\nparametrization ntk\nreverse f\n",
      "the model needs at least 2 inputs")
  }

  /// On all of [−1, 1] the kink of the ReLU kernel at ρ = 1 keeps every degree ≤ 40 above
  /// 10⁻³: a numerical failure (exit 3) that names `rho_max`.
  @Test func unreachableAccuracyNamesRhoMax() throws {
    let path = try temporaryProgram(Self.network + "reverse f (accuracy: 1e-4)\n", prefix: "reverse")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path)
    #expect(r.code == .numerical, "\(r.stderr)")
    #expect(r.stderr.contains("rho_max"), "\(r.stderr)")
  }

  /// A fixed low degree is honoured; the error it leaves is reported, and a note says that it
  /// exceeds the accuracy.
  @Test func fixedDegreeReportsItsError() throws {
    let path = try temporaryProgram(Self.network + "reverse f (degree: 2, rho_max: 0.8)\n", prefix: "reverse")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path, "--json")
    let v = try #require((try Self.json(r)["reverse"] as? [[String: Any]])?.first)
    #expect(v["degree"] as? Int == 2)
    let verified = try #require(v["verified_error"] as? Double)
    #expect(verified > 1e-3)
    #expect(r.stderr.contains("more than the accuracy"), "\(r.stderr)")
  }

  /// Without `to`, the report still holds the definition; the NNGP of a two-layer ReLU network
  /// on [−1, 0.8] ∪ {1} is matched and verified.
  @Test func nngpDesignWithoutAFile() throws {
    let path = try temporaryProgram(
      Self.network + "reverse f (kernel: nngp, accuracy: 1e-3, rho_max: 0.8)\n", prefix: "reverse")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try #require((try Self.json(tp("run", path, "--json"))["reverse"] as? [[String: Any]])?.first)
    #expect(r["kernel"] as? String == "nngp")
    #expect(r["output"] == nil)
    #expect((r["definition"] as? String)?.hasPrefix("def phi(z) = ") == true)
    #expect(try #require(r["verified_error"] as? Double) <= 1e-3, "\(r)")
    let a = try #require(r["hermite_coefficients"] as? [Double])
    let b = try #require(r["kernel_coefficients"] as? [Double])
    for k in a.indices { #expect(abs(b[k] - a[k] * a[k]) <= 1e-14 * max(b[k], 1)) }
  }
}
