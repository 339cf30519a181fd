import Foundation

/// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by Cuppen's divide and
/// conquer with the Gu–Eisenstat eigenvector construction (LAPACK `dstedc`/`dlaed0`–
/// `dlaed3`; Cuppen, Numer. Math. 36, 1981; Gu & Eisenstat, "A divide-and-conquer
/// algorithm for the symmetric tridiagonal eigenproblem", SIAM J. Matrix Anal. Appl. 16,
/// 1995; Golub & Van Loan, "Matrix Computations", 4th ed., §8.4.4).
///
/// Divide: `T = diag(T₁, T₂) + ρ·v·vᵀ` with `v = e_{s−1} ± e_s` (subtract `|β|` from the two
/// diagonal entries next to the torn off-diagonal `β`). Conquer: with `Tᵢ = Qᵢ·Dᵢ·Qᵢᵀ`,
/// `T = Q·(D + ρ·z·zᵀ)·Qᵀ` where `z = Qᵀv` is the last row of `Q₁` next to the first of
/// `Q₂`. Deflation removes components with `ρ|zⱼ| ≤ tol` and, by a plane rotation, one of
/// each pair of nearly equal `dⱼ` (their eigenvalues are exact to `tol`); the remaining
/// `K` eigenvalues are the roots of the secular equation (`SecularEquation`). Gu and
/// Eisenstat's step recomputes `ẑ` from the computed roots by the Löwner formula
/// `ẑᵢ² = Πⱼ(λⱼ − dᵢ) / Πⱼ≠ᵢ(dⱼ − dᵢ)` (divided by `ρ`), so the roots are exact eigenvalues
/// of `D + ρ·ẑ·ẑᵀ` and the vectors `uⱼ ∝ (ẑᵢ/(dᵢ − λⱼ))ᵢ` are orthogonal to working
/// precision without extra precision. The new vectors are `Q·U`, a matrix product that
/// holds nearly all the flops; the columns of `Q` are grouped by whether they are nonzero
/// in the top block, both blocks (mixed by a deflating rotation) or the bottom block, so
/// that the product skips the zero blocks (`dlaed3`'s two products).
///
/// Repeated and zero eigenvalues are the easy case here: they deflate. Unreduced blocks
/// are found first (off-diagonals below `ε·√|dᵢdᵢ₊₁|` split the matrix), each is scaled to
/// unit max-norm and solved separately; blocks of at most `leafSize` use the implicit QL
/// method. Results do not depend on the thread count: independent halves and secular roots
/// run in parallel, but each computation is the same.
enum TridiagonalDivideConquer {
  /// Subproblems of at most this order are solved by implicit QL.
  static let leafSize = 32
  /// Subproblems from this order up solve their two halves concurrently.
  static let parallelHalves = 256

  /// Diagonalizes the tridiagonal with diagonal `d[0..<n]` and off-diagonal `e[0..<n−1]`
  /// (`e[i] = T[i, i+1]`). On return `d` holds the eigenvalues in ascending order and the
  /// `n × n` column-major `q` (`ldq ≥ n`) the orthonormal eigenvectors as columns. `e` is
  /// destroyed.
  static func solve(
    n: Int, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>, q: UnsafeMutablePointer<Double>,
    ldq: Int, threads: Int
  ) {
    guard n > 0 else { return }
    for j in 0..<n { (q + j * ldq).update(repeating: 0, count: n) }
    var start = 0
    for i in 0..<n {
      let splits =
        i == n - 1 || abs(e[i]) <= Double.ulpOfOne * abs(d[i]).squareRoot() * abs(d[i + 1]).squareRoot()
      guard splits else { continue }
      solveBlock(start..<(i + 1), d: d, e: e, q: q, ldq: ldq, threads: threads)
      start = i + 1
    }
    // Blocks come out sorted each; sort globally, carrying the columns.
    sortAscending(n: n, d: d, q: q, ldq: ldq, rows: 0..<n)
  }

  /// One unreduced block: scaled to max-norm 1 (so the deflation tolerances and the secular
  /// equation see well-scaled numbers), solved, and scaled back.
  static func solveBlock(
    _ block: Range<Int>, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
    q: UnsafeMutablePointer<Double>, ldq: Int, threads: Int
  ) {
    let off = block.lowerBound
    let m = block.count
    guard m > 1 else {
      q[off + off * ldq] = 1
      return
    }
    var scale = 0.0
    for i in block { scale = max(scale, abs(d[i])) }
    for i in off..<(block.upperBound - 1) { scale = max(scale, abs(e[i])) }
    guard scale > 0 else {
      for i in block { q[i + i * ldq] = 1 }
      return
    }
    for i in block { d[i] /= scale }
    for i in off..<(block.upperBound - 1) { e[i] /= scale }
    divide(off: off, m: m, d: d, e: e, q: q, ldq: ldq, threads: threads)
    for i in block { d[i] *= scale }
  }

  /// The recursion on rows/columns `off ..< off + m` (its eigenvectors fill that diagonal
  /// block of `q`).
  static func divide(
    off: Int, m: Int, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
    q: UnsafeMutablePointer<Double>, ldq: Int, threads: Int
  ) {
    if m <= leafSize {
      leaf(off: off, m: m, d: d, e: e, q: q, ldq: ldq)
      return
    }
    let s = m / 2
    let beta = e[off + s - 1]
    d[off + s - 1] -= abs(beta)
    d[off + s] -= abs(beta)
    if threads > 1 && m >= parallelHalves {
      let shared = UncheckedSendable((d, e, q))
      let half = max(threads / 2, 1)
      Parallel.forEachChunk(count: 2, chunkSize: 1, threads: 2) { range in
        let (d, e, q) = shared.value
        for part in range {
          let (o, size) = part == 0 ? (off, s) : (off + s, m - s)
          divide(off: o, m: size, d: d, e: e, q: q, ldq: ldq, threads: half)
        }
      }
    } else {
      divide(off: off, m: s, d: d, e: e, q: q, ldq: ldq, threads: threads)
      divide(off: off + s, m: m - s, d: d, e: e, q: q, ldq: ldq, threads: threads)
    }
    RankOneMerge.merge(
      m: m, n1: s, d: d + off, q: q + off + off * ldq, ldq: ldq, beta: beta, threads: threads)
  }

  /// Implicit QL on the identity: the rows it returns are the eigenvectors, i.e. the
  /// columns of the block of `q`.
  static func leaf(
    off: Int, m: Int, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
    q: UnsafeMutablePointer<Double>, ldq: Int
  ) {
    let diagonal = Array(UnsafeBufferPointer(start: d + off, count: m))
    let offDiagonal = Array(UnsafeBufferPointer(start: e + off, count: m - 1))
    var rows = [Double](repeating: 0, count: m * m)
    for i in 0..<m { rows[i * m + i] = 1 }
    let values = SymmetricTridiagonal.eigen(
      diagonal: diagonal, offDiagonal: offDiagonal, rows: &rows, width: m)
    for j in 0..<m {
      d[off + j] = values[j]
      let column = q + off + (off + j) * ldq
      for r in 0..<m { column[r] = rows[j * m + r] }
    }
  }

  /// Sorts `d[0..<n]` ascending (stable: ties keep their order; NaNs last), permuting the
  /// columns of `q` (rows `rows` of each column are moved).
  static func sortAscending(
    n: Int, d: UnsafeMutablePointer<Double>, q: UnsafeMutablePointer<Double>, ldq: Int, rows: Range<Int>
  ) {
    let order = (0..<n).sorted { a, b in
      let (x, y) = (d[a], d[b])
      if x.isNaN != y.isNaN { return y.isNaN }
      if x != y && !x.isNaN { return x < y }
      return a < b
    }
    guard order != Array(0..<n) else { return }
    let values = (0..<n).map { d[order[$0]] }
    let height = rows.count
    let copy = UnsafeMutablePointer<Double>.allocate(capacity: n * height)
    defer { copy.deallocate() }
    for j in 0..<n { (copy + j * height).update(from: q + rows.lowerBound + j * ldq, count: height) }
    for (j, source) in order.enumerated() {
      d[j] = values[j]
      (q + rows.lowerBound + j * ldq).update(from: copy + source * height, count: height)
    }
  }
}

/// The conquer step of `TridiagonalDivideConquer` (LAPACK `dlaed1`–`dlaed3`).
enum RankOneMerge {
  /// Column structure, as `dlaed2`'s `coltyp`.
  enum Kind: Int {
    case top = 0, mixed = 1, bottom = 2, deflated = 3
  }

  /// Merges two solved halves. On entry `d[0..<n1]` and `d[n1..<m]` are the (ascending)
  /// eigenvalues of the torn `T₁` and `T₂`, and the `m × m` column-major block at `q`
  /// (`ldq`) holds `diag(Q₁, Q₂)`; `beta` is the torn off-diagonal. On return `d` and `q`
  /// hold the eigenvalues (ascending) and eigenvectors of the whole block.
  static func merge(
    m: Int, n1: Int, d: UnsafeMutablePointer<Double>, q: UnsafeMutablePointer<Double>, ldq: Int, beta: Double,
    threads: Int
  ) {
    let n2 = m - n1
    // z = Qᵀ·v/√2 and ρ = 2|β|, so that ‖z‖ = 1 (dlaed2's normalization).
    let sign: Double = beta < 0 ? -1 : 1
    var z = [Double](repeating: 0, count: m)
    for j in 0..<n1 { z[j] = q[(n1 - 1) + j * ldq] }
    for j in n1..<m { z[j] = sign * q[n1 + j * ldq] }
    let rootHalf = 0.5.squareRoot()
    for j in 0..<m { z[j] *= rootHalf }
    let rho = 2 * abs(beta)
    // Merge the two ascending runs into one order (ties: top block first).
    var order = [Int]()
    order.reserveCapacity(m)
    var (i1, i2) = (0, n1)
    while i1 < n1 || i2 < m {
      if i2 == m || (i1 < n1 && d[i1] <= d[i2]) {
        order.append(i1)
        i1 += 1
      } else {
        order.append(i2)
        i2 += 1
      }
    }
    var zmax = 0.0
    var dmax = 0.0
    for j in 0..<m {
      zmax = max(zmax, abs(z[j]))
      dmax = max(dmax, abs(d[j]))
    }
    let tol = 8 * Double.ulpOfOne * max(dmax, zmax)
    var kinds = [Kind](repeating: .top, count: m)
    for j in n1..<m { kinds[j] = .bottom }
    var kept = [Int]()
    var deflated = [Int]()
    if rho * zmax > tol {
      var previous = -1
      for j in order {
        if rho * abs(z[j]) <= tol {
          // Negligible coupling: (d_j, column j) is already an eigenpair.
          kinds[j] = .deflated
          deflated.append(j)
          continue
        }
        guard previous >= 0 else {
          previous = j
          continue
        }
        let p = previous
        let tau = hypot(z[j], z[p])
        let c = z[j] / tau
        let s = -z[p] / tau
        if abs((d[j] - d[p]) * c * s) <= tol {
          // d_p ≈ d_j: rotate so that z_p = 0; the rotated d_p is an eigenvalue to tol.
          z[j] = tau
          z[p] = 0
          if kinds[j] != kinds[p] { kinds[j] = .mixed }
          kinds[p] = .deflated
          rotate(q + p * ldq, q + j * ldq, count: m, c: c, s: s)
          let (dp, dj) = (d[p], d[j])
          d[p] = dp * c * c + dj * s * s
          d[j] = dp * s * s + dj * c * c
          deflated.append(p)
        } else {
          kept.append(p)
        }
        previous = j
      }
      if previous >= 0 { kept.append(previous) }
    } else {
      deflated = order
    }
    let k = kept.count
    let poles = kept.map { d[$0] }
    let weights = kept.map { z[$0] }
    // Secular roots and the vectors of D + ρ·ẑ·ẑᵀ: column j of u is root j's vector.
    var lambda = [Double](repeating: 0, count: k)
    var u = [Double](repeating: 0, count: k * k)
    if k > 0 {
      secularVectors(k: k, poles: poles, weights: weights, rho: rho, lambda: &lambda, u: &u, threads: threads)
    }
    // Group the kept columns: top-only, mixed, bottom-only (stable within each group).
    let groups = (0..<k).sorted { a, b in
      let (x, y) = (kinds[kept[a]].rawValue, kinds[kept[b]].rawValue)
      return x != y ? x < y : a < b
    }
    let topCount = groups.prefix { kinds[kept[$0]] == .top }.count
    let bottomCount = groups.reversed().prefix { kinds[kept[$0]] == .bottom }.count
    let upper = k - bottomCount  // columns with entries in the top block
    let lowerStart = topCount  // first column with entries in the bottom block
    let product = UnsafeMutablePointer<Double>.allocate(capacity: max(m * k, 1))
    defer { product.deallocate() }
    if k > 0 {
      let packed = UnsafeMutablePointer<Double>.allocate(capacity: max(n1 * upper, n2 * (k - lowerStart), 1))
      let permuted = UnsafeMutablePointer<Double>.allocate(capacity: k * k)
      defer {
        packed.deallocate()
        permuted.deallocate()
      }
      for j in 0..<k {
        for g in 0..<k { permuted[g + j * k] = u[groups[g] + j * k] }
      }
      // Top rows: Q[0..<n1, groups 0..<upper] · U[groups 0..<upper, :].
      for g in 0..<upper { (packed + g * n1).update(from: q + kept[groups[g]] * ldq, count: n1) }
      GEMM.columnMajor(
        m: n1, n: k, k: upper, alpha: 1, UnsafePointer(packed), lda: n1, UnsafePointer(permuted), ldb: k,
        beta: 0, product, ldc: m, threads: threads)
      // Bottom rows: Q[n1..<m, groups lowerStart..<k] · U[groups lowerStart..<k, :].
      let width = k - lowerStart
      for g in 0..<width {
        (packed + g * n2).update(from: q + n1 + kept[groups[lowerStart + g]] * ldq, count: n2)
      }
      GEMM.columnMajor(
        m: n2, n: k, k: width, alpha: 1, UnsafePointer(packed), lda: n2, UnsafePointer(permuted + lowerStart),
        ldb: k, beta: 0, product + n1, ldc: m, threads: threads)
    }
    // Deflated pairs keep their (rotated) columns; sort them, then interleave with the roots.
    let deflatedSorted = deflated.sorted { a, b in d[a] != d[b] ? d[a] < d[b] : a < b }
    let saved = UnsafeMutablePointer<Double>.allocate(capacity: max(m * deflatedSorted.count, 1))
    defer { saved.deallocate() }
    var deflatedValues = [Double]()
    for (t, j) in deflatedSorted.enumerated() {
      (saved + t * m).update(from: q + j * ldq, count: m)
      deflatedValues.append(d[j])
    }
    var (r, t) = (0, 0)
    for position in 0..<m {
      let column = q + position * ldq
      if t == deflatedValues.count || (r < k && lambda[r] <= deflatedValues[t]) {
        d[position] = lambda[r]
        column.update(from: product + r * m, count: m)
        r += 1
      } else {
        d[position] = deflatedValues[t]
        column.update(from: saved + t * m, count: m)
        t += 1
      }
    }
  }

  /// The roots `lambda` of the secular equation for `poles`, `weights`, `rho`, and the
  /// unit eigenvectors of `diag(poles) + ρ·ẑ·ẑᵀ` as the columns of the `k × k`
  /// column-major `u`, with `ẑ` recomputed from the roots (Gu–Eisenstat).
  static func secularVectors(
    k: Int, poles: [Double], weights: [Double], rho: Double, lambda: inout [Double], u: inout [Double],
    threads: Int
  ) {
    poles.withUnsafeBufferPointer { pd in
      weights.withUnsafeBufferPointer { pz in
        lambda.withUnsafeMutableBufferPointer { pl in
          u.withUnsafeMutableBufferPointer { pu in
            // safe: k ≥ 1, so none of these buffers is empty.
            let shared = UncheckedSendable(
              (pd.baseAddress!, pz.baseAddress!, pl.baseAddress!, pu.baseAddress!))
            let workers = k < 64 ? 1 : threads
            Parallel.forEachChunk(count: k, chunkSize: 16, threads: workers) { range in
              let (d, z, l, u) = shared.value
              for j in range {
                l[j] = SecularEquation.root(j, count: k, d: d, z: z, rho: rho, delta: u + j * k)
              }
            }
          }
        }
      }
    }
    // Löwner: ρ·ẑᵢ² = −Πⱼ (dᵢ − λⱼ) / Πⱼ≠ᵢ (dᵢ − dⱼ), with u[i, j] = dᵢ − λⱼ. The factors are
    // taken in increasing j, each a ratio of comparable size, so the product cannot
    // overflow the way the two products separately could.
    var what = (0..<k).map { u[$0 + $0 * k] }
    for j in 0..<k {
      for i in 0..<k where i != j { what[i] *= u[i + j * k] / (poles[i] - poles[j]) }
    }
    for i in 0..<k { what[i] = copysign((-what[i]).squareRoot(), weights[i]) }
    u.withUnsafeMutableBufferPointer { pu in
      what.withUnsafeBufferPointer { pw in
        // safe: k ≥ 1.
        let shared = UncheckedSendable((pu.baseAddress!, pw.baseAddress!))
        Parallel.forEachChunk(count: k, chunkSize: 64, threads: k < 256 ? 1 : threads) { range in
          let (u, w) = shared.value
          for j in range {
            let column = u + j * k
            for i in 0..<k { column[i] = w[i] / column[i] }
            let norm = Householder.norm2(column, k)
            for i in 0..<k { column[i] /= norm }
          }
        }
      }
    }
  }

  /// Plane rotation of two columns: `x ← c·x + s·y`, `y ← c·y − s·x` (BLAS `drot`).
  static func rotate(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int, c: Double, s: Double
  ) {
    for i in 0..<count {
      let (a, b) = (x[i], y[i])
      x[i] = c * a + s * b
      y[i] = c * b - s * a
    }
  }
}
