import Foundation

/// Eigenvalues (and optionally eigenvectors) of a real symmetric tridiagonal matrix by the
/// implicit QL method with Wilkinson-type shifts — EISPACK's `tql2` as given in
/// JAMA (Bowdler, Martin, Reinsch & Wilkinson, Numer. Math. 11, 1968).
///
/// Why it is accurate: every step is a product of plane rotations, an orthogonal
/// similarity, so the computed eigenvalues are exact for a matrix within `O(ε‖T‖)` of `T`;
/// for a symmetric matrix that is also the error bound on each eigenvalue. The shift makes
/// convergence cubic in practice; deflation at negligible off-diagonal entries splits the
/// problem, which is also what makes repeated and zero eigenvalues harmless.
enum SymmetricTridiagonal {
  /// Diagonalizes the tridiagonal matrix with `diagonal` `d[0..<n]` and off-diagonal
  /// `e[i] = T[i, i+1]` for `i < n − 1` (extra entries are ignored).
  ///
  /// `rows`, if not empty, holds `n` rows of `width` numbers (row-major, `n · width`
  /// entries); every rotation applied to `T` is applied to those rows as well, so passing
  /// the rows of `Qᵀ` for `A = Q T Qᵀ` yields the eigenvectors of `A` as rows, and passing
  /// the identity's first column (`width = 1`, `rows = e₀`) yields the first components of
  /// `T`'s eigenvectors.
  ///
  /// Returns the eigenvalues in ascending order; `rows` is permuted to match. Iterations
  /// are capped (60 per eigenvalue, far above the two or three that are typical), so
  /// non-finite input yields NaNs rather than a hang.
  static func eigen(diagonal: [Double], offDiagonal: [Double], rows: inout [Double], width: Int)
    -> [Double]
  {
    let n = diagonal.count
    guard n > 0 else { return [] }
    precondition(rows.isEmpty || rows.count == n * width, "rows must be n × width")
    var d = diagonal
    // Shift the off-diagonal so that e[i] couples d[i] and d[i+1]; e[n−1] = 0 ends the chain.
    var e = [Double](repeating: 0, count: n)
    for i in 0..<(n - 1) { e[i] = offDiagonal[i] }
    let hasRows = !rows.isEmpty && width > 0
    var f = 0.0
    var norm = 0.0
    let eps = Double.ulpOfOne
    rows.withUnsafeMutableBufferPointer { w in
      for l in 0..<n {
        norm = max(norm, abs(d[l]) + abs(e[l]))
        // Look for a negligible off-diagonal entry at or below l.
        var m = l
        while m < n - 1 && abs(e[m]) > eps * norm { m += 1 }
        if m > l {
          var iterations = 0
          repeat {
            iterations += 1
            // Implicit shift from the leading 2 × 2 block.
            var g = d[l]
            var p = (d[l + 1] - g) / (2 * e[l])
            var r = hypot(p, 1)
            if p < 0 { r = -r }
            d[l] = e[l] / (p + r)
            d[l + 1] = e[l] * (p + r)
            let dl1 = d[l + 1]
            var h = g - d[l]
            if l + 2 < n { for i in (l + 2)..<n { d[i] -= h } }
            f += h
            // Chase the bulge from m up to l with plane rotations.
            p = d[m]
            var c = 1.0
            var c2 = c
            var c3 = c
            let el1 = e[l + 1]
            var s = 0.0
            var s2 = 0.0
            for i in stride(from: m - 1, through: l, by: -1) {
              c3 = c2
              c2 = c
              s2 = s
              g = c * e[i]
              h = c * p
              r = hypot(p, e[i])
              e[i + 1] = s * r
              s = e[i] / r
              c = p / r
              p = c * d[i] - s * g
              d[i + 1] = h + s * (c * g + s * d[i])
              if hasRows {
                let ri = i * width
                let rj = (i + 1) * width
                for k in 0..<width {
                  let upper = w[rj + k]
                  w[rj + k] = s * w[ri + k] + c * upper
                  w[ri + k] = c * w[ri + k] - s * upper
                }
              }
            }
            p = -s * s2 * c3 * el1 * e[l] / dl1
            e[l] = s * p
            d[l] = c * p
          } while abs(e[l]) > eps * norm && iterations < 60
        }
        d[l] += f
        e[l] = 0
      }
    }
    // Sort ascending, carrying the rows along. NaNs sort last rather than trapping.
    let order = (0..<n).sorted { a, b in
      let (x, y) = (d[a], d[b])
      if x.isNaN != y.isNaN { return y.isNaN }
      if x != y && !x.isNaN { return x < y }
      return a < b
    }
    if hasRows {
      let old = rows
      for (newIndex, oldIndex) in order.enumerated() {
        for k in 0..<width { rows[newIndex * width + k] = old[oldIndex * width + k] }
      }
    }
    return order.map { d[$0] }
  }
}
