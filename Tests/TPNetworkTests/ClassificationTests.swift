import Testing

@testable import TensorPrograms

/// A one- or two-hidden-layer MLP with the given parametrization statement.
func mlp(hidden: Int, _ parametrization: String) -> String {
  var s = "width n\nlayer U : 2 -> n\n"
  for l in 0..<(hidden - 1) { s += "layer W\(l) : n -> n\n" }
  s += "layer V : n -> 1\nmodel f(xi) {\n  x = relu(U @ xi)\n"
  var last = "x"
  for l in 0..<(hidden - 1) {
    s += "  y\(l) = relu(W\(l) @ \(last))\n"
    last = "y\(l)"
  }
  s += "  return V @ \(last)\n}\nparametrization \(parametrization)\n"
  return s
}

func classify(_ source: String) throws -> Classification {
  let p = try TensorProgram(source: source)
  let net = try #require(p.network)
  return Classification.classify(
    try ResolvedParametrization.resolve(net.parametrization, layers: net.layers), layers: net.layers)
}

struct RegimeCase: Sendable, CustomStringConvertible {
  var name: String
  var hidden: Int
  var parametrization: String
  var regime: Classification.Regime
  var r: Rational?
  var description: String { name }
}

/// Expected regimes worked out by hand from the dichotomy (docs/theory.md), not from the code.
let regimeCases: [RegimeCase] = [
  .init(name: "mup L=1", hidden: 1, parametrization: "mup", regime: .featureLearning, r: .zero),
  .init(name: "mup L=2", hidden: 2, parametrization: "mup", regime: .featureLearning, r: .zero),
  .init(name: "mf L=1", hidden: 1, parametrization: "mf", regime: .featureLearning, r: .zero),
  // Deep mf: input (0, 0), hidden (½, 0), readout (1, 0), c = −1. r = min(1, 2 − 1) − 1 − 1
  // + min(0 + 1, 2·½) = 0: feature learning, as μP (it is μP moved by the abc symmetry).
  .init(name: "mf L=2", hidden: 2, parametrization: "mf", regime: .featureLearning, r: .zero),
  .init(name: "mf L=4", hidden: 4, parametrization: "mf", regime: .featureLearning, r: .zero),
  // An abc block equal to the ntk preset: r = min(½, 1) + 0 − 1 + min(1, 1) = ½.
  .init(
    name: "ntk as abc", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0.5, b = 0; V: a = 0.5, b = 0; c = 0 }", regime: .kernel,
    r: .half),
  // ntk body with a μP readout: r = min(1, 1) + 0 − 1 + min(1, 1) = 1 > 0 and 2a+c = 1: kernel.
  .init(
    name: "ntk with mup readout", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0.5, b = 0; V: a = 0.5, b = 0.5; c = 0 }",
    regime: .kernel, r: .one),
  .init(name: "ntk L=2", hidden: 2, parametrization: "ntk", regime: .kernel, r: .half),
  .init(name: "sp c=0", hidden: 2, parametrization: "sp", regime: .unstable, r: Rational(-1)),
  .init(
    name: "sp c=1", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0, b = 0.5; V: a = 0, b = 0.5; c = 1 }", regime: .kernel,
    r: .half),
  // μP shifted by the symmetry (a, b, c) → (a + ½, b − ½, c − 1): same dynamics, still r = 0.
  .init(
    name: "mup shifted", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0.5, b = 0; V: a = 1, b = 0; c = -1 }",
    regime: .featureLearning,
    r: .zero),
  // Readout a+b = 3/2: r = 3/2 − 1 = 1/2, but neither nontriviality equation holds → trivial.
  .init(
    name: "small readout", hidden: 2,
    parametrization: "abc { U: a = -0.5, b = 0.5; W0: a = 0, b = 0.5; V: a = 1, b = 0.5; c = 0 }",
    regime: .trivial,
    r: .half),
  // NTK with c = −1/2: 2a_{L+1} + c = 1/2 < 1 → unstable.
  .init(
    name: "ntk c=-1/2", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0.5, b = 0; V: a = 0.5, b = 0; c = -0.5 }",
    regime: .unstable,
    r: .zero),
  // NTK with c = 1: r = 3/2, 2a+c = 2, a+b+r = 2 → stable but trivial.
  .init(
    name: "ntk c=1", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0.5, b = 0; V: a = 0.5, b = 0; c = 1 }",
    regime: .trivial,
    r: Rational(3, 2)),
  // Hidden a+b = 0: the forward pass blows up at initialization.
  .init(
    name: "bad init", hidden: 2,
    parametrization: "abc { U: a = 0, b = 0; W0: a = 0, b = 0; V: a = 0.5, b = 0.5; c = 0 }",
    regime: .unstable, r: nil),
]

@Test(arguments: regimeCases)
func regimeClassification(_ c: RegimeCase) throws {
  let result = try classify(mlp(hidden: c.hidden, c.parametrization))
  #expect(result.regime == c.regime)
  if let r = c.r { #expect(result.r == r) }
}

@Test func unstableClassificationNamesTheQuantityAndExponent() throws {
  let result = try classify(mlp(hidden: 2, "sp"))
  #expect(result.instability == "the network output grows like n^1 after one SGD step")
}

@Test func rationalsApproximateExponents() {
  #expect(Rational(approximating: 0.5) == .half)
  #expect(Rational(approximating: -1.0 / 3.0) == Rational(-1, 3))
  #expect(Rational(approximating: 0.1234567891234) == nil)
  #expect(Rational(2, -4) == Rational(-1, 2))
}
