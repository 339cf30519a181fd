import Foundation
import TensorPrograms

/// `tp-bench limit`: the limit of a μP two-hidden-layer tanh network trained by SGD for several
/// step counts, with path-wise `Ż` derivatives by one reverse-mode sweep over the particles
/// (default) and by forward-mode tangent nodes (the baseline), timed in the same process; the
/// two give the same numbers to rounding (tested), so the ratio is pure cost.
func benchLimit(steps: [Int] = [10, 20, 30], samples: Int = 1 << 16) {
  print("limit: μP 2-hidden tanh, batch 1, 3 observed points, \(samples) particles")
  print("  steps   reverse (s)   tangents (s)   tangents / reverse")
  for t in steps {
    let source = """
      width n
      layer U : 2 -> n  (var: 2)
      layer W : n -> n
      layer V : n -> 1
      model f(xi) {
        x1 = tanh(U @ xi)
        x2 = tanh(W @ x1)
        return V @ x2
      }
      parametrization mup
      data train = [ [1, 0] -> 1, [0, 1] -> -1 ]
      train f on train with sgd(lr: 0.5, steps: \(t), batch: 1, loss: mse)
      observe f at [1, 0], [0, 1], [0.8, 0.6]
      """
    do {
      let program = try TensorProgram(source: source)
      var options = LimitOptions(samples: samples)
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
