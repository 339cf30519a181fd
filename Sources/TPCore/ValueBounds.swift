import Foundation

/// A closed interval `[lower, upper]` (endpoints may be ±∞) that contains every value an
/// expression can take: interval arithmetic over the expression tree, used by the checker to
/// reject real powers of bases that can be negative (`z ** 0.5` with `z` Gaussian is NaN for half
/// the coordinates) before anything runs.
///
/// The bounds are sound but not tight: `x - x` is bounded by `[-∞, ∞]` for an unbounded `x`.
/// Squares (`x * x`, `x ** 2`) and the ranges of the built-in functions (`tanh ∈ [-1, 1]`,
/// `exp ≥ 0`, `relu ≥ 0`, …) make the common non-negative bases provable, such as `x * x + 1`,
/// `exp(h)`, `1 + tanh(h)` or `mean(x * x)`.
public struct ValueBounds: Sendable, Hashable {
  public var lower: Double
  public var upper: Double

  public init(_ lower: Double, _ upper: Double) {
    // NaN endpoints come from ∞ − ∞ or 0 · ∞; widening them keeps the bounds sound.
    self.lower = lower.isNaN ? -.infinity : lower
    self.upper = upper.isNaN ? .infinity : upper
  }

  /// Every real number.
  public static let unbounded = ValueBounds(-.infinity, .infinity)

  /// True when no value is negative.
  public var isNonNegative: Bool { lower >= 0 }

  static func point(_ v: Double) -> ValueBounds { ValueBounds(v, v) }

  static prefix func - (a: ValueBounds) -> ValueBounds { ValueBounds(-a.upper, -a.lower) }

  static func + (a: ValueBounds, b: ValueBounds) -> ValueBounds {
    ValueBounds(a.lower + b.lower, a.upper + b.upper)
  }

  static func * (a: ValueBounds, b: ValueBounds) -> ValueBounds {
    if a == .point(0) || b == .point(0) { return .point(0) }
    // 0 · ∞ at an endpoint is the limit of products near it, which is 0.
    func times(_ x: Double, _ y: Double) -> Double { x == 0 || y == 0 ? 0 : x * y }
    let p = [
      times(a.lower, b.lower), times(a.lower, b.upper), times(a.upper, b.lower), times(a.upper, b.upper),
    ]
    return ValueBounds(p.min() ?? -.infinity, p.max() ?? .infinity)
  }

  /// `x²` for `x` in these bounds.
  var squared: ValueBounds {
    if lower >= 0 { return ValueBounds(lower * lower, upper * upper) }
    if upper <= 0 { return ValueBounds(upper * upper, lower * lower) }
    return ValueBounds(0, Swift.max(lower * lower, upper * upper))
  }

  /// `1/x`, bounded only when the bounds exclude 0.
  var reciprocal: ValueBounds {
    guard lower > 0 || upper < 0 else { return .unbounded }
    return ValueBounds(1 / upper, 1 / lower)
  }

  /// `x ** p` for a constant exponent `p`.
  func power(_ p: Double) -> ValueBounds {
    if p == 0 { return .point(1) }
    if p == p.rounded(), Swift.abs(p) < 1e15 {
      let k = Int64(p)
      if k > 0 && k % 2 == 0 {
        return ValueBounds(Foundation.pow(squared.lower, p / 2), Foundation.pow(squared.upper, p / 2))
      }
      if k > 0 { return ValueBounds(Foundation.pow(lower, p), Foundation.pow(upper, p)) }
      // A negative integer power is bounded when the base keeps one sign away from 0.
      guard lower > 0 else { return .unbounded }
      return ValueBounds(Foundation.pow(upper, p), Foundation.pow(lower, p))
    }
    // A real power of a non-negative base (a negative base is rejected, or gives NaN).
    let base = ValueBounds(Swift.max(lower, 0), Swift.max(upper, 0))
    if p > 0 { return ValueBounds(Foundation.pow(base.lower, p), Foundation.pow(base.upper, p)) }
    return ValueBounds(Foundation.pow(base.upper, p), Foundation.pow(base.lower, p))
  }

  /// The values of `f(x)` for `x` in these bounds.
  func applying(_ f: Function) -> ValueBounds {
    switch f {
    case .tanh, .erf, .sigmoid, .softplus, .exp, .identity:
      // Monotone increasing on ℝ.
      return ValueBounds(f(lower), f(upper))
    case .relu: return ValueBounds(Swift.max(lower, 0), Swift.max(upper, 0))
    case .step: return ValueBounds(lower > 0 ? 1 : 0, upper > 0 ? 1 : 0)
    case .sign: return ValueBounds(f(lower), f(upper))
    case .abs:
      return ValueBounds(lower >= 0 ? lower : (upper <= 0 ? -upper : 0), Swift.max(-lower, upper))
    case .sin, .cos: return ValueBounds(-1, 1)
    case .gelu:
      // gelu(x) = x Φ(x) has its minimum −0.16997… at x ≈ −0.7518 and increases after it.
      let minimum = -0.1700
      let low = lower >= -0.7518 ? f(lower) : minimum
      return ValueBounds(low, upper >= 0 ? f(upper) : 0)
    case .sqrt: return ValueBounds(Swift.max(lower, 0).squareRoot(), Swift.max(upper, 0).squareRoot())
    case .log:
      return ValueBounds(lower > 0 ? Foundation.log(lower) : -.infinity, Foundation.log(Swift.max(upper, 0)))
    }
  }
}

extension CoordExpr {
  /// Bounds of this expression's values, given bounds of its leaves (constants are exact).
  /// Iterative: any height.
  public func bounds(leaf: (CoordExpr) -> ValueBounds) -> ValueBounds {
    fold(
      leaf: { e -> ValueBounds in
        if case .constant(let v) = e { return .point(v) }
        return leaf(e)
      },
      node: { e, a, b -> ValueBounds in
        let b = b ?? .unbounded
        switch e {
        case .negate: return -a
        case .add: return a + b
        case .subtract: return a + -b
        case .multiply(let x, let y):
          // x * x is a square; comparing costs as much as the operand, so only shallow ones.
          if x.nodeCountIsAtMost(64), x == y { return a.squared }
          return a * b
        case .divide: return a * b.reciprocal
        case .power(_, let p):
          if let p = p.constantValue { return a.power(p) }
          // A real power of a positive base is positive; anything else is unknown.
          return a.lower > 0 ? ValueBounds(0, .infinity) : .unbounded
        case .apply(let f, _): return a.applying(f)
        case .constant, .vector, .scalar, .argument: return a
        }
      })
  }

  /// True when the tree has at most `limit` nodes (stops counting past it).
  func nodeCountIsAtMost(_ limit: Int) -> Bool {
    var count = 0
    var stack: [CoordExpr] = [self]
    while let e = stack.popLast() {
      count += 1
      if count > limit { return false }
      let (a, b) = e.children
      if let b { stack.append(b) }
      if let a { stack.append(a) }
    }
    return true
  }
}
