import TPCore

/// The random variables of the limit: a computation graph over base Gaussians.
///
/// Every vector `x` of the program gets a node whose value is `Z^x`, a deterministic function of
/// the base Gaussians (THEORY §3). Node expressions are ``CoordExpr`` values whose `.vector`
/// leaves name **graph nodes** (not program vectors) and whose scalars are already numbers.
struct ZGraph {
  enum Kind {
    /// Base Gaussian number `k` (an initial vector's centred part, or some `Ẑ^{Wx}`).
    case base(Int)
    /// `constant + Σ coefficient · node`: initial vectors (`μ + base`) and MatMuls (`Ẑ + Ż`).
    case affine(constant: Double, terms: [(node: Int, coefficient: Double)])
    /// A coordinatewise function of earlier nodes.
    case nonlin(CoordExpr)
  }

  struct Node {
    var kind: Kind
    /// Base Gaussians this node depends on, ascending.
    var support: [Int]
    /// Base Gaussians that reach this node through a jump (`step`, `sign`), ascending: path-wise
    /// derivatives with respect to these are wrong (THEORY §3, derivatives through jumps).
    var jumpSupport: [Int]
    /// Its display name in explanations.
    var label: String
    /// Its parity under the global sign flip `Ẑ → −Ẑ`, when decided symbolically.
    var parity: Parity?
    /// Its degree as a polynomial in the base Gaussians, nil when it is not one (or above 64).
    var polynomialDegree: Int?
    /// Whether it is affine in the base Gaussians (decided structurally when it is added).
    var isAffine: Bool
    /// Where it stops being smooth in the base Gaussians (set by the engine, which owns the
    /// table of kink locations).
    var kinks: KinkSet = .smooth
  }

  /// Where a function of the base Gaussians is not smooth: nowhere, only across a few
  /// hyperplanes `{A = 0}` with `A` affine in the bases (their ids in the engine's kink table,
  /// ascending), or somewhere else (a kink or jump at a non-affine argument, a pole, a
  /// non-integer power): then only Monte Carlo integrates it honestly.
  enum KinkSet: Hashable {
    case smooth
    case hyperplanes([Int])
    case general

    /// The union of two sets (`general` absorbs; more than ``limit`` hyperplanes is `general`).
    func union(_ other: KinkSet) -> KinkSet {
      switch (self, other) {
      case (.general, _), (_, .general): return .general
      case (.smooth, let x), (let x, .smooth): return x
      case (.hyperplanes(let a), .hyperplanes(let b)):
        let merged = Array(Set(a).union(b)).sorted()
        return merged.count > Self.limit ? .general : .hyperplanes(merged)
      }
    }

    /// More kink hyperplanes than this are not tracked: no rule for them would be cheap.
    static let limit = 12
  }

  /// Behaviour under the global sign flip of every base Gaussian.
  enum Parity { case even, odd }

  var nodes: [Node] = []

  /// The node of a base Gaussian.
  var baseNode: [Int] = []

  static func node(_ k: Int) -> CoordExpr { .vector(VectorID(k)) }

  /// Appends a node and returns its index.
  mutating func add(_ kind: Kind, label: String) -> Int {
    var support: Set<Int> = []
    var jumps: Set<Int> = []
    switch kind {
    case .base(let b):
      support = [b]
    case .affine(_, let terms):
      for t in terms {
        support.formUnion(nodes[t.node].support)
        jumps.formUnion(nodes[t.node].jumpSupport)
      }
    case .nonlin(let e):
      for leaf in e.vectors {
        support.formUnion(nodes[leaf.raw].support)
        jumps.formUnion(nodes[leaf.raw].jumpSupport)
      }
      jumps.formUnion(ZGraph.jumpSources(e, nodes))
    }
    nodes.append(
      Node(
        kind: kind, support: support.sorted(), jumpSupport: jumps.sorted(), label: label,
        parity: nodeParity(kind), polynomialDegree: nodeDegree(kind), isAffine: nodeIsAffine(kind)))
    if case .base(let b) = kind {
      while baseNode.count <= b { baseNode.append(-1) }
      baseNode[b] = nodes.count - 1
    }
    return nodes.count - 1
  }

  /// Bases that enter `e` inside the argument of a jump function. An explicit stack walks the
  /// expression (an input layer with many columns makes long sums).
  static func jumpSources(_ e: CoordExpr, _ nodes: [Node]) -> Set<Int> {
    var out: Set<Int> = []
    var stack = [e]
    while let x = stack.popLast() {
      switch x {
      case .apply(let f, let a):
        if f.hasJump { for leaf in a.vectors { out.formUnion(nodes[leaf.raw].support) } }
        stack.append(a)
      case .negate(let a): stack.append(a)
      case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
        .power(let a, let b):
        stack.append(a)
        stack.append(b)
      default: break
      }
    }
    return out
  }

  /// Whether a node of `kind` is affine in the bases: structurally, from its inputs' flags.
  func nodeIsAffine(_ kind: Kind) -> Bool {
    switch kind {
    case .base: return true
    case .affine(_, let terms): return terms.allSatisfy { nodes[$0.node].isAffine }
    case .nonlin(let e): return isAffine(e)
    }
  }

  /// Whether `e` is affine in the bases: sums, differences and constant multiples of affine
  /// nodes and constants.
  func isAffine(_ e: CoordExpr) -> Bool {
    var stack = [e]
    while let x = stack.popLast() {
      switch x {
      case .constant: continue
      case .vector(let v): if !nodes[v.raw].isAffine { return false }
      case .scalar, .argument, .power: return false
      case .negate(let a), .apply(.identity, let a): stack.append(a)
      case .add(let a, let b), .subtract(let a, let b):
        stack.append(a)
        stack.append(b)
      case .multiply(let a, let b):
        if a.constantValue != nil {
          stack.append(b)
        } else if b.constantValue != nil {
          stack.append(a)
        } else {
          return false
        }
      case .divide(let a, let b):
        guard b.constantValue != nil else { return false }
        stack.append(a)
      case .apply: return false
      }
    }
    return true
  }

  /// The nodes node `k` reads directly (none for a base).
  func inputs(of k: Int) -> [Int] {
    switch nodes[k].kind {
    case .base: return []
    case .affine(_, let terms): return terms.map(\.node)
    case .nonlin(let e): return e.vectors.map(\.raw)
    }
  }

  /// The support of an expression over nodes.
  func support(of e: CoordExpr) -> [Int] {
    var s: Set<Int> = []
    for leaf in e.vectors { s.formUnion(nodes[leaf.raw].support) }
    return s.sorted()
  }

  /// `e` as text with nodes written `Z^{label}`.
  func render(_ e: CoordExpr) -> String {
    e.rendered { leaf in
      if case .vector(let v) = leaf { return "Z^{\(nodes[v.raw].label)}" }
      return "?"
    }
  }
}

extension ZGraph {
  /// The polynomial degree of a node about to be added with `kind`.
  func nodeDegree(_ kind: Kind) -> Int? {
    switch kind {
    case .base: return 1
    case .affine(_, let terms):
      var d = 0
      for t in terms {
        guard let x = nodes[t.node].polynomialDegree else { return nil }
        d = max(d, x)
      }
      return d
    case .nonlin(let e): return degree(e)
    }
  }

  /// The polynomial degree of `e` in the base Gaussians, nil when it is not a polynomial.
  func degree(_ e: CoordExpr) -> Int? {
    let limit = 64
    switch e {
    case .constant: return 0
    case .scalar, .argument: return nil
    case .vector(let v): return nodes[v.raw].polynomialDegree
    case .negate(let a), .apply(.identity, let a): return degree(a)
    case .add(let a, let b), .subtract(let a, let b):
      guard let x = degree(a), let y = degree(b) else { return nil }
      return max(x, y)
    case .multiply(let a, let b):
      guard let x = degree(a), let y = degree(b), x + y <= limit else { return nil }
      return x + y
    case .divide(let a, let b):
      guard b.constantValue != nil else { return nil }
      return degree(a)
    case .power(let a, let b):
      guard let k = b.constantValue, k == k.rounded(), k >= 0, let x = degree(a),
        Double(x) * k <= Double(limit)
      else { return nil }
      return x * Int(k)
    case .apply: return nil
    }
  }
}
