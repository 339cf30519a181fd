/// A symmetric-pivoted Cholesky factorization of a positive semi-definite matrix, `A ≈ F Fᵀ`
/// with `F` of shape `n × rank`, rows in the original order.
///
/// At each step the largest remaining diagonal entry is the pivot; the factorization stops when
/// it falls below `relativeTolerance · max diag(A)`. This never divides by a (numerically) zero
/// variance, so singular covariances — identical inputs, duplicated vectors — are handled: their
/// rank is simply smaller. Cost `O(n² rank)`.
public struct PivotedCholesky: Sendable {
  public let factor: Matrix
  public let rank: Int

  public init(_ a: Matrix, relativeTolerance: Double = 1e-12) {
    let n = a.rows
    var residual = a
    var columns: [[Double]] = []
    let scale = (0..<n).map { a[$0, $0] }.max() ?? 0
    let tol = max(relativeTolerance * scale, 1e-300)
    var used = [Bool](repeating: false, count: n)
    for _ in 0..<n {
      var p = -1
      var best = tol
      for i in 0..<n where !used[i] && residual[i, i] > best {
        best = residual[i, i]
        p = i
      }
      if p < 0 { break }
      used[p] = true
      let d = residual[p, p].squareRoot()
      var col = [Double](repeating: 0, count: n)
      for i in 0..<n where !used[i] || i == p { col[i] = residual[i, p] / d }
      col[p] = d
      for i in 0..<n where !used[i] {
        for j in 0..<n where !used[j] { residual[i, j] -= col[i] * col[j] }
      }
      columns.append(col)
    }
    var f = Matrix(rows: n, cols: columns.count, repeating: 0)
    for (k, col) in columns.enumerated() { for i in 0..<n { f[i, k] = col[i] } }
    factor = f
    rank = columns.count
  }
}

/// A Cholesky factor grown one variable at a time: conditional sampling of Gaussians.
///
/// Variable `k` is `Σ_j loadings[k][j] ε_j` with iid standard normal innovations `ε`. Appending
/// a variable with known covariances to the earlier ones solves `L ℓ = c` by forward
/// substitution and gives the new variable the residual standard deviation as its own loading.
/// A residual below `tolerance · scale` (a variable that is a combination of earlier ones) gets
/// loading 0 and clamps rounding negatives, so degenerate groups never divide by zero.
public struct IncrementalCholesky: Sendable {
  public private(set) var loadings: [[Double]] = []
  public let relativeTolerance: Double

  public init(relativeTolerance: Double = 1e-12) { self.relativeTolerance = relativeTolerance }

  public var count: Int { loadings.count }

  /// Appends a variable; returns its row of loadings (length `count + 1` after the call).
  @discardableResult
  public mutating func append(covariances c: [Double], variance: Double) -> [Double] {
    let m = loadings.count
    var row = [Double](repeating: 0, count: m + 1)
    for j in 0..<m {
      let diag = loadings[j][j]
      guard diag > 0 else { continue }
      var s = j < c.count ? c[j] : 0
      for k in 0..<j { s -= row[k] * loadings[j][k] }
      row[j] = s / diag
    }
    let explained = row.reduce(0) { $0 + $1 * $1 }
    let residual = variance - explained
    let scale = max(abs(variance), explained, 1e-300)
    row[m] = residual > relativeTolerance * scale ? residual.squareRoot() : 0
    loadings.append(row)
    return row
  }
}

/// True when `a` is symmetric to within `tolerance` (absolute, relative to the largest entry).
public func isSymmetric(_ a: Matrix, tolerance: Double = 1e-12) -> Bool {
  guard a.rows == a.cols else { return false }
  let scale = max(1, a.elements.map(abs).max() ?? 0)
  for i in 0..<a.rows { for j in 0..<i where abs(a[i, j] - a[j, i]) > tolerance * scale { return false } }
  return true
}

/// True when the symmetric `a` has no eigenvalue below `−tolerance · max|λ|`.
public func isPositiveSemidefinite(_ a: Matrix, tolerance: Double = 1e-10) -> Bool {
  let e = SymmetricEigen(a)
  let scale = max(1e-300, e.values.map(abs).max() ?? 0)
  return (e.values.first ?? 0) >= -tolerance * scale
}
