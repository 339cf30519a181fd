import TPSyntax

/// Bounds on the coordinatewise expressions a checked program may hold.
///
/// The parser bounds the height of what is written; calls of user functions and derivatives
/// (`f''(x)`) can make an expression much larger than its text, so the checker (and the model
/// graph of a network) bounds the result: the engines walk these trees without sharing, and
/// ``CoordExpr/evaluate(_:)``, ``CoordExpr/derivative(withRespectTo:)`` and tape compilation
/// recurse once per level. Expressions the lowerings build from many terms (input columns,
/// examples, training steps) are balanced sums (``CoordExpr/sum(_:)``), whose height grows like
/// `log₂` of the number of terms, so no expression anywhere is deep.
public enum ExpressionLimits {
  /// Most nodes in one expression, counted as a tree (shared subtrees count each time).
  public static let maximumNodes = 50_000
  /// Most levels in one expression tree; an accepted source expression never exceeds this.
  public static let maximumHeight = 2 * Parser.maximumDepth
}

extension CoordExpr {
  /// True when the tree has more than `nodes` nodes or more than `height` levels (a leaf is one).
  /// Stops as soon as a bound is passed: it visits at most `nodes + 1` nodes and recurses at most
  /// `height + 1` levels deep, whatever the size of the tree.
  public func exceeds(nodes: Int, height: Int) -> Bool {
    var budget = nodes
    return !fits(&budget, height)
  }

  private func fits(_ budget: inout Int, _ height: Int) -> Bool {
    budget -= 1
    if budget < 0 || height <= 0 { return false }
    switch self {
    case .constant, .vector, .scalar, .argument: return true
    case .negate(let a), .apply(_, let a): return a.fits(&budget, height - 1)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
      .power(let a, let b):
      return a.fits(&budget, height - 1) && b.fits(&budget, height - 1)
    }
  }
}

extension CheckerState {
  /// Fails when `e` is beyond ``ExpressionLimits``.
  mutating func checkSize(_ e: CoordExpr, _ range: SourceRange, _ what: String = "this expression")
    throws(Failure)
  {
    if e.exceeds(nodes: ExpressionLimits.maximumNodes, height: ExpressionLimits.maximumHeight) {
      throw error(Message.expressionTooLarge(what), range)
    }
  }
}
