import Foundation
import TPCore
import TPNumerics
import Testing

@testable import TPCommands

/// `--timeout`, the progress meter and the message a stopped run prints. (The signal handling
/// and the timer itself act on the process, so `.ci/run` exercises them on the built `tp`.)
@Suite struct WatchdogTests {
  @Test func progressDescribesBothLevels() {
    let meter = ProgressMeter()
    #expect(meter.snapshot().description == "")
    meter.begin("finite run", done: 2, total: 40, detail: "width 1024, seed 3")
    #expect(meter.snapshot().description == "finite run 3 of 40 (width 1024, seed 3)")
    meter.inner("step", done: 4, total: 11)
    meter.inner("step", done: 5, total: 11)
    #expect(meter.snapshot().description == "finite run 3 of 40 (width 1024, seed 3), step 6 of 11")
    meter.begin("limit")
    #expect(meter.snapshot().description == "limit")
    meter.end()
    #expect(meter.snapshot() == ProgressMeter.Snapshot())
  }

  @Test func stoppedRunSaysWhereItWas() {
    var snapshot = ProgressMeter.Snapshot()
    snapshot.outer = .init(label: "limit replicate", done: 1, total: 8)
    snapshot.inner = .init(label: "instruction", done: 40, total: 5034)
    #expect(
      Watchdog.message(reason: "stopped by --timeout 3 s", at: snapshot, elapsed: "3 s")
        == "tp: stopped by --timeout 3 s after 3 s, in limit replicate 2 of 8, instruction 41 of 5034 "
        + "(the parts before it were finished); no results were printed\n")
    #expect(
      Watchdog.message(reason: "interrupted", at: .init(), elapsed: "0 s")
        == "tp: interrupted after 0 s; no results were printed\n")
  }

  @Test func threadCountFromTheEnvironment() {
    #expect(Parallel.threads(fromEnvironment: "1") == 1)
    #expect(Parallel.threads(fromEnvironment: " 8 ") == 8)
    for bad in [nil, "", "0", "-2", "1025", "two", "1.5", "99999999999999999999"] {
      #expect(Parallel.threads(fromEnvironment: bad) == nil, "\(bad ?? "nil")")
    }
  }

  @Test(arguments: ["0", "-1", "nan", "inf", "1e8", "soon", ""])
  func badTimeoutIsExit1(_ value: String) {
    let r = tp("run", Examples.path("examples/mup1_tanh.tp"), "--timeout", value)
    #expect(r.code == .usage)
    #expect(r.stderr.contains("--timeout must be a number of seconds in (0, 10000000], got '\(value)'"))
    #expect(r.stdout.isEmpty)
  }

  @Test func timeoutIsAcceptedByRunCheckAndExplain() {
    for command in ["run", "check", "explain", "coordcheck"] {
      let r = tp(command, "--help")
      #expect(r.stdout.contains("--timeout S"), "\(command)")
    }
  }

  /// A run that ends before its timeout is unaffected (in-process, no watchdog is armed: the
  /// results are those of the run without the option).
  @Test func timeoutDoesNotChangeResults() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("timeout-\(UUID()).tp")
    try "width n\nvector x ~ N(0, 1)\na = mean(relu(x))\nout a\n".write(
      to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let plain = tp("run", file.path, "--json")
    let timed = tp("run", file.path, "--json", "--timeout", "600")
    #expect(plain.code == .success)
    #expect(timed.stdout == plain.stdout)
  }
}
