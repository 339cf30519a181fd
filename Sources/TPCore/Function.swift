import Foundation

/// Built-in coordinatewise functions.
public enum Function: String, Sendable, Hashable, CaseIterable {
  case relu, tanh, erf, sigmoid, gelu, softplus, sin, cos, exp, abs, step, sign, identity, sqrt, log

  /// Functions usable only on scalars (their domain is not all of ℝ).
  public var isScalarOnly: Bool { self == .sqrt || self == .log }

  /// True where the function has a jump (`step`, `sign`): its a.e. derivative is 0 but its
  /// distributional derivative has a point mass, so path-wise differentiation through it is wrong.
  public var hasJump: Bool { self == .step || self == .sign }

  /// Evaluates the function at `x`.
  ///
  /// `step(x) = 1[x > 0]`, `sign(0) = 0`, `gelu(x) = x Φ(x)` (exact, erf form),
  /// `softplus(x) = log(1 + eˣ)` computed without overflow.
  @inlinable
  public func callAsFunction(_ x: Double) -> Double {
    switch self {
    case .relu: return x > 0 ? x : 0
    case .tanh: return Foundation.tanh(x)
    case .erf: return Foundation.erf(x)
    case .sigmoid: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    case .gelu: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    case .softplus:
      return x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    case .sin: return Foundation.sin(x)
    case .cos: return Foundation.cos(x)
    case .exp: return Foundation.exp(x)
    case .abs: return Swift.abs(x)
    case .step: return x > 0 ? 1 : 0
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .identity: return x
    case .sqrt: return x.squareRoot()
    case .log: return Foundation.log(x)
    }
  }

  /// The symbolic derivative `f′(a)` as an expression in `a`.
  ///
  /// `relu′ = step`, `tanh′ = 1 − tanh²`, `erf′ = (2/√π) e^{−a²}`, `σ′ = σ(1 − σ)`,
  /// `gelu′ = Φ(a) + a φ(a)`, `softplus′ = σ`, `abs′ = sign`; `step′ = sign′ = 0` almost everywhere.
  public func derivative(at a: CoordExpr) -> CoordExpr {
    switch self {
    case .relu: return .apply(.step, a)
    case .tanh: return 1 - .apply(.tanh, a) * .apply(.tanh, a)
    case .erf: return .constant(2 / Double.pi.squareRoot()) * .apply(.exp, -(a * a))
    case .sigmoid: return .apply(.sigmoid, a) * (1 - .apply(.sigmoid, a))
    case .gelu:
      let cdf = 0.5 * (1 + .apply(.erf, a * .constant(1 / 2.0.squareRoot())))
      let pdf = .constant(1 / (2 * Double.pi).squareRoot()) * .apply(.exp, -0.5 * (a * a))
      return cdf + a * pdf
    case .softplus: return .apply(.sigmoid, a)
    case .sin: return .apply(.cos, a)
    case .cos: return -.apply(.sin, a)
    case .exp: return .apply(.exp, a)
    case .abs: return .apply(.sign, a)
    case .step, .sign: return .constant(0)
    case .identity: return .constant(1)
    case .sqrt: return 0.5 / .apply(.sqrt, a)
    case .log: return 1 / a
    }
  }
}
