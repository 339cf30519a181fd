import Foundation

/// The large-`n` symmetric eigensolver behind `SymmetricEigen` (LAPACK `dsyevd`'s plan):
///
/// 1. scale `A` by a power of two into a safe range if its entries are huge or tiny;
/// 2. reduce to tridiagonal `T = Qᵀ·A·Q` by blocked Householder (`TridiagonalReduction`,
///    `4n³/3` flops, half of them in matrix products);
/// 3. eigenvalues only: implicit QL on `T` (`O(n²)`); with vectors: divide and conquer
///    (`TridiagonalDivideConquer`, at most `~4n³/3` flops in matrix products, far fewer
///    when eigenvalues cluster or decay, as kernel spectra do);
/// 4. back-transform `V = Q·V_T` by blocks of reflectors in compact WY form (`2n³` flops,
///    all matrix products), in parallel over fixed column blocks of `V_T`.
///
/// Each stage is backward stable, so the eigenpairs are exact for a matrix within
/// `O(n·ε·‖A‖₂)` of `A`: eigenvalue errors `≤ c·n·ε·‖A‖₂`, and `‖V·Vᵀ − I‖ = O(n·ε)`.
enum BlockedSymmetricEigen {
  /// Reflectors per block of the back-transformation.
  static let reflectorBlock = 64
  /// Columns of `V_T` per parallel work unit of the back-transformation.
  static let columnBlock = 128

  /// Eigenvalues (ascending) and, if `vectors`, the row-major `n × n` matrix whose column
  /// `i` is the unit eigenvector of value `i`, for the exactly symmetric row-major
  /// `symmetric` (`n × n`). Non-finite entries give NaN values (and vectors).
  static func decompose(_ symmetric: [Double], n: Int, vectors: Bool, threads: Int) -> (
    values: [Double], vectors: [Double]
  ) {
    guard n > 0 else { return ([], []) }
    guard symmetric.allSatisfy({ $0.isFinite }) else {
      return (
        [Double](repeating: .nan, count: n), vectors ? [Double](repeating: .nan, count: n * n) : []
      )
    }
    var a = symmetric
    let largest = a.reduce(0) { max($0, abs($1)) }
    guard largest > 0 else {
      var identity = [Double](repeating: 0, count: vectors ? n * n : 0)
      if vectors { for i in 0..<n { identity[i * n + i] = 1 } }
      return ([Double](repeating: 0, count: n), identity)
    }
    // A power-of-two scale is exact: it cannot perturb the eigenvectors or, after undoing
    // it, the eigenvalues.
    let exponent = largest < 0x1p-500 || largest > 0x1p500 ? -largest.exponent : 0
    if exponent != 0 {
      for i in a.indices { a[i] = Double(sign: .plus, exponent: exponent, significand: a[i]) }
    }
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    var tau = [Double](repeating: 0, count: n)
    var result = [Double]()
    a.withUnsafeMutableBufferPointer { pa in
      d.withUnsafeMutableBufferPointer { pd in
        e.withUnsafeMutableBufferPointer { pe in
          tau.withUnsafeMutableBufferPointer { pt in
            // safe: n > 0, so every buffer here is non-empty.
            let (a, d, e, tau) = (pa.baseAddress!, pd.baseAddress!, pe.baseAddress!, pt.baseAddress!)
            // Row-major storage of a symmetric matrix is also its column-major storage.
            TridiagonalReduction.reduce(a, n: n, lda: n, d: d, e: e, tau: tau, threads: threads)
            guard vectors else { return }
            var z = [Double](repeating: 0, count: n * n)
            z.withUnsafeMutableBufferPointer { pz in
              // safe: n > 0.
              let z = pz.baseAddress!
              TridiagonalDivideConquer.solve(n: n, d: d, e: e, q: z, ldq: n, threads: threads)
              applyReflectors(n: n, a, tau: tau, to: z, columns: n, threads: threads)
            }
            // Column-major Z is the transpose of the row-major result.
            result = [Double](repeating: 0, count: n * n)
            transpose(z, n: n, into: &result)
          }
        }
      }
    }
    if !vectors {
      var ignored = [Double]()
      d = SymmetricTridiagonal.eigen(
        diagonal: d, offDiagonal: Array(e.prefix(n - 1)), rows: &ignored, width: 0)
    }
    if exponent != 0 {
      for i in d.indices { d[i] = Double(sign: .plus, exponent: -exponent, significand: d[i]) }
    }
    return (d, result)
  }

  /// `Z ← Q·Z` for `Q = H₀·H₁⋯H_{n−2}` from `TridiagonalReduction` (LAPACK `dormtr`, left,
  /// lower, no transpose), `Z` column-major `n × columns` (leading dimension `n`).
  ///
  /// The reflectors are made explicit in place (`V[i+1, i] = 1`, zeros above), so block
  /// `b` of `V` is a plain column-major submatrix of `a`; the `T` factors are built once,
  /// then each fixed block of columns of `Z` takes all blocks, last first
  /// (`Q·Z = B₀·(B₁·(⋯·(B_last·Z)))`), on one thread.
  static func applyReflectors(
    n: Int, _ a: UnsafeMutablePointer<Double>, tau: UnsafePointer<Double>, to z: UnsafeMutablePointer<Double>,
    columns: Int, threads: Int
  ) {
    let count = n - 1
    guard count > 0 else { return }
    for i in 0..<count {
      let column = a + i * n
      column.update(repeating: 0, count: i + 1)
      column[i + 1] = 1
    }
    let nb = reflectorBlock
    let blocks = (count + nb - 1) / nb
    let factors = UnsafeMutablePointer<Double>.allocate(capacity: blocks * nb * nb)
    defer { factors.deallocate() }
    let shared = UncheckedSendable((a, tau, z, factors))
    Parallel.forEachChunk(count: blocks, chunkSize: 1, threads: threads) { range in
      let (a, tau, _, factors) = shared.value
      for b in range {
        let i0 = b * nb
        let kb = min(nb, count - i0)
        // Block b's reflectors act on rows i0+1 ..< n.
        Householder.triangularFactor(
          rows: n - i0 - 1, count: kb, a + (i0 + 1) + i0 * n, ldv: n, tau: tau + i0, factors + b * nb * nb,
          ldt: nb)
      }
    }
    Parallel.forEachChunk(count: columns, chunkSize: columnBlock, threads: threads) { range in
      let (a, _, z, factors) = shared.value
      let width = range.count
      let workspace = UnsafeMutablePointer<Double>.allocate(capacity: 2 * nb * width)
      defer { workspace.deallocate() }
      for b in stride(from: blocks - 1, through: 0, by: -1) {
        let i0 = b * nb
        let kb = min(nb, count - i0)
        let rows = n - i0 - 1
        Householder.applyBlock(
          rows: rows, count: kb, a + (i0 + 1) + i0 * n, ldv: n, factors + b * nb * nb, ldt: nb,
          z + (i0 + 1) + range.lowerBound * n, ldc: n, columns: width, workspace: workspace)
      }
    }
  }

  /// `out = zᵀ` for the `n × n` row-major `z`, by 32 × 32 tiles (so both sides stay in cache).
  static func transpose(_ z: [Double], n: Int, into out: inout [Double]) {
    let tile = 32
    z.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for i0 in stride(from: 0, to: n, by: tile) {
          for j0 in stride(from: 0, to: n, by: tile) {
            for i in i0..<min(n, i0 + tile) {
              for j in j0..<min(n, j0 + tile) { dst[j * n + i] = src[i * n + j] }
            }
          }
        }
      }
    }
  }
}
