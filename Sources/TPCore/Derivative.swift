/// Symbolic differentiation of coordinatewise expressions.
extension CoordExpr {
  /// `∂self/∂leaf`, where `leaf` is a `.vector`, `.scalar` or `.argument` leaf.
  ///
  /// Rules: sum, product and quotient rules; `∂(a^b) = b a^{b−1} ∂a` for constant `b`, else
  /// `a^b (∂b log a + b ∂a / a)`; chain rule through built-ins via ``Function/derivative(at:)``.
  /// Jumps (`step`, `sign`) differentiate to 0 (their a.e. derivative). Recursive, one frame per
  /// level: expressions are shallow by construction (see ``ExpressionLimits``).
  public func derivative(withRespectTo leaf: CoordExpr) -> CoordExpr {
    switch self {
    case .constant: return 0
    case .vector, .scalar, .argument: return self == leaf ? 1 : 0
    case .negate(let a): return -a.derivative(withRespectTo: leaf)
    case .add(let a, let b): return a.derivative(withRespectTo: leaf) + b.derivative(withRespectTo: leaf)
    case .subtract(let a, let b): return a.derivative(withRespectTo: leaf) - b.derivative(withRespectTo: leaf)
    case .multiply(let a, let b):
      return a.derivative(withRespectTo: leaf) * b + a * b.derivative(withRespectTo: leaf)
    case .divide(let a, let b):
      let da = a.derivative(withRespectTo: leaf)
      let db = b.derivative(withRespectTo: leaf)
      if db.constantValue == 0 { return da / b }
      return (da * b - a * db) / (b * b)
    case .power(let a, let b):
      let da = a.derivative(withRespectTo: leaf)
      let db = b.derivative(withRespectTo: leaf)
      if db.constantValue == 0 {
        return b * .pow(a, b - 1) * da
      }
      return .pow(a, b) * (db * .call(.log, a) + b * da / a)
    case .apply(let f, let a):
      let da = a.derivative(withRespectTo: leaf)
      if da.constantValue == 0 { return 0 }
      return f.derivative(at: a) * da
    }
  }
}
