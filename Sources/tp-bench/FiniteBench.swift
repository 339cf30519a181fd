import Foundation
import TensorPrograms

/// `tp-bench finite`: one full finite-width run of a `transpose_ww.tp`-like program
/// (`g = Wᵀ y`, `h = W g`, two moments) at n = 4096, with the matrix cached (materialized once,
/// dense matvecs) and regenerated (rows recomputed from the counter-based stream in both
/// products), and the ratio of the two, measured in the same process.
func benchFinite(width n: Int = 4096, repetitions: Int = 5) {
  let source = """
    width n
    matrix W ~ N(0, 2/n)
    vector y ~ N(0, 1)
    g = W.T @ y
    h = W @ g
    r = mean(h * y)
    s = mean(h * h)
    out r, s
    """
  let program: Program
  do {
    program = try TensorProgram(source: source, fileName: "transpose_ww.tp").core
  } catch {
    print("finite: the benchmark program does not check: \(error.render())")
    return
  }
  let threads = ProcessInfo.processInfo.activeProcessorCount
  print(
    "finite: transpose_ww-like program (Wᵀ y, W g, 2 moments) at n = \(n), \(threads) threads, best of \(repetitions)"
  )
  var seconds: [MatrixStorage: Double] = [:]
  for storage in [MatrixStorage.cached, .regenerated] {
    let options = FiniteOptions(width: n, seed: 1, threads: threads, matrixStorage: storage)
    var best = Double.infinity
    // One warm-up call, then the fastest of `repetitions` timed calls.
    for repetition in 0...repetitions {
      let start = ContinuousClock.now
      do {
        _ = try FiniteExecutor.run(program, options: options)
      } catch {
        print("  \(storage.rawValue): \(error)")
        return
      }
      let elapsed = ContinuousClock.now - start
      if repetition > 0 {
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
      }
    }
    seconds[storage] = best
    let normals = Double(n) * Double(n) * (storage == .cached ? 1 : 2)
    print(
      "  \(storage.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))"
        + String(
          format: "%8.1f ms  (%3.0f M normals drawn; %.2f ns per normal, products included)", best * 1e3,
          normals / 1e6, best / normals * 1e9))
  }
  if let c = seconds[.cached], let r = seconds[.regenerated] {
    print(String(format: "  regenerated / cached = %.2f", r / c))
  }
}
