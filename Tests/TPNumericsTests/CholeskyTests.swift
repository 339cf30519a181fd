import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct CholeskyTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let matrix: Matrix
    let rank: Int
    var testDescription: String { name }
  }

  /// Identical rows: variables 0, 2 and 3 are the same Gaussian, 1 is independent.
  static let identicalRows = Matrix([[2, 0.5, 2, 2], [0.5, 1, 0.5, 0.5], [2, 0.5, 2, 2], [2, 0.5, 2, 2]])

  static let cases: [Case] = [
    Case(
      name: "random SPD 12×12", matrix: TestData.psd(n: 12, rank: 12, seed: 1) + Matrix.identity(12), rank: 12
    ),
    Case(name: "rank 3 of 9", matrix: TestData.psd(n: 9, rank: 3, seed: 2), rank: 3),
    Case(name: "identical rows", matrix: identicalRows, rank: 2),
    Case(name: "zero matrix", matrix: Matrix(rows: 4, cols: 4), rank: 0),
    Case(name: "1×1", matrix: Matrix([[4]]), rank: 1),
    Case(name: "zero variance variable", matrix: Matrix([[1, 0, 0.5], [0, 0, 0], [0.5, 0, 1]]), rank: 2),
    Case(name: "empty", matrix: Matrix(rows: 0, cols: 0), rank: 0),
  ]

  @Test(arguments: cases)
  func factorReproducesMatrix(_ c: Case) {
    let cholesky = PivotedCholesky(c.matrix)
    #expect(cholesky.rank == c.rank)
    #expect(cholesky.factor.rows == c.matrix.rows && cholesky.factor.cols == c.rank)
    let scale = max(c.matrix.maxAbsoluteEntry, 1)
    let product = cholesky.factor * cholesky.factor.transposed
    #expect(TestData.maxDifference(product, c.matrix) <= 1e-12 * scale)
    #expect(cholesky.factor.elements.allSatisfy { $0.isFinite })
    // Pivot structure: variable pivots[k] has a positive loading on innovation k and none
    // on later ones.
    for (k, p) in cholesky.pivots.enumerated() {
      #expect(cholesky.factor[p, k] > 0)
      for later in (k + 1)..<max(k + 1, cholesky.rank) { #expect(cholesky.factor[p, later] == 0) }
    }
  }

  @Test func slightlyIndefiniteInputIsClampedNotNaN() {
    // Eigenvalues 2 and −1e-14: PSD up to rounding.
    let a = Matrix([[1, 1 + 1e-14], [1 + 1e-14, 1]])
    let cholesky = PivotedCholesky(a)
    #expect(cholesky.rank == 1)
    #expect(cholesky.factor.elements.allSatisfy { $0.isFinite })
  }

  @Test func incrementalReproducesCovariances() {
    let a = TestData.psd(n: 8, rank: 8, seed: 3) + Matrix.identity(8)
    var inc = IncrementalCholesky()
    for k in 0..<8 {
      let row = inc.append(covariances: (0..<k).map { a[k, $0] }, variance: a[k, k])
      #expect(row.count == k + 1)
      #expect(row[k] > 0)
    }
    #expect(inc.count == 8)
    for i in 0..<8 {
      for j in 0...i { expectClose(inc.covariance(i, j), a[i, j], absolute: 1e-12 * a.maxAbsoluteEntry) }
    }
    // Lower triangular with a positive diagonal: the ordinary Cholesky factor, so it must
    // agree with the pivoted one up to the pivoting (compare L·Lᵀ, already done above).
  }

  @Test func incrementalHandlesDegenerateVariables() {
    // Variables: X0, X1 independent; X2 = X0 (duplicate); X3 = X0 + X1; X4 = X2 + 2 X1 + fresh.
    let c = Matrix([
      [1, 0, 1, 1, 1],
      [0, 2, 0, 2, 4],
      [1, 0, 1, 1, 1],
      [1, 2, 1, 3, 5],
      [1, 4, 1, 5, 10],
    ])
    var inc = IncrementalCholesky()
    for k in 0..<5 { inc.append(covariances: (0..<k).map { c[k, $0] }, variance: c[k, k]) }
    #expect(inc.loadings[2][2] == 0)
    #expect(inc.loadings[3][3] == 0)
    // X4 = X0 + 2 X1 + ξ with Var ξ = 10 − 1 − 8 = 1.
    expectClose(inc.loadings[4][4], 1, absolute: 1e-12)
    for i in 0..<5 {
      for j in 0...i { expectClose(inc.covariance(i, j), c[i, j], absolute: 1e-12) }
    }
    #expect(inc.loadings.joined().allSatisfy { $0.isFinite })
  }

  @Test func incrementalShrinksInconsistentCovariances() {
    // |ρ| = 1.2 > 1 cannot come from a Gaussian: the covariance shrinks until the variance it
    // implies is within the tolerance (2 %) of the one given.
    var inc = IncrementalCholesky()
    inc.append(covariances: [], variance: 1)
    let row = inc.append(covariances: [1.2], variance: 1)
    expectClose(row[0] * row[0], 1 + IncrementalCholesky.overshootTolerance, relative: 1e-9)
    #expect(row[1] == 0)
    let zero = inc.append(covariances: [0, 0], variance: 0)
    #expect(zero == [0, 0, 0])
  }

  @Test func noisyCovariancesAreNotAmplifiedBySmallPivots() {
    // X1 is X0 up to a residual of variance 1e-6; the third variable's covariances carry
    // noise of 1e-3 (what Monte Carlo estimates have). Forward substitution divides that
    // noise by the pivot 1e-3, giving a loading of order 1 on X1's innovation and a variance
    // far above the one asked for; the factor must keep the variance and stay close to the
    // covariances in the well-resolved direction.
    var inc = IncrementalCholesky()
    inc.append(covariances: [], variance: 1)
    inc.append(covariances: [1], variance: 1 + 1e-6)
    let row = inc.append(covariances: [0.5, 0.5 + 1e-3], variance: 0.5)
    let variance = row.reduce(0) { $0 + $1 * $1 }
    expectClose(variance, 0.5 * (1 + IncrementalCholesky.overshootTolerance), relative: 1e-9)
    expectClose(inc.covariance(2, 0), 0.5, absolute: 2e-3)
    #expect(row.allSatisfy { abs($0) < 1 })
    // A slight inconsistency (within the tolerance) keeps the covariances and grows the variance.
    var slight = IncrementalCholesky()
    slight.append(covariances: [], variance: 1)
    slight.append(covariances: [1.005], variance: 1)
    expectClose(slight.covariance(1, 0), 1.005, absolute: 1e-12)
    // Consistent covariances are reproduced exactly, whatever the pivots.
    var exact = IncrementalCholesky()
    exact.append(covariances: [], variance: 1)
    exact.append(covariances: [1], variance: 1 + 1e-6)
    exact.append(covariances: [0.5, 0.5 + 1e-4], variance: 0.5 + 0.02)
    expectClose(exact.covariance(2, 1), 0.5 + 1e-4, absolute: 1e-12)
    expectClose(exact.covariance(2, 2), 0.52, absolute: 1e-12)
  }

  @Test func incrementalSamplesHaveTheRightCovariance() {
    // Sampling through the loadings with the shared normal pool: Cov(X1, X2) = 0.6.
    var inc = IncrementalCholesky()
    inc.append(covariances: [], variance: 2)
    inc.append(covariances: [0.6], variance: 1)
    let z = TestData.normals
    let m = 100_000
    #expect(
      inc.sample(innovations: [z[0], z[1]])[1] == inc.loadings[1][0] * z[0] + inc.loadings[1][1] * z[1])
    let (l00, l10, l11) = (inc.loadings[0][0], inc.loadings[1][0], inc.loadings[1][1])
    var products = [Double](repeating: 0, count: m)
    for i in 0..<m { products[i] = (l00 * z[2 * i]) * (l10 * z[2 * i] + l11 * z[2 * i + 1]) }
    expectWithinStandardErrors(
      Statistics.mean(products), standardError: Statistics.standardErrorOfMean(products), of: 0.6)
  }

  @Test func symmetryAndDefiniteness() {
    #expect(isSymmetric(Matrix([[1, 2], [2, 1]])))
    #expect(!isSymmetric(Matrix([[1, 2], [2.1, 1]])))
    #expect(isSymmetric(Matrix([[1, 2], [2 + 1e-15, 1]]), tolerance: 1e-12))
    #expect(!isSymmetric(Matrix(rows: 2, cols: 3)))
    #expect(isPositiveSemidefinite(CholeskyTests.identicalRows, tolerance: 1e-12))
    #expect(isPositiveSemidefinite(Matrix(rows: 3, cols: 3), tolerance: 0))
    #expect(!isPositiveSemidefinite(Matrix([[1, 2], [2, 1]]), tolerance: 1e-12))  // eigenvalue −1
    #expect(!isPositiveSemidefinite(Matrix([[1, .nan], [.nan, 1]]), tolerance: 1e-12))
  }
}
