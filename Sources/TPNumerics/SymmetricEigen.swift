/// Eigen-decomposition `A = V diag(λ) Vᵀ` of a symmetric matrix by the cyclic Jacobi method.
///
/// Each rotation zeroes one off-diagonal pair; sweeps repeat until the off-diagonal mass is
/// below `1e-15` of the total (quadratic convergence). Jacobi is accurate for small
/// eigenvalues and indifferent to repeated or zero eigenvalues, which is what covariance
/// matrices of (possibly identical) inputs need. Cost `O(n³)` per sweep; for `n` up to a few hundred.
public struct SymmetricEigen: Sendable {
  /// Eigenvalues in ascending order.
  public let values: [Double]
  /// Eigenvectors as columns, in the order of ``values``.
  public let vectors: Matrix

  public init(_ a: Matrix) {
    let n = a.rows
    var m = a
    var v = Matrix.identity(n)
    let total = m.elements.reduce(0) { $0 + $1 * $1 }
    for _ in 0..<100 {
      var off = 0.0
      for i in 0..<n { for j in 0..<n where i != j { off += m[i, j] * m[i, j] } }
      if off <= 1e-30 * max(total, 1e-300) { break }
      for p in 0..<n {
        for q in (p + 1)..<max(p + 1, n) where m[p, q] != 0 {
          let theta = (m[q, q] - m[p, p]) / (2 * m[p, q])
          let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<n {
            let mkp = m[k, p], mkq = m[k, q]
            m[k, p] = c * mkp - s * mkq
            m[k, q] = s * mkp + c * mkq
          }
          for k in 0..<n {
            let mpk = m[p, k], mqk = m[q, k]
            m[p, k] = c * mpk - s * mqk
            m[q, k] = s * mpk + c * mqk
          }
          for k in 0..<n {
            let vkp = v[k, p], vkq = v[k, q]
            v[k, p] = c * vkp - s * vkq
            v[k, q] = s * vkp + c * vkq
          }
        }
      }
    }
    let order = (0..<n).sorted { m[$0, $0] < m[$1, $1] }
    values = order.map { m[$0, $0] }
    var sorted = Matrix(rows: n, cols: n, repeating: 0)
    for (newCol, old) in order.enumerated() { for k in 0..<n { sorted[k, newCol] = v[k, old] } }
    vectors = sorted
  }
}

/// The Moore–Penrose pseudo-inverse of a symmetric matrix, `V diag(1/λ) Vᵀ` over eigenvalues
/// with `|λ| > relativeCutoff · max|λ|` (the rest treated as exactly zero).
public func pseudoInverse(_ a: Matrix, relativeCutoff: Double = 1e-10) -> Matrix {
  let e = SymmetricEigen(a)
  let n = a.rows
  let cutoff = relativeCutoff * (e.values.map(abs).max() ?? 0)
  var out = Matrix(rows: n, cols: n, repeating: 0)
  for (k, lambda) in e.values.enumerated() where abs(lambda) > cutoff && lambda != 0 {
    for i in 0..<n {
      let vik = e.vectors[i, k] / lambda
      for j in 0..<n { out[i, j] += vik * e.vectors[j, k] }
    }
  }
  return out
}
