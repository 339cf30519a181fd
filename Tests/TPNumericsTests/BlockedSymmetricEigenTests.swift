import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

/// The large-`n` eigensolver: residual and orthogonality bounds `c·n·ε` on structured and
/// random matrices, known spectra, agreement with the small-`n` path, thread independence.
@Suite struct BlockedSymmetricEigenTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let matrix: Matrix
    /// The exact spectrum (ascending) when known.
    var spectrum: [Double]? = nil
    var testDescription: String { name }
  }

  static func randomSymmetric(_ n: Int, seed: UInt64) -> Matrix {
    let b = TestData.gaussianMatrix(rows: n, cols: n, seed: seed)
    return 0.5 * (b + b.transposed)
  }

  static func known(_ name: String, _ lambda: [Double], seed: UInt64) -> Case {
    Case(name: name, matrix: TestData.withSpectrum(lambda, seed: seed), spectrum: lambda.sorted())
  }

  /// `tridiag(−1, 2, −1)`: eigenvalues `2 − 2cos(kπ/(n+1))`.
  static func laplacian(_ n: Int) -> Case {
    var t = Matrix(rows: n, cols: n)
    for i in 0..<n {
      t[i, i] = 2
      if i + 1 < n {
        t[i, i + 1] = -1
        t[i + 1, i] = -1
      }
    }
    let lambda = (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
    return Case(name: "tridiag(−1, 2, −1) \(n)", matrix: t, spectrum: lambda)
  }

  /// Ten Wilkinson matrices W₂₁⁺ glued by 1e-12 off-diagonals: pairs of eigenvalues that
  /// agree to ~1e-14 and clusters across the copies — the hard case for deflation.
  static func gluedWilkinson() -> Matrix {
    let copies = 10
    let size = 21
    let n = copies * size
    var t = Matrix(rows: n, cols: n)
    for c in 0..<copies {
      for i in 0..<size {
        let g = c * size + i
        t[g, g] = abs(Double(i - 10))
        if i + 1 < size {
          t[g, g + 1] = 1
          t[g + 1, g] = 1
        }
      }
      if c + 1 < copies {
        let g = c * size + size - 1
        t[g, g + 1] = 1e-12
        t[g + 1, g] = 1e-12
      }
    }
    return t
  }

  /// `exp(−(xᵢ − xⱼ)²/2)` for 400 points spread over [−3, 3]: the Gram matrix of a smooth
  /// kernel, PSD with eigenvalues falling geometrically to ~1e-16·‖K‖ (most of them are
  /// rounding noise of either sign) — what NNGP/NTK Gram matrices of many inputs look like.
  static func rbfGram(_ n: Int) -> Matrix {
    let x = (0..<n).map { -3 + 6 * Double($0) / Double(n - 1) + 0.01 * sin(Double($0)) }
    var k = Matrix(rows: n, cols: n)
    for i in 0..<n {
      for j in 0..<n {
        let d = x[i] - x[j]
        k[i, j] = exp(-0.5 * d * d)
      }
    }
    return k
  }

  static let cases: [Case] =
    [1, 2, 3, 17, 64, 200, 513].map {
      Case(name: "random symmetric \($0)", matrix: randomSymmetric($0, seed: UInt64($0)))
    }
    + [
      Case(name: "low-rank PSD 25 of 200", matrix: TestData.psd(n: 200, rank: 25, seed: 3)),
      known(
        "repeated eigenvalues 200",
        [Double](repeating: 3, count: 50) + [Double](repeating: -1, count: 50)
          + [Double](repeating: 0, count: 60) + [Double](repeating: 7, count: 40), seed: 4),
      known("graded 1 … 1e-14, 200", (0..<200).map { pow(10, -14 * Double($0) / 199) }, seed: 5),
      known("PSD with zeros 150", (0..<150).map { $0 < 50 ? 0 : Double($0) }, seed: 6),
      Case(
        name: "diagonal unsorted 100",
        matrix: Matrix.diagonal((0..<100).map { Double(($0 * 37) % 100) - 50 }),
        spectrum: (0..<100).map { Double($0) - 50 }),
      Case(name: "zero 64", matrix: Matrix(rows: 64, cols: 64), spectrum: [Double](repeating: 0, count: 64)),
      Case(name: "identity 100", matrix: Matrix.identity(100), spectrum: [Double](repeating: 1, count: 100)),
      laplacian(300),
      Case(name: "glued Wilkinson 10 × W21", matrix: gluedWilkinson()),
      Case(name: "RBF kernel Gram matrix of 400 points (spectrum decays to rounding)", matrix: rbfGram(400)),
      known("huge scale 1e200", (0..<70).map { 1e200 * Double($0 - 35) }, seed: 7),
      known("tiny scale 1e-200", (0..<70).map { 1e-200 * Double($0 - 35) }, seed: 8),
    ]

  @Test(arguments: cases)
  func residualAndOrthogonalityAreOfOrderNEpsilon(_ c: Case) {
    let a = c.matrix
    let n = a.rows
    let eigen = SymmetricEigen(a, blocked: true, threads: 2)
    let v = eigen.vectors
    #expect(eigen.values.count == n && v.rows == n && v.cols == n)
    #expect(zip(eigen.values, eigen.values.dropFirst()).allSatisfy { $0 <= $1 }, "ascending")
    let bound = Double(max(n, 1)) * .ulpOfOne
    let normA = TestData.frobenius(a)
    // ‖A·V − V·Λ‖_F ≤ c·n·ε·‖A‖_F, computed column by column.
    var residual = 0.0
    let av = a * v
    for i in 0..<n {
      for j in 0..<n {
        let r = av[i, j] - v[i, j] * eigen.values[j]
        residual += r * r
      }
    }
    #expect(
      residual.squareRoot() <= 2 * bound * normA,
      "‖AV − VΛ‖_F/‖A‖_F = \(residual.squareRoot() / normA) (n·ε = \(bound))")
    let gram = Matrix.product(v, v, transposingFirst: true)
    let orthogonality = TestData.frobenius(gram - Matrix.identity(n))
    #expect(orthogonality <= 2 * bound, "‖VᵀV − I‖_F = \(orthogonality)")
    if let spectrum = c.spectrum {
      let scale = spectrum.reduce(0) { max($0, abs($1)) }
      for (got, want) in zip(eigen.values, spectrum) { expectClose(got, want, absolute: 2 * bound * scale) }
    }
    // Eigenvalues alone agree with the full decomposition.
    let values = SymmetricEigen.eigenvalues(of: a, threads: 2)
    let spread = eigen.values.reduce(0) { max($0, abs($1)) }
    for (x, y) in zip(values, eigen.values) { expectClose(x, y, absolute: 2 * bound * spread) }
  }

  @Test(arguments: [1, 2, 3, 5, 17, 33, 64])
  func agreesWithTheSmallMatrixPath(_ n: Int) {
    let a = Self.randomSymmetric(n, seed: UInt64(100 + n))
    let blocked = SymmetricEigen(a, blocked: true, threads: 1)
    let small = SymmetricEigen(a, blocked: false, threads: 1)
    let scale = small.values.reduce(0) { max($0, abs($1)) }
    for (x, y) in zip(blocked.values, small.values) {
      expectClose(x, y, absolute: 4 * Double(n) * .ulpOfOne * scale)
    }
  }

  @Test func resultsAreBitIdenticalForOneAndTwoThreads() {
    for a in [
      Self.randomSymmetric(513, seed: 9), TestData.psd(n: 400, rank: 40, seed: 10), Self.gluedWilkinson(),
    ] {
      let one = SymmetricEigen(a, blocked: true, threads: 1)
      let two = SymmetricEigen(a, blocked: true, threads: 2)
      #expect(one.values.map(\.bitPattern) == two.values.map(\.bitPattern))
      #expect(TestData.bitIdentical(one.vectors, two.vectors))
      let v1 = SymmetricEigen.eigenvalues(of: a, threads: 1)
      let v2 = SymmetricEigen.eigenvalues(of: a, threads: 2)
      #expect(v1.map(\.bitPattern) == v2.map(\.bitPattern))
    }
  }

  @Test func nonFiniteInputGivesNaNs() {
    var a = Self.randomSymmetric(50, seed: 11)
    a[3, 4] = .infinity
    let eigen = SymmetricEigen(a, blocked: true, threads: 1)
    #expect(eigen.values.allSatisfy { $0.isNaN })
    #expect(SymmetricEigen.eigenvalues(of: a).allSatisfy { $0.isNaN })
  }

  @Test func publicInitializerUsesTheBlockedPathAboveTheSmallOrder() {
    let a = Self.randomSymmetric(SymmetricEigen.smallOrder + 1, seed: 12)
    let viaPublic = SymmetricEigen(a)
    let blocked = SymmetricEigen(a, blocked: true, threads: 2)
    #expect(viaPublic.values.map(\.bitPattern) == blocked.values.map(\.bitPattern))
  }
}

/// The stages on their own.
@Suite struct EigenStageTests {
  @Test(arguments: [5, 100, 300])
  func tridiagonalReductionIsAnOrthogonalSimilarity(_ n: Int) {
    // n = 300 runs blocked panels (crossover 128), smaller n the unblocked reduction.
    let a = BlockedSymmetricEigenTests.randomSymmetric(n, seed: UInt64(200 + n))
    var work = a.elements
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    var tau = [Double](repeating: 0, count: n)
    var q = Matrix.identity(n).elements
    work.withUnsafeMutableBufferPointer { pa in
      d.withUnsafeMutableBufferPointer { pd in
        e.withUnsafeMutableBufferPointer { pe in
          tau.withUnsafeMutableBufferPointer { pt in
            q.withUnsafeMutableBufferPointer { pq in
              TridiagonalReduction.reduce(
                pa.baseAddress!, n: n, lda: n, d: pd.baseAddress!, e: pe.baseAddress!, tau: pt.baseAddress!,
                threads: 2)
              BlockedSymmetricEigen.applyReflectors(
                n: n, pa.baseAddress!, tau: pt.baseAddress!, to: pq.baseAddress!, columns: n, threads: 2)
            }
          }
        }
      }
    }
    // q is column-major Q, i.e. row-major Qᵀ.
    let qt = Matrix(rows: n, cols: n, elements: q)
    let t = qt * a * qt.transposed
    var tridiagonal = Matrix(rows: n, cols: n)
    for i in 0..<n {
      tridiagonal[i, i] = d[i]
      if i + 1 < n {
        tridiagonal[i + 1, i] = e[i]
        tridiagonal[i, i + 1] = e[i]
      }
    }
    let bound = 2 * Double(n) * .ulpOfOne
    #expect(TestData.frobenius(t - tridiagonal) <= bound * TestData.frobenius(a))
    #expect(TestData.frobenius(qt * qt.transposed - Matrix.identity(n)) <= bound)
  }

  @Test func divideAndConquerOnTheLaplacianGivesTheSineBasis() {
    let n = 300
    var d = [Double](repeating: 2, count: n)
    var e = [Double](repeating: -1, count: n)
    var q = [Double](repeating: .nan, count: n * n)
    d.withUnsafeMutableBufferPointer { pd in
      e.withUnsafeMutableBufferPointer { pe in
        q.withUnsafeMutableBufferPointer { pq in
          TridiagonalDivideConquer.solve(
            n: n, d: pd.baseAddress!, e: pe.baseAddress!, q: pq.baseAddress!, ldq: n, threads: 2)
        }
      }
    }
    // λ_k = 2 − 2cos(kπ/(n+1)), v_k(i) = ±√(2/(n+1))·sin(ikπ/(n+1)) (distinct eigenvalues:
    // the vectors are determined up to sign).
    let h = Double.pi / Double(n + 1)
    for k in 1...n {
      expectClose(d[k - 1], 2 - 2 * cos(Double(k) * h), absolute: 4 * Double(n) * .ulpOfOne)
      let column = (0..<n).map { q[$0 + (k - 1) * n] }
      let sign: Double = column[0] * sin(Double(k) * h) >= 0 ? 1 : -1
      var error = 0.0
      let amplitude = (2 / Double(n + 1)).squareRoot()
      for i in 0..<n {
        let exact: Double = amplitude * sin(Double((i + 1) * k) * h)
        error = max(error, abs(sign * column[i] - exact))
      }
      // The eigenvalue gap is ~π²/n², so the vector error is ~ε·n²: allow 1e-10.
      #expect(error <= 1e-10, "vector \(k): \(error)")
    }
  }

  struct SecularCase: Sendable, CustomTestStringConvertible {
    let name: String
    let poles: [Double]
    let weights: [Double]
    let rho: Double
    var testDescription: String { name }
  }

  static let secularCases: [SecularCase] = {
    let randomPoles: [Double] = (0..<200).map { i in Double(i) / 100 + 0.001 * sin(Double(i)) }
    let closePoles: [Double] = (0..<60).map { i -> Double in
      let stretch: Double = i % 2 == 0 ? 1 : 1 + 1e-9
      return Double(i) * stretch / 10
    }
    let tinyWeights: [Double] = (0..<60).map { i in i % 3 == 0 ? 1e-7 : 0.1 }
    let evenPoles: [Double] = (0..<40).map { Double($0) }
    return [
      SecularCase(name: "one pole", poles: [0.5], weights: [1], rho: 2),
      SecularCase(name: "two poles", poles: [-1, 1], weights: [0.6, 0.8], rho: 0.3),
      SecularCase(
        name: "random 200", poles: randomPoles,
        weights: GaussianFill.gaussians(count: 200, seed: 1, stream: 0),
        rho: 1.7),
      SecularCase(name: "tiny weights and close poles", poles: closePoles, weights: tinyWeights, rho: 5),
      SecularCase(
        name: "large rho", poles: evenPoles, weights: [Double](repeating: 0.15, count: 40), rho: 1e6),
    ]
  }()

  @Test(arguments: secularCases)
  func secularRootsInterlaceAndAreEigenvaluesOfTheRankOneUpdate(_ c: SecularCase) {
    let k = c.poles.count
    let norm = c.weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let z = c.weights.map { $0 / norm }
    var roots = [Double](repeating: 0, count: k)
    var delta = [Double](repeating: 0, count: k)
    c.poles.withUnsafeBufferPointer { pd in
      z.withUnsafeBufferPointer { pz in
        delta.withUnsafeMutableBufferPointer { pdelta in
          for i in 0..<k {
            roots[i] = SecularEquation.root(
              i, count: k, d: pd.baseAddress!, z: pz.baseAddress!, rho: c.rho, delta: pdelta.baseAddress!)
            // delta[j] = d_j − λ_i, accurate even when λ_i rounds to a pole.
            for j in 0..<k {
              expectClose(
                pdelta[j], c.poles[j] - roots[i], absolute: 4 * .ulpOfOne * (abs(roots[i]) + abs(c.poles[j])))
            }
            #expect(pdelta[i] < 0 && (i == k - 1 || pdelta[i + 1] > 0), "root \(i) outside its interval")
          }
        }
      }
    }
    // Reference: the eigenvalues of diag(d) + ρ·z·zᵀ by the dense small-matrix solver.
    var dense = Matrix.diagonal(c.poles)
    for i in 0..<k { for j in 0..<k { dense[i, j] += c.rho * z[i] * z[j] } }
    let reference = SymmetricEigen(dense, blocked: false, threads: 1).values
    let scale = reference.reduce(0) { max($0, abs($1)) }
    for i in 0..<k { expectClose(roots[i], reference[i], absolute: 8 * Double(k) * .ulpOfOne * scale) }
  }
}
