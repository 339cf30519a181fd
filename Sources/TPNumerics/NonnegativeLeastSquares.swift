/// Small dense least-squares solvers for the kernel fits: Householder QR with column
/// pivoting, and non-negative least squares on top of it.
///
/// Matrices are given by columns (`columns[j]` is column `j`, all of length `m`), since the
/// fits build them column by column (the monomials `ρᵏ` on a grid) and NNLS works on
/// subsets of columns.
enum LeastSquares {
  /// A minimiser of `‖A x − b‖₂` by Householder QR with column pivoting (Golub & Van Loan,
  /// "Matrix Computations", 4th ed., Alg. 5.4.1 and §5.5.6).
  ///
  /// Columns whose pivot `|r_kk|` falls below `relativeRank · |r₀₀|` are treated as
  /// dependent and get coefficient 0 (the basic solution), so a rank-deficient or
  /// numerically dependent set of columns (monomials of high degree on `[−1, 1]`) gives a
  /// finite answer. The residual `‖A x − b‖` is within a few ulps of the minimum for the
  /// kept columns (QR least squares is backward stable), whatever the conditioning.
  static func solve(columns: [[Double]], _ b: [Double], relativeRank: Double = 1e-14) -> [Double] {
    let p = columns.count
    guard p > 0 else { return [] }
    let m = b.count
    var a = columns
    var rhs = b
    var order = Array(0..<p)
    var diagonal = [Double](repeating: 0, count: p)
    let steps = min(m, p)
    var rank = 0
    for k in 0..<steps {
      // Pivot: the remaining column with the largest norm below row k.
      var best = k
      var bestNorm = -1.0
      for j in k..<p {
        var s = 0.0
        for i in k..<m { s += a[j][i] * a[j][i] }
        if s > bestNorm {
          bestNorm = s
          best = j
        }
      }
      if best != k {
        a.swapAt(k, best)
        order.swapAt(k, best)
      }
      let norm = bestNorm.squareRoot()
      if k == 0 && norm == 0 { return [Double](repeating: 0, count: p) }
      if norm <= relativeRank * abs(diagonal[0]) || norm == 0 { break }
      // Householder vector v = x − αe₁ with α = −sign(x₀)‖x‖ (no cancellation).
      let alpha = a[k][k] >= 0 ? -norm : norm
      var v = Array(a[k][k..<m])
      v[0] -= alpha
      let vNorm2 = v.reduce(0) { $0 + $1 * $1 }
      diagonal[k] = alpha
      rank = k + 1
      guard vNorm2 > 0 else { continue }
      let scale = 2 / vNorm2
      for j in (k + 1)..<max(k + 1, p) {
        var s = 0.0
        for i in 0..<v.count { s += v[i] * a[j][k + i] }
        s *= scale
        for i in 0..<v.count { a[j][k + i] -= s * v[i] }
      }
      var s = 0.0
      for i in 0..<v.count { s += v[i] * rhs[k + i] }
      s *= scale
      for i in 0..<v.count { rhs[k + i] -= s * v[i] }
    }
    // Back substitution on the leading rank × rank block of R (R[i][j] = a[j][i], i < j).
    var y = [Double](repeating: 0, count: rank)
    for i in stride(from: rank - 1, through: 0, by: -1) {
      var s = rhs[i]
      for j in (i + 1)..<max(i + 1, rank) { s -= a[j][i] * y[j] }
      y[i] = s / diagonal[i]
    }
    var x = [Double](repeating: 0, count: p)
    for i in 0..<rank { x[order[i]] = y[i] }
    return x
  }
}

/// Non-negative least squares, `min ‖A x − b‖₂` subject to `x ≥ 0`, by the active-set
/// method of Lawson & Hanson ("Solving Least Squares Problems", 1974, ch. 23, Alg. NNLS).
///
/// The passive set `P` (free variables) grows by the variable with the largest positive
/// dual `wⱼ = [Aᵀ(b − Ax)]ⱼ`; the unconstrained solution on `P` (`LeastSquares.solve`) is
/// accepted if positive, otherwise the step towards it stops at the first variable that
/// hits zero, which leaves `P`. It terminates when no dual exceeds
/// `dualTolerance · max|Aᵀb|` (the KKT conditions to that tolerance). A variable whose
/// entry into `P` immediately produces a non-positive value (rounding in degenerate
/// problems) is skipped until `x` changes, which prevents cycling.
enum NonnegativeLeastSquares {
  static func solve(
    columns: [[Double]], _ b: [Double], dualTolerance: Double = 1e-13, maxIterations: Int? = nil
  ) -> [Double] {
    let p = columns.count
    let m = b.count
    var x = [Double](repeating: 0, count: p)
    guard p > 0 else { return x }
    var passive = [Bool](repeating: false, count: p)
    var skipped = [Bool](repeating: false, count: p)
    func dual() -> [Double] {
      var r = b
      for j in 0..<p where x[j] != 0 {
        for i in 0..<m { r[i] -= columns[j][i] * x[j] }
      }
      return columns.map { column in zip(column, r).reduce(0) { $0 + $1.0 * $1.1 } }
    }
    let initial = dual()
    let threshold = dualTolerance * initial.reduce(0) { max($0, abs($1)) }
    let budget = maxIterations ?? 3 * p + 10
    var w = initial
    for _ in 0..<budget {
      var t = -1
      var best = threshold
      for j in 0..<p where !passive[j] && !skipped[j] && w[j] > best {
        best = w[j]
        t = j
      }
      guard t >= 0 else { break }
      passive[t] = true
      var changed = false
      for _ in 0..<(3 * p + 10) {
        let indices = (0..<p).filter { passive[$0] }
        let z = LeastSquares.solve(columns: indices.map { columns[$0] }, b)
        var candidate = [Double](repeating: 0, count: p)
        for (s, j) in indices.enumerated() { candidate[j] = z[s] }
        if indices.allSatisfy({ candidate[$0] > 0 }) {
          x = candidate
          changed = true
          break
        }
        if !changed && candidate[t] <= 0 && indices.count == indices.filter({ x[$0] > 0 }).count + 1 {
          // The new variable cannot enter: skip it until x moves.
          passive[t] = false
          skipped[t] = true
          break
        }
        var step = 1.0
        for j in indices where candidate[j] <= 0 {
          let denominator = x[j] - candidate[j]
          if denominator > 0 { step = min(step, x[j] / denominator) }
        }
        for j in indices { x[j] += step * (candidate[j] - x[j]) }
        changed = true
        for j in indices where x[j] <= 0 {
          x[j] = 0
          passive[j] = false
        }
      }
      if changed { skipped = [Bool](repeating: false, count: p) }
      w = dual()
    }
    return x
  }
}
