import Foundation
import TPCore
import TPSyntax
import Testing

/// Every program under `examples/` parses and checks; core programs produce instructions.
@Suite struct ExamplesTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples")

  static let files: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
      $0.hasSuffix(".tp")
    }
    .sorted()

  static func check(_ name: String) throws(Diagnostics) -> CheckedUnit {
    let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data()
    // The absolute path: `csv("…")` files are found next to the program, whatever the cwd.
    let file = SourceFile(name: directory.appendingPathComponent(name).path, bytes: [UInt8](data))
    let (unit, parsed) = Parser.parseRecovering(file)
    return try Checker.check(unit, overrides: [:], priorDiagnostics: parsed)
  }

  @Test func thereAreExamples() {
    #expect(Self.files.count >= 12, "\(Self.directory.path)")
  }

  @Test(arguments: files)
  func exampleChecks(_ name: String) throws {
    let unit: CheckedUnit
    do {
      unit = try Self.check(name)
    } catch {
      Issue.record("\(error.render())")
      return
    }
    #expect(
      unit.warnings.isEmpty, "\(Diagnostics(file: SourceFile(name: name, text: ""), items: unit.warnings))")
    if let network = unit.network {
      #expect(network.model != nil, "\(name) declares a network without a model")
    } else {
      #expect(!unit.program.instructions.isEmpty, "\(name) is a core program without instructions")
      #expect(!unit.program.outputs.isEmpty, "\(name) is a core program without outputs")
    }
  }

  /// The constructs of LANGUAGE.md each appear in some example (so each has a working program).
  @Test(arguments: [
    "param ", "matrix A, B", "vector p, q ~ N([", "W.T @", "mean(", "def ", "'(", "for ", "...", "out ",
    "show ",
    "layer ", "bias ", "model ", "parametrization mup", "parametrization ntk", "parametrization sp",
    "parametrization mf", "parametrization abc", "data ", "train ", "steps: inf", "batch: full",
    "loss: logistic", "every:", "observe loss", "observe movement", "observe kernel", "kernel ", "posterior ",
    "(noise:", "-> 2", "[l, t]", "**", "csv(\"", "alignment f on", "eigen f on", "eigenlearning f on",
    "samples: [", "hermite ", "reverse ", "observe alignment",
  ])
  func constructAppearsInAnExample(_ construct: String) {
    let texts = Self.files.map {
      (try? String(contentsOf: Self.directory.appendingPathComponent($0), encoding: .utf8)) ?? ""
    }
    #expect(texts.contains { $0.contains(construct) }, "no example uses '\(construct)'")
  }

  /// `out f` of an indexed family reports every entry.
  @Test func familyOutputsEveryEntry() throws {
    let unit = try Self.check("linear_mup.tp")
    #expect(unit.program.outputs.map(\.name) == (0...10).map { "f[\($0)]" })
  }
}
