import Foundation

/// Matrix–matrix products on unsafe buffers: the level-3 kernels under Cholesky, triangular
/// solves and the symmetric eigensolver.
///
/// Reproducibility contract (stronger than BLAS gives): every entry of the result is
///
///     c_ij ← β·c_ij,  then  c_ij ← c_ij + (α·a_ip)·b_pj  for p = 0, 1, …, k−1 in order,
///
/// one rounded multiply and one rounded add per term, exactly as the naive triple loop
/// written that way (`β = 0` starts from an exact zero and never reads `C`, so NaNs left in
/// `C` do not propagate; `β = 1` starts from `c_ij` itself). Blocking, packing, SIMD width
/// and the thread count only change *when* a term is added, never the order or the
/// rounding, so results are bit-identical for every thread count and every block size.
/// With `α = ±1` the scaling is exact, so `C − A·B` is the running sum `c − Σ a·b`.
///
/// Algorithm: the Goto/BLIS layering (Goto & van de Geijn, "Anatomy of high-performance
/// matrix multiplication", ACM TOMS 34, 2008). For each block of `kc` inner indices the
/// operands are packed — `α·op(A)` into row panels of `mr` rows, `op(B)` into column
/// panels of `nr` columns, zero-padded — so that the micro-kernel streams both with unit
/// stride; the micro-kernel keeps an `mr × nr` (2 × 8) tile of `C` in SIMD registers, fed
/// per step by one (pre-duplicated) `a_ip` per row and one 8-wide row of `B`, and touches
/// `C` only once per `kc` steps. Tiles of `C` of `mc × nt` entries are the
/// parallel work units, cut identically for every thread count.
extension Dense {
  /// `C ← α·op(A)·op(B) + β·C` for row-major operands (BLAS `dgemm`), with the
  /// reproducibility contract of this extension.
  ///
  /// - `op(A)` is `m × k`: `A` itself (`m × k`, row stride `lda ≥ k`) or, with
  ///   `transposeA`, the transpose of the stored `k × m` matrix (`lda ≥ m`). Likewise
  ///   `op(B)` is `k × n` (`ldb ≥ n`, or `ldb ≥ k` when transposed). `C` is `m × n` with
  ///   row stride `ldc ≥ n`.
  /// - Buffers must hold the strided matrices (`(rows − 1)·ld + cols` entries); `C` must
  ///   not overlap `A` or `B`. Any dimension may be zero; `k = 0` or `α = 0` gives `β·C`.
  /// - `threads` only says how many fixed tiles run at once.
  public static func multiply(
    m: Int, n: Int, k: Int, alpha: Double = 1,
    _ a: UnsafeBufferPointer<Double>, lda: Int, transposeA: Bool = false,
    _ b: UnsafeBufferPointer<Double>, ldb: Int, transposeB: Bool = false,
    beta: Double = 0, into c: UnsafeMutableBufferPointer<Double>, ldc: Int,
    threads: Int = Parallel.defaultThreads
  ) {
    let (aRows, aCols) = transposeA ? (k, m) : (m, k)
    let (bRows, bCols) = transposeB ? (n, k) : (k, n)
    checkOperand(a.count, rows: aRows, cols: aCols, ld: lda)
    checkOperand(b.count, rows: bRows, cols: bCols, ld: ldb)
    checkOperand(c.count, rows: m, cols: n, ld: ldc)
    guard m > 0, n > 0 else { return }
    let pa = StridedOperand(a.baseAddress, ld: lda, transposed: transposeA)
    let pb = StridedOperand(b.baseAddress, ld: ldb, transposed: transposeB)
    // safe: m, n > 0 and c holds an m × n matrix, so it is not empty.
    GEMM.run(
      m: m, n: n, k: k, alpha: alpha, pa, pb, beta: beta, c.baseAddress!, ldc: ldc, triangle: .full,
      threads: threads, vectorized: BuildMode.prefersSIMD)
  }

  /// The symmetric rank-k update `C ← α·A·Aᵀ + β·C` (or `α·Aᵀ·A + β·C` with `transpose`)
  /// on the lower triangle of the `n × n` row-major `C` (BLAS `dsyrk` with `uplo = L` in
  /// row-major terms): entries with column > row are neither read nor written.
  ///
  /// `A` is `n × k` (`lda ≥ k`), or `k × n` (`lda ≥ n`) with `transpose`. Costs half a
  /// general product; each written entry follows the contract of `multiply`.
  public static func symmetricRankUpdate(
    n: Int, k: Int, alpha: Double = 1, _ a: UnsafeBufferPointer<Double>, lda: Int, transpose: Bool = false,
    beta: Double = 0, intoLowerOf c: UnsafeMutableBufferPointer<Double>, ldc: Int,
    threads: Int = Parallel.defaultThreads
  ) {
    checkOperand(a.count, rows: transpose ? k : n, cols: transpose ? n : k, ld: lda)
    checkOperand(c.count, rows: n, cols: n, ld: ldc)
    guard n > 0 else { return }
    let left = StridedOperand(a.baseAddress, ld: lda, transposed: transpose)
    // safe: n > 0 and c holds an n × n matrix.
    GEMM.run(
      m: n, n: n, k: k, alpha: alpha, left, left.transposed, beta: beta, c.baseAddress!, ldc: ldc,
      triangle: .lower, threads: threads, vectorized: BuildMode.prefersSIMD)
  }

  /// Checks that a buffer of `count` entries holds a `rows × cols` matrix with row stride `ld`.
  static func checkOperand(_ count: Int, rows: Int, cols: Int, ld: Int) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    precondition(ld >= max(cols, 1), "leading dimension smaller than the row length")
    precondition(rows == 0 || cols == 0 || count >= (rows - 1) * ld + cols, "matrix buffer too small")
  }
}

/// A read-only matrix operand with arbitrary strides: entry `(i, j)` is
/// `base[i·rowStride + j·colStride]`. Transposing swaps the strides, which is how
/// `op(A) = Aᵀ` and column-major data reach the same packing code.
struct StridedOperand: @unchecked Sendable {
  // @unchecked: a view into caller-owned memory that the kernels only read.
  let base: UnsafePointer<Double>?
  let rowStride: Int
  let colStride: Int

  init(_ base: UnsafePointer<Double>?, rowStride: Int, colStride: Int) {
    self.base = base
    self.rowStride = rowStride
    self.colStride = colStride
  }

  /// A row-major matrix with row stride `ld`, or its transpose.
  init(_ base: UnsafePointer<Double>?, ld: Int, transposed: Bool) {
    self.init(base, rowStride: transposed ? 1 : ld, colStride: transposed ? ld : 1)
  }

  var transposed: StridedOperand { StridedOperand(base, rowStride: colStride, colStride: rowStride) }
}

/// Which entries of the square result a product computes: all, `row ≥ col`, or `row ≤ col`.
enum Triangle: Sendable {
  case full, lower, upper

  /// Whether entry `(i, j)` belongs to the triangle.
  @inline(__always)
  func contains(_ i: Int, _ j: Int) -> Bool {
    switch self {
    case .full: true
    case .lower: i >= j
    case .upper: i <= j
    }
  }

  /// Whether no entry of rows `rows` × columns `cols` belongs to the triangle.
  @inline(__always)
  func excludes(rows: Range<Int>, cols: Range<Int>) -> Bool {
    switch self {
    case .full: false
    case .lower: rows.upperBound - 1 < cols.lowerBound
    case .upper: rows.lowerBound > cols.upperBound - 1
    }
  }

  /// Whether every entry of rows `rows` × columns `cols` belongs to the triangle.
  @inline(__always)
  func covers(rows: Range<Int>, cols: Range<Int>) -> Bool {
    switch self {
    case .full: true
    case .lower: rows.lowerBound >= cols.upperBound - 1
    case .upper: rows.upperBound - 1 <= cols.lowerBound
    }
  }
}
