import Foundation
import TPTestSupport
import Testing

/// Eigenlearning against real kernel ridge regression (Simon, Dickens, Karkada & DeWeese,
/// "The Eigenlearning Framework", TMLR 2023): `eigenlearning … (trials: 100)` on a 500-point
/// population, run by `tp` end to end from a CSV file.
///
/// Population: 500 points drawn uniformly on the unit sphere of R¹⁶ (normalised Gaussians),
/// target `y = x₁ + 2 x₂ x₃ + sin(2 x₁)`, kernel the NTK of a two-hidden-layer ReLU network.
/// Each trial draws `n` distinct points uniformly (without replacement, as the eigenlearning
/// experiments do; at `n ≤ 100 ≪ 500` this differs from i.i.d. draws by `O(n/M)`), fits
/// ridge regression with the NTK and measures the MSE over all 500 points.
///
/// The framework's prediction is an approximation that becomes exact as the sample count and
/// the number of relevant modes grow; the issue asks for 10 %, which is the tolerance here.
/// The actual mean has a standard error of 1–2 % over 100 draws (reported with the values),
/// so a 10 % band is more than five standard errors wide and the deviation it allows is the
/// theory's, not the sampling's. In high dimension (R¹⁶) the measured gaps are below 3 %;
/// on a sphere in R⁸ they reach 7 % at n = 100 (docs/kernel-science.md).
@Suite struct EigenlearningExperimentTests {
  /// The population as CSV, header `x1,…,x16,target`.
  static func population(points m: Int = 500, dimension d: Int = 16, seed: UInt64 = 2026) -> String {
    var g = SplitMix64(seed: seed)
    func uniform() -> Double { (Double(g.next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    var lines = [((1...d).map { "x\($0)" } + ["target"]).joined(separator: ",")]
    for _ in 0..<m {
      var x = (0..<d).map { _ in normal() }
      let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
      x = x.map { $0 / norm }
      let y = x[0] + 2 * x[1] * x[2] + sin(2 * x[0])
      lines.append((x + [y]).map { String(format: "%.17g", $0) }.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func program(ridge: String) -> String {
    """
    width n
    layer U : 16 -> n  (var: 16)
    layer W : n -> n  (var: 2)
    layer V : n -> 1  (var: 2)
    model f(xi) {
      x1 = relu(U @ xi)
      x2 = relu(W @ x1)
      return V @ x2
    }
    parametrization ntk
    data pool = csv("pool.csv")
    eigenlearning f on pool (samples: [10, 30, 100], ridge: \(ridge), kernel: ntk, trials: 100)

    """
  }

  @Test(arguments: ["0", "1e-3"])
  func predictedTestErrorIsWithinTenPercentOfRegression(_ ridge: String) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eigenlearning-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try Self.population().write(
      to: directory.appendingPathComponent("pool.csv"), atomically: true, encoding: .utf8)
    let path = directory.appendingPathComponent("eigenlearning.tp").path
    try Self.program(ridge: ridge).write(toFile: path, atomically: true, encoding: .utf8)
    let r = tp("run", path, "--json")
    #expect(r.code == .success, "\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let rows = try #require(json["eigenlearning"] as? [[String: Any]])
    #expect(rows.map { $0["samples"] as? Int } == [10, 30, 100])
    for row in rows {
      let n = try #require(row["samples"] as? Int)
      let predicted = try #require(row["test_mse"] as? Double)
      let krr = try #require(row["krr"] as? [String: Any])
      let actual = try #require(krr["test_mse"] as? Double)
      let standardError = try #require(krr["test_mse_stderr"] as? Double)
      #expect(krr["trials"] as? Int == 100)
      let ratio = predicted / actual
      #expect(
        abs(ratio - 1) <= 0.10,
        "n = \(n), ridge \(ridge): predicted \(predicted), actual \(actual) ± \(standardError), ratio \(ratio)"
      )
      // The measured values, for the record (swift test prints them with --verbose).
      print(
        "eigenlearning ridge \(ridge) n = \(n): predicted \(predicted), actual \(actual) ± \(standardError) (100 draws), ratio \(ratio)"
      )
      if ridge == "0" {
        // The conservation law Σᵢ Lᵢ = n at δ = 0.
        let sum = try #require(row["learnability_sum"] as? Double)
        #expect(abs(sum - Double(n)) <= 1e-10, "Σ Lᵢ = \(sum) for n = \(n)")
      }
    }
  }
}
