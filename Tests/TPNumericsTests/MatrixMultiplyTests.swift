import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct MatrixMultiplyTests {
  struct Shape: Sendable, CustomTestStringConvertible {
    let m: Int
    let n: Int
    let k: Int
    var testDescription: String { "\(m)×\(k) · \(k)×\(n)" }
  }

  /// Remainders of the 3-row and 8-column register tiles, the 48 × 256 parallel tiles and
  /// the 256-deep inner blocks; degenerate and empty dimensions.
  static let shapes: [Shape] = [
    Shape(m: 1, n: 1, k: 1), Shape(m: 2, n: 7, k: 3), Shape(m: 3, n: 8, k: 5), Shape(m: 4, n: 9, k: 1),
    Shape(m: 17, n: 33, k: 64), Shape(m: 49, n: 257, k: 257), Shape(m: 100, n: 3, k: 600),
    Shape(m: 1, n: 300, k: 20), Shape(m: 300, n: 1, k: 20), Shape(m: 0, n: 5, k: 4), Shape(m: 5, n: 0, k: 4),
    Shape(m: 5, n: 6, k: 0), Shape(m: 130, n: 140, k: 513),
  ]

  static func gaussian(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
    TestData.gaussianMatrix(rows: rows, cols: cols, seed: seed)
  }

  /// Runs `Dense.multiply` on row-major copies with padded leading dimensions (`ld = cols + 3`)
  /// so that strides, not just shapes, are exercised.
  static func multiply(
    _ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool, alpha: Double, beta: Double, c: Matrix,
    threads: Int
  ) -> Matrix {
    let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
    let n = transposeB ? b.rows : b.cols
    let (lda, ldb, ldc) = (a.cols + 3, b.cols + 3, n + 3)
    let pa = padded(a, ld: lda)
    let pb = padded(b, ld: ldb)
    var pc = padded(c, ld: ldc, fill: -7)
    pa.withUnsafeBufferPointer { ua in
      pb.withUnsafeBufferPointer { ub in
        pc.withUnsafeMutableBufferPointer { uc in
          Dense.multiply(
            m: m, n: n, k: k, alpha: alpha, ua, lda: lda, transposeA: transposeA, ub, ldb: ldb,
            transposeB: transposeB, beta: beta, into: uc, ldc: ldc, threads: threads)
        }
      }
    }
    // The padding must be untouched.
    for i in 0..<c.rows {
      for j in c.cols..<ldc { #expect(pc[i * ldc + j] == -7) }
    }
    return Matrix(
      rows: m, cols: n, elements: (0..<(m * n)).map { pc[($0 / max(n, 1)) * ldc + $0 % max(n, 1)] })
  }

  static func padded(_ a: Matrix, ld: Int, fill: Double = .nan) -> [Double] {
    var out = [Double](repeating: fill, count: max(a.rows * ld, 1))
    for i in 0..<a.rows {
      for j in 0..<a.cols { out[i * ld + j] = a[i, j] }
    }
    return out
  }

  @Test(arguments: shapes, [(false, false), (true, false), (false, true), (true, true)])
  func matchesNaiveTripleLoopBitForBit(_ shape: Shape, transposes: (Bool, Bool)) {
    let (ta, tb) = transposes
    let a = ta ? Self.gaussian(shape.k, shape.m, seed: 1) : Self.gaussian(shape.m, shape.k, seed: 1)
    let b = tb ? Self.gaussian(shape.n, shape.k, seed: 2) : Self.gaussian(shape.k, shape.n, seed: 2)
    let expected = TestData.naiveProduct(a, b, transposeA: ta, transposeB: tb)
    let zero = Matrix(rows: shape.m, cols: shape.n, repeating: .nan)
    let got = Self.multiply(a, b, transposeA: ta, transposeB: tb, alpha: 1, beta: 0, c: zero, threads: 1)
    // The contract is the naive loop's exact running sum; closeness is implied but checked
    // first so a failure reads as a size.
    #expect(TestData.maxDifference(got, expected) <= 1e-12 * Double(max(shape.k, 1)))
    #expect(TestData.bitIdentical(got, expected))
    for threads in [2, 3] {
      let other = Self.multiply(
        a, b, transposeA: ta, transposeB: tb, alpha: 1, beta: 0, c: zero, threads: threads)
      #expect(TestData.bitIdentical(other, got), "threads \(threads)")
    }
  }

  struct Scaling: Sendable, CustomTestStringConvertible {
    let alpha: Double
    let beta: Double
    var testDescription: String { "α = \(alpha), β = \(beta)" }
  }

  @Test(arguments: [
    Scaling(alpha: 1, beta: 1), Scaling(alpha: -1, beta: 1), Scaling(alpha: 2.5, beta: -0.5),
    Scaling(alpha: 0, beta: 3), Scaling(alpha: 0, beta: 0), Scaling(alpha: -1, beta: 0),
  ])
  func alphaAndBetaFollowTheRunningSumContract(_ s: Scaling) {
    let (m, n, k) = (37, 45, 300)
    let a = Self.gaussian(m, k, seed: 3)
    let b = Self.gaussian(k, n, seed: 4)
    let c = Self.gaussian(m, n, seed: 5)
    let got = Self.multiply(
      a, b, transposeA: false, transposeB: false, alpha: s.alpha, beta: s.beta, c: c, threads: 2)
    var expected = Matrix(rows: m, cols: n)
    for i in 0..<m {
      for j in 0..<n {
        // c ← βc (β = 0: exactly 0), then c ← c + (αa)·b term by term; α = 0 is BLAS's quick return.
        var x = s.beta == 0 ? 0 : (s.beta == 1 ? c[i, j] : s.beta * c[i, j])
        if s.alpha != 0 { for p in 0..<k { x += (s.alpha * a[i, p]) * b[p, j] } }
        expected[i, j] = x
      }
    }
    #expect(TestData.bitIdentical(got, expected))
  }

  @Test func betaZeroIgnoresNaNsInC() {
    let a = Self.gaussian(9, 10, seed: 6)
    let b = Self.gaussian(10, 11, seed: 7)
    let c = Matrix(rows: 9, cols: 11, repeating: .nan)
    let got = Self.multiply(a, b, transposeA: false, transposeB: false, alpha: 1, beta: 0, c: c, threads: 1)
    #expect(got.elements.allSatisfy { $0.isFinite })
  }

  @Test func vectorizedAndScalarKernelsAgree() {
    let (m, n, k) = (50, 70, 260)
    let a = Self.gaussian(m, k, seed: 8)
    let b = Self.gaussian(k, n, seed: 9)
    var results: [[Double]] = []
    for vectorized in [true, false] {
      var c = [Double](repeating: 0, count: m * n)
      a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
          c.withUnsafeMutableBufferPointer { pc in
            GEMM.run(
              m: m, n: n, k: k, alpha: 1, StridedOperand(pa.baseAddress, ld: k, transposed: false),
              StridedOperand(pb.baseAddress, ld: n, transposed: false), beta: 0, pc.baseAddress!, ldc: n,
              triangle: .full, threads: 2, vectorized: vectorized)
          }
        }
      }
      results.append(c)
    }
    #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern))
  }

  @Test(arguments: [false, true])
  func symmetricRankUpdateWritesOnlyTheLowerTriangle(transpose: Bool) {
    for (n, k) in [(1, 3), (7, 5), (61, 300), (130, 40)] {
      let a = transpose ? Self.gaussian(k, n, seed: 10) : Self.gaussian(n, k, seed: 10)
      let c0 = Self.gaussian(n, n, seed: 11)
      var c = c0.elements
      a.elements.withUnsafeBufferPointer { pa in
        c.withUnsafeMutableBufferPointer { pc in
          Dense.symmetricRankUpdate(
            n: n, k: k, alpha: -1, pa, lda: a.cols, transpose: transpose, beta: 1, intoLowerOf: pc, ldc: n,
            threads: 2)
        }
      }
      for i in 0..<n {
        for j in 0..<n {
          if j > i {
            #expect(c[i * n + j] == c0[i, j], "upper entry (\(i), \(j)) changed")
          } else {
            var s = c0[i, j]
            for p in 0..<k { s += (-(transpose ? a[p, i] : a[i, p])) * (transpose ? a[p, j] : a[j, p]) }
            #expect(c[i * n + j].bitPattern == s.bitPattern, "(\(i), \(j))")
          }
        }
      }
    }
  }

  @Test func matrixLevelProductsAgreeWithTheReference() {
    let a = Self.gaussian(40, 70, seed: 12)
    let b = Self.gaussian(70, 30, seed: 13)
    let c = Self.gaussian(30, 70, seed: 14)
    #expect(TestData.bitIdentical(a * b, TestData.naiveProduct(a, b)))
    #expect(
      TestData.bitIdentical(
        Matrix.product(a, c, transposingSecond: true), TestData.naiveProduct(a, c, transposeB: true)))
    #expect(
      TestData.bitIdentical(
        Matrix.product(c, b, transposingFirst: true, transposingSecond: true),
        TestData.naiveProduct(c, b, transposeA: true, transposeB: true)))
    let g = a.gram()
    #expect(TestData.bitIdentical(g, g.transposed))
    #expect(TestData.bitIdentical(g, TestData.naiveProduct(a, a, transposeB: true)))
    // Empty inner dimension: a zero matrix of the outer shape.
    #expect(Matrix(rows: 3, cols: 0) * Matrix(rows: 0, cols: 4) == Matrix(rows: 3, cols: 4))
  }

  @Test func columnMajorBridgeMatchesRowMajor() {
    // Column-major X is row-major Xᵀ: C = A·B column-major ⇔ Cᵀ = Bᵀ·Aᵀ row-major.
    let (m, n, k) = (13, 21, 17)
    let a = Self.gaussian(k, m, seed: 15)  // row-major k × m = column-major A (m × k)
    let b = Self.gaussian(n, k, seed: 16)  // column-major B (k × n)
    var c = [Double](repeating: 0, count: m * n)
    a.elements.withUnsafeBufferPointer { pa in
      b.elements.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          GEMM.columnMajor(
            m: m, n: n, k: k, alpha: 1, pa.baseAddress!, lda: m, pb.baseAddress!, ldb: k, beta: 0,
            pc.baseAddress!, ldc: m, threads: 1)
        }
      }
    }
    // c (column-major m × n) read row-major is Cᵀ (n × m) = Bᵀ·Aᵀ = (row-major b)·(row-major a).
    let expected = TestData.naiveProduct(b, a)
    for i in 0..<m {
      for j in 0..<n { expectClose(c[i + j * m], expected[j, i], absolute: 1e-13) }
    }
  }
}
