import Foundation

/// A coordinatewise expression: the `ψ` of a Nonlin or Moment, or a scalar formula.
///
/// Leaves are vectors (read coordinate by coordinate), scalars and constants. The smart
/// constructors (`+`, `*`, …) fold constants and drop neutral elements so derivatives stay small.
public indirect enum CoordExpr: Sendable, Hashable {
  case constant(Double)
  case vector(VectorID)
  case scalar(ScalarID)
  /// A placeholder for the `k`-th parameter of a user function; never appears in a checked program.
  case argument(Int)
  case negate(CoordExpr)
  case add(CoordExpr, CoordExpr)
  case subtract(CoordExpr, CoordExpr)
  case multiply(CoordExpr, CoordExpr)
  case divide(CoordExpr, CoordExpr)
  case power(CoordExpr, CoordExpr)
  case apply(Function, CoordExpr)

  /// The constant value, if this is a constant.
  public var constantValue: Double? {
    if case .constant(let v) = self { return v }
    return nil
  }

  /// True when some leaf is a vector.
  public var involvesVectors: Bool { !vectors.isEmpty }

  /// The vectors this expression reads, in first-use order, without repeats.
  public var vectors: [VectorID] {
    var seen: Set<VectorID> = []
    var out: [VectorID] = []
    visitLeaves { if case .vector(let v) = $0, seen.insert(v).inserted { out.append(v) } }
    return out
  }

  /// The scalars this expression reads, in first-use order, without repeats.
  public var scalars: [ScalarID] {
    var seen: Set<ScalarID> = []
    var out: [ScalarID] = []
    visitLeaves { if case .scalar(let s) = $0, seen.insert(s).inserted { out.append(s) } }
    return out
  }

  /// The operands of an inner node, left to right (none for a leaf).
  var children: (CoordExpr?, CoordExpr?) {
    switch self {
    case .constant, .vector, .scalar, .argument: return (nil, nil)
    case .negate(let a), .apply(_, let a): return (a, nil)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
      .power(let a, let b):
      return (a, b)
    }
  }

  /// Number of nodes in the tree (shared subtrees count each time). Iterative: any height.
  public var nodeCount: Int {
    var count = 0
    var stack: [CoordExpr] = [self]
    while let e = stack.popLast() {
      count += 1
      let (a, b) = e.children
      if let b { stack.append(b) }
      if let a { stack.append(a) }
    }
    return count
  }

  /// Levels of the tree: 1 for a leaf. Iterative: any height.
  public var height: Int {
    var best = 0
    var stack: [(CoordExpr, Int)] = [(self, 1)]
    while let (e, level) = stack.popLast() {
      best = max(best, level)
      let (a, b) = e.children
      if let b { stack.append((b, level + 1)) }
      if let a { stack.append((a, level + 1)) }
    }
    return best
  }

  /// Calls `body` on every leaf, left to right. Iterative: any height.
  public func visitLeaves(_ body: (CoordExpr) -> Void) {
    var stack: [CoordExpr] = [self]
    while let e = stack.popLast() {
      let (a, b) = e.children
      if a == nil {
        body(e)
        continue
      }
      if let b { stack.append(b) }
      if let a { stack.append(a) }
    }
  }

  /// Rebuilds the tree bottom-up: `leaf` maps each leaf, `node` rebuilds an inner node from the
  /// node and its rebuilt operands (the second nil for a unary node). Leaves are visited left to
  /// right. Iterative, with an explicit stack, so it works at any height.
  public func fold<T>(leaf: (CoordExpr) -> T, node: (CoordExpr, T, T?) -> T) -> T {
    var work: [(CoordExpr, Bool)] = [(self, false)]
    var values: [T] = []
    while let (e, expanded) = work.popLast() {
      let (a, b) = e.children
      guard let a else {
        values.append(leaf(e))
        continue
      }
      if expanded {
        let right = b == nil ? nil : values.popLast()
        // safe: the operands were pushed before this node was revisited
        let left = values.popLast()!
        values.append(node(e, left, right))
        continue
      }
      work.append((e, true))
      if let b { work.append((b, false)) }
      work.append((a, false))
    }
    return values[0]  // safe: the root pushes exactly one value
  }

  /// Replaces leaves: `transform` returns a replacement for a leaf or nil to keep it.
  /// Rebuilds through the smart constructors, so substituted constants fold. Iterative: any height.
  public func substituting(_ transform: (CoordExpr) -> CoordExpr?) -> CoordExpr {
    fold(leaf: { transform($0) ?? $0 }) { e, a, b in e.rebuilt(a, b ?? 0) }
  }

  /// This inner node's operation applied to new operands, through the smart constructors.
  func rebuilt(_ a: CoordExpr, _ b: CoordExpr) -> CoordExpr {
    switch self {
    case .constant, .vector, .scalar, .argument: return self
    case .negate: return -a
    case .apply(let f, _): return .call(f, a)
    case .add: return a + b
    case .subtract: return a - b
    case .multiply: return a * b
    case .divide: return a / b
    case .power: return .pow(a, b)
    }
  }

  /// The sum of `terms`, built so that its height grows like `log₂` of their number: runs of up
  /// to ``sumRun`` terms are added left to right (so short sums are the familiar left-nested
  /// chain), and the runs' sums are added pairwise. Lowerings that add one term per input column,
  /// example or training step use this instead of `e = e + t` in a loop, whose chain is as deep
  /// as it is long and would overflow the stack of every recursive walk.
  public static func sum(_ terms: [CoordExpr]) -> CoordExpr {
    guard !terms.isEmpty else { return 0 }
    var level: [CoordExpr] = []
    level.reserveCapacity(terms.count / sumRun + 1)
    var start = 0
    while start < terms.count {
      let end = min(start + sumRun, terms.count)
      var run = terms[start]
      for k in (start + 1)..<end { run = run + terms[k] }
      level.append(run)
      start = end
    }
    while level.count > 1 {
      var next: [CoordExpr] = []
      next.reserveCapacity((level.count + 1) / 2)
      var k = 0
      while k + 1 < level.count {
        next.append(level[k] + level[k + 1])
        k += 2
      }
      if k < level.count { next.append(level[k]) }
      level = next
    }
    return level[0]
  }

  /// Terms a ``sum(_:)`` adds left to right before it pairs partial sums.
  public static let sumRun = 8

  /// Evaluates with leaf values supplied by `leaf` (used for scalar formulas and tests).
  ///
  /// Recursive (one frame per level, no allocation: it runs once per coordinate in the direct
  /// trainer); every expression the front end and the lowerings build is shallow (see
  /// ``ExpressionLimits`` and ``sum(_:)``).
  public func evaluate(_ leaf: (CoordExpr) -> Double) -> Double {
    switch self {
    case .constant(let v): return v
    case .vector, .scalar, .argument: return leaf(self)
    case .negate(let a): return -a.evaluate(leaf)
    case .apply(let f, let a): return f(a.evaluate(leaf))
    case .add(let a, let b): return a.evaluate(leaf) + b.evaluate(leaf)
    case .subtract(let a, let b): return a.evaluate(leaf) - b.evaluate(leaf)
    case .multiply(let a, let b): return a.evaluate(leaf) * b.evaluate(leaf)
    case .divide(let a, let b): return a.evaluate(leaf) / b.evaluate(leaf)
    case .power(let a, let b): return Foundation.pow(a.evaluate(leaf), b.evaluate(leaf))
    }
  }

  // MARK: Smart constructors

  /// `f(a)`, folded when `a` is constant.
  public static func call(_ f: Function, _ a: CoordExpr) -> CoordExpr {
    if let v = a.constantValue { return .constant(f(v)) }
    if f == .identity { return a }
    return .apply(f, a)
  }

  public static func + (a: CoordExpr, b: CoordExpr) -> CoordExpr {
    switch (a.constantValue, b.constantValue) {
    case (let x?, let y?): return .constant(x + y)
    case (0?, _): return b
    case (_, 0?): return a
    default: return .add(a, b)
    }
  }

  public static func - (a: CoordExpr, b: CoordExpr) -> CoordExpr {
    switch (a.constantValue, b.constantValue) {
    case (let x?, let y?): return .constant(x - y)
    case (0?, _): return -b
    case (_, 0?): return a
    default: return .subtract(a, b)
    }
  }

  public static func * (a: CoordExpr, b: CoordExpr) -> CoordExpr {
    switch (a.constantValue, b.constantValue) {
    case (let x?, let y?): return .constant(x * y)
    case (0?, _), (_, 0?): return .constant(0)
    case (1?, _): return b
    case (_, 1?): return a
    case (.some(-1), _): return -b
    case (_, .some(-1)): return -a
    default: return .multiply(a, b)
    }
  }

  public static func / (a: CoordExpr, b: CoordExpr) -> CoordExpr {
    switch (a.constantValue, b.constantValue) {
    case (let x?, let y?) where y != 0: return .constant(x / y)
    case (0?, _): return .constant(0)
    case (_, 1?): return a
    default: return .divide(a, b)
    }
  }

  public static prefix func - (a: CoordExpr) -> CoordExpr {
    if let v = a.constantValue { return .constant(-v) }
    if case .negate(let inner) = a { return inner }
    return .negate(a)
  }

  /// `a ** b`, folded for constants and the exponents 0 and 1.
  public static func pow(_ a: CoordExpr, _ b: CoordExpr) -> CoordExpr {
    switch (a.constantValue, b.constantValue) {
    case (let x?, let y?): return .constant(Foundation.pow(x, y))
    case (_, 0?): return .constant(1)
    case (_, 1?): return a
    default: return .power(a, b)
    }
  }
}

extension CoordExpr: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
  public init(floatLiteral value: Double) { self = .constant(value) }
  public init(integerLiteral value: Int) { self = .constant(Double(value)) }
}
