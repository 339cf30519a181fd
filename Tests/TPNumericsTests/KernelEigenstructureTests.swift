import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct KernelEigenstructureTests {
  /// `K = uuᵀ` on `M` points: one eigenvalue `‖u‖²/M` of `K/M`, the rest 0; the unit
  /// eigenvector is `±u/‖u‖` with the sign making the first nonzero entry positive; for
  /// `y = u`, `v₀ = ±‖u‖/√M` (the same sign) and all the power is in mode 0.
  @Test func rankOneKernel() throws {
    let u: [Double] = [0, -2, 1, 0.5, 3, -1]  // first nonzero entry negative: flipped
    let m = u.count
    let k = Matrix(rows: m, cols: m, elements: u.flatMap { a in u.map { a * $0 } })
    let e = try KernelEigenstructure(kernel: k)
    let norm2 = KernelScienceFixtures.dot(u, u)
    expectClose(e.eigenvalues[0], norm2 / Double(m), relative: 1e-14)
    for i in 1..<m { expectClose(e.eigenvalues[i], 0, absolute: 1e-14 * norm2) }
    let unit = u.map { -$0 / norm2.squareRoot() }
    for r in 0..<m { expectClose(e.eigenvectors[r, 0], unit[r], absolute: 1e-14) }
    let d = try e.decompose(u)
    expectClose(d.coefficients[0], -(norm2 / Double(m)).squareRoot(), relative: 1e-14)
    expectClose(d.power, norm2 / Double(m), relative: 1e-15)
    expectClose(d.cumulativePower[0], 1, absolute: 1e-14)
    expectClose(e.trace, norm2 / Double(m), relative: 1e-15)
  }

  @Test func identityKernelHasFlatSpectrum() throws {
    let m = 9
    let e = try KernelEigenstructure(kernel: .identity(m))
    for lambda in e.eigenvalues { expectClose(lambda, 1 / Double(m), relative: 1e-14) }
    // Any target: Σ vᵢ² = ‖y‖²/M over all modes.
    let y = (0..<m).map { Double($0) - 3.5 }
    let d = try e.decompose(y)
    expectClose(
      d.coefficients.reduce(0) { $0 + $1 * $1 }, KernelScienceFixtures.dot(y, y) / Double(m), relative: 1e-14)
    expectClose(d.capturedFraction, 1, absolute: 1e-14)
  }

  /// `K = diag(d)` with distinct entries: eigenvalues `d/M` sorted decreasingly, eigenvectors
  /// the unit vectors `e_π(i)` (positive: the only nonzero entry decides), `vᵢ = y_π(i)/√M`.
  @Test func diagonalKernel() throws {
    let d: [Double] = [0.5, 4, 1, 2.5, 0]
    let y: [Double] = [1, -2, 3, 0.5, 7]
    let m = d.count
    let e = try KernelEigenstructure(kernel: .diagonal(d))
    let order = d.indices.sorted { d[$0] > d[$1] }
    let v = try e.targetCoefficients(y)
    for (i, source) in order.enumerated() {
      expectClose(e.eigenvalues[i], d[source] / Double(m), absolute: 1e-16)
      for r in 0..<m { expectClose(e.eigenvectors[r, i], r == source ? 1 : 0, absolute: 1e-15) }
      expectClose(v[i], y[source] / Double(m).squareRoot(), absolute: 1e-15)
    }
    // Cumulative power curve of the target in that order.
    let power = KernelScienceFixtures.dot(y, y) / Double(m)
    var running = 0.0
    let curve = try e.decompose(y).cumulativePower
    for (i, source) in order.enumerated() {
      running += y[source] * y[source] / Double(m)
      expectClose(curve[i], running / power, relative: 1e-14)
    }
  }

  @Test func topTruncation() throws {
    let d: [Double] = [5, 1, 3, 2, 4]
    let e = try KernelEigenstructure(kernel: .diagonal(d), top: 2)
    #expect(e.modeCount == 2 && e.eigenvectors.cols == 2)
    expectClose(e.eigenvalues[0], 1, absolute: 1e-16)
    expectClose(e.eigenvalues[1], 0.8, absolute: 1e-16)
    expectClose(e.trace, 3, absolute: 1e-15)
    let y: [Double] = [1, 1, 1, 1, 1]
    // Power 1, top two modes hold 2/5 of it.
    expectClose(try e.decompose(y).capturedFraction, 0.4, absolute: 1e-15)
    #expect(try KernelEigenstructure(kernel: .diagonal(d), top: 50).modeCount == 5)
    #expect(throws: KernelAnalysisError.self) { try KernelEigenstructure(kernel: .diagonal(d), top: 0) }
  }

  /// On a random PSD kernel: `K uᵢ = M λᵢ uᵢ`, orthonormal eigenfunctions in `L²(μ)`,
  /// decreasing eigenvalues, the sign convention, and Parseval `Σ vᵢ² = ‖y‖²/M`.
  @Test(arguments: [6, 40, 90])
  func randomKernelInvariants(_ m: Int) throws {
    let k = TestData.psd(n: m, rank: m / 2 + 1, seed: UInt64(m))
    let e = try KernelEigenstructure(kernel: k)
    let scale = e.eigenvalues[0] * Double(m)
    for i in 0..<m {
      if i > 0 { #expect(e.eigenvalues[i] <= e.eigenvalues[i - 1]) }
      let u = e.eigenvectors.column(i)
      let ku = k.multiply(u)
      for r in 0..<m { expectClose(ku[r], Double(m) * e.eigenvalues[i] * u[r], absolute: 1e-12 * scale) }
      let first = u.first { abs($0) > 1e-9 * u.map(abs).max()! }!
      #expect(first > 0)
    }
    for i in 0..<m {
      for j in 0...i {
        let inner = KernelScienceFixtures.dot(e.eigenfunction(i), e.eigenfunction(j)) / Double(m)
        expectClose(inner, i == j ? 1 : 0, absolute: 1e-12)
      }
    }
    let y = GaussianFill.gaussians(count: m, seed: 99, stream: 0)
    let d = try e.decompose(y)
    expectClose(
      d.coefficients.reduce(0) { $0 + $1 * $1 }, KernelScienceFixtures.dot(y, y) / Double(m), relative: 1e-12)
    expectClose(d.capturedFraction, 1, absolute: 1e-12)
    // Reconstruction y = Σ vᵢ φᵢ.
    for r in 0..<m {
      let value = (0..<m).reduce(0.0) { $0 + d.coefficients[$1] * e.eigenfunction($1)[r] }
      expectClose(value, y[r], absolute: 1e-11)
    }
  }

  @Test func multipleOutputsDecomposeColumnByColumn() throws {
    let k = TestData.psd(n: 8, rank: 8, seed: 3)
    let e = try KernelEigenstructure(kernel: k)
    let a = GaussianFill.gaussians(count: 8, seed: 4, stream: 0)
    let b = GaussianFill.gaussians(count: 8, seed: 4, stream: 1)
    let parts = try e.decompose(targets: Matrix((0..<8).map { [a[$0], b[$0]] }))
    #expect(parts.count == 2)
    #expect(parts[0] == (try e.decompose(a)))
    #expect(parts[1] == (try e.decompose(b)))
  }

  @Test func zeroTargetHasZeroCurve() throws {
    let d = try KernelEigenstructure(kernel: .identity(3)).decompose([0, 0, 0])
    #expect(d.power == 0 && d.cumulativePower == [0, 0, 0])
  }

  @Test func invalidInputsThrow() {
    #expect(throws: KernelAnalysisError.emptyData(what: "kernel matrix")) {
      try KernelEigenstructure(kernel: Matrix(rows: 0, cols: 0))
    }
    var k = Matrix.identity(3)
    k[0, 0] = .nan
    #expect(throws: KernelAnalysisError.nonFinite(what: "kernel entry (0, 0)")) {
      try KernelEigenstructure(kernel: k)
    }
    #expect(
      throws: KernelAnalysisError.sizeMismatch(
        what: "target (one value per data point)", expected: 3, actual: 2)
    ) {
      try KernelEigenstructure(kernel: .identity(3)).decompose([1, 2])
    }
  }
}
