import TPCore
import TPNumerics

/// The base Gaussians and their groups.
///
/// Group 0 holds the initial vectors (covariance as declared, block-diagonal across `vector`
/// statements). Each matrix `W` has two more groups, one for `W x` MatMuls and one for `Wᵀ y`
/// MatMuls; within a group `Cov(Ẑ^{Wx}, Ẑ^{Wy}) = σ² E[Z^x Z^y]`, and groups are independent.
struct BaseGaussians {
  struct Group {
    var members: [Int] = []
    /// Row `i` gives member `i` as a combination of the group's innovations (iid N(0,1)).
    var cholesky = IncrementalCholesky()
    /// For MatMul groups: the program vector each member multiplied (`x` in `Ẑ^{Wx}`), as a node.
    var operands: [Int] = []
    var variance: Double = 1
  }

  var groups: [Group] = []
  /// For each base: its group and its position there.
  var location: [(group: Int, index: Int)] = []

  var count: Int { location.count }

  /// Creates a group and returns its index.
  mutating func addGroup(variance: Double = 1) -> Int {
    groups.append(Group(variance: variance))
    return groups.count - 1
  }

  /// Adds a base to `group` with the given covariances to the existing members and variance.
  mutating func addBase(group g: Int, covariances: [Double], variance: Double, operand: Int? = nil) -> Int {
    let b = location.count
    location.append((g, groups[g].members.count))
    _ = groups[g].cholesky.append(covariances: covariances, variance: variance)
    groups[g].members.append(b)
    if let operand { groups[g].operands.append(operand) }
    return b
  }

  /// `Cov(base a, base b)`: zero across groups, the Cholesky inner product within one.
  func covariance(_ a: Int, _ b: Int) -> Double {
    let (ga, ia) = location[a]
    let (gb, ib) = location[b]
    guard ga == gb else { return 0 }
    let la = groups[ga].cholesky.loadings[ia]
    let lb = groups[gb].cholesky.loadings[ib]
    var s = 0.0
    for k in 0..<min(la.count, lb.count) { s += la[k] * lb[k] }
    return s
  }

  /// The covariance matrix of the bases `ids`.
  func covarianceMatrix(_ ids: [Int]) -> Matrix {
    var m = Matrix(rows: ids.count, cols: ids.count, repeating: 0)
    for i in 0..<ids.count {
      for j in 0...i {
        let c = covariance(ids[i], ids[j])
        m[i, j] = c
        m[j, i] = c
      }
    }
    return m
  }
}
