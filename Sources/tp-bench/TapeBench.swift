import Foundation
import TPNumerics
import TensorPrograms

/// `tp-bench tape`: the elementwise tape (``Tape``, the compiled form of a `Nonlin` body)
/// evaluating `tanh(a·x + b)·y` over `count` particles in the limit engine's chunks of 4,096,
/// against a hand-written Swift loop over the same arrays (the same `tanh`), one thread each,
/// then the tape on 2 threads; and a limit run of `examples/mup2_tanh.tp --set steps=10` with
/// `LimitOptions.threads` 1 and 2. Best of `reps` after a warm-up; each ratio's spread over
/// the `reps` timings (max/min of the slower side) shows the machine's noise.
func benchTape(count: Int = 1_000_000, reps: Int = 7) {
  let x = GaussianFill.gaussians(count: count, seed: 3, stream: 0)
  let y = GaussianFill.gaussians(count: count, seed: 4, stream: 0)
  var out = [Double](repeating: 0, count: count)
  var reference = [Double](repeating: 0, count: count)
  let a = 0.7
  let b = -0.2
  // tanh(a·x + b)·y with a and b scalar leaves bound at compile time, as in the engine.
  let expression = CoordExpr.multiply(
    .apply(.tanh, .add(.multiply(.scalar(ScalarID(0)), .vector(VectorID(0))), .scalar(ScalarID(1)))),
    .vector(VectorID(1)))
  let tape = Tape(expression, scalars: [a, b], writesOutput: true)
  func times(_ body: () -> Void) -> (best: Double, worst: Double) {
    body()
    var best = Double.infinity
    var worst = 0.0
    for _ in 0..<reps {
      let d = ContinuousClock().measure(body)
      let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
      best = min(best, s)
      worst = max(worst, s)
    }
    return (best, worst)
  }
  let hand = x.withUnsafeBufferPointer { px in
    y.withUnsafeBufferPointer { py in
      reference.withUnsafeMutableBufferPointer { po in
        times {
          for i in 0..<count { po[i] = Function.tanh(a * px[i] + b) * py[i] }
        }
      }
    }
  }
  func tapeTime(threads: Int) -> (best: Double, worst: Double) {
    x.withUnsafeBufferPointer { px in
      y.withUnsafeBufferPointer { py in
        out.withUnsafeMutableBufferPointer { po in
          let inputs = tape.inputs.map { $0.raw == 0 ? px.baseAddress! : py.baseAddress! }
          return times {
            tape.forEachChunk(
              count: count, inputs: inputs, output: po.baseAddress!, chunkSize: 4096, threads: threads
            ) { _, _, _ in }
          }
        }
      }
    }
  }
  let one = tapeTime(threads: 1)
  let differs = zip(out, reference).contains { $0 != $1 }
  let two = tapeTime(threads: 2)
  func ns(_ s: Double) -> String { format(s / Double(count) * 1e9) }
  print(
    "tape: tanh(a·x + b)·y over \(count) particles (\(tape.ops.count) tape operations, \(tape.registerCount) registers), best of \(reps) (worst in brackets)"
  )
  print(
    "  hand-written loop, 1 thread   \(format(hand.best * 1e3)) ms  (\(format(hand.worst * 1e3)))  \(ns(hand.best)) ns/particle"
  )
  print(
    "  tape, 1 thread                \(format(one.best * 1e3)) ms  (\(format(one.worst * 1e3)))  \(ns(one.best)) ns/particle; tape / loop = \(format(one.best / hand.best))× (range \(format(one.best / hand.worst))…\(format(one.worst / hand.best)))"
      + (differs ? "  [results differ from the loop]" : "  [bit-identical to the loop]"))
  print(
    "  tape, 2 threads               \(format(two.best * 1e3)) ms  (\(format(two.worst * 1e3)))  speed-up over 1 thread \(format(one.best / two.best))× (range \(format(one.best / two.worst))…\(format(one.worst / two.best)))"
  )

  // 1 vs 2 threads on a whole limit run.
  let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/mup2_tanh.tp")
  guard
    let program = try? TensorProgram(
      source: String(contentsOf: example, encoding: .utf8), fileName: "mup2_tanh.tp", overrides: ["steps": 10]
    )
  else {
    print("tape: examples/mup2_tanh.tp does not check")
    return
  }
  let samples = 1 << 15
  var wall: [Int: (best: Double, worst: Double)] = [:]
  var cpu: [Int: Double] = [:]
  // Alternate 1 and 2 threads so a burst of load from other processes hits both.
  for _ in 0..<3 {
    for threads in [1, 2] {
      var options = LimitOptions(samples: samples, replicates: 1, seed: 1)
      options.threads = threads
      let m = measured { _ = try? program.runLimit(options) }
      let w = wall[threads] ?? (.infinity, 0)
      wall[threads] = (min(w.best, m.wall), max(w.worst, m.wall))
      cpu[threads] = min(cpu[threads] ?? .infinity, m.cpu)
    }
  }
  guard let w1 = wall[1], let w2 = wall[2] else { return }
  print(
    "threads: limit of examples/mup2_tanh.tp steps=10, 1 replicate × \(samples) particles, best of 3 (worst)")
  print("  1 thread    \(format(w1.best)) s (\(format(w1.worst)))  CPU \(format(cpu[1] ?? 0)) s")
  print(
    "  2 threads   \(format(w2.best)) s (\(format(w2.worst)))  CPU \(format(cpu[2] ?? 0)) s; speed-up \(format(w1.best / w2.best))× (range \(format(w1.best / w2.worst))…\(format(w1.worst / w2.best)))"
  )
}
