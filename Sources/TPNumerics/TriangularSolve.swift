import Foundation

/// Triangular solves with many right-hand sides (BLAS `dtrsm`, left side, lower triangle),
/// blocked so that almost all the work is `Dense.multiply`.
///
/// Forward substitution `L·X = B` by blocks of `blockRows` rows: solve the diagonal block
/// (rows of `B` are contiguous, so the substitution is vectorized along the right-hand
/// sides and parallel over fixed column strips), then subtract its contribution from all
/// rows below with one product. Every entry is the in-order running sum
/// `x_ij = (b_ij − Σ_{p<i} l_ip·x_pj) / l_ii` — the product continues the same sum — so the
/// result equals plain forward substitution bit for bit, for every thread count. Backward
/// substitution `Lᵀ·X = B` runs the blocks from the bottom up; its sums are in a fixed
/// order too (later blocks first), so it is equally reproducible.
///
/// Accuracy: substitution is backward stable — the computed `X` solves `(L + ΔL)·X = B`
/// with `|ΔL| ≤ n·ε·|L|` (Higham, "Accuracy and Stability of Numerical Algorithms", §8.1).
extension Dense {
  /// Solves `L·X = B` (or `Lᵀ·X = B` with `transposed`) in place: on return the `n × m`
  /// row-major `b` (row stride `ldb ≥ m`) holds `X`.
  ///
  /// - `l` is `n × n` row-major with row stride `ldl ≥ n`; only its lower triangle
  ///   (diagonal included) is read. A zero diagonal entry gives infinities or NaNs, as
  ///   division does; callers that need a guarantee factor first (a Cholesky factor of an
  ///   SPD matrix has a positive diagonal).
  /// - `n = 0` or `m = 0` does nothing. `b` must not overlap `l`.
  public static func solveLowerTriangular(
    n: Int, m: Int, _ l: UnsafeBufferPointer<Double>, ldl: Int, transposed: Bool = false,
    _ b: UnsafeMutableBufferPointer<Double>, ldb: Int,
    threads: Int = Parallel.defaultThreads
  ) {
    checkOperand(l.count, rows: n, cols: n, ld: ldl)
    checkOperand(b.count, rows: n, cols: m, ld: ldb)
    guard n > 0, m > 0, let pl = l.baseAddress, let pb = b.baseAddress else { return }
    if transposed {
      TriangularSolve.backward(n: n, m: m, pl, ldl: ldl, pb, ldb: ldb, threads: threads)
    } else {
      TriangularSolve.forward(n: n, m: m, pl, ldl: ldl, pb, ldb: ldb, threads: threads)
    }
  }
}

/// The blocked substitutions behind `Dense.solveLowerTriangular`.
enum TriangularSolve {
  /// Rows per diagonal block: the inner dimension of the trailing products.
  static let blockRows = 64
  /// Right-hand-side columns per parallel strip of a diagonal-block solve.
  static let stripColumns = 128

  static func forward(
    n: Int, m: Int, _ l: UnsafePointer<Double>, ldl: Int, _ b: UnsafeMutablePointer<Double>, ldb: Int,
    threads: Int
  ) {
    let workers = n * m < 1 << 14 ? 1 : threads
    let pointers = UncheckedSendable((b, l))
    for k in stride(from: 0, to: n, by: blockRows) {
      let kb = min(blockRows, n - k)
      Parallel.forEachChunk(count: m, chunkSize: stripColumns, threads: workers) { cols in
        let (b, l) = pointers.value
        substitute(rows: Array(k..<(k + kb)), b, ldb: ldb, cols) { i in
          // Row i's terms: (p, −l_ip) for the solved rows p < i of this block.
          (k..<i, { p in -l[i * ldl + p] }, l[i * ldl + i])
        }
      }
      let below = n - k - kb
      guard below > 0 else { continue }
      // B[k+kb..<n, :] −= L[k+kb..<n, k..<k+kb] · X[k..<k+kb, :]
      GEMM.run(
        m: below, n: m, k: kb, alpha: -1, StridedOperand(l + (k + kb) * ldl + k, ld: ldl, transposed: false),
        StridedOperand(b + k * ldb, ld: ldb, transposed: false), beta: 1, b + (k + kb) * ldb, ldc: ldb,
        triangle: .full, threads: threads, vectorized: BuildMode.prefersSIMD)
    }
  }

  static func backward(
    n: Int, m: Int, _ l: UnsafePointer<Double>, ldl: Int, _ b: UnsafeMutablePointer<Double>, ldb: Int,
    threads: Int
  ) {
    let workers = n * m < 1 << 14 ? 1 : threads
    let pointers = UncheckedSendable((b, l))
    let lastBlock = (n - 1) / blockRows * blockRows
    for k in stride(from: lastBlock, through: 0, by: -blockRows) {
      let kb = min(blockRows, n - k)
      Parallel.forEachChunk(count: m, chunkSize: stripColumns, threads: workers) { cols in
        let (b, l) = pointers.value
        substitute(rows: Array(stride(from: k + kb - 1, through: k, by: -1)), b, ldb: ldb, cols) { i in
          ((i + 1)..<(k + kb), { p in -l[p * ldl + i] }, l[i * ldl + i])
        }
      }
      guard k > 0 else { continue }
      // B[0..<k, :] −= L[k..<k+kb, 0..<k]ᵀ · X[k..<k+kb, :]
      GEMM.run(
        m: k, n: m, k: kb, alpha: -1, StridedOperand(l + k * ldl, ld: ldl, transposed: true),
        StridedOperand(b + k * ldb, ld: ldb, transposed: false), beta: 1, b, ldc: ldb, triangle: .full,
        threads: threads, vectorized: BuildMode.prefersSIMD)
    }
  }

  /// Substitution within one diagonal block on columns `cols` of `b`: for each row `i` in
  /// `rows` (in that order), `b_i ← (b_i + Σ_p c_p·b_p) / d` over `(range, c, d) = terms(i)`,
  /// terms added in increasing `p`. Sixteen columns at a time stay in two SIMD8 registers
  /// across all of a row's terms (instead of streaming the row through memory per term);
  /// lanes and the scalar tail perform the same operations in the same order.
  @inline(__always)
  static func substitute(
    rows: [Int], _ b: UnsafeMutablePointer<Double>, ldb: Int, _ cols: Range<Int>,
    terms: (Int) -> (Range<Int>, (Int) -> Double, Double)
  ) {
    var j = cols.lowerBound
    if BuildMode.prefersSIMD {
      while j + 16 <= cols.upperBound {
        for i in rows {
          let (range, coefficient, d) = terms(i)
          let row = b + i * ldb + j
          var s0 = Dense.load8(row)
          var s1 = Dense.load8(row + 8)
          for p in range {
            let c = SIMD8(repeating: coefficient(p))
            let x = b + p * ldb + j
            s0 += c * Dense.load8(x)
            s1 += c * Dense.load8(x + 8)
          }
          let dv = SIMD8(repeating: d)
          Dense.store8(s0 / dv, row)
          Dense.store8(s1 / dv, row + 8)
        }
        j += 16
      }
    }
    guard j < cols.upperBound else { return }
    let tail = j..<cols.upperBound
    for i in rows {
      let (range, coefficient, d) = terms(i)
      let row = b + i * ldb
      for p in range { axpy(coefficient(p), b + p * ldb, row, tail) }
      divide(row, by: d, tail)
    }
  }

  /// `y[j] ← y[j] + s·x[j]` for `j ∈ cols`: one multiply and one add per entry, so SIMD
  /// and scalar lanes agree bit for bit.
  @inline(__always)
  static func axpy(
    _ s: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ cols: Range<Int>
  ) {
    var j = cols.lowerBound
    if BuildMode.prefersSIMD {
      let v = SIMD8(repeating: s)
      while j + 8 <= cols.upperBound {
        Dense.store8(Dense.load8(y + j) + v * Dense.load8(x + j), y + j)
        j += 8
      }
    }
    while j < cols.upperBound {
      y[j] += s * x[j]
      j += 1
    }
  }

  /// `y[j] ← y[j] / d` for `j ∈ cols` (a true division, as substitution is defined).
  @inline(__always)
  static func divide(_ y: UnsafeMutablePointer<Double>, by d: Double, _ cols: Range<Int>) {
    for j in cols { y[j] /= d }
  }
}
