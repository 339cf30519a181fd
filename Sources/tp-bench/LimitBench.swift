import Foundation
import TensorPrograms

/// `tp-bench limit`: the limit of `examples/mup2_tanh.tp` (μP, two hidden tanh layers) for several
/// SGD step counts, with path-wise `Ż` derivatives by one reverse-mode sweep over the particles
/// (default) and by forward-mode tangent nodes (the baseline), timed in the same process; the
/// two give the same numbers to rounding (tested), so the ratio is pure cost.
func benchLimit(steps: [Int] = [10, 20, 30], samples: Int = 1 << 16) {
  let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/mup2_tanh.tp")
  print("limit: examples/mup2_tanh.tp (μP, 2 hidden tanh layers, batch 1), \(samples) particles")
  print("  steps   reverse (s)   tangents (s)   tangents / reverse")
  for t in steps {
    do {
      let program = try TensorProgram(
        source: try String(contentsOf: example, encoding: .utf8), fileName: "mup2_tanh.tp",
        overrides: ["steps": Double(t)])
      var options = LimitOptions(samples: samples, replicates: 1)
      let reverse = bestTime(reps: 1) { _ = try? program.runLimit(options) }
      options.reverseModeDerivatives = false
      let tangents = bestTime(reps: 1) { _ = try? program.runLimit(options) }
      print(
        "  \(String(t).padding(toLength: 5, withPad: " ", startingAt: 0))   \(format(reverse, 3).padding(toLength: 11, withPad: " ", startingAt: 0))   \(format(tangents, 3).padding(toLength: 12, withPad: " ", startingAt: 0))   \(format(tangents / reverse))×"
      )
    } catch {
      print("limit: the benchmark program does not check: \(error)")
      return
    }
  }
}
