import TPCore
import TPSyntax

/// The width exponents of one layer: effective weights `W = σ c n^{-a} w`, `w_ij ~ N(0, n^{-2b})`.
public struct LayerExponents: Sendable, Hashable {
  public var a: Rational
  public var b: Rational
  public init(a: Rational, b: Rational) {
    self.a = a
    self.b = b
  }
  /// `a + b`: the layer's initial scale is `n^{-(a+b)}` per entry (times `σ c`).
  public var scale: Rational { a + b }
}

/// A resolved abc-parametrization: exponents per layer and the learning-rate exponent `c`
/// (SGD step `η n^{-c}` on `w`), after Yang & Hu, *Tensor Programs IV* (2021), §3.
public struct ResolvedParametrization: Sendable, Hashable {
  public var name: String
  public var layers: [String: LayerExponents]
  public var c: Rational

  /// The exponents of a named preset for a layer of the given role (THEORY §5's table).
  public static func preset(_ name: String, role: LayerRole) -> LayerExponents? {
    let z = Rational.zero, h = Rational.half
    switch (name, role) {
    case ("ntk", .input): return LayerExponents(a: z, b: z)
    case ("ntk", _): return LayerExponents(a: h, b: z)
    case ("sp", .input): return LayerExponents(a: z, b: z)
    case ("sp", _): return LayerExponents(a: z, b: h)
    case ("mup", .input): return LayerExponents(a: -h, b: h)
    case ("mup", .hidden): return LayerExponents(a: z, b: h)
    case ("mup", .readout): return LayerExponents(a: h, b: h)
    // Mean field: unit-scale initial weights `w`, the readout at `1/n` and the learning rate
    // `η n` (Mei, Montanari & Nguyen 2018 for one hidden layer). A hidden layer gets
    // `a = ½, b = 0`, which makes the whole preset μP moved by the abc symmetry
    // `(a, b, c) → (a + ½, b − ½, c − 1)` (Yang & Hu 2021, §3): the same dynamics at every
    // width, and for one hidden layer the classic mean-field network.
    case ("mf", .input): return LayerExponents(a: z, b: z)
    case ("mf", .hidden): return LayerExponents(a: h, b: z)
    case ("mf", .readout): return LayerExponents(a: .one, b: z)
    default: return nil
    }
  }

  /// The preset's learning-rate exponent `c`.
  public static func presetC(_ name: String) -> Rational { name == "mf" ? Rational(-1) : .zero }

  /// Resolves a parametrization statement against the declared layers.
  public static func resolve(_ spec: ParametrizationSpec, layers: [LayerSpec]) throws(LoweringError)
    -> ResolvedParametrization
  {
    switch spec {
    case .preset(let name):
      var out: [String: LayerExponents] = [:]
      for l in layers {
        guard let e = preset(name, role: l.role) else {
          throw LoweringError(
            "the '\(name)' parametrization has no exponents for layer '\(l.name)', a \(l.role.rawValue) layer",
            range: l.range)
        }
        out[l.name] = e
      }
      return ResolvedParametrization(name: name, layers: out, c: presetC(name))
    case .abc(let given, let c):
      var out: [String: LayerExponents] = [:]
      for l in layers {
        guard let g = given[l.name], let a = Rational(approximating: g.a),
          let b = Rational(approximating: g.b)
        else {
          throw LoweringError(
            "the exponents of layer '\(l.name)' must be rationals with small denominators", range: l.range)
        }
        out[l.name] = LayerExponents(a: a, b: b)
      }
      guard let cr = Rational(approximating: c) else {
        throw LoweringError("the exponent c must be a simple rational")
      }
      return ResolvedParametrization(name: "abc", layers: out, c: cr)
    }
  }
}

/// An error found while lowering a network program (exit code 2 when it is the program's fault).
public struct LoweringError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var range: SourceRange?

  public init(_ message: String, range: SourceRange? = nil) {
    self.message = message
    self.range = range
  }

  public var description: String { message }
}
