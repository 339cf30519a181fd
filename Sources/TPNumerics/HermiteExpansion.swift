import Foundation

/// The normalised probabilists' Hermite coefficients of a scalar function,
/// `aₖ = E[φ(Z) hₖ(Z)]`, `Z ~ N(0, 1)`, `hₖ = Heₖ/√(k!)` (`NormalisedHermite`), so that
/// `φ = Σₖ aₖ hₖ` in `L²(N(0, 1))` and `E[φ(Z)²] = Σₖ aₖ²` (Parseval; LANGUAGE.md,
/// "Kernel analysis"; O'Donnell, "Analysis of Boolean Functions", §11.2).
///
/// They determine every dot-product kernel of a one-hidden-layer network with activation
/// `φ` (`OneHiddenLayerKernel`): `E[φ(u)φ(v)] = Σₖ aₖ² ρᵏ` for standard normal `u, v` with
/// correlation `ρ` (Mehler's formula; O'Donnell Prop. 11.33, Daniely, Frostig & Singer 2016,
/// Lemma 11).
///
/// **Quadrature.** A function given by a closure is integrated numerically, at two
/// resolutions, and the difference is the reported error (plus a rounding estimate):
///
/// - smooth `φ` (no `breakpoints`, `.automatic` or `.gaussHermite`): Gauss–Hermite rules
///   (`GaussHermiteRule`) with `p₁ = max(128, 2K + 64)` and `p₂ = 2p₁` nodes; a polynomial
///   of degree `d` is exact when `2p − 1 ≥ d + K`, an entire function of order < 2
///   converges faster than exponentially, and a function with complex singularities at
///   distance `s` from the real axis (tanh, sigmoid: `s = π/2`) like `exp(−s√(2p))` — about
///   `10⁻¹²` at `p₁ = 128` and `10⁻¹⁵` at `p₂` for tanh;
/// - `φ` with kinks or jumps at `breakpoints` (relu and abs at 0, step and sign at 0, a
///   clipped function at its clip points), or any `φ` with `.piecewise`: a composite
///   Gauss–Legendre rule on `φ(z)·pdf(z)`
///   whose pieces end exactly at the breakpoints, so every piece is smooth and converges
///   exponentially (also for analytic `φ` with nearby complex singularities, which
///   Gauss–Hermite resolves only slowly). The pieces also cover `[−L, L]`, `L = √(4K + 2) + 14`, in panels of
///   width at most ½: `hₖ` oscillates out to its turning point `√(4k + 2)`, and
///   `|hₖ(z)| e^{−z²/4} ≤ 1.09` (Cramér's inequality, Abramowitz & Stegun 22.14.17), so the
///   neglected tails are below `10⁻¹⁹` for `|φ(z)| ≤ 1 + |z|³`. Resolutions: 20 and 30 nodes per piece.
///
///   (`PiecewiseGaussRule` is the multi-dimensional sibling of this rule; in one dimension
///   it ignores breakpoints beyond ±8.5 and maps tails beyond ±3 to 24-node Gauss–Laguerre
///   integrals, which cannot resolve the oscillations of `hₖ` for `k ≳ 15`, so the Hermite
///   analysis builds its own line.)
///
/// The values `hₖ(z)` come from the normalised recurrence, never from factorials.
/// The second moment `E[φ²]` (and `E[φ′²]` when a derivative is supplied) is integrated
/// with the same rule: `E[φ²] − Σ_{k ≤ K} aₖ²` is the power beyond the truncation, which
/// bounds the truncation error of every induced kernel on `|ρ| ≤ 1`.
///
/// Edge cases: a degree outside `0…maximumDegree` throws; a non-finite value of `φ` at a quadrature node
/// throws `.nonFinite` (φ must be finite on the real line and grow at most polynomially);
/// non-finite breakpoints throw.
public struct HermiteExpansion: Sendable, Equatable {
  /// `a₀ … a_K`.
  public let coefficients: [Double]
  /// Estimated absolute error of each coefficient (0 for exactly given coefficients).
  public let errors: [Double]
  /// `E[φ(Z)²]`, or `Σ aₖ²` for exactly given coefficients.
  public let secondMoment: Double
  /// Estimated absolute error of `secondMoment`.
  public let secondMomentError: Double
  /// `E[φ′(Z)²] = Σₖ k aₖ²` when a derivative was supplied (or the coefficients are exact),
  /// else `nil`.
  public let derivativeSecondMoment: Double?
  /// How the coefficients were obtained.
  public let method: Method

  /// Which quadrature to use for a function given by a closure.
  public enum Quadrature: Sendable, Equatable {
    /// Gauss–Hermite when there are no breakpoints, else the composite rule.
    case automatic
    /// Gauss–Hermite (breakpoints must be empty: a rule across a kink converges only
    /// algebraically).
    case gaussHermite
    /// The composite Gauss–Legendre rule, split at the breakpoints.
    case piecewise
  }

  /// The quadrature behind an expansion.
  public enum Method: Sendable, Equatable {
    /// Given exactly (a polynomial, a designed activation, a closed form).
    case exact
    /// Gauss–Hermite with this many nodes (compared against half as many).
    case gaussHermite(nodes: Int)
    /// Composite Gauss–Legendre split at the breakpoints, this many nodes per piece
    /// (compared against 20), on this many pieces.
    case piecewiseGaussLegendre(nodesPerPiece: Int, pieces: Int)
  }

  /// The degree `K` (`coefficients.count − 1`).
  public var degree: Int { coefficients.count - 1 }

  /// `max(0, E[φ²] − Σ_{k ≤ K} aₖ²)`: the power in the coefficients beyond `K`, which bounds
  /// `|Σ_{k > K} aₖ² ρᵏ|` for `|ρ| ≤ 1`.
  public var truncatedPower: Double {
    max(0, secondMoment - coefficients.reduce(0) { $0 + $1 * $1 })
  }

  /// The largest degree accepted from callers (the quadrature costs `O(K)` per node and
  /// needs `O(K)` nodes; degrees beyond a few hundred resolve nothing a kernel uses).
  public static let maximumDegree = 1000

  /// An expansion with known coefficients (errors 0 unless given), e.g. of a polynomial or
  /// of a designed activation: `E[φ²] = Σ aₖ²` and `E[φ′²] = Σ k aₖ²` exactly. Throws for no
  /// coefficients, non-finite values, or an error list of another length or with negative
  /// or non-finite entries.
  public init(coefficients: [Double], errors: [Double]? = nil) throws(KernelAnalysisError) {
    guard !coefficients.isEmpty else { throw .emptyData(what: "Hermite coefficients") }
    try KernelValidation.checkFinite(coefficients, what: "Hermite coefficient")
    if let errors {
      guard errors.count == coefficients.count else {
        throw .sizeMismatch(what: "coefficient errors", expected: coefficients.count, actual: errors.count)
      }
      for (k, e) in errors.enumerated() where !(e.isFinite && e >= 0) {
        throw .invalidParameter(name: "error of a_\(k)", value: e, requirement: "must be finite and ≥ 0")
      }
    }
    self.init(validatedCoefficients: coefficients, errors: errors)
  }

  /// `init(coefficients:errors:)` without the checks, for coefficients known to be valid.
  init(validatedCoefficients coefficients: [Double], errors: [Double]? = nil) {
    self.coefficients = coefficients
    self.errors = errors ?? [Double](repeating: 0, count: coefficients.count)
    self.secondMoment = coefficients.reduce(0) { $0 + $1 * $1 }
    self.secondMomentError = 0
    self.derivativeSecondMoment = coefficients.enumerated().reduce(0) { $0 + Double($1.0) * $1.1 * $1.1 }
    self.method = .exact
  }

  /// The coefficients `a₀ … a_degree` of `f`, smooth except at `breakpoints`, by the
  /// quadrature described on the type. `derivative` (optional, `f′` away from the
  /// breakpoints) adds `E[f′²]`, which bounds NTK truncation errors. Cost: `O(K)` per node,
  /// a few thousand nodes.
  public init(
    of f: (Double) -> Double, degree: Int, breakpoints: [Double] = [],
    derivative: ((Double) -> Double)? = nil, quadrature: Quadrature = .automatic
  ) throws(KernelAnalysisError) {
    guard degree >= 0, degree <= Self.maximumDegree else {
      throw .invalidParameter(
        name: "degree", value: Double(degree), requirement: "must be in 0…\(Self.maximumDegree)")
    }
    try KernelValidation.checkFinite(breakpoints, what: "breakpoint")
    if quadrature == .gaussHermite && !breakpoints.isEmpty {
      throw .invalidParameter(
        name: "breakpoints", value: Double(breakpoints.count),
        requirement: "Gauss–Hermite quadrature needs a smooth function; use .piecewise or .automatic")
    }
    let coarse: HermiteQuadratureLine
    let fine: HermiteQuadratureLine
    let useGaussHermite = quadrature == .gaussHermite || (quadrature == .automatic && breakpoints.isEmpty)
    if useGaussHermite {
      let p = max(128, 2 * degree + 64)
      coarse = .gaussHermite(nodes: p)
      fine = .gaussHermite(nodes: 2 * p)
      method = .gaussHermite(nodes: 2 * p)
    } else {
      coarse = .piecewise(breakpoints: breakpoints, degree: degree, nodesPerPiece: 20)
      fine = .piecewise(breakpoints: breakpoints, degree: degree, nodesPerPiece: 30)
      method = .piecewiseGaussLegendre(nodesPerPiece: 30, pieces: fine.pieces)
    }
    let a = try coarse.moments(of: f, degree: degree, derivative: derivative)
    let b = try fine.moments(of: f, degree: degree, derivative: derivative)
    coefficients = b.coefficients
    errors = (0...degree).map { abs(b.coefficients[$0] - a.coefficients[$0]) + b.rounding[$0] }
    secondMoment = b.secondMoment
    secondMomentError = abs(b.secondMoment - a.secondMoment) + b.secondMomentRounding
    derivativeSecondMoment = b.derivativeSecondMoment
  }

  /// The truncated series `Σ_{k ≤ K} aₖ hₖ(z)` (Clenshaw).
  public func value(at z: Double) -> Double {
    NormalisedHermite.series(coefficients, at: z)
  }
}

/// A one-dimensional quadrature rule for `E g(Z)`, `Z ~ N(0, 1)`: nodes and weights that
/// already include the normal density.
struct HermiteQuadratureLine {
  let nodes: [Double]
  let weights: [Double]
  let pieces: Int

  /// The `p`-node Gauss–Hermite rule.
  static func gaussHermite(nodes p: Int) -> HermiteQuadratureLine {
    let rule = GaussHermiteRule.probabilists(degree: p)
    return HermiteQuadratureLine(nodes: rule.nodes, weights: rule.weights, pieces: 1)
  }

  /// Composite Gauss–Legendre on `[−L, L]`, `L = √(4K + 2) + 14`, cut at every breakpoint
  /// inside and into panels of width ≤ ½, `m` nodes per piece, weights `wᵢ · pdf(xᵢ)`.
  static func piecewise(breakpoints: [Double], degree: Int, nodesPerPiece m: Int) -> HermiteQuadratureLine {
    let limit = (4 * Double(degree) + 2).squareRoot() + 14
    var cuts = breakpoints.filter { $0 > -limit && $0 < limit }
    cuts.append(-limit)
    cuts.append(limit)
    cuts.sort()
    var edges: [Double] = []
    for c in cuts where edges.last.map({ c - $0 > 1e-12 * max(1, abs(c)) }) ?? true { edges.append(c) }
    let rule = GaussLegendreRule(nodes: m)
    let density = 1 / (2 * Double.pi).squareRoot()
    var nodes: [Double] = []
    var weights: [Double] = []
    var pieces = 0
    for p in 0..<(edges.count - 1) {
      let (lo, hi) = (edges[p], edges[p + 1])
      let panels = max(1, Int(((hi - lo) / 0.5).rounded(.up)))
      let width = (hi - lo) / Double(panels)
      for q in 0..<panels {
        let a = lo + Double(q) * width
        let b = q == panels - 1 ? hi : a + width
        let half = (b - a) / 2
        let mid = (a + b) / 2
        for i in 0..<m {
          let x = mid + half * rule.nodes[i]
          nodes.append(x)
          weights.append(rule.weights[i] * half * density * exp(-0.5 * x * x))
        }
        pieces += 1
      }
    }
    return HermiteQuadratureLine(nodes: nodes, weights: weights, pieces: pieces)
  }

  struct Moments {
    var coefficients: [Double]
    var rounding: [Double]
    var secondMoment: Double
    var secondMomentRounding: Double
    var derivativeSecondMoment: Double?
  }

  /// `E[f hₖ]` for `k ≤ degree`, `E[f²]`, optionally `E[f′²]`, with rounding estimates
  /// `4ε·(number of nodes)^{½}·Σ wᵢ|f hₖ|` (a statistical bound for the accumulated sum).
  func moments(
    of f: (Double) -> Double, degree: Int, derivative: ((Double) -> Double)?
  ) throws(KernelAnalysisError) -> Moments {
    var sums = [CompensatedSum](repeating: CompensatedSum(), count: degree + 1)
    var absolute = [Double](repeating: 0, count: degree + 1)
    var square = CompensatedSum()
    var derivativeSquare = CompensatedSum()
    for (x, w) in zip(nodes, weights) {
      let value = f(x)
      guard value.isFinite else { throw .nonFinite(what: "function value at z = \(x)") }
      let h = NormalisedHermite.values(through: degree, at: x)
      for k in 0...degree {
        let term = w * value * h[k]
        sums[k].add(term)
        absolute[k] += abs(term)
      }
      square.add(w * value * value)
      if let derivative {
        let d = derivative(x)
        guard d.isFinite else { throw .nonFinite(what: "derivative value at z = \(x)") }
        derivativeSquare.add(w * d * d)
      }
    }
    let factor = 4 * Double.ulpOfOne * Double(nodes.count).squareRoot()
    return Moments(
      coefficients: sums.map(\.value), rounding: absolute.map { factor * $0 }, secondMoment: square.value,
      secondMomentRounding: factor * square.value,
      derivativeSecondMoment: derivative == nil ? nil : derivativeSquare.value)
  }
}
