import Foundation
import TPCommands
import TPTestSupport
import TensorPrograms
import Testing

/// The shared sink of TPTestSupport, as a TPCommands output.
extension CapturingSink: OutputSink {}

/// The repository's `examples/` folder, found from this file's path.
let examplesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("examples")

/// Writes `source` to a fresh temporary `name`, calls `body` with its path, and removes it.
func withTemporaryProgram(_ name: String, _ source: String, _ body: (String) throws -> Void) throws {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "tp-finite-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let file = directory.appendingPathComponent(name)
  try source.write(to: file, atomically: true, encoding: .utf8)
  try body(file.path)
}

func tp(_ arguments: [String]) -> (ExitCode, CapturingSink) {
  let sink = CapturingSink()
  let code = TPCommands.run(arguments, io: sink)
  return (code, sink)
}

@Test func runAtAFiniteWidthPrintsParseableJSON() throws {
  let path = examplesDirectory.appendingPathComponent("transpose_ww.tp").path
  let (code, sink) = tp(["run", path, "--width", "512", "--json", "--seed", "3"])
  #expect(code == .success, "\(sink.stderr)")
  let object = try #require(try JSONSerialization.jsonObject(with: Data(sink.stdout.utf8)) as? [String: Any])
  #expect(object["program"] as? String == path)
  #expect(object["width"] as? Int == 512)
  #expect(object["seed"] as? Int == 3)
  let outputs = try #require(object["outputs"] as? [[String: Any]])
  #expect(outputs.compactMap { $0["name"] as? String } == ["r", "s"])
  for output in outputs {
    #expect(output["method"] as? String == "finite")
    #expect(output["stderr"] as? Double == 0)
  }
  // r → σ² = 2 and s → 8 in the limit; at n = 512 one seed is within a few tenths.
  let r = try #require(outputs[0]["value"] as? Double)
  #expect(abs(r - 2) < 0.5, "r = \(r)")
}

@Test func runReportsVectorLawsAsTableAndJSON() throws {
  let source = "width n\nmatrix W ~ N(0, 1/n)\nvector x ~ N(0, 1)\nh = W @ x\nm = mean(h * h)\nout m, h\n"
  try withTemporaryProgram("law.tp", source) { path in
    let (code, sink) = tp(["run", path, "--width", "256", "--json"])
    #expect(code == .success, "\(sink.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(sink.stdout.utf8)) as? [String: Any])
    let outputs = try #require(object["outputs"] as? [[String: Any]])
    let law = try #require(outputs.last?["law"] as? [String: Any])
    let quantiles = try #require(law["quantiles"] as? [String: Double])
    #expect(Set(quantiles.keys) == ["0.05", "0.25", "0.5", "0.75", "0.95"])
    // The law's variance is the population variance: mean(h²) − mean(h)².
    let m = try #require(outputs.first?["value"] as? Double)
    let mean = try #require(law["mean"] as? Double)
    let variance = try #require(law["variance"] as? Double)
    #expect(abs(variance - (m - mean * mean)) < 1e-9)

    let (textCode, text) = tp(["run", path, "--width", "256"])
    #expect(textCode == .success)
    #expect(text.stdout.contains("variance"))
    #expect(text.stdout.contains("q0.95"))
  }
}

@Test func runMapsFailuresToExitCodes() throws {
  try withTemporaryProgram("nan.tp", "width n\nvector x ~ N(0, 1)\ny = x / (x - x)\nout y\n") { path in
    let (nanCode, nanSink) = tp(["run", path, "--width", "64"])
    #expect(nanCode == .numerical)
    #expect(nanSink.stderr.contains("y = x / (x - x)"), "\(nanSink.stderr)")
    #expect(nanSink.stderr.contains("nan.tp:3:1"), "\(nanSink.stderr)")

    // In the limit the same NaN is reported, naming the instruction that made it.
    let (limitCode, limitSink) = tp(["run", path])
    #expect(limitCode == .numerical)
    #expect(limitSink.stderr.contains("y = x / (x - x)"), "\(limitSink.stderr)")

    let (widthCode, _) = tp(["run", path, "--width", "0"])
    #expect(widthCode == .usage)
    let (seedCode, _) = tp(["run", path, "--width", "8", "--seed", "-1"])
    #expect(seedCode == .usage)
  }
  let network = examplesDirectory.appendingPathComponent("mup1_tanh.tp").path
  let (networkCode, networkSink) = tp(["run", network, "--width", "64"])
  #expect(networkCode == .success)
  #expect(networkSink.stdout.contains("at width 64"), "\(networkSink.stdout)")
}
