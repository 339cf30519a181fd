/// Blocked Householder reduction of a symmetric matrix to tridiagonal form,
/// `A = Q·T·Qᵀ` (LAPACK `dsytrd`/`dlatrd`/`dsytd2`, lower triangle; Golub & Van Loan,
/// "Matrix Computations", 4th ed., §8.3.1; Dongarra, Sorensen & Hammarling, "Block
/// reduction of matrices to condensed forms for eigenvalue computations", J. Comput. Appl.
/// Math. 27, 1989).
///
/// Column `i` is reflected onto `e_{i+1}` by `Hᵢ = I − τᵢ·vᵢ·vᵢᵀ` (`vᵢ` zero in rows `≤ i`,
/// one in row `i + 1`), `Q = H₀·H₁⋯H_{n−2}`. The two-sided update
/// `A ← Hᵢ·A·Hᵢ = A − vᵢ·wᵢᵀ − wᵢ·vᵢᵀ` is deferred over a panel of `nb` columns: the panel
/// accumulates `V` and `W` (each new `wᵢ` needs one symmetric matrix–vector product with
/// the not-yet-updated trailing matrix, corrected by the panel's earlier `V`, `W`), and the
/// trailing matrix then takes one rank-`2·nb` update `A ← A − V·Wᵀ − W·Vᵀ` by two matrix
/// products. Half of the `4n³/3` flops remain in the symmetric matrix–vector products,
/// which are bound by memory bandwidth; they read only the lower triangle and run on fixed
/// column chunks in parallel.
///
/// Every step is an orthogonal similarity applied exactly up to rounding, so the computed
/// `T` is exactly similar to `A + ΔA` with `‖ΔA‖₂ = O(n·ε·‖A‖₂)` (backward stable).
///
/// Storage is column-major (`a[i + j·lda]`); for a symmetric matrix the row-major input is
/// the same array. On return the lower triangle below the subdiagonal holds the `vᵢ`
/// (`a[i+2..<n, i]`; the unit entry is implicit), as in LAPACK.
enum TridiagonalReduction {
  /// Columns per panel.
  static let panelWidth = 32
  /// Trailing order below which the reduction finishes unblocked.
  static let crossover = 128

  /// Reduces the `n × n` symmetric matrix whose lower triangle is at `a` (leading dimension
  /// `lda`) to tridiagonal form: `d[0..<n]` the diagonal, `e[0..<n−1]` the subdiagonal,
  /// `tau[0..<n−1]` the reflector scalars (`tau[i] = 0`: `Hᵢ = I`).
  static func reduce(
    _ a: UnsafeMutablePointer<Double>, n: Int, lda: Int, d: UnsafeMutablePointer<Double>,
    e: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>, threads: Int
  ) {
    guard n > 0 else { return }
    let nb = panelWidth
    var i = 0
    if n > crossover {
      let w = UnsafeMutablePointer<Double>.allocate(capacity: n * nb)
      defer { w.deallocate() }
      while i < n - crossover {
        let m = n - i
        let corner = a + i + i * lda
        reducePanel(corner, n: m, lda: lda, width: nb, e: e + i, tau: tau + i, w: w, ldw: m, threads: threads)
        // A[nb..<m, nb..<m] −= V·Wᵀ + W·Vᵀ on the lower triangle, V = A[nb..<m, 0..<nb].
        let trailing = m - nb
        let v = UnsafePointer(corner + nb)
        let wBelow = UnsafePointer(w + nb)
        let c = corner + nb + nb * lda
        GEMM.columnMajor(
          m: trailing, n: trailing, k: nb, alpha: -1, v, lda: lda, wBelow, ldb: m, transposeB: true, beta: 1,
          c, ldc: lda, triangle: .lower, threads: threads)
        GEMM.columnMajor(
          m: trailing, n: trailing, k: nb, alpha: -1, wBelow, lda: m, v, ldb: lda, transposeB: true, beta: 1,
          c, ldc: lda, triangle: .lower, threads: threads)
        // Put the subdiagonal back (the panel left the reflectors' unit entries there).
        for j in i..<(i + nb) {
          a[j + 1 + j * lda] = e[j]
          d[j] = a[j + j * lda]
        }
        i += nb
      }
    }
    reduceUnblocked(a + i + i * lda, n: n - i, lda: lda, d: d + i, e: e + i, tau: tau + i, threads: threads)
  }

  /// `dlatrd`: reduces the first `width` columns of the `n × n` lower triangle at `a` and
  /// returns in `w` (`n × width`, `ldw`) the matrix `W` of the deferred update
  /// `A − V·Wᵀ − W·Vᵀ`. On return the panel columns hold the reflectors with their unit
  /// entries explicit (`a[j+1, j] = 1`); `e[j]` holds the subdiagonal.
  static func reducePanel(
    _ a: UnsafeMutablePointer<Double>, n: Int, lda: Int, width: Int, e: UnsafeMutablePointer<Double>,
    tau: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>, ldw: Int, threads: Int
  ) {
    for i in 0..<width {
      let column = a + i * lda
      if i > 0 {
        // Apply the panel's earlier reflectors to column i:
        // A[i..<n, i] −= A[i..<n, 0..<i]·W[i, 0..<i]ᵀ + W[i..<n, 0..<i]·A[i, 0..<i]ᵀ.
        for j in 0..<i {
          axpy(-w[i + j * ldw], UnsafePointer(a + j * lda + i), column + i, n - i)
          axpy(-a[i + j * lda], UnsafePointer(w + j * ldw + i), column + i, n - i)
        }
      }
      guard i < n - 1 else { continue }
      tau[i] = Householder.generate(alpha: &column[i + 1], column + min(i + 2, n - 1), count: n - i - 2)
      e[i] = column[i + 1]
      column[i + 1] = 1
      let v = UnsafePointer(column + i + 1)
      let m = n - i - 1
      let wi = w + i * ldw
      // W[i+1..<n, i] = A[i+1..<n, i+1..<n]·v, corrected for the pending panel update.
      symmetricMatVec(m: m, a + (i + 1) + (i + 1) * lda, lda: lda, v, into: wi + i + 1, threads: threads)
      if i > 0 {
        // wi[0..<i] is scratch for the small products, as in LAPACK.
        for j in 0..<i { wi[j] = dot(UnsafePointer(w + j * ldw + i + 1), v, m) }
        for j in 0..<i { axpy(-wi[j], UnsafePointer(a + j * lda + i + 1), wi + i + 1, m) }
        for j in 0..<i { wi[j] = dot(UnsafePointer(a + j * lda + i + 1), v, m) }
        for j in 0..<i { axpy(-wi[j], UnsafePointer(w + j * ldw + i + 1), wi + i + 1, m) }
      }
      // w = τ·(p − ½τ(pᵀv)·v) with p the corrected product: the symmetric two-sided form.
      let t = tau[i]
      for r in (i + 1)..<n { wi[r] *= t }
      let alpha = -0.5 * t * dot(UnsafePointer(wi + i + 1), v, m)
      axpy(alpha, v, wi + i + 1, m)
    }
  }

  /// `dsytd2`: the unblocked reduction of the `n × n` lower triangle at `a`.
  static func reduceUnblocked(
    _ a: UnsafeMutablePointer<Double>, n: Int, lda: Int, d: UnsafeMutablePointer<Double>,
    e: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>, threads: Int
  ) {
    guard n > 0 else { return }
    let work = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { work.deallocate() }
    for i in 0..<(n - 1) {
      let column = a + i * lda
      let t = Householder.generate(alpha: &column[i + 1], column + min(i + 2, n - 1), count: n - i - 2)
      e[i] = column[i + 1]
      if t != 0 {
        column[i + 1] = 1
        let m = n - i - 1
        let v = UnsafePointer(column + i + 1)
        let trailing = a + (i + 1) + (i + 1) * lda
        // x = τ·A₂₂·v, then w = x − ½τ(xᵀv)·v, then A₂₂ −= v·wᵀ + w·vᵀ.
        symmetricMatVec(m: m, trailing, lda: lda, v, into: work, threads: threads)
        for r in 0..<m { work[r] *= t }
        axpy(-0.5 * t * dot(UnsafePointer(work), v, m), v, work, m)
        for c in 0..<m {
          let (vc, wc) = (v[c], work[c])
          let col = trailing + c * lda
          for r in c..<m { col[r] -= v[r] * wc + work[r] * vc }
        }
        column[i + 1] = e[i]
      }
      d[i] = column[i]
      tau[i] = t
    }
    d[n - 1] = a[(n - 1) + (n - 1) * lda]
  }

  // MARK: - Level-2 kernels

  /// `y ← y + s·x` over `count` entries.
  @inline(__always)
  static func axpy(_ s: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int) {
    TriangularSolve.axpy(s, x, y, 0..<count)
  }

  /// `Σ x_r·y_r` with four SIMD accumulators in a fixed order.
  @inline(__always)
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
    Dense.dot1(x, count, y)
  }

  /// Column chunks of `symmetricMatVec` for order `m`: boundaries that split the lower
  /// triangle into pieces of (nearly) equal area, a function of `m` only so that the
  /// partial sums — and hence the result — do not depend on the thread count.
  static func symmetricChunks(_ m: Int) -> [Int] {
    let count = min(8, max(1, m * m / (1 << 17)))
    guard count > 1 else { return [0, m] }
    var bounds = [0]
    let total = Double(m) * Double(m + 1) / 2
    var c = 0
    for t in 1..<count {
      // Smallest c with (area of columns 0..<c) ≥ t/count · total.
      let target = total * Double(t) / Double(count)
      while c < m && Double(c) * Double(m) - Double(c) * Double(c - 1) / 2 < target { c += 1 }
      if c > bounds[bounds.count - 1] && c < m { bounds.append(c) }
    }
    bounds.append(m)
    return bounds
  }

  /// `y = A·x` for the `m × m` symmetric matrix whose lower triangle is at `a` (column-major,
  /// `lda`), reading each stored entry once: column `c` contributes `a_rc·x_c` to `y_r` and
  /// `a_rc·x_r` to `y_c` for `r > c`. Fixed column chunks (see `symmetricChunks`) fill
  /// private partial vectors in parallel; the partials are then added in chunk order.
  static func symmetricMatVec(
    m: Int, _ a: UnsafePointer<Double>, lda: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>,
    threads: Int
  ) {
    let bounds = symmetricChunks(m)
    let chunks = bounds.count - 1
    if chunks == 1 {
      y.update(repeating: 0, count: m)
      symmetricColumns(0..<m, m: m, a, lda: lda, x, into: y)
      return
    }
    let partials = UnsafeMutablePointer<Double>.allocate(capacity: chunks * m)
    defer { partials.deallocate() }
    let shared = UncheckedSendable((a, x, partials))
    Parallel.forEachChunk(count: chunks, chunkSize: 1, threads: threads) { range in
      let (a, x, partials) = shared.value
      for t in range {
        let out = partials + t * m
        out.update(repeating: 0, count: m)
        symmetricColumns(bounds[t]..<bounds[t + 1], m: m, a, lda: lda, x, into: out)
      }
    }
    y.update(from: partials, count: m)
    for t in 1..<chunks {
      // Rows above a chunk's first column got nothing from it.
      let p = partials + t * m
      for r in bounds[t]..<m { y[r] += p[r] }
    }
  }

  /// The contributions of columns `cols` to `y` (added to `y`), four columns per pass so
  /// that each row's `x_r` and `y_r` are loaded once for four matrix entries.
  static func symmetricColumns(
    _ cols: Range<Int>, m: Int, _ a: UnsafePointer<Double>, lda: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>
  ) {
    var c = cols.lowerBound
    while c + 4 <= cols.upperBound {
      let a0 = a + c * lda
      let a1 = a0 + lda
      let a2 = a1 + lda
      let a3 = a2 + lda
      let (x0, x1, x2, x3) = (x[c], x[c + 1], x[c + 2], x[c + 3])
      // The 4 × 4 diagonal triangle.
      var s0 = a0[c] * x0 + a0[c + 1] * x[c + 1] + a0[c + 2] * x[c + 2] + a0[c + 3] * x[c + 3]
      var s1 = a1[c + 1] * x1 + a1[c + 2] * x[c + 2] + a1[c + 3] * x[c + 3]
      var s2 = a2[c + 2] * x2 + a2[c + 3] * x[c + 3]
      var s3 = a3[c + 3] * x3
      y[c + 1] += a0[c + 1] * x0
      y[c + 2] += a0[c + 2] * x0 + a1[c + 2] * x1
      y[c + 3] += a0[c + 3] * x0 + a1[c + 3] * x1 + a2[c + 3] * x2
      var r = c + 4
      if BuildMode.prefersSIMD {
        let (v0, v1, v2, v3) = (
          SIMD8(repeating: x0), SIMD8(repeating: x1), SIMD8(repeating: x2), SIMD8(repeating: x3)
        )
        var d0 = SIMD8<Double>()
        var d1 = SIMD8<Double>()
        var d2 = SIMD8<Double>()
        var d3 = SIMD8<Double>()
        while r + 8 <= m {
          let xv = Dense.load8(x + r)
          let (e0, e1, e2, e3) = (
            Dense.load8(a0 + r), Dense.load8(a1 + r), Dense.load8(a2 + r), Dense.load8(a3 + r)
          )
          Dense.store8(Dense.load8(y + r) + ((e0 * v0 + e1 * v1) + (e2 * v2 + e3 * v3)), y + r)
          d0 += e0 * xv
          d1 += e1 * xv
          d2 += e2 * xv
          d3 += e3 * xv
          r += 8
        }
        s0 += d0.sum()
        s1 += d1.sum()
        s2 += d2.sum()
        s3 += d3.sum()
      }
      while r < m {
        let xr = x[r]
        let (e0, e1, e2, e3) = (a0[r], a1[r], a2[r], a3[r])
        y[r] += (e0 * x0 + e1 * x1) + (e2 * x2 + e3 * x3)
        s0 += e0 * xr
        s1 += e1 * xr
        s2 += e2 * xr
        s3 += e3 * xr
        r += 1
      }
      y[c] += s0
      y[c + 1] += s1
      y[c + 2] += s2
      y[c + 3] += s3
      c += 4
    }
    while c < cols.upperBound {
      let col = a + c * lda
      let xc = x[c]
      var s = col[c] * xc
      for r in (c + 1)..<max(c + 1, m) {
        y[r] += col[r] * xc
        s += col[r] * x[r]
      }
      y[c] += s
      c += 1
    }
  }
}
