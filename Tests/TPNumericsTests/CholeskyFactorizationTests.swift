import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct CholeskyFactorizationTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let matrix: Matrix
    var testDescription: String { name }
  }

  /// `B·Bᵀ/n + I` for a Gaussian `n × n` `B`: SPD with condition number ~ 5.
  static func spd(_ n: Int, seed: UInt64) -> Matrix {
    var a = (1 / Double(max(n, 1))) * TestData.psd(n: n, rank: n, seed: seed)
    for i in 0..<n { a[i, i] += 1 }
    return a
  }

  static let cases: [Case] =
    [1, 2, 3, 17, 64, 200, 513].map { Case(name: "random SPD \($0)", matrix: spd($0, seed: UInt64($0))) } + [
      Case(name: "diagonal", matrix: Matrix.diagonal((1...40).map { Double($0) })),
      Case(
        name: "graded 1 … 1e-10",
        matrix: TestData.withSpectrum((0..<150).map { pow(10, -10 * Double($0) / 149) }, seed: 21)),
      Case(
        name: "low-rank PSD + 1e-6 noise",
        matrix: TestData.psd(n: 130, rank: 10, seed: 22) + 1e-6 * Matrix.identity(130)),
    ]

  /// The textbook loop: `l_ij = (a_ij − Σ_{p<j} l_ip·l_jp)/l_jj`, sums in increasing `p`.
  static func naiveCholesky(_ a: Matrix) -> Matrix? {
    let n = a.rows
    var l = Matrix(rows: n, cols: n)
    for i in 0..<n {
      for j in 0...i {
        var s = a[i, j]
        for p in 0..<j { s -= l[i, p] * l[j, p] }
        if i == j {
          guard s > 0 else { return nil }
          l[i, i] = s.squareRoot()
        } else {
          l[i, j] = s / l[j, j]
        }
      }
    }
    return l
  }

  @Test(arguments: cases)
  func factorReproducesTheMatrix(_ c: Case) throws {
    let a = c.matrix
    let n = a.rows
    let chol = try Cholesky(a)
    let l = chol.lower
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { #expect(l[i, j] == 0) }
      #expect(l[i, i] > 0)
    }
    let residual = TestData.frobenius(Matrix.product(l, l, transposingSecond: true) - a)
    #expect(residual <= 2 * Double(n) * .ulpOfOne * TestData.frobenius(a), "‖A − LLᵀ‖_F = \(residual)")
  }

  @Test(arguments: cases.filter { $0.matrix.rows <= 200 })
  func factorIsTheTextbookLoopBitForBitForEveryThreadCount(_ c: Case) throws {
    let reference = try #require(Self.naiveCholesky(c.matrix))
    for threads in [1, 2, 3] {
      let chol = try Cholesky(c.matrix, threads: threads)
      #expect(TestData.bitIdentical(chol.lower, reference), "threads \(threads)")
    }
  }

  @Test func largeFactorIsThreadIndependent() throws {
    let a = Self.spd(513, seed: 30)
    let one = try Cholesky(a, threads: 1)
    let two = try Cholesky(a, threads: 2)
    #expect(TestData.bitIdentical(one.lower, two.lower))
  }

  struct Failure: Sendable, CustomTestStringConvertible {
    let name: String
    let matrix: Matrix
    let pivot: Int
    let value: Double
    var testDescription: String { name }
  }

  /// Matrices whose first failing pivot is known in closed form.
  static let failures: [Failure] = [
    // [[1, 2], [2, 1]]: d₁ = 1 − 2² = −3.
    Failure(name: "2×2 indefinite", matrix: Matrix([[1, 2], [2, 1]]), pivot: 1, value: -3),
    Failure(name: "negative diagonal first", matrix: Matrix([[-1, 0], [0, 1]]), pivot: 0, value: -1),
    Failure(name: "zero matrix", matrix: Matrix(rows: 4, cols: 4), pivot: 0, value: 0),
    // Identical rows 0 and 1: l₁₀ = 4/2 = 2 and d₁ = 4 − 2·2 = 0 exactly.
    Failure(
      name: "duplicated point", matrix: Matrix([[4, 4, 1], [4, 4, 1], [1, 1, 3]]), pivot: 1, value: 0),
    {
      // SPD leading 300 × 300 block, then a variable with variance below what it explains:
      // d = a_kk − bᵀA⁻¹b with a_kk = bᵀA⁻¹b − 0.5 gives exactly −0.5 up to rounding.
      let n = 301
      var a = spd(n, seed: 40)
      for j in 0..<(n - 1) { a[n - 1, j] = 0; a[j, n - 1] = 0 }
      a[n - 1, 0] = 0.5
      a[0, n - 1] = 0.5
      // With only b₀ = 0.5 nonzero, bᵀA⁻¹b = 0.25·(A⁻¹)₀₀ — computed by a solve.
      let head = Matrix(
        rows: n - 1, cols: n - 1, elements: (0..<((n - 1) * (n - 1))).map { a[$0 / (n - 1), $0 % (n - 1)] })
      let unit = [1] + [Double](repeating: 0, count: n - 2)
      let inv00 = (try? Cholesky(head))?.solve(unit)[0] ?? .nan
      a[n - 1, n - 1] = 0.25 * inv00 - 0.5
      return Failure(name: "last pivot −0.5 (n = 301)", matrix: a, pivot: n - 1, value: -0.5)
    }(),
  ]

  @Test(arguments: failures)
  func indefiniteMatrixReportsTheFirstNonPositivePivot(_ f: Failure) {
    do {
      _ = try Cholesky(f.matrix)
      Issue.record("factorization of an indefinite matrix succeeded")
    } catch {
      #expect(error.pivot == f.pivot)
      expectClose(error.value, f.value, absolute: 1e-12)
      #expect(error.order == f.matrix.rows)
      #expect(error.description.contains("pivot \(f.pivot)"))
      #expect(error.suggestedNoise >= 0)
    }
  }

  @Test func nonFiniteEntriesFailInsteadOfPropagating() {
    var a = Self.spd(10, seed: 41)
    a[5, 3] = .nan
    a[3, 5] = .nan
    #expect(throws: CholeskyError.self) { try Cholesky(a) }
    var b = Self.spd(10, seed: 41)
    b[0, 0] = .infinity
    do {
      _ = try Cholesky(b)
      Issue.record("factorization with an infinite pivot succeeded")
    } catch {
      #expect(error.pivot == 0 && !error.value.isFinite)
    }
  }

  @Test func rankDeficientGramMatrixFailsOrIsFlaggedIllConditioned() {
    // Rank 10 of 60: exact singularity, blurred by rounding into tiny pivots of either sign.
    let a = TestData.psd(n: 60, rank: 10, seed: 42)
    do {
      let chol = try Cholesky(a)
      #expect(chol.conditionEstimate() > 1e10)
    } catch {
      #expect(error.pivot >= 10)
      #expect(abs(error.value) <= 1e-10 * error.largestDiagonal)
    }
  }

  @Test func emptyMatrixFactors() throws {
    let chol = try Cholesky(Matrix(rows: 0, cols: 0))
    #expect(chol.order == 0 && chol.logDeterminant == 0 && chol.conditionEstimate() == 1)
    #expect(chol.solve(Matrix(rows: 0, cols: 3)) == Matrix(rows: 0, cols: 3))
  }

  // MARK: - Solves

  @Test(arguments: [1, 2, 17, 64, 200, 513])
  func solvesReproduceAKnownSolution(_ n: Int) throws {
    let a = Self.spd(n, seed: UInt64(50 + n))
    let x = TestData.gaussianMatrix(rows: n, cols: 37, seed: UInt64(60 + n))
    let b = a * x
    let chol = try Cholesky(a)
    let solved = chol.solve(b)
    // κ(A) ≲ 5: the error is a small multiple of n·ε relative to ‖X‖.
    #expect(TestData.frobenius(solved - x) <= 20 * Double(n) * .ulpOfOne * TestData.frobenius(x))
    // One right-hand side.
    let single = chol.solve(b.column(3))
    for i in 0..<n { expectClose(single[i], x[i, 3], absolute: 20 * Double(n) * .ulpOfOne * 10) }
  }

  @Test(arguments: [5, 64, 65, 200])
  func substitutionsAreTheTextbookLoopsAndThreadIndependent(_ n: Int) throws {
    let chol = try Cholesky(Self.spd(n, seed: UInt64(70 + n)))
    let l = chol.lower
    let b = TestData.gaussianMatrix(rows: n, cols: 301, seed: UInt64(80 + n))
    // Forward substitution in the textbook order: x_i = (b_i − Σ_{p<i} l_ip x_p) / l_ii.
    var forward = b
    for j in 0..<b.cols {
      for i in 0..<n {
        var s = b[i, j]
        for p in 0..<i { s -= l[i, p] * forward[p, j] }
        forward[i, j] = s / l[i, i]
      }
    }
    let y1 = chol.solveLower(b, threads: 1)
    #expect(TestData.bitIdentical(y1, forward))
    #expect(TestData.bitIdentical(chol.solveLower(b, threads: 2), y1))
    // Backward: Lᵀ·X = B, checked against the residual and across thread counts.
    let x1 = chol.solveLowerTransposed(b, threads: 1)
    let residual = Matrix.product(l, x1, transposingFirst: true) - b
    #expect(TestData.frobenius(residual) <= 10 * Double(n) * .ulpOfOne * TestData.frobenius(b))
    #expect(TestData.bitIdentical(chol.solveLowerTransposed(b, threads: 2), x1))
    #expect(TestData.bitIdentical(chol.solve(b, threads: 3), chol.solve(b, threads: 1)))
  }

  // MARK: - Diagnostics

  @Test func logDeterminantAndConditionOfADiagonalMatrixAreExact() throws {
    let values = (0..<50).map { pow(10, -8 * Double($0) / 49) }
    let chol = try Cholesky(Matrix.diagonal(values))
    expectClose(chol.logDeterminant, values.reduce(0) { $0 + log($1) }, absolute: 1e-12)
    // κ₁ = κ₂ = 1e8 for a diagonal matrix; Hager's estimator is exact there.
    expectClose(chol.conditionEstimate(), 1e8, relative: 1e-10)
    expectClose(chol.diagonalConditionBound, 1e8, relative: 1e-10)
  }

  @Test func conditionEstimateBracketsTheTrueOneNormCondition() throws {
    let n = 80
    let a = TestData.withSpectrum((0..<n).map { pow(10, -6 * Double($0) / Double(n - 1)) }, seed: 90)
    let chol = try Cholesky(a)
    let inverse = chol.solve(Matrix.identity(n))
    func oneNorm(_ m: Matrix) -> Double {
      (0..<n).map { j in (0..<n).reduce(0) { $0 + abs(m[$1, j]) } }.max()!
    }
    let exact = oneNorm(a) * oneNorm(inverse)
    let estimate = chol.conditionEstimate()
    #expect(estimate <= exact * (1 + 1e-8))
    #expect(estimate >= exact / 3, "estimate \(estimate) vs exact \(exact)")
    #expect(chol.diagonalConditionBound <= 1e6 * (1 + 1e-6))
    // log det = Σ log λ.
    expectClose(
      chol.logDeterminant, (0..<n).reduce(0) { $0 + log(pow(10, -6 * Double($1) / Double(n - 1))) },
      absolute: 1e-8)
  }
}
