/// Gauss–Hermite quadrature for the standard normal law:
/// `E f(Z) = ∫ f(x) φ(x) dx ≈ Σᵢ wᵢ f(xᵢ)`, `φ(x) = exp(−x²/2)/√(2π)`.
///
/// A rule of degree `p` (p nodes) is exact for polynomials of degree `≤ 2p − 1`; since
/// `∫ φ = 1`, its weights sum to 1. Smooth integrands converge exponentially in `p`;
/// integrands with kinks (relu) converge only algebraically — prefer closed forms there.
public struct GaussHermiteRule: Sendable {
  /// The nodes `x₀ < x₁ < … < x_{p−1}`, symmetric about 0 (`xᵢ = −x_{p−1−i}`).
  public let nodes: [Double]
  /// The positive weights, symmetric like the nodes, summing to 1 up to rounding.
  public let weights: [Double]

  /// The number of nodes `p`.
  public var degree: Int { nodes.count }

  /// The `p`-node rule for the probabilists' weight `φ`, `p ≥ 1` (callers validate
  /// user-supplied degrees).
  ///
  /// Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the monic
  /// probabilists' Hermite polynomials (`He_{k+1} = x He_k − k He_{k−1}`: zero diagonal,
  /// off-diagonal `√k`), found by the symmetric tridiagonal QL method; each node then gets
  /// one Newton step on the orthonormal polynomial `ĥ_p`, which takes it from absolute to
  /// relative accuracy. The weights come from the Christoffel–Darboux identity
  /// `wᵢ = 1 / (p · ĥ_{p−1}(xᵢ)²)` rather than from squared eigenvector components: the
  /// latter are accurate only to `ε` absolutely, which is useless for the outer weights of a
  /// large rule (below 10⁻¹⁰⁰ at p = 200), while the recurrence keeps them to a few ulps
  /// relatively. Scaled arithmetic keeps `ĥ` from overflowing at large `p`.
  public static func probabilists(degree: Int) -> GaussHermiteRule {
    precondition(degree >= 1, "a Gauss–Hermite rule needs at least one node")
    let p = degree
    var noRows: [Double] = []
    let offDiagonal = (1..<max(p, 1)).map { Double($0).squareRoot() }
    let eigenvalues = SymmetricTridiagonal.eigen(
      diagonal: [Double](repeating: 0, count: p), offDiagonal: offDiagonal, rows: &noRows, width: 0)
    var nodes = [Double](repeating: 0, count: p)
    var weights = [Double](repeating: 0, count: p)
    // Compute the non-negative half and mirror it, so the rule is exactly symmetric.
    for i in (p / 2)..<p {
      var x = i == p - i - 1 ? 0 : eigenvalues[i]
      var value = orthonormalHermite(p, at: x)
      if x != 0 {
        // Newton on ĥ_p, using ĥ_p′ = √p · ĥ_{p−1}; the shared scale factor cancels.
        x -= value.current / (Double(p).squareRoot() * value.previous)
        value = orthonormalHermite(p, at: x)
      }
      let w = 1 / (Double(p) * value.previous * value.previous)
      weights[i] = Double(sign: .plus, exponent: -2 * value.binaryExponent, significand: w)
      nodes[i] = x
      nodes[p - 1 - i] = -x
      weights[p - 1 - i] = weights[i]
    }
    return GaussHermiteRule(nodes: nodes, weights: weights)
  }

  /// `Σᵢ wᵢ f(xᵢ)`, the rule's estimate of `E f(Z)`.
  public func expectation(_ f: (Double) -> Double) -> Double {
    var s = 0.0
    for i in 0..<nodes.count { s += weights[i] * f(nodes[i]) }
    return s
  }

  /// `ĥ_n(x)` and `ĥ_{n−1}(x)` for the orthonormal Hermite polynomials
  /// `ĥ_k = He_k / √(k!)`, by `ĥ_{k+1} = (x ĥ_k − √k ĥ_{k−1}) / √(k+1)`, returned as
  /// `(current, previous) · 2^binaryExponent` so that large `|x|` cannot overflow.
  static func orthonormalHermite(_ n: Int, at x: Double) -> (
    current: Double, previous: Double, binaryExponent: Int
  ) {
    var previous = 0.0
    var current = 1.0
    var exponent = 0
    for k in 0..<n {
      let next = (x * current - Double(k).squareRoot() * previous) / Double(k + 1).squareRoot()
      previous = current
      current = next
      if abs(current) > 0x1p400 {
        current *= 0x1p-400
        previous *= 0x1p-400
        exponent += 400
      }
    }
    return (current, previous, exponent)
  }
}

/// A tensor-product Gauss–Hermite grid for `E f(Z)`, `Z ~ N(0, I_D)`:
/// `Σ_{i₁…i_D} w_{i₁}⋯w_{i_D} f(x_{i₁}, …, x_{i_D})`, exact for polynomials of degree
/// `≤ 2p − 1` in each coordinate, with `p^D` points.
///
/// For a correlated centered Gaussian `X ~ N(0, Σ)`, write `X = L·Z` with a factor
/// `Σ = L·Lᵀ` (a pivoted Cholesky factor of rank `r` needs only an `r`-dimensional grid);
/// `expectation(covariance:degree:_:)` does exactly that.
public struct GaussianQuadratureGrid: Sendable {
  /// The dimension `D`.
  public let dimension: Int
  /// The points in standard normal coordinates, `p^D` of them, each of length `D`; the last
  /// coordinate varies fastest.
  public let points: [[Double]]
  /// The same points flattened point by point (`coordinates[k·D + d]`), for tight loops.
  public let coordinates: [Double]
  /// The product weights, summing to 1 up to rounding.
  public let weights: [Double]

  /// The number of grid points `p^D`, or nil when it would not fit in an `Int`. Callers
  /// choosing `D` and `p` from user input check this (and a size budget) first.
  public static func pointCount(dimension: Int, degree: Int) -> Int? {
    guard dimension >= 0, degree >= 1 else { return nil }
    var count = 1
    for _ in 0..<dimension {
      let (product, overflow) = count.multipliedReportingOverflow(by: degree)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// The `degree^dimension`-point grid, `dimension ≥ 0` (`D = 0` gives the single empty
  /// point with weight 1), `degree ≥ 1`.
  public init(dimension: Int, degree: Int) {
    guard let count = Self.pointCount(dimension: dimension, degree: degree) else {
      preconditionFailure("grid size out of range; check pointCount(dimension:degree:) first")
    }
    let rule = GaussHermiteRule.probabilists(degree: degree)
    var coordinates = [Double](repeating: 0, count: count * dimension)
    var weights = [Double](repeating: 1, count: count)
    for k in 0..<count {
      var rest = k
      for d in stride(from: dimension - 1, through: 0, by: -1) {
        let i = rest % degree
        rest /= degree
        coordinates[k * dimension + d] = rule.nodes[i]
        weights[k] *= rule.weights[i]
      }
    }
    self.dimension = dimension
    self.coordinates = coordinates
    self.weights = weights
    self.points = (0..<count).map { Array(coordinates[($0 * dimension)..<(($0 + 1) * dimension)]) }
  }

  /// `Σₖ wₖ f(zₖ)`, the grid's estimate of `E f(Z)`.
  public func expectation(_ f: ([Double]) -> Double) -> Double {
    var s = 0.0
    for k in 0..<weights.count { s += weights[k] * f(points[k]) }
    return s
  }

  /// `E f(X)` for `X ~ N(0, covariance)`, by a pivoted Cholesky factor `L` of rank `r` and
  /// an `r`-dimensional grid of `degree` nodes per axis: `Σₖ wₖ f(L·zₖ)`. Singular
  /// covariances cost fewer points, not accuracy.
  public static func expectation(
    covariance: Matrix, degree: Int, _ f: ([Double]) -> Double
  ) -> Double {
    let cholesky = PivotedCholesky(covariance)
    let grid = GaussianQuadratureGrid(dimension: cholesky.rank, degree: degree)
    var s = 0.0
    for k in 0..<grid.weights.count { s += grid.weights[k] * f(cholesky.apply(grid.points[k])) }
    return s
  }
}
