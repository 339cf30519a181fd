import Foundation
import Testing

/// Kernels, posteriors and observations on data sets: `kernel f on train[, test]`, a data set's
/// name as a list of points, and the note for a singular Gram matrix.
@Suite struct DataSetKernelTests {
  static func write(_ text: String) throws -> String { try temporaryProgram(text, prefix: "dataset") }

  static let network =
    oneHiddenReluNTK + """
      data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1, [0, 1] -> 0.5 ]
      data test = [ [-0.5, 0.5] -> 0, [0.3, -0.2] -> 0 ]

      """

  static func json(_ path: String) throws -> [String: Any] {
    let r = tp("run", path, "--json")
    #expect(r.code == .success, "\(r.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  /// The cross-kernel is the train × test block of the Gram matrix on train ∪ test.
  @Test func crossKernelIsTheBlockOfTheGramMatrix() throws {
    let cross = try Self.write(Self.network + "kernel f on train, test\n")
    let gram = try Self.write(Self.network + "kernel f at train, test\n")
    defer { for p in [cross, gram] { try? FileManager.default.removeItem(atPath: p) } }
    let c = try #require(try Self.json(cross)["kernels"] as? [[String: Any]])
    let g = try #require(try Self.json(gram)["kernels"] as? [[String: Any]])
    #expect(c.count == 2 && g.count == 2)
    for (a, b) in zip(c, g) {
      let m = try #require(a["matrix"] as? [[Double]])
      let full = try #require(b["matrix"] as? [[Double]])
      #expect(full.count == 5)
      #expect(m.count == 3 && m.allSatisfy { $0.count == 2 })
      #expect((a["column_points"] as? [[Double]]) == [[-0.5, 0.5], [0.3, -0.2]])
      #expect((a["points"] as? [[Double]])?.count == 3)
      for i in 0..<3 { for j in 0..<2 { #expect(m[i][j] == full[i][3 + j]) } }
    }
  }

  /// `posterior f on train at test (noise: …)` equals the posterior at the literal points.
  @Test func dataSetNameStandsForItsInputs() throws {
    let named = try Self.write(Self.network + "posterior f on train at test (noise: 0.01)\n")
    let literal = try Self.write(
      Self.network + "posterior f on train at [-0.5, 0.5], [0.3, -0.2] (noise: 0.01)\n")
    defer { for p in [named, literal] { try? FileManager.default.removeItem(atPath: p) } }
    let a = try #require(try Self.json(named)["posterior"] as? [[String: Any]])
    let b = try #require(try Self.json(literal)["posterior"] as? [[String: Any]])
    #expect(a.count == 2)
    #expect(a.map { $0["mean"] as? Double } == b.map { $0["mean"] as? Double })
    #expect(a.map { $0["variance"] as? Double } == b.map { $0["variance"] as? Double })
  }

  @Test func singularGramMatrixGetsANoteNamingTheNoise() throws {
    let path = try Self.write(
      Self.network + "data twice = [ [1, 0] -> 1, [1, 0] -> 1, [0, 1] -> 0 ]\nposterior f on twice at test\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path)
    #expect(r.code == .success, "\(r.stderr)")
    #expect(r.stderr.contains("pseudo-inverse") && r.stderr.contains("noise: "), "\(r.stderr)")
  }

  @Test(arguments: [
    ("kernel f on tset\n", "unknown data set 'tset'; did you mean 'test'?"),
    ("kernel f on train, \n", "expected a second data set name"),
    ("kernel g on train\n", "unknown model 'g'"),
  ])
  func badKernelStatementsAreDiagnosed(_ tail: String, _ message: String) throws {
    try expectProgramError(Self.network + tail, message)
  }
}
