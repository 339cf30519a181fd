import Foundation

/// An activation designed so that a one-hidden-layer network has a given dot-product NNGP
/// or NTK on the unit sphere (Simon, Anand & DeWeese, "Reverse Engineering the Neural
/// Tangent Kernel", ICML 2022, Thm. 1 and its NTK counterpart).
///
/// For a target kernel `κ(ρ) = Σₖ bₖ ρᵏ` with `bₖ ≥ 0`, the activation
/// `φ(z) = Σₖ aₖ hₖ(z)` (normalised probabilists' Hermite polynomials) in a network with
/// unit pre-activation variance (`σ_w² = 1`, no bias, `σ_v² = 1`; `OneHiddenLayerKernel`)
/// has
///
/// - NNGP `Σ aₖ² ρᵏ`, which equals `κ` for `aₖ = ±√bₖ`;
/// - NTK `Σ (k + 1) aₖ² ρᵏ` (from `Θ = K + ρ E[φ′φ′]` and `E[φ′φ′] = Σ k aₖ² ρ^{k−1}`, see
///   `OneHiddenLayerKernel`), which equals `κ` for `aₖ = ±√(bₖ/(k + 1))`.
///
/// The signs are free (the kernels depend on `aₖ²` only); this type takes `aₖ ≥ 0` unless
/// told otherwise. With a bias the NTK picks up `σ_b² E[φ′φ′]` without the factor `ρ` and
/// the relation couples `bₖ` to `a_{k+1}`; the design here is for the bias-free network.
///
/// **Truncation.** The activation is a polynomial of degree `D`, so the realised kernel is
/// the polynomial `Σ_{k ≤ D} bₖ ρᵏ`. A kernel with a singularity at `ρ = 1` — every deep
/// ReLU NNGP and NTK has a `(1 − ρ)^{1/2}` or `(1 − ρ)^{3/2}` term — cannot be matched
/// uniformly on all of `[−1, 1]` at low degree: with non-negative coefficients the best
/// uniform error decays only like `D^{−1/2}` near `ρ = 1`. `design` therefore fits the
/// kernel where it is used: on `[−1, 1]` by default, or on caller-supplied points (the
/// cosines of a data set's pairs and `1` for its diagonal, or `[−1, ρ_max] ∪ {1}`), and
/// picks the lowest degree whose maximal error there is within `tolerance` of the kernel's
/// scale. (Simon et al. likewise match the low-order coefficients and the value at `ρ = 1`;
/// on high-dimensional data off-diagonal cosines concentrate near 0.)
///
/// **Rendering.** `tpDefinition` prints the polynomial in monomial (Horner) form for a
/// `.tp` `def`; the monomial form is ill-conditioned at high degree, so `value(at:)` uses
/// the Hermite form (Clenshaw) for numerics.
public struct ReverseEngineeredActivation: Sendable, Equatable {
  /// Which one-hidden-layer kernel is matched.
  public enum Target: String, Sendable, Equatable {
    case nngp
    case ntk
  }

  /// The matched kernel.
  public let target: Target
  /// `a₀ … a_D`, the activation's normalised Hermite coefficients.
  public let hermiteCoefficients: [Double]
  /// `b₀ … b_D`, the realised kernel's power-series coefficients (the target's, or the fit's).
  public let kernelCoefficients: [Double]
  /// The design's maximal error `max |κ − Σ bₖ ρᵏ|` on its points (0 when built from exact
  /// coefficients).
  public let maxError: Double
  /// The kernel's scale `max |κ|` on the design points (`Σ bₖ` when built from
  /// coefficients: the value at `ρ = 1`).
  public let scale: Double

  /// The degree `D` of the activation polynomial.
  public var degree: Int { hermiteCoefficients.count - 1 }

  /// `maxError / scale` (0 for a zero kernel).
  public var relativeError: Double { scale > 0 ? maxError / scale : 0 }

  /// The activation realising the polynomial kernel `Σ_{k ≤ D} bₖ ρᵏ` exactly.
  ///
  /// `negative[k] == true` takes `aₖ < 0` (default: all `aₖ ≥ 0`). Coefficients that are
  /// negative beyond rounding (`bₖ < −10⁻¹³ max|b|`) throw `.negativeCoefficient`
  /// (no real activation has that kernel); rounding-level negatives become 0. Empty or
  /// non-finite input throws.
  public init(kernelCoefficients: [Double], target: Target, negative: [Bool]? = nil)
    throws(KernelAnalysisError)
  {
    try self.init(
      kernelCoefficients: kernelCoefficients, target: target, negative: negative, maxError: 0, scale: nil)
  }

  /// The activation realising a power-series fit (its coefficients must be `≥ 0` up to
  /// rounding, as those of a `nonnegative` fit are), carrying the fit's residual and scale.
  public init(fit: DotProductKernelFit, target: Target) throws(KernelAnalysisError) {
    try self.init(
      kernelCoefficients: fit.coefficients, target: target, negative: nil, maxError: fit.maxResidual,
      scale: fit.scale)
  }

  init(
    kernelCoefficients b: [Double], target: Target, negative: [Bool]?, maxError: Double, scale: Double?
  ) throws(KernelAnalysisError) {
    guard !b.isEmpty else { throw .emptyData(what: "kernel coefficients") }
    try KernelValidation.checkFinite(b, what: "kernel coefficient")
    if let negative, negative.count != b.count {
      throw .sizeMismatch(what: "coefficient signs", expected: b.count, actual: negative.count)
    }
    let largest = b.reduce(0) { max($0, abs($1)) }
    var cleaned = b
    for (k, value) in b.enumerated() where value < 0 {
      if value < -1e-13 * largest { throw .negativeCoefficient(index: k, value: value) }
      cleaned[k] = 0
    }
    self.target = target
    self.kernelCoefficients = cleaned
    self.hermiteCoefficients = cleaned.enumerated().map { k, bk in
      let magnitude = (target == .nngp ? bk : bk / Double(k + 1)).squareRoot()
      return negative?[k] == true ? -magnitude : magnitude
    }
    self.maxError = maxError
    self.scale = scale ?? cleaned.reduce(0, +)
  }

  /// Designs the lowest-degree activation (up to `maxDegree`) whose one-hidden-layer
  /// `target` kernel matches `kernel` within `tolerance · max|κ|` on `points` (default:
  /// the Chebyshev grid of `[−1, 1]` with midpoints, see `DotProductKernelFit`), by a
  /// non-negative least-squares fit of the power series (the constraint makes every fit
  /// realisable). Throws `.toleranceNotReached` with the best relative error at
  /// `maxDegree` when no degree suffices.
  public static func design(
    kernel: (Double) -> Double, target: Target, tolerance: Double = 1e-3, maxDegree: Int = 60,
    points: [Double]? = nil
  ) throws(KernelAnalysisError) -> ReverseEngineeredActivation {
    let fit = try DotProductKernelFit.lowestDegree(
      kernel: kernel, tolerance: tolerance, maxDegree: maxDegree, nonnegative: true, points: points)
    return try ReverseEngineeredActivation(
      kernelCoefficients: fit.coefficients, target: target, negative: nil, maxError: fit.maxResidual,
      scale: fit.scale)
  }

  /// The activation for the lowest truncation `b₀ … b_D` of the given (long) coefficient
  /// list whose kernel matches the full one, `max_ρ |Σ_{k>D} bₖ ρᵏ| ≤ tolerance · max_ρ
  /// |Σₖ bₖ ρᵏ|`, over `points` (default: 401 Chebyshev points of `[−1, 1]`, where the
  /// worst case is usually `ρ = 1`, the tail's total `Σ_{k>D} bₖ`).
  ///
  /// All coefficients are kept (with `maxError` 0) when even dropping the last one would
  /// exceed the tolerance. Throws like `init(kernelCoefficients:target:negative:)`, for a
  /// tolerance that is not positive, and for points outside `[−1, 1]`.
  public static func truncating(
    kernelCoefficients b: [Double], target: Target, tolerance: Double = 1e-3, points: [Double]? = nil,
    negative: [Bool]? = nil
  ) throws(KernelAnalysisError) -> ReverseEngineeredActivation {
    guard tolerance > 0, tolerance.isFinite else {
      throw .invalidParameter(name: "tolerance", value: tolerance, requirement: "must be positive and finite")
    }
    let full = try ReverseEngineeredActivation(kernelCoefficients: b, target: target, negative: negative)
    let grid = points ?? (0...400).map { cos(Double.pi * Double($0) / 400) }
    for p in grid where !(p >= -1 && p <= 1) {
      throw .invalidParameter(name: "point ρ", value: p, requirement: "must lie in [−1, 1]")
    }
    guard !grid.isEmpty else { throw .emptyData(what: "points") }
    let coefficients = full.kernelCoefficients
    let scale = grid.reduce(0) { max($0, abs(OneHiddenLayerKernel.horner(coefficients, $1))) }
    // Tail values Σ_{k>D} bₖ ρᵏ for D = K, K−1, …, accumulated from the top per point.
    var tails = [Double](repeating: 0, count: grid.count)
    var degree = coefficients.count - 1
    var error = 0.0
    while degree > 0 {
      var worst = 0.0
      for (i, rho) in grid.enumerated() {
        let candidate = tails[i] + coefficients[degree] * pow(rho, Double(degree))
        worst = max(worst, abs(candidate))
      }
      if worst > tolerance * scale { break }
      for (i, rho) in grid.enumerated() { tails[i] += coefficients[degree] * pow(rho, Double(degree)) }
      error = worst
      degree -= 1
    }
    let kept = Array(coefficients.prefix(degree + 1))
    return try ReverseEngineeredActivation(
      kernelCoefficients: kept, target: target, negative: negative.map { Array($0.prefix(degree + 1)) },
      maxError: error, scale: scale)
  }

  /// The Hermite expansion of the activation (exact coefficients).
  public var expansion: HermiteExpansion { HermiteExpansion(validatedCoefficients: hermiteCoefficients) }

  /// `φ(z) = Σ aₖ hₖ(z)` (Clenshaw; accurate at any degree).
  public func value(at z: Double) -> Double { NormalisedHermite.series(hermiteCoefficients, at: z) }

  /// The realised kernel `Σ bₖ ρᵏ` at `ρ`.
  public func kernel(_ rho: Double) -> Double { OneHiddenLayerKernel.horner(kernelCoefficients, rho) }

  /// The monomial coefficients `c₀ … c_D` of `φ(z/√q)`, the activation for a network whose
  /// pre-activations have variance `q` (`cⱼ = [zʲ]φ · q^{−j/2}`): with `q = σ_w²` the
  /// network's kernel is again `Σ bₖ ρᵏ` (its NTK input-weight term is `σ_w² ρ E[φ′φ′]`).
  public func monomialCoefficients(preactivationVariance q: Double = 1) -> [Double] {
    let c = NormalisedHermite.monomialCoefficients(of: hermiteCoefficients)
    guard q != 1 else { return c }
    let step = 1 / q.squareRoot()
    var scale = 1.0
    return c.map { value in
      defer { scale *= step }
      return value * scale
    }
  }

  /// A `.tp` definition of the activation, `def NAME(z) = c₀ + z * (c₁ + z * (…))`, with
  /// the monomial coefficients of `monomialCoefficients(preactivationVariance:)` printed
  /// with `%.17g` (round-trip exact). Zero coefficients are omitted (`z * (…)`), and the
  /// line is broken after `(` (which continues a `.tp` statement) every `lineLength`
  /// characters or so. Throws for a `q` that is not positive and finite.
  public func tpDefinition(
    name: String = "phi", variable: String = "z", preactivationVariance q: Double = 1, lineLength: Int = 100
  ) throws(KernelAnalysisError) -> String {
    guard q > 0, q.isFinite else {
      throw .invalidParameter(
        name: "preactivationVariance", value: q, requirement: "must be positive and finite")
    }
    var c = monomialCoefficients(preactivationVariance: q)
    while c.count > 1, c.last == 0 { c.removeLast() }
    func number(_ x: Double) -> String { String(format: "%.17g", x) }
    // Innermost first: e = c_D, then e = c_j + z * (e).
    var pieces: [String] = []
    for j in 0..<c.count {
      let last = j == c.count - 1
      if last {
        pieces.append(number(c[j]))
      } else if c[j] == 0 {
        pieces.append("\(variable) * (")
      } else {
        pieces.append("\(number(c[j])) + \(variable) * (")
      }
    }
    var text = "def \(name)(\(variable)) = "
    var lineStart = 0
    for piece in pieces {
      text += piece
      if piece.hasSuffix("("), text.count - lineStart > lineLength {
        text += "\n    "
        lineStart = text.count - 4
      }
    }
    text += String(repeating: ")", count: max(0, c.count - 1))
    return text
  }
}
