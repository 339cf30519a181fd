import Foundation
import Testing

/// `point NAME = […]`: a named input, used wherever a point is, and shown by its name.
@Suite struct NamedPointTests {
  static func write(_ text: String) throws -> String { try temporaryProgram(text, prefix: "named") }

  static let network =
    oneHiddenReluNTK + """
      point a = [1, 0]
      point b = [0.6, 0.8]

      """

  @Test func namedPointsLabelKernelsAndEqualTheirValues() throws {
    let named = try Self.write(Self.network + "kernel f at a, b\n")
    let literal = try Self.write(Self.network + "kernel f at [1, 0], [0.6, 0.8]\n")
    defer { for p in [named, literal] { try? FileManager.default.removeItem(atPath: p) } }
    let r = tp("run", named)
    #expect(r.code == .success, "\(r.stderr)")
    #expect(r.stdout.contains("p0 a "))
    #expect(r.stdout.contains("p1 b "))
    let json = tp("run", named, "--json")
    let plain = tp("run", literal, "--json")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let points = try #require(object["named_points"] as? [String: [Double]])
    #expect(points == ["a": [1, 0], "b": [0.6, 0.8]])
    // The kernels are those of the literal points.
    let other = try #require(
      try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
    #expect(
      (object["kernels"] as? [[String: Any]])?.first?["matrix"] as? [[Double]]
        == (other["kernels"] as? [[String: Any]])?.first?["matrix"] as? [[Double]])
  }

  @Test(arguments: [
    ("observe f at c\n", "unknown name 'c'"),
    ("point c = [1, 2, 3]\nobserve f at c\n", "this point has 3 entries but model 'f' takes 2"),
    ("point a = [0, 1]\n", "'a' is already defined"),
    ("point d = \n", "expected an expression"),
  ])
  func badPointsAreDiagnosed(_ tail: String, _ message: String) throws {
    try expectProgramError(Self.network + tail, message)
  }
}
