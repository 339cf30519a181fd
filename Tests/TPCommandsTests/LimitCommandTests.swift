import Foundation
import Testing

@testable import TPCommands
@testable import TensorPrograms

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

func example(_ name: String) -> String { repositoryRoot.appendingPathComponent("examples/\(name)").path }

/// THEORY §3: `h = W (Wᵀ y)` gets the ZDot term σ² Z^y; `tp explain` shows it.
@Test func explainShowsTheZDotTermOfWWTranspose() {
  let r = tp(["explain", example("transpose_ww.tp")])
  #expect(r.code == .success)
  #expect(r.stdout.contains("Z^{h} = Ẑ^{W g} + 2·Z^{y}"), "\(r.stdout)")
  #expect(r.stdout.contains("E[∂Z^{g}/∂Ẑ^{Wᵀ y}]"))
}

/// `tp explain` on every network example names each lowered value after the network (`f[1]`,
/// `dh1[0]`, `χ[t=0, ex=0]`, moments by what they average): no `%` temporaries. Few particles,
/// since only the listing and the laws' shape are read. (Core-program examples keep `%k` for
/// the subexpressions their author left unnamed.)
@Test func explainOfEveryNetworkExampleHasNoTemporaries() throws {
  let folder = repositoryRoot.appendingPathComponent("examples")
  let files = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tp") }
  var networks = 0
  for file in files.sorted() {
    let path = folder.appendingPathComponent(file).path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard text.split(separator: "\n").contains(where: { $0.hasPrefix("model ") }) else { continue }
    let r = tp(["explain", path, "--samples", "256", "--replicates", "1"])
    if r.code == .numerical {
      // Unstable parametrizations (sp) and programs too large to unroll (word2vec.tp) are
      // refused as by `tp run`, with the reason.
      #expect(
        r.stderr.contains("is unstable") || r.stderr.contains("more than 5e+06"), "\(file): \(r.stderr)")
      continue
    }
    #expect(r.code == .success, "\(file): \(r.stderr)")
    networks += 1
    let temporaries = r.stdout.split(separator: "\n").filter { $0.contains("%") }
    #expect(temporaries.isEmpty, "\(file): \(temporaries.prefix(3))")
  }
  #expect(networks >= 20, "only \(networks) network examples found")
}

@Test func runJSONHasMethodAndStandardErrorPerOutput() throws {
  let r = tp(["run", example("nngp_relu.tp"), "--json"])
  #expect(r.code == .success)
  let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  let outputs = try #require(object["outputs"] as? [[String: Any]])
  #expect(outputs.count == 2)
  for o in outputs {
    #expect(o["method"] as? String == "exact")
    #expect(o["stderr"] as? Double == 0)
  }
}

@Test func networkRunReportsRegimeAndTrajectory() throws {
  let r = tp(["run", example("mup1_tanh.tp"), "--json"])
  #expect(r.code == .success)
  let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  let regime = try #require(object["regime"] as? [String: Any])
  #expect(regime["class"] as? String == "feature-learning")
  let trajectory = try #require(object["trajectory"] as? [[String: Any]])
  #expect(trajectory.count == 12)  // 3 points × steps 0…3
  // μP: the output at initialization is exactly 0 in the limit.
  for t in trajectory where t["step"] as? Int == 0 { #expect(t["value"] as? Double == 0) }
}

@Test func unstableParametrizationExitsThree() {
  let r = tp(["run", example("sp_unstable.tp")])
  #expect(r.code == .numerical)
  #expect(r.stderr.contains("grows like n^"), "\(r.stderr)")
}

/// Monte Carlo particles come from fixed chunks with counter-based streams.
@Test func monteCarloIsIndependentOfTheThreadCount() throws {
  let program = try TensorProgram(
    source: """
      width n
      matrix W ~ N(0, 1/n)
      vector x ~ N(0, 1)
      g = W.T @ tanh(x)
      h = W @ relu(g)
      m = mean(tanh(h) * sin(g) * x)
      out m
      """)
  let one = try program.limit(LimitOptions(method: .mc, samples: 20_000, replicates: 1, threads: 1))
  let two = try program.limit(LimitOptions(method: .mc, samples: 20_000, replicates: 1, threads: 2))
  #expect(one.output("m")?.scalarValue == two.output("m")?.scalarValue)
}

/// A failure inside unnamed subexpressions names what the user wrote, never a compiler
/// temporary (`%3`), together with the line and the caret.
@Test func failureInASubexpressionNamesTheUsersExpression() throws {
  let file = FileManager.default.temporaryDirectory.appendingPathComponent("temporaries-\(UUID()).tp")
  try """
  width n
  matrix W ~ N(0, 1/n)
  vector u ~ N(0, 1)
  z[0] = u
  a = mean(tanh(W @ z[0]) * sin(W @ z[0] + 1))
  b = mean(relu(W @ z[0]) * (tanh(W @ z[0]) + 1))
  out a
  out b
  """.write(to: file, atomically: true, encoding: .utf8)
  defer { try? FileManager.default.removeItem(at: file) }
  let r = tp("run", file.path, "--method", "exact")
  #expect(r.code == .numerical)
  #expect(
    r.stderr.hasPrefix(
      "\(file.path):5:5: error: the expectation has no exact form (it is not a polynomial in Gaussians nor a known closed form) in 'a = mean(tanh(W @ z[0]) * sin(W @ z[0] + 1))'"
    ), "\(r.stderr)")
  #expect(!r.stderr.contains("%"))
  #expect(hasCompilerStyleError(r.stderr, file: file.path, location: "5:5"))
}

/// `kernel f at` reports the ntk parametrization's kernels; under another parametrization it says so.
@Test func kernelsOfAnotherParametrizationSaySo() throws {
  let ntk = tp(["run", example("residual_depth.tp")])
  #expect(ntk.code == .success)
  #expect(!ntk.stderr.contains("those of the ntk parametrization"), "\(ntk.stderr)")
  let text = try String(contentsOfFile: example("residual_depth.tp"), encoding: .utf8)
  for (preset, phrase) in [("mup", "its NNGP is 0"), ("sp", "not of this program's sp parametrization")] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-\(preset)-\(UUID()).tp")
    try text.replacingOccurrences(of: "parametrization ntk", with: "parametrization \(preset)")
      .write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let r = tp(["run", file.path])
    #expect(r.code == .success, "\(r.stderr)")
    #expect(r.stderr.contains("those of the ntk parametrization"), "\(r.stderr)")
    #expect(r.stderr.contains(phrase), "\(r.stderr)")
  }
}
