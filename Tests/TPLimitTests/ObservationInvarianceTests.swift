import Foundation
import TPTestSupport
import Testing

@testable import TensorPrograms

/// Observing a network must not change its training. Observation passes add MatMul bases to the
/// W group; one that repeats a training pass is the same Gaussian, and Stein's solution then
/// splits the ZDot coefficient between the copies. Regression test for the ReLU backward pass
/// (a jump on the path), where a lost share moved f by ~20 standard errors.
@Test func observationPassesDoNotChangeTheReluTrajectory() throws {
  func source(_ points: String) -> String {
    """
    width n
    layer U : 2 -> n  (var: 2)
    layer W : n -> n  (var: 2)
    layer V : n -> 1
    model f(xi) {
      x1 = relu(U @ xi)
      x2 = relu(W @ x1)
      return V @ x2
    }
    parametrization mup
    data train = [ [1, 0] -> 1, [0, 1] -> -1 ]
    train f on train with sgd(lr: 1.0, steps: 3, batch: 1, loss: mse)
    observe f at \(points)
    """
  }
  let options = LimitOptions(samples: 1 << 17, replicates: 1, seed: 5)
  let alone = try TensorProgram(source: source("[0.6, 0.8]")).runLimit(options)
  let crowded = try TensorProgram(source: source("[1, 0], [0, 1], [0.6, 0.8]")).runLimit(options)
  for step in 1...3 {
    let a = try #require(alone.trajectory.first { $0.step == step })
    let b = try #require(crowded.trajectory.first { $0.step == step && $0.points == [[0.6, 0.8]] })
    let se = (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot()
    expectWithinStandardErrors(a.value, standardError: se, of: b.value, k: 5)
  }
}
