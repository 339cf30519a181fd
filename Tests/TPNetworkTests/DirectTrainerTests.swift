import TPTestSupport
import Testing

@testable import TensorPrograms

/// An MLP with `hidden` hidden layers (1 = input and readout only), for the trainer tests.
func network(
  hidden: Int, _ activation: String, _ parametrization: String, lr: Double, steps: Int, batch: String,
  bias: Bool = false, loss: String = "mse", observeAll: Bool = true
) -> String {
  var s = "width n\nlayer U : 2 -> n  (var: 2)\n"
  for l in 1..<hidden { s += "layer W\(l) : n -> n  (var: 1.5)\n" }
  s += "layer V : n -> 1\n" + (bias ? "bias b : n  (var: 0.3)\n" : "")
  s += "model f(xi) {\n  h0 = U @ xi\(bias ? " + b" : "")\n  x0 = \(activation)(h0)\n"
  for l in 1..<hidden { s += "  h\(l) = W\(l) @ x\(l - 1)\n  x\(l) = \(activation)(h\(l))\n" }
  s += "  return V @ x\(hidden - 1)\n}\nparametrization \(parametrization)\n"
  s +=
    loss == "mse"
    ? "data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1, [-0.5, 0.5] -> 0.5 ]\n"
    : "data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1, [-0.5, 0.5] -> 1 ]\n"
  s += "train f on train with sgd(lr: \(lr), steps: \(steps), batch: \(batch), loss: \(loss))\n"
  s += "observe f at [1, 0], [0.3, -0.7]\n"
  if observeAll {
    s +=
      "observe loss\nobserve movement h\(hidden - 1) at [1, 0]\nobserve kernel x\(hidden - 1) at [1, 0], [0.6, 0.8]\n"
  }
  return s
}

struct EquivalenceCase: Sendable, CustomStringConvertible {
  var parametrization: String
  var hidden: Int
  var activation: String
  var batch: String
  var bias: Bool
  var loss: String
  var description: String {
    "\(parametrization) L=\(hidden) \(activation) batch \(batch)\(bias ? " bias" : "") \(loss)"
  }
}

let equivalenceCases: [EquivalenceCase] = {
  var out: [EquivalenceCase] = []
  for p in ["mup", "ntk", "sp"] {
    for hidden in 1...3 {
      for act in ["relu", "tanh"] {
        for batch in ["1", "full"] {
          out.append(
            EquivalenceCase(
              parametrization: p, hidden: hidden, activation: act, batch: batch,
              bias: act == "relu" && hidden != 2,
              loss: hidden == 2 && batch == "full" ? "logistic" : "mse"))
        }
      }
    }
  }
  return out
}()

/// The lowered program executed at width n is the finite network itself, so it must agree with
/// real SGD on real weights drawn from the same streams — to rounding.
@Test(arguments: equivalenceCases)
func loweredProgramEqualsDirectTrainer(_ c: EquivalenceCase) throws {
  let steps = 3 + c.hidden % 3
  // SP's updates grow like n: a smaller step keeps tanh out of saturation at this width.
  let lr = c.parametrization == "sp" ? 0.05 : 0.5
  let source = network(
    hidden: c.hidden, c.activation, c.parametrization, lr: lr, steps: steps, batch: c.batch, bias: c.bias,
    loss: c.loss)
  let p = try TensorProgram(source: source)
  for (width, seed) in [(64, UInt64(3)), (96, UInt64(11))] {
    let lowered = try p.runFinite(width: width, seed: seed, lowered: true).trajectory
    let direct = try p.runFinite(width: width, seed: seed).trajectory
    try #require(lowered.count == direct.count)
    #expect(lowered.count == (steps + 1) * (2 + 1 + 1 + 3))
    for (a, b) in zip(lowered, direct) {
      #expect(TensorProgram.label(a) == TensorProgram.label(b))
      expectClose(
        b.value, a.value, absolute: 1e-13, relative: 1e-9, "\(TensorProgram.label(a)) at n=\(width)")
    }
  }
}
