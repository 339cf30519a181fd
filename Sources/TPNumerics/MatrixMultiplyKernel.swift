/// The blocked engine behind `Dense.multiply` and `Dense.symmetricRankUpdate`: packing,
/// the register-tile micro-kernel and the fixed parallel tiling. See `MatrixMultiply.swift`
/// for the contract every path keeps (entry `c_ij` is the in-order running sum).
enum GEMM {
  /// Rows of the register tile. Two rows × eight columns are eight SSE accumulators; with
  /// the four registers of a `B` row, the broadcast `a` and one temporary the loop needs 14
  /// of the 16 registers: no spills, and (thanks to the duplicated packing of `A`) no
  /// shuffles, so it runs at the SSE2 limit of three floating-point operations per cycle.
  /// Measured on the default x86-64 target: ~15 % faster than 3 × 8 (which spills) and
  /// ~30 % faster than 4 × 8.
  static let mr = 2  // packA's full-panel loop and the kernel are written for two rows
  /// Columns of the register tile: four SIMD2 accumulators per tile row.
  static let nr = 8
  /// Inner indices per packed block. A packed `kc × nr` panel of `B` (16 KiB) stays in L1
  /// while the `mr × kc` panels of `A` stream past it.
  static let kc = 256
  /// Rows of one parallel tile of `C` (a multiple of `mr`); its packed `A` block
  /// (`mc × kc` stored twice, 192 KiB) stays in L2.
  static let mc = 48
  /// Columns of one parallel tile of `C` (a multiple of `nr`).
  static let nt = 256
  /// Below this many multiply–adds a product runs on the calling thread: a dispatch costs
  /// more than it saves.
  static let parallelThreshold = 1 << 18

  /// `C ← α·op(A)·op(B) + β·C` restricted to `triangle`, for `m, n > 0`. `a` and `b`
  /// describe `op(A)` (`m × k`) and `op(B)` (`k × n`) directly; `C` is row-major.
  static func run(
    m: Int, n: Int, k: Int, alpha: Double, _ a: StridedOperand, _ b: StridedOperand, beta: Double,
    _ c: UnsafeMutablePointer<Double>, ldc: Int, triangle: Triangle, threads: Int, vectorized: Bool
  ) {
    guard k > 0, alpha != 0 else {
      scale(m: m, n: n, by: beta, c, ldc: ldc, triangle: triangle)
      return
    }
    let kcMax = min(kc, k)
    let aPanels = (m + mr - 1) / mr
    let bPanels = (n + nr - 1) / nr
    let packedA = allocateAligned(aPanels * 2 * mr * kcMax)
    let packedB = allocateAligned(bPanels * nr * kcMax)
    defer {
      packedA.deallocate()
      packedB.deallocate()
    }
    let workers = m * n * k < parallelThreshold ? 1 : threads
    let tileRows = (m + mc - 1) / mc
    let tileCols = (n + nt - 1) / nt
    let shared = UncheckedSendable((packedA, packedB, c))
    for pc in stride(from: 0, to: k, by: kc) {
      let depth = min(kc, k - pc)
      // Later blocks add onto what earlier blocks left in C, continuing each running sum.
      let blockBeta = pc == 0 ? beta : 1
      let packChunk = 16
      Parallel.forEachChunk(count: aPanels + bPanels, chunkSize: packChunk, threads: workers) { range in
        let (packedA, packedB, _) = shared.value
        for panel in range {
          if panel < aPanels {
            packA(
              a, alpha: alpha, rows: (panel * mr)..<min(m, panel * mr + mr), pc: pc, depth: depth,
              into: packedA + panel * 2 * mr * depth)
          } else {
            let q = panel - aPanels
            packB(
              b, cols: (q * nr)..<min(n, q * nr + nr), pc: pc, depth: depth, into: packedB + q * nr * depth)
          }
        }
      }
      Parallel.forEachChunk(count: tileRows * tileCols, chunkSize: 1, threads: workers) { range in
        let (packedA, packedB, c) = shared.value
        for tile in range {
          let rows = (tile / tileCols * mc)..<min(m, tile / tileCols * mc + mc)
          let cols = (tile % tileCols * nt)..<min(n, tile % tileCols * nt + nt)
          if triangle.excludes(rows: rows, cols: cols) { continue }
          computeTile(
            rows: rows, cols: cols, depth: depth, packedA, packedB, beta: blockBeta, c, ldc: ldc,
            triangle: triangle, vectorized: vectorized)
        }
      }
    }
  }

  /// Uninitialized storage for `count` doubles on a cache-line (64-byte) boundary.
  static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Double> {
    UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Double>.stride, alignment: 64)
      .bindMemory(to: Double.self, capacity: count)
  }

  /// `C ← α·op(A)·op(B) + β·C` for column-major operands (LAPACK's convention, used by the
  /// eigensolver): `X` is `rows × cols` with entry `(i, j)` at `x[i + j·ld]`. Runs the
  /// row-major engine on `Cᵀ = op(B)ᵀ·op(A)ᵀ`, which is the same set of running sums.
  /// `triangle` refers to the column-major `C`.
  static func columnMajor(
    m: Int, n: Int, k: Int, alpha: Double, _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
    _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false, beta: Double,
    _ c: UnsafeMutablePointer<Double>, ldc: Int, triangle: Triangle = .full, threads: Int
  ) {
    guard m > 0, n > 0 else { return }
    // op(B)ᵀ(j, p) = op(B)(p, j) and op(A)ᵀ(p, i) = op(A)(i, p), read from column-major storage.
    let left =
      transposeB
      ? StridedOperand(b, rowStride: 1, colStride: ldb) : StridedOperand(b, rowStride: ldb, colStride: 1)
    let right =
      transposeA
      ? StridedOperand(a, rowStride: 1, colStride: lda) : StridedOperand(a, rowStride: lda, colStride: 1)
    let mirrored: Triangle =
      switch triangle {
      case .full: .full
      case .lower: .upper
      case .upper: .lower
      }
    run(
      m: n, n: m, k: k, alpha: alpha, left, right, beta: beta, c, ldc: ldc, triangle: mirrored,
      threads: threads, vectorized: BuildMode.prefersSIMD)
  }

  /// `C ← β·C` on the triangle (`β = 0` writes exact zeros without reading `C`).
  static func scale(
    m: Int, n: Int, by beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int, triangle: Triangle
  ) {
    guard beta != 1 else { return }
    for i in 0..<m {
      for j in 0..<n where triangle.contains(i, j) {
        c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j]
      }
    }
  }

  /// Packs rows `rows` of `α·op(A)`, inner indices `pc ..< pc + depth`, as one `mr`-row
  /// panel with every value stored twice: `out[2(p·mr + i)] = out[2(p·mr + i) + 1] =
  /// α·a(rows.lowerBound + i, pc + p)`, zero past the last row. The duplicate pair is the
  /// kernel's broadcast operand, loaded by one aligned 16-byte load (SSE2 has no broadcast
  /// load; a shuffle per entry would compete with the additions for a port).
  @inline(__always)
  static func packA(
    _ a: StridedOperand, alpha: Double, rows: Range<Int>, pc: Int, depth: Int,
    into out: UnsafeMutablePointer<Double>
  ) {
    // safe: packing is only reached with k > 0 and m > 0, so A is a non-empty buffer.
    let base = a.base!
    let (rs, cs) = (a.rowStride, a.colStride)
    if rows.count == mr {
      // Full panel: one pass with sequential stores, two read streams.
      let r0 = base + rows.lowerBound * rs + pc * cs
      let r1 = r0 + rs
      for p in 0..<depth {
        let (x0, x1) = (alpha * r0[p * cs], alpha * r1[p * cs])
        out[p * 2 * mr] = x0
        out[p * 2 * mr + 1] = x0
        out[p * 2 * mr + 2] = x1
        out[p * 2 * mr + 3] = x1
      }
      return
    }
    out.update(repeating: 0, count: 2 * mr * depth)
    for (i, row) in rows.enumerated() {
      let src = base + row * rs + pc * cs
      for p in 0..<depth {
        let x = alpha * src[p * cs]
        out[p * 2 * mr + 2 * i] = x
        out[p * 2 * mr + 2 * i + 1] = x
      }
    }
  }

  /// Packs columns `cols` of `op(B)`, inner indices `pc ..< pc + depth`, as one `nr`-column
  /// panel: `out[p·nr + j] = b(pc + p, cols.lowerBound + j)`, zero past the last column.
  @inline(__always)
  static func packB(
    _ b: StridedOperand, cols: Range<Int>, pc: Int, depth: Int, into out: UnsafeMutablePointer<Double>
  ) {
    // safe: as in packA, B is non-empty here.
    let base = b.base!
    let (rs, cs) = (b.rowStride, b.colStride)
    let width = cols.count
    if width == nr && cs == 1 {
      for p in 0..<depth {
        let src = base + (pc + p) * rs + cols.lowerBound
        for j in 0..<nr { out[p * nr + j] = src[j] }
      }
      return
    }
    if width < nr { out.update(repeating: 0, count: nr * depth) }
    for j in 0..<width {
      let src = base + pc * rs + (cols.lowerBound + j) * cs
      for p in 0..<depth { out[p * nr + j] = src[p * rs] }
    }
  }

  /// All register tiles of one parallel tile of `C`. Column panels outside, row panels
  /// inside, so one packed `B` panel is reused from L1 by every row panel of the tile.
  static func computeTile(
    rows: Range<Int>, cols: Range<Int>, depth: Int, _ packedA: UnsafeMutablePointer<Double>,
    _ packedB: UnsafeMutablePointer<Double>, beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int,
    triangle: Triangle, vectorized: Bool
  ) {
    var j0 = cols.lowerBound
    while j0 < cols.upperBound {
      let tileCols = j0..<min(cols.upperBound, j0 + nr)
      let b = UnsafePointer(packedB + (j0 / nr) * nr * depth)
      var i0 = rows.lowerBound
      while i0 < rows.upperBound {
        let tileRows = i0..<min(rows.upperBound, i0 + mr)
        let a = UnsafePointer(packedA + (i0 / mr) * 2 * mr * depth)
        if !triangle.excludes(rows: tileRows, cols: tileCols) {
          if tileRows.count == mr && tileCols.count == nr && triangle.covers(rows: tileRows, cols: tileCols) {
            kernel(depth, a, b, c + i0 * ldc + j0, ldc, beta: beta, vectorized: vectorized)
          } else {
            edgeKernel(
              depth, a, b, c, ldc, rows: tileRows, cols: tileCols, beta: beta, triangle: triangle,
              vectorized: vectorized)
          }
        }
        i0 += mr
      }
      j0 += nr
    }
  }

  /// A partial register tile (matrix edge or diagonal of a triangle): the kernel runs on
  /// a full local tile holding the entries that belong to `C`, and only those are copied
  /// back. Each such entry sees exactly the operations of the full-tile path.
  static func edgeKernel(
    _ depth: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
    _ ldc: Int, rows: Range<Int>, cols: Range<Int>, beta: Double, triangle: Triangle, vectorized: Bool
  ) {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: mr * nr) { buffer in
      // safe: a temporary allocation of mr·nr > 0 elements has a base address.
      let tile = buffer.baseAddress!
      tile.update(repeating: 0, count: mr * nr)
      for (ti, i) in rows.enumerated() {
        for (tj, j) in cols.enumerated() where triangle.contains(i, j) { tile[ti * nr + tj] = c[i * ldc + j] }
      }
      kernel(depth, a, b, tile, nr, beta: beta, vectorized: vectorized)
      for (ti, i) in rows.enumerated() {
        for (tj, j) in cols.enumerated() where triangle.contains(i, j) { c[i * ldc + j] = tile[ti * nr + tj] }
      }
    }
  }

  /// The `mr × nr` register tile: `c ← β·c` (`β = 0`: zero, `β = 1`: untouched), then
  /// `c_ij ← c_ij + a_pi·b_pj` for `p = 0 ..< depth` in order, with packed
  /// `a[2(p·mr + i)]` (stored twice) and `b[p·nr + j]`. The scalar path performs the same operations lane by lane (debug
  /// builds run unspecialized SIMD code far slower than scalar code).
  @inline(never)
  static func kernel(
    _ depth: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
    _ ldc: Int, beta: Double, vectorized: Bool
  ) {
    guard vectorized else {
      scalarKernel(depth, a, b, c, ldc, beta: beta)
      return
    }
    // Two rows × eight columns as eight SIMD2 accumulators (one SSE register each), the
    // row of B in four, the broadcast a in one: 13 registers, no spills.
    var c00 = SIMD2<Double>()
    var c01 = SIMD2<Double>()
    var c02 = SIMD2<Double>()
    var c03 = SIMD2<Double>()
    var c10 = SIMD2<Double>()
    var c11 = SIMD2<Double>()
    var c12 = SIMD2<Double>()
    var c13 = SIMD2<Double>()
    let c1 = c + ldc
    if beta != 0 {
      (c00, c01, c02, c03) = (load2(c), load2(c + 2), load2(c + 4), load2(c + 6))
      (c10, c11, c12, c13) = (load2(c1), load2(c1 + 2), load2(c1 + 4), load2(c1 + 6))
      if beta != 1 {
        let s = SIMD2(repeating: beta)
        (c00, c01, c02, c03) = (c00 * s, c01 * s, c02 * s, c03 * s)
        (c10, c11, c12, c13) = (c10 * s, c11 * s, c12 * s, c13 * s)
      }
    }
    var pa = a
    var pb = b
    for _ in 0..<depth {
      // Packed panels are 64-byte aligned, so these loads are aligned.
      let b0 = UnsafeRawPointer(pb).load(as: SIMD2<Double>.self)
      let b1 = UnsafeRawPointer(pb + 2).load(as: SIMD2<Double>.self)
      let b2 = UnsafeRawPointer(pb + 4).load(as: SIMD2<Double>.self)
      let b3 = UnsafeRawPointer(pb + 6).load(as: SIMD2<Double>.self)
      let a0 = UnsafeRawPointer(pa).load(as: SIMD2<Double>.self)
      c00 += a0 * b0
      c01 += a0 * b1
      c02 += a0 * b2
      c03 += a0 * b3
      let a1 = UnsafeRawPointer(pa + 2).load(as: SIMD2<Double>.self)
      c10 += a1 * b0
      c11 += a1 * b1
      c12 += a1 * b2
      c13 += a1 * b3
      pa += 2 * mr
      pb += nr
    }
    store2(c00, c)
    store2(c01, c + 2)
    store2(c02, c + 4)
    store2(c03, c + 6)
    store2(c10, c1)
    store2(c11, c1 + 2)
    store2(c12, c1 + 4)
    store2(c13, c1 + 6)
  }

  @inline(__always)
  static func load2(_ p: UnsafeMutablePointer<Double>) -> SIMD2<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
  }

  @inline(__always)
  static func store2(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD2<Double>.self)
  }

  /// `kernel` one entry at a time.
  static func scalarKernel(
    _ depth: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
    _ ldc: Int, beta: Double
  ) {
    for i in 0..<mr {
      for j in 0..<nr {
        var s = beta == 0 ? 0 : (beta == 1 ? c[i * ldc + j] : beta * c[i * ldc + j])
        for p in 0..<depth { s += a[p * 2 * mr + 2 * i] * b[p * nr + j] }
        c[i * ldc + j] = s
      }
    }
  }
}
