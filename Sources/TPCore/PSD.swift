/// Checks that a symmetric `k × k` row-major matrix is positive semi-definite.
///
/// Runs a symmetric-pivoted Cholesky factorization: a PSD matrix never produces a pivot below
/// `−tol`, and once the largest remaining pivot is within `tol` of 0 the remaining block must
/// vanish. `tol` is relative to the largest diagonal entry.
public func isPositiveSemidefinite(_ a: [Double], size k: Int, relativeTolerance: Double = 1e-10) -> Bool {
  var m = a
  let scale = max(1e-300, (0..<k).map { abs(a[$0 * k + $0]) }.max() ?? 0)
  let tol = relativeTolerance * scale
  var active = Array(0..<k)
  while !active.isEmpty {
    // Pick the largest remaining diagonal as the pivot.
    var best = active[0]
    for i in active where m[i * k + i] > m[best * k + best] { best = i }
    let p = m[best * k + best]
    if p < -tol { return false }
    if p <= tol {
      // Remaining block must be (numerically) zero.
      for i in active { for j in active where abs(m[i * k + j]) > tol * 10 { return false } }
      return true
    }
    active.removeAll { $0 == best }
    for i in active {
      let f = m[i * k + best] / p
      for j in active { m[i * k + j] -= f * m[best * k + j] }
    }
  }
  return true
}
