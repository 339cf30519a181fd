import Foundation
import TPSyntax
import Testing

@testable import TPCore
@testable import TPNetwork
@testable import TensorPrograms

/// Kernel-regime training under abc-parametrizations other than the `ntk` preset: which NTK
/// terms survive (worked by hand here) and the trajectories they give (closed forms here).
@Suite struct KernelScalingTests {
  static func layers(_ hidden: Int) -> [LayerSpec] {
    let range = SourceRange(0, 0)
    var out = [LayerSpec(name: "U", input: .finite(2), output: .width, variance: 1, range: range)]
    for l in 0..<hidden {
      out.append(LayerSpec(name: "W\(l)", input: .width, output: .width, variance: 1, range: range))
    }
    out.append(LayerSpec(name: "V", input: .width, output: .finite(1), variance: 1, range: range))
    return out
  }

  static func scaling(_ spec: ParametrizationSpec, hidden: Int = 1) throws -> KernelScaling {
    let p = try ResolvedParametrization.resolve(spec, layers: layers(hidden))
    return try KernelScaling(p, layers: layers(hidden))
  }

  static func abc(_ u: (Double, Double), _ w: (Double, Double), _ v: (Double, Double), c: Double)
    -> ParametrizationSpec
  {
    .abc(
      layers: [
        "U": ABCExponents(a: u.0, b: u.1), "W0": ABCExponents(a: w.0, b: w.1),
        "V": ABCExponents(a: v.0, b: v.1),
      ], c: c)
  }

  /// By hand, with `s = a_V + b_V`: readout `1 − c − 2a_V`, hidden `2 − 2s − c − 2a_W`,
  /// input `1 − 2s − c − 2a_U`.
  @Test func survivingTermsAreWorkedByHand() throws {
    // ntk: s = ½, c = 0: 0, 0, 0 — every term, f₀ a Gaussian process.
    #expect(
      try Self.scaling(.preset("ntk"), hidden: 3)
        == KernelScaling(layers: ["U", "W0", "W1", "W2", "V"], biases: true, initialOutput: true))
    // sp with c = 1 (a = 0, b_W = b_V = ½): readout 1 − 1 = 0, hidden 2 − 1 − 1 = 0, input
    // 1 − 1 − 1 = −1: the input layer and the biases drop out.
    #expect(
      try Self.scaling(Self.abc((0, 0), (0, 0.5), (0, 0.5), c: 1))
        == KernelScaling(layers: ["W0", "V"], biases: false, initialOutput: true))
    // ntk body with a μP readout (a_V = b_V = ½, s = 1): readout 1 − 1 = 0, hidden 2 − 2 − 1 = −1,
    // input 1 − 2 − 0 = −1: only the readout trains, from f₀ = 0.
    #expect(
      try Self.scaling(Self.abc((0, 0), (0.5, 0), (0.5, 0.5), c: 0))
        == KernelScaling(layers: ["V"], biases: false, initialOutput: false))
    // A tiny readout (a_V = ½, b_V = 1, s = 3/2) whose update n^-(2a+c) = n^-1 outgrows it:
    // after one step s′ = 1, hidden 2 − 2 − 0 − 1 = −1, input 1 − 2 − 0 = −1, readout 0: still
    // only the readout trains, from f₀ = 0.
    #expect(
      try Self.scaling(Self.abc((0, 0), (0.5, 0), (0.5, 1), c: 0))
        == KernelScaling(layers: ["V"], biases: false, initialOutput: false))
    // A readout whose own term grows: a_V = 0, b_V = 1, c = 0 gives s′ = min(1, 0) = 0 and
    // readout 1 − 0 − 0 = 1 > 0.
    #expect(throws: LoweringError.self) { try Self.scaling(Self.abc((0, 0), (0, 0.5), (0, 1), c: 0)) }
    // μP body with a tiny readout (a_V = ½, b_V = 1, s = 3/2, c = 0): s′ = 1, hidden
    // 2 − 2 − 0 − 0 = 0 and input 1 − 2 + 1 = 0 once the readout has moved, but −1 at
    // initialization: the kernel would change (this is feature learning, r = 0, and never reaches
    // the kernel engine; the scaling refuses it on its own too).
    #expect(throws: LoweringError.self) { try Self.scaling(Self.abc((-0.5, 0.5), (0, 0.5), (0.5, 1), c: 0)) }
  }

  static let reluNetwork = """
    width n
    layer U : 2 -> n
    layer V : n -> 1
    model f(xi) { return V @ relu(U @ xi) }
    data train = [ [1, 0] -> 1 ]
    train f on train with sgd(lr: 0.5, steps: 3, batch: full, loss: mse)
    observe f at [1, 0], [0.6, 0.8]

    """

  /// One hidden relu layer, one training point `x₀`, full batch, training kernel `Θ`:
  /// `f_t(x) = f₀(x) + c_t Θ(x, x₀)/Θ₀₀ (y − f₀(x₀))` with `c_t = 1 − (1 − ηΘ₀₀)^t`, so the mean is
  /// `c_t Θ(x, x₀) y/Θ₀₀` and the variance `K(x,x) − 2c_t K(x,x₀)Θ(x,x₀)/Θ₀₀ + c_t² Θ(x,x₀)² K₀₀/Θ₀₀²`.
  static func expected(
    theta: (Double, Double), k: (xx: Double, xx0: Double, x0x0: Double), step t: Int, gp: Bool
  ) -> (mean: Double, variance: Double) {
    let ct = 1 - pow(1 - 0.5 * theta.0, Double(t))
    let r = theta.1 / theta.0
    let variance = gp ? k.xx - 2 * ct * r * k.xx0 + ct * ct * r * r * k.x0x0 : 0
    return (ct * r, variance)
  }

  @Test(arguments: ["sp-c1", "mup-readout"]) func trajectoriesFollowTheSurvivingKernel(_ which: String) throws
  {
    let block =
      which == "sp-c1"
      ? "parametrization abc { U: a = 0, b = 0; V: a = 0, b = 0.5; c = 1 }\n"
      : "parametrization abc { U: a = 0, b = 0; V: a = 0.5, b = 0.5; c = 0 }\n"
    let report = try TensorProgram(source: Self.reluNetwork + block).runLimit()
    // Arc-cosine kernel of relu(U ξ) with U entries N(0, 1/2): E[relu(u)relu(v)] for unit inputs
    // at angle θ is (1/2)(sin θ + (π − θ) cos θ)/(2π); the readout term of Θ is that kernel.
    func k(_ cosine: Double) -> Double {
      let th = acos(cosine)
      return 0.5 * (sin(th) + (.pi - th) * cos(th)) / (2 * .pi)
    }
    let kxx0 = k(0.6)
    let kd = k(1)
    for t in 0...3 {
      for (point, kx, theta) in [([1.0, 0.0], kd, (kd, kd)), ([0.6, 0.8], kxx0, (kd, kxx0))] {
        let v = try #require(
          report.trajectory.first { $0.observable == "f" && $0.points == [point] && $0.step == t })
        let e = Self.expected(
          theta: theta, k: (xx: kd, xx0: kx, x0x0: kd), step: t, gp: which == "sp-c1")
        #expect(abs(v.value - e.mean) <= 1e-12, "\(which) t=\(t) \(point): \(v.value) vs \(e.mean)")
        #expect(
          abs(v.variance - e.variance) <= 1e-12,
          "\(which) t=\(t) \(point): var \(v.variance) vs \(e.variance)")
      }
    }
  }
}
