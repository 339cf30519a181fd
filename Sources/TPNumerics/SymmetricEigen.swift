import Foundation

/// The eigen-decomposition `A = V·diag(λ)·Vᵀ` of a real symmetric matrix.
///
/// Two algorithms, chosen by size (both give eigenvalues ascending and orthonormal
/// eigenvectors as columns):
///
/// - `n ≤ smallOrder`: Householder reduction to tridiagonal form (EISPACK `tred2`, as in
///   JAMA) followed by the implicit QL iteration of `SymmetricTridiagonal`, `≈ 9n³` scalar
///   flops — the simplest path, and the fastest for small matrices.
/// - larger `n`: `BlockedSymmetricEigen` — blocked Householder tridiagonalization, divide
///   and conquer on the tridiagonal, blocked back-transformation; nearly all flops are in
///   cache-blocked, parallel matrix products (`n = 2000` takes seconds, not minutes).
///
/// All stages are orthogonal similarities, so the computed pairs are exact for a matrix
/// within `O(n·ε·‖A‖)` of `A`: eigenvalues carry an absolute error of that size (a PSD
/// matrix may show eigenvalues like `−1e-16·‖A‖`), and the eigenvectors are orthonormal to
/// working precision. Singular matrices and repeated eigenvalues need no special care
/// (both algorithms deflate); within a repeated eigenvalue the eigenvectors are some
/// orthonormal basis of the eigenspace. The zero matrix gives zeros and the identity.
/// Results do not depend on the thread count.
public struct SymmetricEigen: Sendable {
  /// The eigenvalues `λ₀ ≤ λ₁ ≤ … ≤ λₙ₋₁`.
  public let values: [Double]
  /// `n × n` orthogonal matrix whose column `i` is a unit eigenvector for `values[i]`.
  public let vectors: Matrix

  /// Orders up to which the unblocked `tred2` + QL path runs.
  public static let smallOrder = 32

  /// Decomposes the square matrix `a`, symmetrized as `(A + Aᵀ)/2` so that rounding
  /// asymmetry in the input cannot matter. Non-finite entries give NaN results.
  public init(_ a: Matrix, threads: Int = Parallel.defaultThreads) {
    self.init(a, blocked: a.rows > Self.smallOrder, threads: threads)
  }

  /// The decomposition by the chosen algorithm (tests run both on the same matrices).
  init(_ a: Matrix, blocked: Bool, threads: Int) {
    precondition(a.rows == a.cols, "eigen-decomposition needs a square matrix")
    let n = a.rows
    guard n > 0 else {
      values = []
      vectors = Matrix(rows: 0, cols: 0)
      return
    }
    let symmetric = Self.symmetrized(a)
    if blocked {
      let result = BlockedSymmetricEigen.decompose(symmetric, n: n, vectors: true, threads: threads)
      values = result.values
      vectors = Matrix(rows: n, cols: n, elements: result.vectors)
      return
    }
    var v = symmetric
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    Self.householderTridiagonalize(&v, n: n, diagonal: &d, subdiagonal: &e)
    // The QL stage rotates eigenvector rows, i.e. the rows of Vᵀ.
    var rows = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for k in 0..<n { rows[i * n + k] = v[k * n + i] }
    }
    let offDiagonal = Array(e.dropFirst())
    values = SymmetricTridiagonal.eigen(diagonal: d, offDiagonal: offDiagonal, rows: &rows, width: n)
    vectors = Matrix(rows: n, cols: n, elements: rows).transposed
  }

  /// The eigenvalues of the symmetric `a` (symmetrized as `(A + Aᵀ)/2`), ascending, without
  /// eigenvectors: blocked tridiagonalization and QL on the tridiagonal, `≈ 4n³/3` flops
  /// (about a third of the full decomposition's); for `n ≤ smallOrder` exactly the values
  /// of `SymmetricEigen(a)`. Non-finite entries give NaNs.
  public static func eigenvalues(
    of a: Matrix, threads: Int = Parallel.defaultThreads
  ) -> [Double] {
    precondition(a.rows == a.cols, "eigenvalues need a square matrix")
    // Small matrices: the same values as the full decomposition's small path.
    guard a.rows > smallOrder else { return SymmetricEigen(a, blocked: false, threads: 1).values }
    return BlockedSymmetricEigen.decompose(symmetrized(a), n: a.rows, vectors: false, threads: threads).values
  }

  /// `(A + Aᵀ)/2`, row-major.
  static func symmetrized(_ a: Matrix) -> [Double] {
    let n = a.rows
    var v = [Double](repeating: 0, count: n * n)
    a.elements.withUnsafeBufferPointer { pa in
      for i in 0..<n {
        for j in 0..<n { v[i * n + j] = 0.5 * (pa[i * n + j] + pa[j * n + i]) }
      }
    }
    return v
  }

  /// Householder tridiagonalization `A = V·T·Vᵀ` (`tred2`). On entry `v` holds `A`
  /// (row-major); on exit it holds the orthogonal `V`, `diagonal` the diagonal of `T` and
  /// `subdiagonal[i] = T[i, i−1]` (`subdiagonal[0] = 0`).
  ///
  /// Step `i` (from the last row up) reflects row `i`'s leading part onto a multiple of
  /// `e_{i−1}`; each row is scaled by its 1-norm first so squaring cannot under- or overflow,
  /// and an all-zero row is skipped, which is what keeps singular input harmless.
  static func householderTridiagonalize(
    _ v: inout [Double], n: Int, diagonal d: inout [Double], subdiagonal e: inout [Double]
  ) {
    for j in 0..<n { d[j] = v[(n - 1) * n + j] }
    for i in stride(from: n - 1, to: 0, by: -1) {
      var scale = 0.0
      var h = 0.0
      for k in 0..<i { scale += abs(d[k]) }
      if scale == 0 {
        e[i] = d[i - 1]
        for j in 0..<i {
          d[j] = v[(i - 1) * n + j]
          v[i * n + j] = 0
          v[j * n + i] = 0
        }
      } else {
        for k in 0..<i {
          d[k] /= scale
          h += d[k] * d[k]
        }
        var f = d[i - 1]
        var g = h.squareRoot()
        if f > 0 { g = -g }
        e[i] = scale * g
        h -= f * g
        d[i - 1] = f - g
        for j in 0..<i { e[j] = 0 }
        for j in 0..<i {
          f = d[j]
          v[j * n + i] = f
          g = e[j] + v[j * n + j] * f
          if j + 1 <= i - 1 {
            for k in (j + 1)...(i - 1) {
              g += v[k * n + j] * d[k]
              e[k] += v[k * n + j] * f
            }
          }
          e[j] = g
        }
        f = 0
        for j in 0..<i {
          e[j] /= h
          f += e[j] * d[j]
        }
        let hh = f / (h + h)
        for j in 0..<i { e[j] -= hh * d[j] }
        for j in 0..<i {
          f = d[j]
          g = e[j]
          for k in j...(i - 1) { v[k * n + j] -= f * e[k] + g * d[k] }
          d[j] = v[(i - 1) * n + j]
          v[i * n + j] = 0
        }
      }
      d[i] = h
    }
    // Accumulate the reflections into V.
    for i in 0..<(n - 1) {
      v[(n - 1) * n + i] = v[i * n + i]
      v[i * n + i] = 1
      let h = d[i + 1]
      if h != 0 {
        for k in 0...i { d[k] = v[k * n + i + 1] / h }
        for j in 0...i {
          var g = 0.0
          for k in 0...i { g += v[k * n + i + 1] * v[k * n + j] }
          for k in 0...i { v[k * n + j] -= g * d[k] }
        }
      }
      for k in 0...i { v[k * n + i + 1] = 0 }
    }
    for j in 0..<n {
      d[j] = v[(n - 1) * n + j]
      v[(n - 1) * n + j] = 0
    }
    v[(n - 1) * n + n - 1] = 1
    e[0] = 0
  }
}

/// The Moore–Penrose pseudo-inverse of a symmetric matrix (meant for PSD covariances):
/// `A⁺ = Σ_{|λᵢ| > c} λᵢ⁻¹ vᵢ vᵢᵀ` with cutoff `c = relativeCutoff · maxᵢ |λᵢ|`.
///
/// Eigenvalues at or below the cutoff are treated as exact zeros — the directions in which
/// a singular covariance has no spread — so `A⁺` satisfies `A A⁺ A = A`, `A⁺ A A⁺ = A⁺`
/// and is symmetric, with `A A⁺` the orthogonal projector onto the kept eigenvectors.
/// The zero matrix gives the zero matrix.
public func pseudoInverse(_ a: Matrix, relativeCutoff: Double = 1e-10) -> Matrix {
  let eigen = SymmetricEigen(a)
  let n = a.rows
  let largest = eigen.values.reduce(0) { max($0, abs($1)) }
  let cutoff = relativeCutoff * largest
  let kept = eigen.values.indices.filter { abs(eigen.values[$0]) > cutoff }
  // A⁺ = W·Vₖᵀ with W = Vₖ·diag(1/λₖ) over the kept columns: entry (r, c) is the running
  // sum Σᵢ (λᵢ⁻¹·v_ri)·v_ci in increasing i, exactly the rank-one accumulation it replaces,
  // at matrix-product speed.
  let r = kept.count
  var scaled = Matrix(rows: n, cols: r)
  var basis = Matrix(rows: n, cols: r)
  for (t, i) in kept.enumerated() {
    let inverse = 1 / eigen.values[i]
    for row in 0..<n {
      let v = eigen.vectors.elements[row * n + i]
      scaled.elements[row * r + t] = inverse * v
      basis.elements[row * r + t] = v
    }
  }
  return Matrix.product(scaled, basis, transposingSecond: true)
}
