import TPCore

/// The regime of an abc-parametrized MLP, by the dichotomy of Yang & Hu, *Tensor Programs IV*
/// (2021), Theorem 3.4 and Corollary 3.9, in the form stated in docs/theory.md:
///
/// `r = min(a_{L+1}+b_{L+1}, 2a_{L+1}+c) + c − 1 + min_{l=1..L} [2a_l + 1{l=1}]`.
public struct Classification: Sendable, Hashable {
  public enum Regime: String, Sendable, Hashable {
    case featureLearning = "feature-learning"
    case kernel
    case trivial
    case unstable
  }

  /// One checked condition, e.g. `a₁ + b₁ = 0` with its value.
  public struct Condition: Sendable, Hashable {
    public var name: String
    public var statement: String
    public var holds: Bool
  }

  public var regime: Regime
  public var r: Rational
  public var conditions: [Condition]
  /// For unstable parametrizations: what blows up and how fast (`n^{exponent}`).
  public var instability: String?

  /// Classifies `p` for layers in forward order (input first, readout last).
  public static func classify(_ p: ResolvedParametrization, layers: [LayerSpec]) -> Classification {
    let input = layers.filter { $0.role == .input }
    let hidden = layers.filter { $0.role == .hidden }
    let readouts = layers.filter { $0.role == .readout }
    let c = p.c
    var conditions: [Condition] = []
    func exps(_ l: LayerSpec) -> LayerExponents { p.layers[l.name] ?? LayerExponents(a: .zero, b: .zero) }

    // Stability at initialization.
    var initStable = true
    for l in input {
      let s = exps(l).scale
      let ok = s.isZero
      initStable = initStable && ok
      conditions.append(Condition(name: "init: \(l.name)", statement: "a+b = \(s) (must be 0)", holds: ok))
    }
    for l in hidden {
      let s = exps(l).scale
      let ok = s == .half
      initStable = initStable && ok
      conditions.append(Condition(name: "init: \(l.name)", statement: "a+b = \(s) (must be 1/2)", holds: ok))
    }
    guard let out = readouts.first else {
      return Classification(regime: .trivial, r: .zero, conditions: conditions, instability: nil)
    }
    let aL = exps(out).a
    let abL = exps(out).scale
    let okOut = abL >= .half
    initStable = initStable && okOut
    conditions.append(
      Condition(name: "init: \(out.name)", statement: "a+b = \(abL) (must be ≥ 1/2)", holds: okOut))

    // r, the exponent of feature updates.
    var minTerm: Rational?
    for l in input + hidden {
      let t = 2 * exps(l).a + (l.role == .input ? .one : .zero)
      minTerm = minTerm.map { min($0, t) } ?? t
    }
    let readoutScale = min(abL, 2 * aL + c)
    let r = readoutScale + c - .one + (minTerm ?? .zero)

    let s1 = r >= .zero
    let s2 = 2 * aL + c >= .one
    let s3 = abL + r >= .one
    conditions.append(Condition(name: "train: r ≥ 0", statement: "r = \(r)", holds: s1))
    conditions.append(
      Condition(name: "train: 2a_{L+1} + c ≥ 1", statement: "2a+c = \(2 * aL + c)", holds: s2))
    conditions.append(Condition(name: "train: a_{L+1}+b_{L+1}+r ≥ 1", statement: "= \(abL + r)", holds: s3))
    let nontrivial = (2 * aL + c) == .one || (abL + r) == .one
    conditions.append(
      Condition(name: "nontrivial", statement: "2a_{L+1}+c = 1 or a_{L+1}+b_{L+1}+r = 1", holds: nontrivial))

    let stable = initStable && s1 && s2 && s3
    let regime: Regime
    var instability: String?
    if !stable {
      regime = .unstable
      if !initStable {
        instability = "the initial forward pass grows with n (init conditions fail)"
      } else {
        // First-step exponents of THEORY §5: how each update moves a later forward pass.
        var worst: (String, Rational)?
        func consider(_ what: String, _ e: Rational) {
          if e > .zero, worst == nil || e > worst!.1 { worst = (what, e) }
        }
        for l in hidden { consider("the output of hidden layer \(l.name)", .one - c - 2 * exps(l).a - abL) }
        for l in input { consider("the output of input layer \(l.name)", -c - 2 * exps(l).a - abL) }
        consider("the network output", .one - c - 2 * aL)
        if let (what, e) = worst {
          instability = "\(what) grows like n^\(e) after one SGD step"
        } else {
          instability = "updates grow with n over several steps (r = \(r))"
        }
      }
    } else if !nontrivial {
      regime = .trivial
    } else {
      regime = r.isZero ? .featureLearning : .kernel
    }
    return Classification(regime: regime, r: r, conditions: conditions, instability: instability)
  }
}

/// Which parts of the NTK drive kernel-regime training under an abc-parametrization, and
/// whether the initial output is a Gaussian process (docs/theory.md, "Kernel regime of any abc").
///
/// One SGD step changes `f` through weight `W_l` by `η n^{e_l} Θ_l χ`, where `Θ_l` is layer
/// `l`'s term of the NTK in the `ntk` parametrization with the same `var`s (the effective
/// weights have the same law) and, with `s = a_{L+1}+b_{L+1}` the size exponent of `∂f/∂x^L`
/// (each hidden layer with `a+b = ½` keeps it) and `‖x^l‖² = Θ(n)`, `‖ξ‖² = Θ(1)`:
///
/// * readout: `e = 1 − c − 2a_{L+1}`;
/// * hidden layer `l`: `e_l = 2 − 2s − c − 2a_l`;
/// * input layer (and every bias, which scales like the input layer): `e = 1 − 2s − c − 2a_1`.
///
/// In the kernel regime every `e ≤ 0`; the layers with `e = 0` make up the training kernel and
/// the others vanish in the limit. `f₀` is the NNGP process when `s = ½` and 0 when `s > ½`.
/// For the `ntk` preset every `e = 0` and `s = ½`. Reference: Yang & Hu, *Tensor Programs IV*
/// (2021), §3 and Appendix (the kernel limits of abc-parametrizations).
public struct KernelScaling: Sendable, Hashable {
  /// Layers whose NTK term has exponent 0.
  public var layers: Set<String>
  /// Whether the biases' NTK terms have exponent 0.
  public var biases: Bool
  /// Whether `f₀` is the NNGP Gaussian process (`a_{L+1}+b_{L+1} = ½`) rather than 0.
  public var initialOutput: Bool

  public init(layers: Set<String>, biases: Bool, initialOutput: Bool) {
    self.layers = layers
    self.biases = biases
    self.initialOutput = initialOutput
  }

  /// The scaling of `p`. After the first step the readout's size is `n^{-s′}` with
  /// `s′ = min(s, 2a_{L+1}+c)` (its update `n^{-(2a_{L+1}+c)}` may outgrow its initial size), so
  /// the other exponents are taken at `s′`. Fails when a term grows with the width, or when a
  /// term vanishes at initialization (`s`) but not after the first step (`s′`): the kernel
  /// would change during training.
  public init(_ p: ResolvedParametrization, layers specs: [LayerSpec]) throws(LoweringError) {
    func exps(_ l: LayerSpec) -> LayerExponents { p.layers[l.name] ?? LayerExponents(a: .zero, b: .zero) }
    guard let readout = specs.first(where: { $0.role == .readout }) else {
      throw LoweringError("the model has no readout")
    }
    let s = exps(readout).scale
    let c = p.c
    let trained = min(s, 2 * exps(readout).a + c)
    /// The exponent of layer `l`'s term when `∂f/∂x^L` has size `n^{-size}`.
    func exponent(_ l: LayerSpec, _ size: Rational) -> Rational {
      switch l.role {
      case .readout: return .one - c - 2 * exps(l).a
      case .hidden: return 2 * Rational.one - 2 * size - c - 2 * exps(l).a
      case .input: return .one - 2 * size - c - 2 * exps(l).a
      }
    }
    var contributing: Set<String> = []
    var inputExponent: Rational?
    for l in specs {
      let e = exponent(l, trained)
      if l.role == .input { inputExponent = inputExponent ?? e }
      if e > .zero {
        throw LoweringError(
          "layer '\(l.name)' changes the output by n^\(e) per step: the parametrization is not in the kernel regime",
          range: l.range)
      }
      if e == .zero && exponent(l, s) < .zero {
        throw LoweringError(
          "layer '\(l.name)' does not train at initialization but does once the readout has moved (its update n^-\(2 * exps(readout).a + c) outgrows its initial size n^-\(s)), so the kernel changes during training and no fixed-kernel limit applies",
          range: l.range)
      }
      if e == .zero { contributing.insert(l.name) }
    }
    self.init(layers: contributing, biases: inputExponent == .zero, initialOutput: s == .half)
  }
}
