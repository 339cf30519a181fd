import Foundation

/// Dense matrix–vector kernels on unsafe buffers, the hot loop of finite-width execution.
///
/// Both kernels are reproducible: the floating-point operations that produce each output
/// entry, and their order, depend only on the shape `(rows, cols)` — never on `threads`,
/// which only says how many fixed chunks run at once. Results are therefore bit-identical
/// for every thread count.
///
/// Speed: at the sizes that matter (`n` in the thousands) a matvec reads `8n²` bytes to do
/// `2n²` flops, so it is bound by memory bandwidth. The kernels stream `A` exactly once in
/// memory order and keep several independent SIMD accumulators in flight so that the
/// arithmetic never becomes the bottleneck (one running sum would stall on add latency).
public enum Dense {
  /// `y = A·x` for a row-major `rows × cols` matrix `A`: `yᵢ = Σⱼ A[i·cols + j]·xⱼ`.
  ///
  /// - Requires `a.count ≥ rows·cols`, `x.count ≥ cols`, `y.count ≥ rows`; `y` must not
  ///   overlap `a` or `x`. `cols = 0` gives `y = 0`.
  /// - Each `yᵢ` is summed in the same fixed order (four interleaved partial sums over
  ///   `j`, combined pairwise, then the `cols mod 4` leftover terms in order), so blocking
  ///   rows four at a time and splitting rows across threads cannot change any bit.
  public static func matvec(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, _ x: UnsafeBufferPointer<Double>,
    into y: UnsafeMutableBufferPointer<Double>,
    threads: Int = Parallel.defaultThreads
  ) {
    matvec(a, rows: rows, cols: cols, x, into: y, threads: threads, vectorized: BuildMode.prefersSIMD)
  }

  /// `matvec` with an explicit choice of kernel; both give identical bits.
  static func matvec(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, _ x: UnsafeBufferPointer<Double>,
    into y: UnsafeMutableBufferPointer<Double>, threads: Int, vectorized: Bool
  ) {
    precondition(rows >= 0 && cols >= 0, "matvec dimensions must be non-negative")
    precondition(a.count >= rows * cols && x.count >= cols && y.count >= rows, "matvec buffer too small")
    guard rows > 0 else { return }
    guard cols > 0, let pa = a.baseAddress, let px = x.baseAddress, let py = y.baseAddress else {
      for i in 0..<rows { y[i] = 0 }
      return
    }
    let chunkRows = matvecChunkRows(rows: rows, cols: cols)
    let pointers = UncheckedSendable((pa, px, py))
    Parallel.forEachChunk(count: rows, chunkSize: chunkRows, threads: threads) { range in
      let (pa, px, py) = pointers.value
      guard vectorized else {
        for i in range { py[i] = dotScalar(pa + i * cols, cols, px) }
        return
      }
      var i = range.lowerBound
      while i + 4 <= range.upperBound {
        let s = dot4(pa + i * cols, cols, px)
        py[i] = s.0
        py[i + 1] = s.1
        py[i + 2] = s.2
        py[i + 3] = s.3
        i += 4
      }
      while i < range.upperBound {
        py[i] = dot1(pa + i * cols, cols, px)
        i += 1
      }
    }
  }

  /// `y = Aᵀ·x` for a row-major `rows × cols` matrix `A`: `yⱼ = Σᵢ A[i·cols + j]·xᵢ`.
  ///
  /// - Requires `a.count ≥ rows·cols`, `x.count ≥ rows`, `y.count ≥ cols`; `y` must not
  ///   overlap `a` or `x`. `rows = 0` gives `y = 0`.
  /// - Streams `A` row by row (memory order): rows are cut into fixed chunks (the chunk
  ///   length depends on `rows` only); each chunk accumulates `Σᵢ xᵢ·A[i, ·]` into its own
  ///   partial vector, four rows per pass, and the partials are added in chunk order.
  ///   Every `yⱼ` is thus a fixed expression of the inputs for a given shape.
  public static func matvecTransposed(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, _ x: UnsafeBufferPointer<Double>,
    into y: UnsafeMutableBufferPointer<Double>,
    threads: Int = Parallel.defaultThreads
  ) {
    matvecTransposed(
      a, rows: rows, cols: cols, x, into: y, threads: threads, vectorized: BuildMode.prefersSIMD)
  }

  /// `matvecTransposed` with an explicit choice of kernel; both give identical bits.
  static func matvecTransposed(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, _ x: UnsafeBufferPointer<Double>,
    into y: UnsafeMutableBufferPointer<Double>, threads: Int, vectorized: Bool
  ) {
    precondition(rows >= 0 && cols >= 0, "matvec dimensions must be non-negative")
    precondition(a.count >= rows * cols && x.count >= rows && y.count >= cols, "matvec buffer too small")
    guard cols > 0, let py = y.baseAddress else { return }
    guard rows > 0, let pa = a.baseAddress, let px = x.baseAddress else {
      for j in 0..<cols { y[j] = 0 }
      return
    }
    let chunkRows = transposedChunkRows(rows: rows, cols: cols)
    let chunks = (rows - 1) / chunkRows + 1
    if chunks == 1 {
      accumulateRows(pa, cols: cols, px, 0..<rows, into: py, vectorized: vectorized)
      return
    }
    let partials = UnsafeMutablePointer<Double>.allocate(capacity: chunks * cols)
    defer { partials.deallocate() }
    let pointers = UncheckedSendable((pa, px, partials))
    Parallel.forEachChunk(count: rows, chunkSize: chunkRows, threads: threads) { range in
      let (pa, px, partials) = pointers.value
      let chunk = range.lowerBound / chunkRows
      accumulateRows(pa, cols: cols, px, range, into: partials + chunk * cols, vectorized: vectorized)
    }
    // Sum the partials in chunk order, in column blocks (each block reads `chunks` short runs).
    let reduction = UncheckedSendable((partials, py))
    let reduceBlock = 2048
    let reduceThreads = chunks * cols >= 1 << 16 ? threads : 1
    Parallel.forEachChunk(count: cols, chunkSize: reduceBlock, threads: reduceThreads) { range in
      let (partials, py) = reduction.value
      let width = range.count
      let out = py + range.lowerBound
      out.update(from: partials + range.lowerBound, count: width)
      for c in 1..<chunks {
        let p = partials + c * cols + range.lowerBound
        for j in 0..<width { out[j] += p[j] }
      }
    }
  }

  /// Rows per parallel chunk of `matvec`: a multiple of 4 covering about 2¹⁶ entries, so a
  /// chunk is worth handing to a thread. Results do not depend on it.
  static func matvecChunkRows(rows: Int, cols: Int) -> Int {
    max(4, ((1 << 16) / max(cols, 1)) & ~3)
  }

  /// Rows per chunk of `matvecTransposed`, a function of the shape only: one chunk for
  /// small matrices (fewer than 2¹⁶ entries, not worth a thread), otherwise about 32 chunks
  /// of at least 16 rows (a multiple of 4), which keeps the partial vectors a small fraction
  /// of the matrix.
  static func transposedChunkRows(rows: Int, cols: Int) -> Int {
    if rows * cols < 1 << 16 { return rows }
    let perChunk = (rows + 31) / 32
    return max(16, (perChunk + 3) & ~3)
  }

  // MARK: - Kernels

  /// `Σⱼ a[j]·x[j]` in the fixed order shared by all kernels: lane `l` of four partial
  /// sums takes the terms `j ≡ l (mod 4)` of the first `4⌊cols/4⌋`, the lanes are combined
  /// as `(s₀ + s₂) + (s₁ + s₃)`, and the leftover terms are added in order.
  ///
  /// Four lanes (not eight) so that `dot4`'s sixteen partial sums fit in eight SSE
  /// registers next to the loads: with eight lanes the accumulators spill to the stack.
  @inline(__always)
  static func dot1(_ a: UnsafePointer<Double>, _ cols: Int, _ x: UnsafePointer<Double>) -> Double {
    var acc = SIMD4<Double>()
    var j = 0
    while j + 4 <= cols {
      acc += load4(a + j) * load4(x + j)
      j += 4
    }
    var s = horizontalSum(acc)
    while j < cols {
      s += a[j] * x[j]
      j += 1
    }
    return s
  }

  /// `dot1` written with four scalar accumulators.
  static func dotScalar(_ a: UnsafePointer<Double>, _ cols: Int, _ x: UnsafePointer<Double>) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var j = 0
    while j + 4 <= cols {
      s0 += a[j] * x[j]
      s1 += a[j + 1] * x[j + 1]
      s2 += a[j + 2] * x[j + 2]
      s3 += a[j + 3] * x[j + 3]
      j += 4
    }
    var s = (s0 + s2) + (s1 + s3)
    while j < cols {
      s += a[j] * x[j]
      j += 1
    }
    return s
  }

  /// Four consecutive rows (stride `cols`) at once: the loads of `x` are shared and the four
  /// accumulators are independent, while each row sees exactly `dot1`'s operations.
  @inline(__always)
  static func dot4(_ a: UnsafePointer<Double>, _ cols: Int, _ x: UnsafePointer<Double>) -> (
    Double, Double, Double, Double
  ) {
    let a0 = a
    let a1 = a + cols
    let a2 = a + 2 * cols
    let a3 = a + 3 * cols
    var c0 = SIMD4<Double>()
    var c1 = SIMD4<Double>()
    var c2 = SIMD4<Double>()
    var c3 = SIMD4<Double>()
    var j = 0
    while j + 4 <= cols {
      let xv = load4(x + j)
      c0 += load4(a0 + j) * xv
      c1 += load4(a1 + j) * xv
      c2 += load4(a2 + j) * xv
      c3 += load4(a3 + j) * xv
      j += 4
    }
    var s0 = horizontalSum(c0)
    var s1 = horizontalSum(c1)
    var s2 = horizontalSum(c2)
    var s3 = horizontalSum(c3)
    while j < cols {
      let xj = x[j]
      s0 += a0[j] * xj
      s1 += a1[j] * xj
      s2 += a2[j] * xj
      s3 += a3[j] * xj
      j += 1
    }
    return (s0, s1, s2, s3)
  }

  /// `out = Σ_{i ∈ rows} x[i]·A[i, ·]`, overwriting `out`. Rows are taken four at a time,
  /// `out += (x₀a₀ + x₁a₁) + (x₂a₂ + x₃a₃)`, then singly; the grouping starts at
  /// `rows.lowerBound`, which is fixed by the chunk structure. SIMD lanes and the scalar
  /// loop evaluate the same expression per column.
  @inline(__always)
  static func accumulateRows(
    _ a: UnsafePointer<Double>, cols: Int, _ x: UnsafePointer<Double>, _ rows: Range<Int>,
    into out: UnsafeMutablePointer<Double>, vectorized: Bool
  ) {
    out.update(repeating: 0, count: cols)
    var i = rows.lowerBound
    while i + 4 <= rows.upperBound {
      let r0 = a + i * cols
      let r1 = r0 + cols
      let r2 = r1 + cols
      let r3 = r2 + cols
      let (x0, x1, x2, x3) = (x[i], x[i + 1], x[i + 2], x[i + 3])
      let v0 = SIMD8(repeating: x0)
      let v1 = SIMD8(repeating: x1)
      let v2 = SIMD8(repeating: x2)
      let v3 = SIMD8(repeating: x3)
      var j = 0
      while vectorized && j + 8 <= cols {
        let t = (v0 * load8(r0 + j) + v1 * load8(r1 + j)) + (v2 * load8(r2 + j) + v3 * load8(r3 + j))
        store8(load8(out + j) + t, out + j)
        j += 8
      }
      while j < cols {
        out[j] += (x0 * r0[j] + x1 * r1[j]) + (x2 * r2[j] + x3 * r3[j])
        j += 1
      }
      i += 4
    }
    while i < rows.upperBound {
      let r = a + i * cols
      let xi = x[i]
      let v = SIMD8(repeating: xi)
      var j = 0
      while vectorized && j + 8 <= cols {
        store8(load8(out + j) + v * load8(r + j), out + j)
        j += 8
      }
      while j < cols {
        out[j] += xi * r[j]
        j += 1
      }
      i += 1
    }
  }

  @inline(__always)
  static func load8(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
  }

  @inline(__always)
  static func load8(_ p: UnsafeMutablePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
  }

  @inline(__always)
  static func store8(_ v: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Double>.self)
  }

  /// `((v₀+v₄) + (v₂+v₆)) + ((v₁+v₅) + (v₃+v₇))`, written out so the order is explicit.
  @inline(__always)
  static func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
  }

  /// `(v₀ + v₂) + (v₁ + v₃)`, written out so the order is explicit.
  @inline(__always)
  static func horizontalSum(_ v: SIMD4<Double>) -> Double {
    let h = v.lowHalf + v.highHalf
    return h[0] + h[1]
  }
}
