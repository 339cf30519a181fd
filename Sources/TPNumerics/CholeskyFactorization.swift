import Foundation

/// The Cholesky factorization `A = L·Lᵀ` of a symmetric positive definite matrix, blocked
/// for large `n` (Gram matrices of thousands of points), with solves against `A`, `L` and
/// `Lᵀ`, the log-determinant and condition-number diagnostics.
///
/// Algorithm: right-looking blocked Cholesky (Golub & Van Loan, "Matrix Computations",
/// 4th ed., Alg. 4.2.2): for each block column, factor the `nb × nb` diagonal block, solve
/// for the panel below it (`L₂₁ = A₂₁·L₁₁⁻ᵀ`) and subtract `L₂₁·L₂₁ᵀ` from the trailing
/// lower triangle with `Dense.symmetricRankUpdate`'s engine, which holds ~all `n³/3` flops.
/// Every entry is the in-order running sum `l_ij = (a_ij − Σ_{p<j} l_ip·l_jp) / l_jj`
/// (the trailing updates add exactly the terms, in order, that the unblocked loop would),
/// so the factor is bit-identical to the textbook loop for every block size and thread
/// count.
///
/// Accuracy: `L·Lᵀ = A + ΔA` with `|ΔA| ≤ (n+1)·ε·|L|·|Lᵀ|` (Higham, "Accuracy and
/// Stability of Numerical Algorithms", Thm. 10.3), hence `‖A − L·Lᵀ‖ = O(n·ε·‖A‖)`. The
/// factorization succeeds whenever `A` is SPD with `κ₂(A) ≲ 1/(n·ε)`; it fails — with the
/// first non-positive pivot reported, not a crash — for indefinite, singular and
/// numerically singular matrices (a Gram matrix of duplicated or nearly collinear points
/// without enough noise on its diagonal).
public struct Cholesky: Sendable {
  /// The factor `L`: `n × n` lower triangular with a positive diagonal and zeros above it.
  public let lower: Matrix
  /// `‖A‖₁ = maxⱼ Σᵢ |a_ij|` of the factored (symmetric) matrix, for `conditionEstimate`.
  public let matrixOneNorm: Double

  /// Factors the symmetric matrix `a`, reading only its lower triangle (diagonal included).
  ///
  /// - Throws `CholeskyError` at the first pivot `d_k = a_kk − Σ_{p<k} l_kp² ≤ 0` (or NaN or
  ///   infinite): `a` is not positive definite to working precision.
  /// - The empty matrix factors to an empty `L`.
  public init(_ a: Matrix, threads: Int = Parallel.defaultThreads) throws(CholeskyError) {
    precondition(a.rows == a.cols, "Cholesky needs a square matrix")
    let n = a.rows
    var work = a.elements
    var largestDiagonal = 0.0
    for i in 0..<n where a.elements[i * n + i] > largestDiagonal { largestDiagonal = a.elements[i * n + i] }
    let failure = work.withUnsafeMutableBufferPointer { buffer -> (pivot: Int, value: Double)? in
      guard let base = buffer.baseAddress else { return nil }
      return BlockedCholesky.factor(base, n: n, lda: n, threads: threads)
    }
    if let failure {
      throw CholeskyError(
        pivot: failure.pivot, value: failure.value, largestDiagonal: largestDiagonal, order: n)
    }
    // The factor lives in the lower triangle; what is left above it is the input's upper half.
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { work[i * n + j] = 0 }
    }
    lower = Matrix(rows: n, cols: n, elements: work)
    matrixOneNorm = Self.symmetricOneNorm(a)
  }

  /// The order `n` of the factored matrix.
  public var order: Int { lower.rows }

  /// `log det A = 2·Σᵢ log l_ii`, finite for every successful factorization (no overflow
  /// from forming the determinant itself). `0` for the empty matrix.
  public var logDeterminant: Double {
    (0..<order).reduce(0.0) { $0 + 2 * Foundation.log(lower.elements[$1 * order + $1]) }
  }

  /// `(maxᵢ l_ii / minᵢ l_ii)²`, a free lower bound on `κ₂(A) = λ_max/λ_min`: the pivots
  /// `l_ii²` are Schur complements, which lie in `[λ_min, λ_max]`. It can underestimate
  /// badly (an ill-conditioned matrix may have unremarkable pivots); use
  /// `conditionEstimate` when it matters. `1` for the empty matrix.
  public var diagonalConditionBound: Double {
    guard order > 0 else { return 1 }
    let diagonal = (0..<order).map { lower.elements[$0 * order + $0] }
    // safe: order > 0, so the diagonal is not empty.
    let ratio = diagonal.max()! / diagonal.min()!
    return ratio * ratio
  }

  /// An estimate of `κ₁(A) = ‖A‖₁·‖A⁻¹‖₁` by Hager's method as refined by Higham (LAPACK
  /// `dpocon`/`dlacn2`): a few solves with `A` (`O(n²)` each, typically 4–5) find a vector
  /// at which `‖A⁻¹x‖₁/‖x‖₁` is (nearly) maximal. The estimate never exceeds the true value
  /// and is almost always within a factor of 3 of it (Higham, "Accuracy and Stability",
  /// §15.3). Values near `1/ε ≈ 4.5·10¹⁵` mean solves carry no correct digits: add noise
  /// (a diagonal shift) to the kernel matrix. `1` for the empty matrix.
  public func conditionEstimate(threads: Int = Parallel.defaultThreads) -> Double {
    guard order > 0 else { return 1 }
    let inverseNorm = OneNormEstimator.estimate(order: order) { x in
      solve(Matrix(rows: order, cols: 1, elements: x), threads: threads).elements
    }
    return matrixOneNorm * inverseNorm
  }

  /// `X = A⁻¹·B` for `B` with `n` rows (any number of right-hand-side columns), by
  /// `L·Y = B` then `Lᵀ·X = Y`.
  public func solve(_ b: Matrix, threads: Int = Parallel.defaultThreads) -> Matrix {
    solveLowerTransposed(solveLower(b, threads: threads), threads: threads)
  }

  /// `x = A⁻¹·b` for one right-hand side.
  public func solve(_ b: [Double]) -> [Double] {
    solve(Matrix(rows: b.count, cols: 1, elements: b), threads: 1).elements
  }

  /// `Y = L⁻¹·B` (forward substitution). For GP posteriors, `‖L⁻¹k‖²` is the variance a
  /// test point's cross-kernel column `k` explains.
  public func solveLower(_ b: Matrix, threads: Int = Parallel.defaultThreads) -> Matrix {
    substitute(b, transposed: false, threads: threads)
  }

  /// `X = L⁻ᵀ·B` (backward substitution).
  public func solveLowerTransposed(
    _ b: Matrix, threads: Int = Parallel.defaultThreads
  ) -> Matrix {
    substitute(b, transposed: true, threads: threads)
  }

  private func substitute(_ b: Matrix, transposed: Bool, threads: Int) -> Matrix {
    precondition(b.rows == order, "right-hand side must have one row per unknown")
    var x = b
    let (n, m) = (b.rows, b.cols)
    lower.elements.withUnsafeBufferPointer { l in
      x.elements.withUnsafeMutableBufferPointer { px in
        Dense.solveLowerTriangular(
          n: n, m: m, l, ldl: max(n, 1), transposed: transposed, px, ldb: max(m, 1), threads: threads)
      }
    }
    return x
  }

  /// `maxⱼ Σᵢ |a_ij|` of the symmetric matrix whose lower triangle is that of `a`.
  static func symmetricOneNorm(_ a: Matrix) -> Double {
    let n = a.rows
    var sums = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for j in 0..<i {
        let v = abs(a.elements[i * n + j])
        sums[i] += v
        sums[j] += v
      }
      sums[i] += abs(a.elements[i * n + i])
    }
    return sums.reduce(0) { max($0, $1) }
  }
}

/// Why a Cholesky factorization failed: the first pivot that was not positive.
///
/// Pivot `k` is `d_k = a_kk − Σ_{p<k} l_kp²`, the variance of variable `k` not explained by
/// variables `0 ..< k` (a Schur complement). `d_k ≤ 0` means the leading `(k+1) × (k+1)`
/// block is singular or indefinite *in floating point*: exactly (a duplicated input point,
/// a kernel of rank below `n`), or because `κ(A)` is near `1/ε` so rounding ate the last
/// positive digits. Adding noise `σ²·I` raises every eigenvalue by `σ²`; a shift of a
/// few times `max(−value, n·ε·largestDiagonal)` usually restores definiteness, and
/// `−SymmetricEigen.eigenvalues(of:).first` gives the exact amount needed.
public struct CholeskyError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Index `k` (0-based) of the first non-positive pivot.
  public let pivot: Int
  /// The pivot `d_k`: `≤ 0`, or NaN/infinite for non-finite input.
  public let value: Double
  /// `max_i a_ii`, the scale against which `value` is small or large.
  public let largestDiagonal: Double
  /// The order `n` of the matrix.
  public let order: Int

  public init(pivot: Int, value: Double, largestDiagonal: Double, order: Int) {
    self.pivot = pivot
    self.value = value
    self.largestDiagonal = largestDiagonal
    self.order = order
  }

  /// A noise level `σ²` worth trying: `max(−value, n·ε·largestDiagonal)` times 10 (zero or
  /// NaN when the matrix has no positive diagonal or non-finite entries).
  public var suggestedNoise: Double {
    10 * max(-value, Double(order) * Double.ulpOfOne * largestDiagonal)
  }

  public var description: String {
    guard value.isFinite else {
      return "matrix is not positive definite: pivot \(pivot) of \(order) is \(value) (non-finite entries)"
    }
    let relative = largestDiagonal > 0 ? abs(value) / largestDiagonal : .infinity
    return
      "matrix is not positive definite: pivot \(pivot) of \(order) is \(value) "
      + "(\(relative) relative to the largest diagonal entry \(largestDiagonal)); it is singular or "
      + "ill-conditioned — add noise (a diagonal shift) of at least ~\(suggestedNoise)"
  }
}

/// The blocked, in-place factorization behind `Cholesky`.
enum BlockedCholesky {
  /// Columns per block: the inner dimension of the trailing rank-`nb` updates.
  static let blockSize = 128
  /// Rows per parallel chunk of a panel solve (a multiple of the 8 SIMD lanes).
  static let panelChunkRows = 64

  /// Overwrites the lower triangle of the row-major `n × n` matrix at `a` (row stride
  /// `lda`) with `L`; entries above the diagonal are neither read nor written. Returns the
  /// first failing pivot, leaving the columns before it factored.
  static func factor(
    _ a: UnsafeMutablePointer<Double>, n: Int, lda: Int, threads: Int
  ) -> (pivot: Int, value: Double)? {
    for k in stride(from: 0, to: n, by: blockSize) {
      let kb = min(blockSize, n - k)
      if let failure = factorDiagonalBlock(a, lda: lda, k..<(k + kb)) { return failure }
      let below = n - k - kb
      guard below > 0 else { break }
      solvePanel(a, lda: lda, block: k..<(k + kb), rows: (k + kb)..<n, threads: threads)
      // A₂₂ ← A₂₂ − L₂₁·L₂₁ᵀ on the lower triangle.
      let panel = StridedOperand(a + (k + kb) * lda + k, ld: lda, transposed: false)
      GEMM.run(
        m: below, n: below, k: kb, alpha: -1, panel, panel.transposed, beta: 1, a + (k + kb) * lda + k + kb,
        ldc: lda, triangle: .lower, threads: threads, vectorized: BuildMode.prefersSIMD)
    }
    return nil
  }

  /// Unblocked row-by-row (Cholesky–Banachiewicz) factorization of the diagonal block,
  /// whose entries already carry the updates from earlier blocks.
  static func factorDiagonalBlock(
    _ a: UnsafeMutablePointer<Double>, lda: Int, _ block: Range<Int>
  ) -> (pivot: Int, value: Double)? {
    for i in block {
      let rowI = a + i * lda
      for j in block.lowerBound...i {
        let rowJ = a + j * lda
        var s = rowI[j]
        for p in block.lowerBound..<j { s -= rowI[p] * rowJ[p] }
        if j < i {
          rowI[j] = s / rowJ[j]
        } else {
          // `!(s > 0)` also catches NaN.
          guard s > 0, s.isFinite else { return (i, s) }
          rowI[i] = s.squareRoot()
        }
      }
    }
    return nil
  }

  /// `A[rows, block] ← A[rows, block]·L₁₁⁻ᵀ`: each row `x` solves `L₁₁·xᵀ = aᵀ` by
  /// `x_j = (a_j − Σ_{p<j} l_jp·x_p) / l_jj`. Eight rows go through the substitution
  /// together as SIMD lanes (transposed into a scratch panel so that lane `r` of entry `p`
  /// is row `r`'s `x_p`); every lane performs the scalar operations in order.
  static func solvePanel(
    _ a: UnsafeMutablePointer<Double>, lda: Int, block: Range<Int>, rows: Range<Int>, threads: Int
  ) {
    let kb = block.count
    let k = block.lowerBound
    let pointer = UncheckedSendable(a)
    let workers = rows.count * kb < 1 << 14 ? 1 : threads
    Parallel.forEachChunk(count: rows.count, chunkSize: panelChunkRows, threads: workers) { chunk in
      let a = pointer.value
      let diagonal = UnsafePointer(a + k * lda + k)
      var r = rows.lowerBound + chunk.lowerBound
      let end = rows.lowerBound + chunk.upperBound
      if BuildMode.prefersSIMD {
        withUnsafeTemporaryAllocation(of: SIMD8<Double>.self, capacity: kb) { scratch in
          // safe: kb ≥ 1, so the allocation has a base address.
          let t = scratch.baseAddress!
          while r + 8 <= end {
            let base = a + r * lda + k
            for p in 0..<kb {
              t[p] = SIMD8(
                base[p], base[lda + p], base[2 * lda + p], base[3 * lda + p], base[4 * lda + p],
                base[5 * lda + p], base[6 * lda + p], base[7 * lda + p])
            }
            for j in 0..<kb {
              let lj = diagonal + j * lda
              var s = t[j]
              for p in 0..<j { s -= SIMD8(repeating: lj[p]) * t[p] }
              t[j] = s / SIMD8(repeating: lj[j])
            }
            for p in 0..<kb {
              for lane in 0..<8 { base[lane * lda + p] = t[p][lane] }
            }
            r += 8
          }
        }
      }
      while r < end {
        let x = a + r * lda + k
        for j in 0..<kb {
          let lj = diagonal + j * lda
          var s = x[j]
          for p in 0..<j { s -= lj[p] * x[p] }
          x[j] = s / lj[j]
        }
        r += 1
      }
    }
  }
}

/// Hager–Higham estimation of `‖B‖₁` for a symmetric `B` available only through products
/// `x ↦ B·x` (LAPACK `dlacn2`; Higham, "FORTRAN codes for estimating the one-norm of a real
/// or complex matrix", ACM TOMS 14, 1988).
enum OneNormEstimator {
  /// A lower bound on `‖B‖₁` that is almost always within a factor 3 of it, from at most
  /// five steps of the power-like iteration on `‖B·x‖₁` plus Higham's alternating test
  /// vector. `apply(x)` must return `B·x`.
  static func estimate(order n: Int, apply: ([Double]) -> [Double]) -> Double {
    func oneNorm(_ v: [Double]) -> Double { v.reduce(0) { $0 + abs($1) } }
    func signs(_ v: [Double]) -> [Double] { v.map { $0 >= 0 ? 1 : -1 } }
    func argmaxAbs(_ v: [Double]) -> Int {
      var best = 0
      for i in 1..<max(v.count, 1) where abs(v[i]) > abs(v[best]) { best = i }
      return best
    }
    var y = apply([Double](repeating: 1 / Double(n), count: n))
    var estimate = oneNorm(y)
    if n > 1 {
      var xi = signs(y)
      var j = argmaxAbs(apply(xi))
      for _ in 2...5 {
        var unit = [Double](repeating: 0, count: n)
        unit[j] = 1
        y = apply(unit)
        let next = oneNorm(y)
        let nextSigns = signs(y)
        // Stop when the sign pattern repeats (no new direction) or the estimate stops growing.
        if nextSigns == xi || next <= estimate {
          estimate = max(estimate, next)
          break
        }
        estimate = next
        xi = nextSigns
        let z = apply(xi)
        let jNext = argmaxAbs(z)
        if abs(z[jNext]) == abs(z[j]) { break }
        j = jNext
      }
    }
    // Higham's extra test vector x_i = (−1)^i (1 + i/(n−1)) catches matrices that fool the
    // iteration.
    let alternating = (0..<n).map { i -> Double in
      let magnitude = 1 + (n > 1 ? Double(i) / Double(n - 1) : 0)
      return i % 2 == 0 ? magnitude : -magnitude
    }
    let alternative = 2 * oneNorm(apply(alternating)) / Double(3 * n)
    return max(estimate, alternative)
  }
}
