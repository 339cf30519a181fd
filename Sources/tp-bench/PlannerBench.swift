import Foundation
import TensorPrograms

/// `tp-bench planner`: how honest the limit's errors are on the shipped network examples.
///
/// For every stable network example: 8 default runs (`tp run`, seeds 1…8) and one reference
/// (`--method mc --samples 4000000 --replicates 4`). Printed per example: the largest
/// `|default − reference| / √(err² + err_ref²)` over every reported value of run 1, and the
/// ratio of the mean reported error to the observed spread (sample sd) of the 8 runs — median
/// and extremes over the values that have a spread (deterministic values have none).
/// Then the replicate check of issue #10: 16 seeds of `examples/mup2_tanh.tp --set steps=10
/// --replicates 4`, the ratio of their largest to smallest reported error per value and the
/// largest disagreement in combined errors.
func benchPlanner() {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let examples =
    ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("examples").path))
    ?? [])
    .filter { $0.hasSuffix(".tp") }.sorted()
  print("planner: default runs against --method mc --samples 4000000 --replicates 4")
  print(
    "  example                 values  max|z| vs ref   reported/observed spread (median, min, max)   time (s)"
  )
  for name in examples {
    guard
      let text = try? String(contentsOf: root.appendingPathComponent("examples/\(name)"), encoding: .utf8),
      let program = try? TensorProgram(source: text, fileName: name), program.isNetwork,
      let first = try? program.runLimit(LimitOptions(seed: 1)), !first.trajectory.isEmpty
    else { continue }
    let clock = ContinuousClock()
    var runs = [first]
    let start = clock.now
    for s in 2...8 { if let r = try? program.runLimit(LimitOptions(seed: UInt64(s))) { runs.append(r) } }
    let elapsed = clock.now - start
    guard
      let reference = try? program.runLimit(
        LimitOptions(method: .mc, samples: 4_000_000, replicates: 4, seed: 99))
    else { continue }
    var worst = 0.0
    var ratios: [Double] = []
    for (i, t) in first.trajectory.enumerated() where i < reference.trajectory.count {
      let ref = reference.trajectory[i]
      let combined = (t.error * t.error + ref.error * ref.error).squareRoot()
      let tiny = 1e-9 * max(1, abs(ref.value))
      if combined > 0 {
        worst = max(worst, abs(t.value - ref.value) / combined)
      } else if abs(t.value - ref.value) > tiny {
        worst = .infinity  // both claim exact but differ
      }
      let values = runs.map { $0.trajectory[i].value }
      let m = values.reduce(0, +) / Double(values.count)
      let sd = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
      let reported = runs.reduce(0) { $0 + $1.trajectory[i].error } / Double(runs.count)
      // Values that are deterministic (exact, or quadrature) have no spread to compare with.
      if sd > tiny { ratios.append(reported / sd) }
    }
    ratios.sort()
    // safe: first/last only when ratios is non-empty
    let spread =
      ratios.isEmpty
      ? "deterministic"
      : "\(format(ratios[ratios.count / 2])), \(format(ratios.first!)), \(format(ratios.last!))"
    let seconds = Double(elapsed.components.seconds) / 7 + Double(elapsed.components.attoseconds) * 1e-18 / 7
    print(
      "  \(name.padding(toLength: 22, withPad: " ", startingAt: 0))  \(String(first.trajectory.count).padding(toLength: 6, withPad: " ", startingAt: 0))  \(format(worst).padding(toLength: 13, withPad: " ", startingAt: 0))   \(spread.padding(toLength: 44, withPad: " ", startingAt: 0))  \(format(seconds))"
    )
  }
  replicateAgreement(root.appendingPathComponent("examples/mup2_tanh.tp"))
}

/// 16 seeds of the `--replicates 4` run of `examples/mup2_tanh.tp` at 10 steps.
func replicateAgreement(_ file: URL) {
  guard let text = try? String(contentsOf: file, encoding: .utf8),
    let program = try? TensorProgram(source: text, fileName: "mup2_tanh.tp", overrides: ["steps": 10])
  else { return }
  let runs = (0..<16).compactMap { try? program.runLimit(LimitOptions(replicates: 4, seed: UInt64($0))) }
  guard runs.count == 16 else { return }
  var errorRatio = 0.0
  var disagreement = 0.0
  for i in runs[0].trajectory.indices where runs[0].trajectory[i].error > 0 {
    let errors = runs.map { $0.trajectory[i].error }
    errorRatio = max(errorRatio, errors.max()! / errors.min()!)  // safe: 16 runs
    let values = runs.map { $0.trajectory[i].value }
    for j in runs.indices {
      let others = values.enumerated().filter { $0.offset != j }.map(\.element)
      let m = others.reduce(0, +) / Double(others.count)
      let e =
        (errors[j] * errors[j] + errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count * others.count))
        .squareRoot()
      disagreement = max(disagreement, abs(values[j] - m) / e)
    }
  }
  print(
    "replicates: examples/mup2_tanh.tp --set steps=10 --replicates 4, 16 seeds: largest/smallest reported error \(format(errorRatio)) (target ≤ 2), worst |value − mean of others| \(format(disagreement)) combined errors (target ≤ 4)"
  )
}
