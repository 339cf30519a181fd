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
    var seen: [VectorID] = []
    visitLeaves { if case .vector(let v) = $0, !seen.contains(v) { seen.append(v) } }
    return seen
  }

  /// The scalars this expression reads, in first-use order, without repeats.
  public var scalars: [ScalarID] {
    var seen: [ScalarID] = []
    visitLeaves { if case .scalar(let s) = $0, !seen.contains(s) { seen.append(s) } }
    return seen
  }

  /// Number of nodes in the tree.
  public var nodeCount: Int {
    switch self {
    case .constant, .vector, .scalar, .argument: return 1
    case .negate(let a), .apply(_, let a): return 1 + a.nodeCount
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
      .power(let a, let b):
      return 1 + a.nodeCount + b.nodeCount
    }
  }

  /// Calls `body` on every leaf, left to right.
  public func visitLeaves(_ body: (CoordExpr) -> Void) {
    switch self {
    case .constant, .vector, .scalar, .argument: body(self)
    case .negate(let a), .apply(_, let a): a.visitLeaves(body)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
      .power(let a, let b):
      a.visitLeaves(body)
      b.visitLeaves(body)
    }
  }

  /// Replaces leaves: `transform` returns a replacement for a leaf or nil to keep it.
  /// Rebuilds through the smart constructors, so substituted constants fold.
  public func substituting(_ transform: (CoordExpr) -> CoordExpr?) -> CoordExpr {
    switch self {
    case .constant, .vector, .scalar, .argument: return transform(self) ?? self
    case .negate(let a): return -a.substituting(transform)
    case .apply(let f, let a): return .call(f, a.substituting(transform))
    case .add(let a, let b): return a.substituting(transform) + b.substituting(transform)
    case .subtract(let a, let b): return a.substituting(transform) - b.substituting(transform)
    case .multiply(let a, let b): return a.substituting(transform) * b.substituting(transform)
    case .divide(let a, let b): return a.substituting(transform) / b.substituting(transform)
    case .power(let a, let b): return .pow(a.substituting(transform), b.substituting(transform))
    }
  }

  /// Evaluates with leaf values supplied by `leaf` (used for scalar formulas and tests).
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
