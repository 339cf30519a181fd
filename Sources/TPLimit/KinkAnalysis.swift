import TPCore

/// Where an integrand stops being smooth — the property that decides whether a Gauss–Hermite
/// grid may be laid over it (THEORY §4: quadrature converges only algebraically across a kink
/// and hardly at all across a jump).
///
/// A *site* is `relu`, `abs` (kinks) or `step`, `sign` (jumps) applied to an argument `a`.
/// When `a` is affine in the base Gaussians, or a sign-preserving smooth function of an affine
/// `A` (`tanh`, `erf`, `gelu`, `relu`, the identity, a nonzero multiple), the site is smooth
/// except on the hyperplane `{A = 0}`, which is interned in the engine's kink table. A site
/// whose argument is positive everywhere (`exp`, `sigmoid`, `softplus` of anything) is smooth.
/// Anything else — a site at a non-affine argument, a division by a non-constant (a pole), a
/// power with a non-integer or negative exponent — makes the integrand `general`.
extension ExpectationEngine {
  /// The kink hyperplanes, as affine forms over bases, by id.
  struct KinkTable {
    var forms: [Affine] = []
    var ids: [Key: Int] = [:]

    /// A hyperplane up to scale: terms sorted by base, divided by the largest coefficient's
    /// magnitude and signed so that the first is positive (`A` and `−2A` are one hyperplane).
    struct Key: Hashable {
      var constant: Double
      var bases: [Int]
      var coefficients: [Double]

      init(_ a: Affine) {
        let sorted = a.terms.sorted { $0.key < $1.key }
        let scale = sorted.reduce(0) { max($0, abs($1.value)) }
        let sign: Double = (sorted.first?.value ?? 1) < 0 ? -1 : 1
        let s = scale > 0 ? sign / scale : 1
        constant = a.constant * s
        bases = sorted.map(\.key)
        coefficients = sorted.map { $0.value * s }
      }
    }

    mutating func intern(_ a: Affine) -> Int {
      let key = Key(a)
      if let id = ids[key] { return id }
      forms.append(a)
      ids[key] = forms.count - 1
      return forms.count - 1
    }
  }

  /// Where `e`, an expression over nodes, is not smooth: its own sites and its inputs'.
  func kinks(of e: CoordExpr) -> ZGraph.KinkSet {
    var set = ownKinks(of: e)
    for leaf in e.vectors where set != .general { set = set.union(graph.nodes[leaf.raw].kinks) }
    return set
  }

  /// The sites in `e` itself (not in the nodes it reads), walked with an explicit stack.
  func ownKinks(of e: CoordExpr) -> ZGraph.KinkSet {
    var ids: Set<Int> = []
    var stack = [e]
    while let x = stack.popLast() {
      switch x {
      case .constant, .vector, .scalar, .argument: continue
      case .apply(let f, let a):
        if Self.nonSmooth.contains(f) {
          switch kinkLocation(a) {
          case .none: return .general
          case .some(-1): break
          case .some(let id): ids.insert(id)
          }
        }
        stack.append(a)
      case .power(let a, let b):
        guard let k = b.constantValue, k == k.rounded(), k >= 0 else { return .general }
        stack.append(a)
      case .divide(let a, let b):
        guard b.constantValue != nil else { return .general }
        stack.append(a)
      case .negate(let a): stack.append(a)
      case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b):
        stack.append(a)
        stack.append(b)
      }
    }
    if ids.isEmpty { return .smooth }
    return ids.count > ZGraph.KinkSet.limit ? .general : .hyperplanes(ids.sorted())
  }

  /// Functions with a kink or a jump at 0.
  static let nonSmooth: Set<Function> = [.relu, .abs, .step, .sign]
  /// Smooth functions `g` with `sign(g(x)) = sign(x)` (or `g(x) = 0` exactly for `x ≤ 0`), so
  /// that a kink of `φ(g(A))` lies on `{A = 0}`.
  static let signPreserving: Set<Function> = [.tanh, .erf, .gelu, .relu, .identity]
  /// Functions with positive values everywhere: a kink function of them is smooth.
  static let positive: Set<Function> = [.exp, .sigmoid, .softplus]

  /// The kink id of a site whose argument is `a`: −1 when the site is smooth (a constant or
  /// positive argument), nil when its argument is not (a sign-preserving function of) an
  /// affine form.
  func kinkLocation(_ a: CoordExpr) -> Int? {
    var x = a
    while true {
      if let form = graph.affine(of: x, &affineCache) {
        return form.isConstant ? -1 : kinkTable.intern(form)
      }
      switch x {
      case .apply(let g, _) where Self.positive.contains(g): return -1
      case .apply(let g, let inner) where Self.signPreserving.contains(g): x = inner
      case .negate(let inner): x = inner
      case .multiply(let c, let inner) where c.constantValue.map({ $0 != 0 }) == true: x = inner
      case .multiply(let inner, let c) where c.constantValue.map({ $0 != 0 }) == true: x = inner
      default: return nil
      }
    }
  }
}
