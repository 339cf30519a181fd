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
