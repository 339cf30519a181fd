import TPCore
import TPNumerics

/// The low-dimensional Gaussian an integrand really depends on, written in standard normal
/// coordinates: `coordinates = mean + factor · ε`, `ε ~ N(0, I_rank)`.
///
/// Two choices of coordinates: the **bases** of the integrand's support (mean 0, covariance
/// from the base groups), or its **affine leaves** — the affine nodes it reaches through
/// nonlinear nodes only (a pre-activation mixing many input columns is one leaf). In both, a
/// pivoted Cholesky factor removes dependent directions, so `rank` is what a grid has to cover.
struct IntegrationSpace {
  enum Kind: Hashable {
    case bases
    case leaves
  }

  var kind: Kind
  /// Base indices (for `.bases`) or leaf node indices (for `.leaves`), ascending.
  var ids: [Int]
  var mean: [Double]
  /// `ids.count × rank`.
  var factor: Matrix
  var rank: Int
  /// For `.leaves`: each leaf's affine form over bases.
  var forms: [Affine] = []

  struct Key: Hashable {
    var kind: Kind
    var ids: [Int]
  }

  var key: Key { Key(kind: kind, ids: ids) }

  /// The space of the bases in `support`.
  init(bases support: [Int], _ bases: BaseGaussians) {
    let chol = PivotedCholesky(bases.covarianceMatrix(support))
    kind = .bases
    ids = support
    mean = [Double](repeating: 0, count: support.count)
    factor = chol.factor
    rank = chol.rank
  }

  /// The space of affine leaves with the given forms.
  init(leaves: [Int], forms: [Affine], _ bases: BaseGaussians) {
    var cov = Matrix(rows: leaves.count, cols: leaves.count)
    for i in leaves.indices {
      for j in 0...i {
        let c = forms[i].covariance(with: forms[j]) { bases.covariance($0, $1) }
        cov[i, j] = c
        cov[j, i] = c
      }
    }
    let chol = PivotedCholesky(cov)
    kind = .leaves
    ids = leaves
    mean = forms.map(\.constant)
    factor = chol.factor
    rank = chol.rank
    self.forms = forms
  }

  /// The kink `{A = 0}` as a hyperplane in `ε`, or nil when `A` is not a function of this
  /// space's coordinates.
  ///
  /// Over bases, `A = c + Σ_b a_b base_b` and `base = F ε` give the normal `Fᵀa`. Over leaves,
  /// `A − c` must be a combination `Σ_l w_l (L_l − μ_l)` of the leaves' centred parts
  /// (`L − μ = B·base`): `w` solves `Bᵀw = a` in the least-squares sense, and is accepted when
  /// the residual is negligible; then the normal is `Fᵀw`.
  func hyperplane(_ a: Affine) -> Hyperplane? {
    var normal = [Double](repeating: 0, count: rank)
    switch kind {
    case .bases:
      var row: [Int: Int] = [:]
      for (i, b) in ids.enumerated() { row[b] = i }
      for (b, coefficient) in a.terms {
        guard let i = row[b] else { return nil }
        for k in 0..<rank { normal[k] += coefficient * factor[i, k] }
      }
    case .leaves:
      guard let w = leafWeights(a) else { return nil }
      for (i, wi) in w.enumerated() where wi != 0 { for k in 0..<rank { normal[k] += wi * factor[i, k] } }
    }
    return Hyperplane(offset: a.constant, normal: normal)
  }

  /// `w` with `Σ_l w_l B_l = a` (rows `B_l` the leaves' base coefficients), or nil.
  func leafWeights(_ a: Affine) -> [Double]? {
    let n = forms.count
    var gram = Matrix(rows: n, cols: n)
    var rhs = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for (b, c) in forms[i].terms { rhs[i] += c * (a.terms[b] ?? 0) }
      for j in 0...i {
        var s = 0.0
        for (b, c) in forms[i].terms { s += c * (forms[j].terms[b] ?? 0) }
        gram[i, j] = s
        gram[j, i] = s
      }
    }
    let w = pseudoInverse(gram, relativeCutoff: 1e-12).multiply(rhs)
    // Residual ‖Bᵀw − a‖ relative to ‖a‖.
    var residual: [Int: Double] = a.terms
    for i in 0..<n { for (b, c) in forms[i].terms { residual[b, default: 0] -= w[i] * c } }
    let size = a.terms.values.reduce(0) { $0 + $1 * $1 }
    let miss = residual.values.reduce(0) { $0 + $1 * $1 }
    return miss <= 1e-18 * max(size, 1e-300) ? w : nil
  }

  /// A point set for a rule with `count` points whose standard normal coordinates are
  /// `coordinates[k·rank + d]`, and weights `weights`.
  func pointSet(
    coordinates: [Double], weights: [Double], threads: Int, budgetBytes: Int
  ) -> PointSet {
    let count = weights.count
    let r = rank
    func column(_ i: Int) -> [Double] {
      var out = [Double](repeating: mean[i], count: count)
      for k in 0..<r {
        let f = factor[i, k]
        if f == 0 { continue }
        for p in 0..<count { out[p] += f * coordinates[p * r + k] }
      }
      return out
    }
    switch kind {
    case .bases:
      var columns: [Int: [Double]] = [:]
      for (i, b) in ids.enumerated() { columns[b] = column(i) }
      return PointSet(count: count, weights: weights, threads: threads, budgetBytes: budgetBytes) { b in
        columns[b] ?? [Double](repeating: 0, count: count)
      }
    case .leaves:
      // The leaves cut the integrand from the bases, so base values are never asked for; the
      // budget keeps every leaf.
      let set = PointSet(count: count, weights: weights, threads: threads, budgetBytes: .max) { _ in
        [Double](repeating: 0, count: count)
      }
      for (i, k) in ids.enumerated() { set.preset(k, column(i)) }
      return set
    }
  }
}
