/// Kernel–target alignment of an `M × M` kernel matrix with targets on the same `M` points.
///
/// **Uncentred** (Cristianini, Shawe-Taylor, Elisseeff & Kandola, "On kernel-target
/// alignment", NIPS 2001, Def. 1 with `K₂ = yyᵀ`):
///
///     A(K, y) = ⟨K, yyᵀ⟩_F / (‖K‖_F ‖yyᵀ‖_F) = yᵀKy / (‖K‖_F ‖y‖²).
///
/// **Centred** (Cortes, Mohri & Rostamizadeh, "Algorithms for learning kernels based on
/// centered alignment", JMLR 13, 2012, Def. 4 and Lemma 1): the same with `K_c = HKH` and
/// `y_c = Hy`, `H = I − 11ᵀ/M`,
///
///     A_c(K, y) = y_cᵀ K_c y_c / (‖K_c‖_F ‖y_c‖²) = y_cᵀ K y_c / (‖K_c‖_F ‖y_c‖²),
///
/// the second form because `H y_c = y_c`. Centring removes the constant mode, which
/// otherwise dominates the alignment of kernels with a large mean (every NNGP of a
/// positive activation).
///
/// **Several outputs** (`targets` an `M × c` matrix with columns `y₁ … y_c`): the
/// numerators and the target norms are summed over outputs,
///
///     A(K, Y) = Σ_c y_cᵀKy_c / (‖K‖_F Σ_c ‖y_c‖²) = tr(YᵀKY) / (‖K‖_F ‖Y‖_F²),
///
/// the average of the per-output alignments weighted by `‖y_c‖²`. (Cristianini's alignment
/// with `K₂ = YYᵀ` would divide by `‖YᵀY‖_F ≤ ‖Y‖_F²` instead; the two agree when the
/// outputs are orthogonal, and for one output.) The per-output values are kept in
/// `outputs`.
///
/// Domain and edge cases: `A ∈ [−1, 1]` by Cauchy–Schwarz, and `A ∈ [0, 1]` for a PSD
/// kernel; a rank-one kernel `K = yyᵀ` has `A = 1`, the identity has `A = 1/√M`. A zero
/// kernel (or zero centred kernel, e.g. a constant one) throws `.zeroKernel`; an all-zero
/// target (or a constant target when centred) throws `.zeroTarget`; an output column that
/// is zero while others are not gets a `nil` per-output value. NaN/∞ entries, a non-square
/// or asymmetric kernel (beyond `symmetryTolerance · max|K|`) and mismatched sizes throw.
/// The computation is scaled by `max|K|` and `max|y|` (the alignment is scale-free), so no
/// intermediate overflows.
public struct KernelTargetAlignment: Sendable, Equatable {
  /// The alignment `A` (centred `A_c` when `centred`), summed over outputs as above.
  public let value: Double
  /// The alignment of each output column separately; `nil` for an all-zero column.
  public let outputs: [Double?]
  /// Whether this is the centred alignment of Cortes et al.
  public let centred: Bool
  /// An upper bound on the rounding error of `value`,
  /// `(M + 3)·ε · Σ_c |y_c|ᵀ|K||y_c| / (‖K‖_F Σ_c ‖y_c‖²)` (the classical bound for the
  /// two dot products, Higham "Accuracy and Stability", §3.1), which is `≈ M·ε` for a
  /// well-aligned PSD kernel.
  public let roundingError: Double

  /// The alignment of `kernel` (`M × M`) with one target vector of length `M`.
  public init(
    kernel: Matrix, target: [Double], centred: Bool = false, symmetryTolerance: Double = 1e-8
  ) throws(KernelAnalysisError) {
    try self.init(
      kernel: kernel, targets: Matrix(rows: target.count, cols: 1, elements: target), centred: centred,
      symmetryTolerance: symmetryTolerance)
  }

  /// The alignment of `kernel` (`M × M`) with the `M × c` target matrix `targets`.
  public init(
    kernel: Matrix, targets: Matrix, centred: Bool = false, symmetryTolerance: Double = 1e-8
  ) throws(KernelAnalysisError) {
    try KernelValidation.checkKernel(kernel, symmetryTolerance: symmetryTolerance)
    let m = kernel.rows
    guard targets.rows == m else {
      throw .sizeMismatch(what: "targets (one row per kernel row)", expected: m, actual: targets.rows)
    }
    guard targets.cols > 0 else { throw .emptyData(what: "target matrix") }
    try KernelValidation.checkFinite(targets.elements, what: "target")
    let kernelScale = kernel.maxAbsoluteEntry
    guard kernelScale > 0 else { throw .zeroKernel }
    let targetScale = targets.maxAbsoluteEntry
    guard targetScale > 0 else { throw .zeroTarget }

    // Work with K/max|K| and Y/max|Y|: entries in [−1, 1].
    var k = (1 / kernelScale) * kernel
    if centred { k = Self.doublyCentred(k) }
    let frobenius = k.elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard frobenius > 0 else { throw .zeroKernel }
    let absoluteKernel = Matrix(rows: m, cols: m, elements: k.elements.map { abs($0) })

    var numerator = 0.0
    var denominator = 0.0
    var absoluteNumerator = 0.0
    var perOutput: [Double?] = []
    for c in 0..<targets.cols {
      var y = targets.column(c).map { $0 / targetScale }
      if centred {
        let mean = y.reduce(0, +) / Double(m)
        y = y.map { $0 - mean }
      }
      let norm2 = y.reduce(0) { $0 + $1 * $1 }
      let ky = k.multiply(y)
      let quadratic = zip(y, ky).reduce(0) { $0 + $1.0 * $1.1 }
      let absY = y.map { abs($0) }
      let absolute = zip(absY, absoluteKernel.multiply(absY)).reduce(0) { $0 + $1.0 * $1.1 }
      numerator += quadratic
      denominator += norm2
      absoluteNumerator += absolute
      perOutput.append(norm2 > 0 ? quadratic / (frobenius * norm2) : nil)
    }
    guard denominator > 0 else { throw .zeroTarget }
    self.value = numerator / (frobenius * denominator)
    self.outputs = perOutput
    self.centred = centred
    self.roundingError = Double(m + 3) * Double.ulpOfOne * absoluteNumerator / (frobenius * denominator)
  }

  /// `HKH` with `H = I − 11ᵀ/M`: `K_ij − r_i − c_j + g` with row means `r`, column means
  /// `c` and grand mean `g`.
  static func doublyCentred(_ k: Matrix) -> Matrix {
    let m = k.rows
    var rowMeans = [Double](repeating: 0, count: m)
    var columnMeans = [Double](repeating: 0, count: m)
    for i in 0..<m {
      for j in 0..<m {
        rowMeans[i] += k.elements[i * m + j]
        columnMeans[j] += k.elements[i * m + j]
      }
    }
    let inverse = 1 / Double(m)
    rowMeans = rowMeans.map { $0 * inverse }
    columnMeans = columnMeans.map { $0 * inverse }
    let grand = rowMeans.reduce(0, +) * inverse
    var out = k
    for i in 0..<m {
      for j in 0..<m { out.elements[i * m + j] += grand - rowMeans[i] - columnMeans[j] }
    }
    return out
  }
}
