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
