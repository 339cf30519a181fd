import Foundation

/// The power-series coefficients of a dot-product kernel, `κ(ρ) ≈ Σ_{k ≤ D} bₖ ρᵏ` on
/// `ρ ∈ [−1, 1]`, fitted to values of `κ` (e.g. a `tp`-computed NNGP or NTK as a function
/// of the cosine between unit inputs).
///
/// Why power series: a dot-product kernel `κ(x·x′)` is positive semidefinite on spheres of
/// every dimension iff `κ(ρ) = Σ bₖ ρᵏ` with `bₖ ≥ 0` and `Σ bₖ < ∞` (Schoenberg,
/// "Positive definite functions on spheres", Duke Math. J. 9, 1942), and the `bₖ` are what
/// the one-hidden-layer kernels are made of (`OneHiddenLayerKernel`: `bₖ = aₖ²` for the
/// NNGP, `(k+1) aₖ²` for the NTK), so they are the input of reverse engineering
/// (`ReverseEngineeredActivation`).
///
/// **Method.** Discrete least squares on Chebyshev–Lobatto points `ρⱼ = cos(πj/(P−1))`
/// (`P = max(400, 10(D+1))`, both ends included; or caller-supplied points), by Householder
/// QR with column pivoting on the monomial columns (unit-normalised), or — with
/// `nonnegative: true`, the Schoenberg constraint — by Lawson–Hanson non-negative least
/// squares. The monomial basis is ill-conditioned (`≈ (1 + √2)^D`), so individual high-order
/// coefficients are poorly determined even when the fit is excellent; what is reliable is
///
/// - `maxResidual`: `max |κ(ρ) − Σ bₖ ρᵏ|` over the fit points and the midpoints between
///   them (in angle), i.e. on `2P − 1` points, and
/// - `errors[k] = |bₖ(D) − bₖ(D′)|` against a second fit of degree `D′ = D + max(4, D/4)`:
///   small for the low coefficients of a kernel analytic on a neighbourhood of `[−1, 1]`
///   (Williams' erf kernel: geometric convergence), large for the high ones, and large
///   throughout for kernels with a singularity at `ρ = ±1` (the arc-cosine kernels have
///   `√(1 − ρ²)`), whose truncated power series converge only algebraically there.
///   With caller-supplied points `D′` is at most `points.count − 1` (the errors are 0 when
///   no higher degree fits).
///
/// Edge cases: `D` outside `0…maximumDegree`, fewer points than `D + 1`, points outside `[−1, 1]` or a non-finite
/// kernel value throw; a zero kernel gives zero coefficients.
public struct DotProductKernelFit: Sendable, Equatable {
  /// `b₀ … b_D`.
  public let coefficients: [Double]
  /// `|bₖ(D) − bₖ(D′)|`, the disagreement with a higher-degree fit.
  public let errors: [Double]
  /// `max |κ − fit|` on the fit points and the midpoints between them.
  public let maxResidual: Double
  /// `max |κ|` on the same points, the kernel's scale.
  public let scale: Double
  /// Whether the coefficients were constrained to be `≥ 0`.
  public let nonnegative: Bool

  /// The degree `D`.
  public var degree: Int { coefficients.count - 1 }

  /// `maxResidual / scale` (0 for a zero kernel).
  public var relativeResidual: Double { scale > 0 ? maxResidual / scale : 0 }

  /// The fitted polynomial `Σ bₖ ρᵏ` (Horner).
  public func value(_ rho: Double) -> Double { OneHiddenLayerKernel.horner(coefficients, rho) }

  /// Fits `kernel` with a polynomial of degree `degree`.
  ///
  /// `points` (optional) replaces the Chebyshev grid: e.g. the distinct cosines `xᵢ·xⱼ` of
  /// a data set plus `1` for the diagonal, to fit exactly where the kernel is used; the
  /// residual is then measured on those points only. More than 4000 points are thinned for
  /// the fit (the extremes of 2000 groups of the sorted points) but all are checked.
  public init(
    kernel: (Double) -> Double, degree: Int, nonnegative: Bool = false, points: [Double]? = nil
  ) throws(KernelAnalysisError) {
    guard degree <= Self.maximumDegree else {
      throw .invalidParameter(
        name: "degree", value: Double(degree), requirement: "must be in 0…\(Self.maximumDegree)")
    }
    let grid = try Self.grid(degree: degree, points: points)
    let main = try Self.solve(kernel: kernel, degree: degree, nonnegative: nonnegative, grid: grid)
    let higher = min(degree + max(4, degree / 4), (points?.count ?? Int.max) - 1)
    let comparison = try Self.solve(
      kernel: kernel, degree: higher, nonnegative: nonnegative,
      grid: points == nil ? try Self.grid(degree: higher, points: nil) : grid)
    coefficients = main.coefficients
    errors = (0...degree).map { abs(main.coefficients[$0] - comparison.coefficients[$0]) }
    maxResidual = main.maxResidual
    scale = main.scale
    self.nonnegative = nonnegative
  }

  /// The lowest-degree fit (up to `maxDegree`) whose relative residual is at most
  /// `tolerance`; throws `.toleranceNotReached` with the best one found otherwise.
  ///
  /// The degree is searched by doubling and then bisection, which assumes the residual
  /// does not increase with the degree (true for exact least squares up to rounding, since
  /// a higher degree contains every lower-degree fit).
  public static func lowestDegree(
    kernel: (Double) -> Double, tolerance: Double, maxDegree: Int = 60, nonnegative: Bool = false,
    points: [Double]? = nil
  ) throws(KernelAnalysisError) -> DotProductKernelFit {
    guard tolerance > 0, tolerance.isFinite else {
      throw .invalidParameter(name: "tolerance", value: tolerance, requirement: "must be positive and finite")
    }
    guard maxDegree >= 0, maxDegree <= maximumDegree else {
      throw .invalidParameter(
        name: "maxDegree", value: Double(maxDegree), requirement: "must be in 0…\(maximumDegree)")
    }
    let degree = try searchDegree(maxDegree: maxDegree, tolerance: tolerance) {
      d throws(KernelAnalysisError) in
      try solve(
        kernel: kernel, degree: d, nonnegative: nonnegative, grid: try grid(degree: d, points: points)
      )
      .relative
    }
    return try DotProductKernelFit(kernel: kernel, degree: degree, nonnegative: nonnegative, points: points)
  }

  /// The smallest `d ∈ 0…maxDegree` with `residual(d) ≤ tolerance`, by doubling then
  /// bisection; throws `.toleranceNotReached` when even `maxDegree` fails.
  static func searchDegree(
    maxDegree: Int, tolerance: Double, residual: (Int) throws(KernelAnalysisError) -> Double
  ) throws(KernelAnalysisError) -> Int {
    var lastFailure = -1
    var d = 0
    var success: Int?
    while true {
      let r = try residual(d)
      if r <= tolerance {
        success = d
        break
      }
      lastFailure = d
      if d == maxDegree {
        throw .toleranceNotReached(achieved: r, tolerance: tolerance, degree: maxDegree)
      }
      d = min(maxDegree, max(1, 2 * d))
    }
    // safe: the loop only exits by setting `success`.
    var hi = success!
    var lo = lastFailure
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if try residual(mid) <= tolerance { hi = mid } else { lo = mid }
    }
    return hi
  }

  /// The fit points and the check points (fit points plus midpoints in angle, or the given
  /// points alone).
  struct Grid {
    let fit: [Double]
    let check: [Double]
  }

  /// The largest degree accepted (the monomial basis carries no information beyond a few
  /// dozen degrees on `[−1, 1]`; the cap keeps the cost bounded).
  public static let maximumDegree = 200

  static func grid(degree: Int, points: [Double]?) throws(KernelAnalysisError) -> Grid {
    guard degree >= 0, degree <= maximumDegree + maximumDegree / 4 else {
      throw .invalidParameter(
        name: "degree", value: Double(degree), requirement: "must be in 0…\(maximumDegree)")
    }
    if let points {
      guard !points.isEmpty else { throw .emptyData(what: "fit points") }
      for p in points where !(p >= -1 && p <= 1) {
        throw .invalidParameter(name: "fit point ρ", value: p, requirement: "must lie in [−1, 1]")
      }
      guard points.count >= degree + 1 else {
        throw .invalidParameter(
          name: "fit points", value: Double(points.count),
          requirement: "need at least degree + 1 = \(degree + 1)")
      }
      return Grid(fit: thinned(points), check: points)
    }
    let count = max(400, 10 * (degree + 1))
    let fit = (0..<count).map { cos(Double.pi * Double($0) / Double(count - 1)) }
    let midpoints = (0..<(count - 1)).map { cos(Double.pi * (Double($0) + 0.5) / Double(count - 1)) }
    return Grid(fit: fit, check: fit + midpoints)
  }

  /// Above this many caller-supplied points the fit runs on a subset (the residual is
  /// still measured on all of them).
  static let maximumFitPoints = 4000

  /// At most `maximumFitPoints` of the points: the smallest and the largest of each of
  /// `maximumFitPoints / 2` consecutive groups of the sorted points, so that the extremes
  /// (`ρ = ±1`, the largest off-diagonal cosine) and the density of the points survive.
  static func thinned(_ points: [Double]) -> [Double] {
    guard points.count > maximumFitPoints else { return points }
    let sorted = points.sorted()
    let groups = maximumFitPoints / 2
    var out: [Double] = []
    out.reserveCapacity(maximumFitPoints)
    for g in 0..<groups {
      let lo = g * sorted.count / groups
      let hi = (g + 1) * sorted.count / groups - 1
      out.append(sorted[lo])
      if hi > lo { out.append(sorted[hi]) }
    }
    return out
  }

  struct Solution {
    let coefficients: [Double]
    let maxResidual: Double
    let scale: Double
    var relative: Double { scale > 0 ? maxResidual / scale : 0 }
  }

  static func solve(
    kernel: (Double) -> Double, degree: Int, nonnegative: Bool, grid: Grid
  ) throws(KernelAnalysisError) -> Solution {
    var values: [Double] = []
    values.reserveCapacity(grid.fit.count)
    for rho in grid.fit {
      let v = kernel(rho)
      guard v.isFinite else { throw .nonFinite(what: "kernel value at ρ = \(rho)") }
      values.append(v)
    }
    // Unit-normalised monomial columns; positive scaling keeps the sign constraint.
    var columns: [[Double]] = []
    var norms: [Double] = []
    var power = [Double](repeating: 1, count: grid.fit.count)
    for _ in 0...degree {
      let norm = power.reduce(0) { $0 + $1 * $1 }.squareRoot()
      norms.append(norm)
      columns.append(norm > 0 ? power.map { $0 / norm } : power)
      power = zip(power, grid.fit).map { $0 * $1 }
    }
    let scaled =
      nonnegative
      ? NonnegativeLeastSquares.solve(columns: columns, values) : LeastSquares.solve(columns: columns, values)
    let coefficients = zip(scaled, norms).map { $1 > 0 ? $0 / $1 : 0 }
    var residual = 0.0
    var scale = 0.0
    for rho in grid.check {
      let v = kernel(rho)
      guard v.isFinite else { throw .nonFinite(what: "kernel value at ρ = \(rho)") }
      residual = max(residual, abs(v - OneHiddenLayerKernel.horner(coefficients, rho)))
      scale = max(scale, abs(v))
    }
    return Solution(coefficients: coefficients, maxResidual: residual, scale: scale)
  }
}
