import Foundation
import Testing

@testable import TPCommands

/// `--plot` writes a figure, or refuses with exit 1 and no file when there is nothing to plot.
@Suite struct PlotCommandTests {
  static func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tp-plot-\(UUID().uuidString)-\(name)").path
  }

  @Test func runPlotsOnePanelPerVectorOutput() throws {
    let out = Self.temporary("laws.svg")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = tp(["run", example("core_tour.tp"), "--plot", out])
    #expect(r.code == .success, "\(r.stderr)")
    let svg = try String(contentsOfFile: out, encoding: .utf8)
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.components(separatedBy: "<g class=\"panel\"").count - 1 == 5)
  }

  @Test(arguments: [
    ["run", "functions.tp"], ["run", "mup1_tanh.tp"], ["run", "core_tour.tp", "--width", "64"],
  ])
  func nothingToPlotIsExit1WithoutAFile(_ args: [String]) {
    let out = Self.temporary("none.svg")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = tp([args[0], example(args[1])] + args.dropFirst(2) + ["--plot", out])
    #expect(r.code == .usage)
    #expect(r.stderr.contains("no plot written"), "\(r.stderr)")
    #expect(!r.stdout.isEmpty, "the report is still printed")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func checkPlotsTheErrorAgainstTheWidth() throws {
    let out = Self.temporary("check.svg")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = tp(["check", example("transpose_ww.tp"), "--widths", "64,128,256", "--seeds", "4", "--plot", out])
    #expect(r.code == .success || r.code == .checkFailed, "\(r.stderr)")
    let svg = try String(contentsOfFile: out, encoding: .utf8)
    #expect(svg.contains("(log scale)"))
    #expect(svg.components(separatedBy: "class=\"legend-entry\"").count - 1 == 2)
  }
}
