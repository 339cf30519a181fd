import TPCore
import TPNumerics

/// One `n × n` random matrix of a run, `W_ij = (σ/√n)·z_ij`, addressed through a counter-based
/// stream: `z_ij` is the standard normal at global index `i·n + j` of sequence `(seed, stream)`.
///
/// Because every entry is a fixed function of its position, the matrix never has to exist as a
/// whole: ``multiply(_:into:threads:)`` and ``multiplyTransposed(_:into:threads:)`` regenerate
/// rows block by block and consume them at once (memory `O(n)`), while ``materialize(into:threads:)``
/// stores the standard normals `z` once for programs that use the matrix often. Both paths scale
/// by `σ/√n` after the product, so `W x` comes out bit-identical either way (`Dense.matvec` sums
/// each row in an order fixed by `n` alone); `Wᵀ x` sums rows in a different grouping and agrees
/// to rounding.
struct RandomMatrix: Sendable {
  let n: Int
  let seed: UInt64
  let stream: UInt64
  /// `σ/√n`.
  let scale: Double

  /// Coordinates per block of regenerated rows: about 256 KiB of normals, so a block stays in
  /// the core's L2 cache between being generated and being used.
  static let blockEntries = 1 << 15

  /// Rows per generated block: a function of `n` only (a multiple of 4 when it can be, for
  /// `Dense.matvec`'s four-row kernel).
  static func blockRows(_ n: Int) -> Int {
    let rows = max(1, blockEntries / max(n, 1))
    return rows >= 4 ? rows & ~3 : rows
  }

  /// Rows per chunk of the transposed product: at most 32 chunks (each with its own partial
  /// vector of length `n`), at least 16 rows each. A function of `n` only.
  static func transposedChunkRows(_ n: Int) -> Int { max(16, n / 32 + (n % 32 == 0 ? 0 : 1)) }

  /// Number of partial vectors the regenerated transposed product keeps.
  static func transposedChunks(_ n: Int) -> Int { (n - 1) / transposedChunkRows(n) + 1 }

  /// Writes the standard normals of rows `rows` into `out` (row-major, `rows.count × n`).
  func fillRows(_ rows: Range<Int>, into out: UnsafeMutablePointer<Double>) {
    GaussianFill.fill(
      UnsafeMutableBufferPointer(start: out, count: rows.count * n), seed: seed, stream: stream,
      offset: UInt64(rows.lowerBound) &* UInt64(n))
  }

  /// Stores all `n²` standard normals `z` row-major in `out` (the cached form; unscaled).
  func materialize(into out: UnsafeMutablePointer<Double>, threads: Int) {
    let shared = UnsafeShared(out)
    let me = self
    Parallel.forEachChunk(count: n, chunkSize: Self.blockRows(n), threads: threads) { rows in
      me.fillRows(rows, into: shared.value + rows.lowerBound * me.n)
    }
  }

  // MARK: Products

  /// `y = W x` with the rows regenerated block by block.
  func multiply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, threads: Int) {
    let shared = UnsafeShared((x, y))
    let me = self
    Parallel.forEachChunk(count: n, chunkSize: Self.blockRows(n), threads: threads) { rows in
      let (x, y) = shared.value
      let block = UnsafeMutablePointer<Double>.allocate(capacity: rows.count * me.n)
      defer { block.deallocate() }
      me.fillRows(rows, into: block)
      Dense.matvec(
        UnsafeBufferPointer(start: block, count: rows.count * me.n), rows: rows.count, cols: me.n,
        UnsafeBufferPointer(start: x, count: me.n),
        into: UnsafeMutableBufferPointer(start: y + rows.lowerBound, count: rows.count), threads: 1)
      for i in rows { y[i] *= me.scale }
    }
  }

  /// `y = Wᵀ x` with the rows regenerated: `y = Σᵢ xᵢ W[i, ·]`. Rows are cut into fixed chunks
  /// (``transposedChunkRows(_:)``), each accumulates into its own partial vector, and the
  /// partials are added in chunk order, so the result does not depend on `threads`.
  func multiplyTransposed(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, threads: Int) {
    let chunkRows = Self.transposedChunkRows(n)
    let chunks = Self.transposedChunks(n)
    let partials = UnsafeMutablePointer<Double>.allocate(capacity: chunks * n)
    defer { partials.deallocate() }
    let shared = UnsafeShared((x, partials))
    let me = self
    Parallel.forEachChunk(count: n, chunkSize: chunkRows, threads: threads) { rows in
      let (x, partials) = shared.value
      let partial = partials + (rows.lowerBound / chunkRows) * me.n
      let blockRows = Self.blockRows(me.n)
      let block = UnsafeMutablePointer<Double>.allocate(capacity: (blockRows + 1) * me.n)
      defer { block.deallocate() }
      let sum = block + blockRows * me.n
      var start = rows.lowerBound
      while start < rows.upperBound {
        let end = min(start + blockRows, rows.upperBound)
        me.fillRows(start..<end, into: block)
        // One block's Σ xᵢ W[i, ·] by the dense kernel (serial: the block is small), added to
        // the chunk's partial (the first block writes it); the grouping depends on n only.
        let first = start == rows.lowerBound
        Dense.matvecTransposed(
          UnsafeBufferPointer(start: block, count: (end - start) * me.n), rows: end - start, cols: me.n,
          UnsafeBufferPointer(start: x + start, count: end - start),
          into: UnsafeMutableBufferPointer(start: first ? partial : sum, count: me.n), threads: 1)
        if !first { for j in 0..<me.n { partial[j] += sum[j] } }
        start = end
      }
    }
    Self.sumPartials(partials, count: chunks, length: n, into: y, scale: scale, threads: threads)
  }

  /// `y = W x`, or `y = Wᵀ x` when `transposed`, from the stored normals `z` (see
  /// ``materialize(into:threads:)``) by the dense kernels.
  func multiply(
    cached z: UnsafePointer<Double>, transposed: Bool, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let a = UnsafeBufferPointer(start: z, count: n * n)
    let xs = UnsafeBufferPointer(start: x, count: n)
    let ys = UnsafeMutableBufferPointer(start: y, count: n)
    if transposed {
      Dense.matvecTransposed(a, rows: n, cols: n, xs, into: ys, threads: threads)
    } else {
      Dense.matvec(a, rows: n, cols: n, xs, into: ys, threads: threads)
    }
    for i in 0..<n { y[i] *= scale }
  }

  /// `y = scale · Σ_c partials[c]` with the partials added in order `c = 0, 1, …`, in parallel
  /// over fixed column blocks (each column's sum is the same whatever the thread count).
  static func sumPartials(
    _ partials: UnsafePointer<Double>, count: Int, length: Int, into y: UnsafeMutablePointer<Double>,
    scale: Double, threads: Int
  ) {
    let shared = UnsafeShared((partials, y))
    Parallel.forEachChunk(count: length, chunkSize: 4096, threads: threads) { columns in
      let (partials, y) = shared.value
      let out = y + columns.lowerBound
      out.update(from: partials + columns.lowerBound, count: columns.count)
      for c in 1..<max(count, 1) {
        let p = partials + c * length + columns.lowerBound
        for j in 0..<columns.count { out[j] += p[j] }
      }
      for j in 0..<columns.count { out[j] *= scale }
    }
  }
}
