/// A rank-revealing Cholesky factorization `A ≈ L·Lᵀ` of a symmetric positive semidefinite
/// matrix, with diagonal pivoting (Higham, "Accuracy and Stability of Numerical
/// Algorithms", §10.3).
///
/// At each step the variable with the largest remaining (Schur-complement) variance is
/// eliminated next, and elimination stops once every remaining variance is at most
/// `relativeTolerance · max_i a_ii`. What is left out is then a PSD remainder whose entries
/// are all bounded by that threshold (a PSD matrix's off-diagonal entries are bounded by its
/// diagonal), so `‖A − L·Lᵀ‖_max ≤ relativeTolerance · max_i a_ii` up to rounding. Singular
/// matrices — identical rows, a variable that is a combination of others, the zero matrix —
/// therefore factor without ever dividing by a (near-)zero pivot: they just get a smaller
/// `rank`.
///
/// `L` keeps the rows in the original variable order (row `i` belongs to variable `i`);
/// it is lower triangular only after permuting rows by `pivots`. Sampling `x = L·z` with
/// `z ~ N(0, I_rank)` gives `x ~ N(0, L·Lᵀ)`.
public struct PivotedCholesky: Sendable {
  /// `n × rank`, with `A ≈ factor · factorᵀ`.
  public let factor: Matrix
  /// The number of pivots taken: the numerical rank of `A` at the given tolerance.
  public let rank: Int
  /// `pivots[k]` is the variable eliminated at step `k`; `factor[pivots[k], k] > 0` and
  /// `factor[pivots[j], k] = 0` for `j < k`.
  public let pivots: [Int]

  /// Factors the symmetric PSD matrix `a` (only its lower triangle is read).
  ///
  /// - `relativeTolerance ≥ 0` sets where the rank is cut; the default `1e-12` treats
  ///   anything below a relative variance of 10⁻¹² as rounding noise.
  /// - Negative remaining variances (rounding, or an `a` that is slightly indefinite) are
  ///   treated as zero; a matrix with no positive diagonal entry, or with NaN entries on the
  ///   diagonal, gets `rank = 0` and an `n × 0` factor.
  public init(_ a: Matrix, relativeTolerance: Double = 1e-12) {
    precondition(a.rows == a.cols, "Cholesky needs a square matrix")
    let n = a.rows
    var remaining = (0..<n).map { a[$0, $0] }
    let scale = remaining.reduce(0) { max($0, $1) }
    let threshold = relativeTolerance * scale
    // Row-major n × n working factor: row i holds variable i's loadings on the innovations
    // taken so far, so the update below is a contiguous dot product of two rows.
    var work = [Double](repeating: 0, count: n * n)
    var pivots: [Int] = []
    var eliminated = [Bool](repeating: false, count: n)
    work.withUnsafeMutableBufferPointer { l in
      a.elements.withUnsafeBufferPointer { pa in
        while pivots.count < n {
          var p = -1
          var best = threshold
          for i in 0..<n where !eliminated[i] && remaining[i] > best {
            best = remaining[i]
            p = i
          }
          guard p >= 0, scale > 0 else { break }
          let k = pivots.count
          let pivot = remaining[p].squareRoot()
          l[p * n + k] = pivot
          for i in 0..<n where !eliminated[i] && i != p {
            // a_ip minus what earlier innovations already explain, over the pivot.
            var s = i > p ? pa[i * n + p] : pa[p * n + i]
            for j in 0..<k { s -= l[i * n + j] * l[p * n + j] }
            let lik = s / pivot
            l[i * n + k] = lik
            remaining[i] -= lik * lik
          }
          eliminated[p] = true
          remaining[p] = 0
          pivots.append(p)
        }
      }
    }
    let rank = pivots.count
    var factor = Matrix(rows: n, cols: rank)
    for i in 0..<n {
      for k in 0..<rank { factor.elements[i * rank + k] = work[i * n + k] }
    }
    self.factor = factor
    self.rank = rank
    self.pivots = pivots
  }

  /// `L·z` for `z` of length `rank`: maps independent standard normals to a sample of
  /// `N(0, L·Lᵀ)`.
  public func apply(_ z: [Double]) -> [Double] { factor.multiply(z) }
}

/// A Cholesky factor grown one variable at a time: the conditional-sampling form used when
/// each new Gaussian's covariances with the earlier ones become known only after those
/// have been sampled.
///
/// Variable `k` is written `X_k = Σ_{j ≤ k} L_{k j} ε_j` with independent standard normal
/// innovations `ε_j`. Appending a variable with covariances `c_j = Cov(X_new, X_j)` and
/// variance `v` solves `L·ℓ = c` by forward substitution (so `ℓ` reproduces every
/// covariance) and puts the unexplained part, `r = v − ‖ℓ‖²`, on a fresh innovation with
/// loading `√r`. Given already-sampled `X_0…X_{k−1}` (equivalently `ε_0…ε_{k−1}`), the new
/// variable is then sampled exactly from its conditional law.
///
/// Degenerate cases never divide by zero: a variable whose residual variance is at most
/// `relativeTolerance · v` (it is, to that precision, a linear combination of the earlier
/// ones) gets loading 0 on its own innovation, and a later variable's coefficient on that
/// innovation is set to 0 as well; negative residuals from rounding or slightly
/// inconsistent covariances clamp to 0 (the variance grows to `‖ℓ‖²`), and covariances whose
/// noise forward substitution has amplified past ``overshootTolerance`` are shrunk (a ridge
/// solution, see ``ridgeRow(covariances:variance:)``).
public struct IncrementalCholesky: Sendable {
  /// `loadings[k]` has `k + 1` entries: the coefficients of variable `k` on innovations
  /// `0…k`.
  public private(set) var loadings: [[Double]] = []
  /// The relative residual variance under which a new variable counts as degenerate.
  public let relativeTolerance: Double

  /// An empty factor. `relativeTolerance` (default 10⁻¹²) is relative to each new
  /// variable's own variance.
  public init(relativeTolerance: Double = 1e-12) {
    self.relativeTolerance = relativeTolerance
  }

  /// The number of variables appended so far.
  public var count: Int { loadings.count }

  /// Appends a variable with `covariances[j] = Cov(X_new, X_j)` for `j < count` and
  /// variance `variance`, returning its row of loadings (length `count + 1`, already
  /// stored in `loadings`).
  @discardableResult
  public mutating func append(covariances: [Double], variance: Double) -> [Double] {
    precondition(covariances.count == count, "append needs one covariance per earlier variable")
    let k = count
    var row = [Double](repeating: 0, count: k + 1)
    var explained = 0.0
    for j in 0..<k {
      let lj = loadings[j]
      let diagonal = lj[j]
      // A degenerate earlier variable has no innovation of its own to load on.
      guard diagonal > 0 else { continue }
      var s = covariances[j]
      for m in 0..<j { s -= lj[m] * row[m] }
      row[j] = s / diagonal
      explained += row[j] * row[j]
    }
    let residual = variance - explained
    if residual > relativeTolerance * max(variance, 0) && residual.isFinite {
      row[k] = residual.squareRoot()
    } else if explained > variance * (1 + Self.overshootTolerance), variance > 0, explained.isFinite {
      // The covariances are inconsistent with the earlier ones (estimates whose noise is larger
      // than the smallest directions of the earlier factor): forward substitution divided that
      // noise by small pivots, so ‖ℓ‖² overshoots the variance by more than
      // `overshootTolerance`. Shrink ℓ where the earlier factor resolves least (a ridge solution)
      // until the overshoot is that tolerance.
      let shrunk = ridgeRow(covariances: covariances, variance: variance * (1 + Self.overshootTolerance))
      for j in 0..<k { row[j] = shrunk[j] }
    }
    loadings.append(row)
    return row
  }

  /// Residuals below `−inconsistencyTolerance · variance` are not rounding: the covariances
  /// given do not fit a PSD matrix with the earlier rows.
  static let inconsistencyTolerance = 1e-9
  /// How far `‖ℓ‖²` may exceed the variance before the row is shrunk. Below it the covariances
  /// are kept as given and the variance grows to `‖ℓ‖²` (a slight inconsistency of estimates);
  /// above it, forward substitution has amplified their noise through small pivots, and the row
  /// is shrunk to `‖ℓ‖² = (1 + τ) · variance`. Measured on `examples/mup2_tanh.tp`: with
  /// τ = ∞ (never shrink) 8 replicates of 8,192 particles at 50 SGD steps disagree by ±0.04–0.08;
  /// shrinking every inconsistent row to the variance exactly (τ = 0) biases long runs (the
  /// held-out output 0.295 against 0.325); τ = 0.02 keeps replicates within ±0.002 and the
  /// 50-step values at 0.326, 1.0000, −1.0000, as finite networks have them.
  public static let overshootTolerance = 0.02

  /// The loadings `ℓ(λ) = (LᵀL + λI)⁻¹ Lᵀ c` on the earlier innovations, with the smallest
  /// `λ ≥ 0` for which `‖ℓ(λ)‖² ≤ variance`: the new variable's variance is then reproduced
  /// exactly, and its covariances `Lℓ` match `c` as well as that allows, the mismatch falling on
  /// the directions the earlier factor resolves least (Tikhonov regularisation; Golub & Van Loan,
  /// §6.1.4). With `LᵀL = V diag(σ²) Vᵀ` and `g = Vᵀ Lᵀ c`, `‖ℓ(λ)‖² = Σ gᵢ²/(σᵢ² + λ)²`
  /// decreases in `λ`, so `λ` is found by bisection on a log scale.
  func ridgeRow(covariances c: [Double], variance: Double) -> [Double] {
    let k = count
    var gram = Matrix(rows: k, cols: k)
    for a in 0..<k {
      for b in 0...a {
        var s = 0.0
        for i in a..<k where b < loadings[i].count { s += loadings[i][a] * loadings[i][b] }
        gram[a, b] = s
        gram[b, a] = s
      }
    }
    var ltc = [Double](repeating: 0, count: k)
    for i in 0..<k { for a in 0...i { ltc[a] += loadings[i][a] * c[i] } }
    let eigen = SymmetricEigen(gram)
    let scale = max(eigen.values.last ?? 0, 0)
    let cutoff = 1e-14 * scale
    var g = [Double](repeating: 0, count: k)
    for i in 0..<k where eigen.values[i] > cutoff {
      var s = 0.0
      for a in 0..<k { s += eigen.vectors[a, i] * ltc[a] }
      g[i] = s
    }
    func norm2(_ lambda: Double) -> Double {
      var s = 0.0
      for i in 0..<k where eigen.values[i] > cutoff {
        let d = eigen.values[i] + lambda
        s += g[i] * g[i] / (d * d)
      }
      return s
    }
    var lambda = 0.0
    if norm2(0) > variance {
      var lo = cutoff
      var hi = max(scale, 1e-300)
      while norm2(hi) > variance && hi < 1e300 { hi *= 16 }
      for _ in 0..<200 {
        let mid = (lo * hi).squareRoot()
        if norm2(mid) > variance { lo = mid } else { hi = mid }
        if hi <= lo * (1 + 1e-12) { break }
      }
      lambda = hi
    }
    var out = [Double](repeating: 0, count: k)
    for i in 0..<k where eigen.values[i] > cutoff {
      let w = g[i] / (eigen.values[i] + lambda)
      for a in 0..<k { out[a] += eigen.vectors[a, i] * w }
    }
    return out
  }

  /// The covariance `Σ_m L_{i m} L_{j m}` the factor implies between variables `i` and `j`.
  public func covariance(_ i: Int, _ j: Int) -> Double {
    let (a, b) = (loadings[i], loadings[j])
    var s = 0.0
    for m in 0..<min(a.count, b.count) { s += a[m] * b[m] }
    return s
  }

  /// `X_k = Σ_j L_{k j} ε_j` for every variable, given the innovations
  /// (`innovations.count ≥ count`).
  public func sample(innovations: [Double]) -> [Double] {
    loadings.map { row in
      var s = 0.0
      for (m, l) in row.enumerated() { s += l * innovations[m] }
      return s
    }
  }
}

/// Whether `a` is square and `|a_ij − a_ji| ≤ tolerance · max_kl |a_kl|` for all `i, j`.
/// With `tolerance = 0` this is exact symmetry. NaN entries make it false.
public func isSymmetric(_ a: Matrix, tolerance: Double = 0) -> Bool {
  guard a.rows == a.cols else { return false }
  guard a.elements.allSatisfy({ !$0.isNaN }) else { return false }
  let bound = tolerance * a.maxAbsoluteEntry
  for i in 0..<a.rows {
    for j in 0..<i where abs(a[i, j] - a[j, i]) > bound { return false }
  }
  return true
}

/// Whether `a` is symmetric (to `tolerance`, see `isSymmetric`) and positive semidefinite:
/// its smallest eigenvalue is at least `−tolerance · max_i |λ_i|`. The zero matrix and the
/// empty matrix are PSD; non-square matrices and matrices with non-finite entries are not.
public func isPositiveSemidefinite(_ a: Matrix, tolerance: Double) -> Bool {
  guard isSymmetric(a, tolerance: tolerance), a.elements.allSatisfy({ $0.isFinite }) else { return false }
  guard a.rows > 0 else { return true }
  let values = SymmetricEigen.eigenvalues(of: a)
  let scale = values.reduce(0) { max($0, abs($1)) }
  return values[0] >= -tolerance * scale
}
