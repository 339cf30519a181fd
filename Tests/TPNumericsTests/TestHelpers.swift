import TPNumerics

/// Deterministic test matrices and samples, built from the library's counter RNG with
/// fixed seeds (so every run sees the same inputs).
enum TestData {
  /// A `rows × cols` matrix of standard normal entries.
  static func gaussianMatrix(rows: Int, cols: Int, seed: UInt64) -> Matrix {
    Matrix(
      rows: rows, cols: cols, elements: GaussianFill.gaussians(count: rows * cols, seed: seed, stream: 0))
  }

  /// `B·Bᵀ` for a Gaussian `n × r` matrix `B`: PSD of rank `min(n, r)`.
  static func psd(n: Int, rank r: Int, seed: UInt64) -> Matrix {
    let b = gaussianMatrix(rows: n, cols: r, seed: seed)
    return b * b.transposed
  }

  /// A shared pool of 2·10⁶ standard normals for the Monte Carlo checks, pairs `(z[2i], z[2i+1])`.
  static let normals: [Double] = GaussianFill.gaussians(count: 2_000_000, seed: 20_240_611, stream: 3)

  /// The largest entry of `|A − B|`.
  static func maxDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.cols == b.cols)
    return zip(a.elements, b.elements).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  /// `(2k − 1)!! = 1·3·5⋯(2k − 1)`, the 2k-th moment of a standard normal.
  static func doubleFactorial(oddUpTo k: Int) -> Double {
    var p = 1.0
    var m = 1
    while m < 2 * k {
      p *= Double(m)
      m += 2
    }
    return p
  }
}

/// Dense linear-algebra references: naive algorithms written independently of the library's
/// blocked kernels, and matrices with known spectra.
extension TestData {
  /// `‖A‖_F = √(Σ a_ij²)`.
  static func frobenius(_ a: Matrix) -> Double {
    a.elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
  }

  /// `op(A)·op(B)` by the textbook triple loop: `c_ij = Σ_p a_ip·b_pj` summed in increasing
  /// `p` from zero (the order the library promises to reproduce exactly).
  static func naiveProduct(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false)
    -> Matrix
  {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    var c = Matrix(rows: m, cols: n)
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += (transposeA ? a[p, i] : a[i, p]) * (transposeB ? b[j, p] : b[p, j]) }
        c[i, j] = s
      }
    }
    return c
  }

  /// `Q·diag(λ)·Qᵀ` with `Q` a product of `reflections` Householder reflections
  /// `I − 2uuᵀ/‖u‖²` with Gaussian `u`: a dense symmetric matrix whose eigenvalues are `λ`
  /// up to rounding.
  static func withSpectrum(_ lambda: [Double], seed: UInt64, reflections: Int = 4) -> Matrix {
    let n = lambda.count
    var a = Matrix.diagonal(lambda)
    for r in 0..<reflections {
      let u = GaussianFill.gaussians(count: n, seed: seed, stream: UInt64(r))
      let norm2 = u.reduce(0) { $0 + $1 * $1 }
      guard norm2 > 0 else { continue }
      // A ← H·A·H with H = I − βuuᵀ: A − u(wᵀ) − w uᵀ with w = βAu − (β²/2)(uᵀAu)u.
      let beta = 2 / norm2
      let au = a.multiply(u)
      let uau = zip(u, au).reduce(0) { $0 + $1.0 * $1.1 }
      let w = (0..<n).map { beta * au[$0] - 0.5 * beta * beta * uau * u[$0] }
      for i in 0..<n {
        for j in 0..<n { a.elements[i * n + j] -= u[i] * w[j] + w[i] * u[j] }
      }
    }
    // Exact symmetry (the update is symmetric up to rounding).
    for i in 0..<n {
      for j in 0..<i {
        let s = 0.5 * (a[i, j] + a[j, i])
        a[i, j] = s
        a[j, i] = s
      }
    }
    return a
  }

  /// Whether two matrices are equal bit for bit (NaNs included).
  static func bitIdentical(_ a: Matrix, _ b: Matrix) -> Bool {
    a.rows == b.rows && a.cols == b.cols && a.elements.map(\.bitPattern) == b.elements.map(\.bitPattern)
  }
}
