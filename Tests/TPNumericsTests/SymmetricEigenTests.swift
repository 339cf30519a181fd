import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct SymmetricEigenTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let matrix: Matrix
    var testDescription: String { name }
  }

  /// `Q·diag(λ)·Qᵀ` with the Householder reflection `Q = I − 2vvᵀ/‖v‖²`: known eigenvalues.
  static func withEigenvalues(_ lambda: [Double]) -> Matrix {
    let n = lambda.count
    let v = (0..<n).map { Double($0 + 1) }
    let norm2 = v.reduce(0) { $0 + $1 * $1 }
    var q = Matrix.identity(n)
    for i in 0..<n { for j in 0..<n { q[i, j] -= 2 * v[i] * v[j] / norm2 } }
    return q * Matrix.diagonal(lambda) * q.transposed
  }

  static let cases: [Case] = [
    Case(
      name: "random symmetric 20×20",
      matrix: {
        let b = TestData.gaussianMatrix(rows: 20, cols: 20, seed: 4)
        return 0.5 * (b + b.transposed)
      }()),
    Case(name: "singular PSD rank 4 of 15", matrix: TestData.psd(n: 15, rank: 4, seed: 5)),
    Case(name: "repeated eigenvalues", matrix: withEigenvalues([3, 3, 3, -1, -1, 0, 0, 7])),
    Case(name: "identity", matrix: Matrix.identity(6)),
    Case(name: "zero", matrix: Matrix(rows: 5, cols: 5)),
    Case(name: "identical rows", matrix: CholeskyTests.identicalRows),
    Case(name: "1×1", matrix: Matrix([[-2.5]])),
    Case(name: "diagonal unsorted", matrix: Matrix.diagonal([5, -1, 2, 0])),
  ]

  @Test(arguments: cases)
  func reconstructsAndIsOrthogonal(_ c: Case) {
    let eigen = SymmetricEigen(c.matrix)
    let n = c.matrix.rows
    let v = eigen.vectors
    let scale = max(c.matrix.maxAbsoluteEntry, 1)
    #expect(
      TestData.maxDifference(v * Matrix.diagonal(eigen.values) * v.transposed, c.matrix) <= 1e-12 * scale)
    #expect(TestData.maxDifference(v.transposed * v, Matrix.identity(n)) <= 1e-12)
    #expect(zip(eigen.values, eigen.values.dropFirst()).allSatisfy { $0 <= $1 })
  }

  @Test func knownSpectra() {
    // Householder-conjugated diagonal: eigenvalues are the diagonal, sorted.
    let values = SymmetricEigen(Self.withEigenvalues([3, 3, 3, -1, -1, 0, 0, 7])).values
    for (got, want) in zip(values, [-1.0, -1, 0, 0, 3, 3, 3, 7]) { expectClose(got, want, absolute: 1e-13) }
    // tridiag(−1, 2, −1) of size n has eigenvalues 2 − 2cos(kπ/(n+1)), k = 1…n.
    let n = 30
    var t = Matrix(rows: n, cols: n)
    for i in 0..<n {
      t[i, i] = 2
      if i + 1 < n {
        t[i, i + 1] = -1
        t[i + 1, i] = -1
      }
    }
    let spectrum = SymmetricEigen(t).values
    for k in 1...n {
      expectClose(spectrum[k - 1], 2 - 2 * cos(Double(k) * .pi / Double(n + 1)), absolute: 1e-13)
    }
    // 2×2: [[a, b], [b, c]] has eigenvalues (a + c)/2 ± √(((a − c)/2)² + b²).
    let two = SymmetricEigen(Matrix([[2, 1], [1, -3]])).values
    expectClose(two[0], -0.5 - (6.25 + 1).squareRoot(), absolute: 1e-14)
    expectClose(two[1], -0.5 + (6.25 + 1).squareRoot(), absolute: 1e-14)
  }

  @Test func largerMatrixConverges() {
    let b = TestData.gaussianMatrix(rows: 80, cols: 60, seed: 6)
    let a = b * b.transposed  // rank 60 of 80: twenty zero eigenvalues
    let eigen = SymmetricEigen(a)
    let v = eigen.vectors
    #expect(
      TestData.maxDifference(v * Matrix.diagonal(eigen.values) * v.transposed, a) <= 1e-11
        * a.maxAbsoluteEntry)
    let largest = eigen.values.last!
    #expect(eigen.values.prefix(20).allSatisfy { abs($0) <= 1e-12 * largest })
    #expect(eigen.values[20] > 1e-4 * largest)  // Wishart: smallest nonzero ≈ (√80 − √60)² ≈ 1.4
  }

  @Test(arguments: [
    Case(name: "singular PSD", matrix: TestData.psd(n: 7, rank: 3, seed: 7)),
    Case(name: "identical rows", matrix: CholeskyTests.identicalRows),
    Case(name: "zero", matrix: Matrix(rows: 3, cols: 3)),
    Case(name: "invertible", matrix: TestData.psd(n: 5, rank: 5, seed: 8) + Matrix.identity(5)),
  ])
  func pseudoInverseSatisfiesPenroseConditions(_ c: Case) {
    let a = c.matrix
    let p = pseudoInverse(a)
    let scale = max(a.maxAbsoluteEntry, 1)
    let pScale = max(p.maxAbsoluteEntry, 1)
    #expect(TestData.maxDifference(a * p * a, a) <= 1e-10 * scale)
    #expect(TestData.maxDifference(p * a * p, p) <= 1e-10 * pScale)
    let ap = a * p
    let pa = p * a
    #expect(TestData.maxDifference(ap, ap.transposed) <= 1e-10)
    #expect(TestData.maxDifference(pa, pa.transposed) <= 1e-10)
  }

  @Test func pseudoInverseOfInvertibleIsInverse() {
    let a = Matrix([[4, 1], [1, 3]])
    // Inverse by the 2×2 formula: (1/11)·[[3, −1], [−1, 4]].
    let expected = Matrix([[3.0 / 11, -1.0 / 11], [-1.0 / 11, 4.0 / 11]])
    #expect(TestData.maxDifference(pseudoInverse(a), expected) <= 1e-14)
    // Rank one: [[1, 1], [1, 1]]⁺ = [[1, 1], [1, 1]] / 4.
    #expect(
      TestData.maxDifference(
        pseudoInverse(Matrix([[1, 1], [1, 1]])), Matrix([[0.25, 0.25], [0.25, 0.25]])) <= 1e-15)
  }
}
