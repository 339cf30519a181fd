import Foundation

/// The eigenstructure of a kernel on an `M`-point data set treated as the population
/// (uniform measure on the points), in the conventions of LANGUAGE.md, "Kernel analysis".
///
/// With the uniform measure `μ = (1/M) Σ_x δ_x`, the kernel's integral operator
/// `(T f)(x) = E_{x′∼μ}[K(x, x′) f(x′)]` is the matrix `K/M`. So (Mercer's theorem on a
/// finite set):
///
/// - the **eigenvalues** `λ₀ ≥ λ₁ ≥ … ≥ λ_{M−1}` are those of `K/M`, in decreasing order;
/// - the **eigenfunctions** are `φᵢ = √M · uᵢ` for the unit eigenvectors `uᵢ` of `K`,
///   orthonormal in `L²(μ)`: `⟨φᵢ, φⱼ⟩ = (1/M) Σ_x φᵢ(x) φⱼ(x) = δᵢⱼ`, and
///   `K(x, x′) = Σᵢ λᵢ φᵢ(x) φᵢ(x′)`;
/// - a target's **coefficients** are `vᵢ = ⟨y, φᵢ⟩ = uᵢᵀy/√M`, so `y = Σᵢ vᵢ φᵢ` and
///   `Σᵢ vᵢ² = ‖y‖²/M`, the target's power (mean square).
///
/// This is the setting of the eigenlearning framework (Simon, Dickens, Karkada & DeWeese,
/// "The Eigenlearning Framework", TMLR 2023, §2), with the data set as the population.
///
/// **Sign convention**: eigenvectors are defined up to sign; each `uᵢ` is flipped so that its
/// first entry with `|u_jᵢ| > signThreshold · max_j |u_jᵢ|` is positive
/// (`signThreshold = 10⁻⁹`: an entry that is zero in exact arithmetic comes out at rounding
/// level, `≈ 10⁻¹⁵`, and must not decide the sign). Within a repeated eigenvalue the
/// eigenvectors are some orthonormal basis of the eigenspace and the individual `vᵢ` are
/// not unique; their squared sum over the eigenspace is.
///
/// Edge cases: the empty, non-square, asymmetric or non-finite kernel throws. Eigenvalues
/// are reported as computed — a PSD kernel's zero eigenvalues come out at `±M·ε·λ₀`, and a
/// clearly negative one means the matrix is not PSD (checked where it matters, in
/// eigenlearning). `top: k` keeps the `k` largest (all of them if `k ≥ M`); `top ≤ 0`
/// throws.
public struct KernelEigenstructure: Sendable {
  /// The number of data points `M`.
  public let populationSize: Int
  /// The eigenvalues of `K/M`, decreasing; `top` of them (or all `M`).
  public let eigenvalues: [Double]
  /// `M × k` matrix whose column `i` is the unit eigenvector `uᵢ` of `K` for
  /// `eigenvalues[i]`, with the sign convention above.
  public let eigenvectors: Matrix
  /// `tr(K)/M = Σ` of all `M` eigenvalues (also when truncated), for fractions of the
  /// kernel's total variance.
  public let trace: Double

  /// Relative size below which an eigenvector entry does not decide the sign.
  public static let signThreshold = 1e-9

  /// The eigenstructure of the symmetric `M × M` kernel matrix `kernel`, keeping the `top`
  /// largest eigenvalues (all when `nil`). Cost `O(M³)` (the full symmetric
  /// eigendecomposition, `SymmetricEigen`).
  public init(
    kernel: Matrix, top: Int? = nil, symmetryTolerance: Double = 1e-8,
    threads: Int = Parallel.defaultThreads
  ) throws(KernelAnalysisError) {
    try KernelValidation.checkKernel(kernel, symmetryTolerance: symmetryTolerance)
    if let top, top <= 0 {
      throw .invalidParameter(name: "top", value: Double(top), requirement: "must be at least 1")
    }
    let m = kernel.rows
    let count = min(top ?? m, m)
    let eigen = SymmetricEigen(kernel, threads: threads)
    let inverse = 1 / Double(m)
    guard eigen.values.allSatisfy(\.isFinite), eigen.vectors.elements.allSatisfy(\.isFinite) else {
      throw .nonFinite(what: "eigendecomposition of the kernel")
    }
    var values = [Double](repeating: 0, count: count)
    var vectors = Matrix(rows: m, cols: count)
    for i in 0..<count {
      let source = m - 1 - i  // SymmetricEigen is ascending.
      values[i] = eigen.values[source] * inverse
      var column = eigen.vectors.column(source)
      if Self.needsFlip(column) { column = column.map { -$0 } }
      for r in 0..<m { vectors.elements[r * count + i] = column[r] }
    }
    var trace = CompensatedSum()
    for i in 0..<m { trace.add(kernel.elements[i * m + i]) }
    self.populationSize = m
    self.eigenvalues = values
    self.eigenvectors = vectors
    self.trace = trace.value * inverse
  }

  /// Whether the first entry above `signThreshold · max|u|` is negative.
  static func needsFlip(_ u: [Double]) -> Bool {
    let largest = u.reduce(0) { max($0, abs($1)) }
    guard let first = u.first(where: { abs($0) > signThreshold * largest }) else { return false }
    return first < 0
  }

  /// The number of modes kept.
  public var modeCount: Int { eigenvalues.count }

  /// The eigenfunction `φᵢ = √M · uᵢ` on the data points (`0 ≤ i < modeCount`).
  public func eigenfunction(_ i: Int) -> [Double] {
    let scale = Double(populationSize).squareRoot()
    return eigenvectors.column(i).map { scale * $0 }
  }

  /// The target's coefficients `vᵢ = uᵢᵀy/√M` on the kept modes.
  public func targetCoefficients(_ target: [Double]) throws(KernelAnalysisError) -> [Double] {
    try decompose(target).coefficients
  }

  /// The decomposition of one target (length `M`) on the kept modes.
  public func decompose(_ target: [Double]) throws(KernelAnalysisError) -> TargetDecomposition {
    let m = populationSize
    guard target.count == m else {
      throw .sizeMismatch(what: "target (one value per data point)", expected: m, actual: target.count)
    }
    try KernelValidation.checkFinite(target, what: "target")
    let scale = 1 / Double(m).squareRoot()
    // Uᵀy as a product with the row vector yᵀ (1 × M times M × k).
    let projection = Matrix.product(Matrix(rows: 1, cols: m, elements: target), eigenvectors, threads: 1)
    let coefficients = projection.elements.map { $0 * scale }
    var power = CompensatedSum()
    for y in target { power.add(y * y) }
    return TargetDecomposition(coefficients: coefficients, power: power.value / Double(m))
  }

  /// The decompositions of the columns of an `M × c` target matrix, one per output.
  public func decompose(targets: Matrix) throws(KernelAnalysisError) -> [TargetDecomposition] {
    guard targets.cols > 0 else { throw .emptyData(what: "target matrix") }
    var out: [TargetDecomposition] = []
    for c in 0..<targets.cols { out.append(try decompose(targets.column(c))) }
    return out
  }
}

/// A target's coefficients on a kernel's eigenmodes and its cumulative power curve.
///
/// With `vᵢ` the coefficients on the kept modes (decreasing eigenvalue) and `P = ‖y‖²/M`
/// the target's power, `cumulativePower[i] = Σ_{j ≤ i} vⱼ² / P`: the fraction of the
/// target's power in the top `i + 1` modes. It is non-decreasing and reaches 1 (up to
/// rounding) when all `M` modes are kept; a zero target has `P = 0` and a curve of zeros.
public struct TargetDecomposition: Sendable, Equatable {
  /// `vᵢ = uᵢᵀy/√M`.
  public let coefficients: [Double]
  /// `P = ‖y‖²/M = Σᵢ vᵢ²` over all `M` modes.
  public let power: Double
  /// `Σ_{j ≤ i} vⱼ² / P` (all zeros for a zero target).
  public let cumulativePower: [Double]

  /// A decomposition from coefficients and the total power (`power ≥ 0`).
  public init(coefficients: [Double], power: Double) {
    self.coefficients = coefficients
    self.power = power
    var running = CompensatedSum()
    var curve: [Double] = []
    curve.reserveCapacity(coefficients.count)
    for v in coefficients {
      running.add(v * v)
      curve.append(power > 0 ? running.value / power : 0)
    }
    self.cumulativePower = curve
  }

  /// The fraction of the power in the kept modes (the last entry of the curve).
  public var capturedFraction: Double { cumulativePower.last ?? 0 }
}
