import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct DotProductKernelFitTests {
  /// A polynomial kernel is recovered exactly, at its own degree and above.
  @Test(arguments: [false, true])
  func polynomialKernelIsExact(_ nonnegative: Bool) throws {
    let b: [Double] = [0.5, 0.2, 0, 0.3]
    let kernel: (Double) -> Double = { rho in b.reversed().reduce(0) { $0 * rho + $1 } }
    for degree in [3, 6] {
      let fit = try DotProductKernelFit(kernel: kernel, degree: degree, nonnegative: nonnegative)
      for k in 0...degree { expectClose(fit.coefficients[k], k < b.count ? b[k] : 0, absolute: 1e-12) }
      #expect(fit.relativeResidual < 1e-14)
      if nonnegative { #expect(fit.coefficients.allSatisfy { $0 >= 0 }) }
    }
    expectClose(try DotProductKernelFit(kernel: kernel, degree: 3).scale, 1, absolute: 1e-15)
    #expect(try DotProductKernelFit.lowestDegree(kernel: kernel, tolerance: 1e-10).degree == 3)
  }

  /// Williams' erf kernel `(2/π) arcsin(2ρ/3)`, analytic for `|ρ| < 3/2`: its Taylor
  /// coefficients `(2/π) (2j)!/(4ʲ (j!)² (2j+1)) (2/3)^{2j+1}` are recovered at low order.
  @Test func williamsKernelCoefficients() throws {
    let fit = try DotProductKernelFit(kernel: { 2 / Double.pi * asin(2 * $0 / 3) }, degree: 40)
    #expect(fit.relativeResidual < 1e-14)
    for j in 0...3 {
      let k = 2 * j + 1
      let exact =
        2 / Double.pi
        * exp(
          KernelScienceFixtures.logFactorial(2 * j) - Double(j) * log(4.0) - 2
            * KernelScienceFixtures.logFactorial(j))
        / Double(2 * j + 1) * pow(2.0 / 3, Double(k))
      expectClose(fit.coefficients[k], exact, absolute: 1e-8, "b_\(k)")
      expectClose(fit.coefficients[k - 1], 0, absolute: 1e-8)
      #expect(fit.errors[k] < 1e-7)
    }
  }

  /// The ReLU NNGP (arc-cosine) kernel is not analytic at ρ = ±1: its fit converges only
  /// algebraically, which the residual reports; the low coefficients are still `aₖ²` of relu.
  @Test func arcCosineKernelFitReportsItsResidual() throws {
    let kernel: (Double) -> Double = { KernelScienceFixtures.arcCosine1($0) / 2 }
    let fit = try DotProductKernelFit(kernel: kernel, degree: 30, nonnegative: true)
    #expect(fit.relativeResidual > 1e-6 && fit.relativeResidual < 1e-3)
    for k in 0...2 {
      let a = KernelScienceFixtures.reluCoefficient(k)
      expectClose(fit.coefficients[k], a * a, absolute: 2e-3)
    }
    #expect(throws: KernelAnalysisError.self) {
      try DotProductKernelFit.lowestDegree(kernel: kernel, tolerance: 1e-9, maxDegree: 20, nonnegative: true)
    }
  }

  /// Caller-supplied points: residual measured there; too few points or points outside
  /// [−1, 1] throw, as does a non-finite kernel.
  @Test func pointsAndErrors() throws {
    let points: [Double] = [-0.5, 0, 0.25, 0.5, 1]
    let fit = try DotProductKernelFit(kernel: { exp($0) }, degree: 4, points: points)
    for p in points { expectClose(fit.value(p), exp(p), absolute: 1e-13) }
    #expect(throws: KernelAnalysisError.self) {
      try DotProductKernelFit(kernel: { $0 }, degree: 5, points: points)
    }
    #expect(throws: KernelAnalysisError.self) {
      try DotProductKernelFit(kernel: { $0 }, degree: 1, points: [0, 2])
    }
    #expect(throws: KernelAnalysisError.self) { try DotProductKernelFit(kernel: { log($0) }, degree: 2) }
    #expect(throws: KernelAnalysisError.self) { try DotProductKernelFit(kernel: { $0 }, degree: -1) }
    #expect(throws: KernelAnalysisError.self) { try DotProductKernelFit(kernel: { $0 }, degree: 10_000) }
    #expect(throws: KernelAnalysisError.self) {
      try DotProductKernelFit.lowestDegree(kernel: { $0 }, tolerance: 0)
    }
  }
}

@Suite struct LeastSquaresTests {
  /// QR least squares against the normal equations solved by elimination in the test, on a
  /// well-conditioned problem.
  @Test func qrMatchesNormalEquations() {
    let m = 12
    let columns: [[Double]] = (0..<4).map { j in
      (0..<m).map { i -> Double in
        let shift: Double = i == j ? 1 : 0
        return cos(0.3 * Double(i * (j + 1))) + shift
      }
    }
    let b = (0..<m).map { sin(Double($0)) }
    let x = LeastSquares.solve(columns: columns, b)
    var gram = Matrix(rows: 4, cols: 4)
    var rhs = [Double](repeating: 0, count: 4)
    for j in 0..<4 {
      rhs[j] = KernelScienceFixtures.dot(columns[j], b)
      for k in 0..<4 { gram[j, k] = KernelScienceFixtures.dot(columns[j], columns[k]) }
    }
    let expected = KernelScienceFixtures.solve(gram, rhs)
    for j in 0..<4 { expectClose(x[j], expected[j], absolute: 1e-12) }
  }

  /// A repeated column (rank deficiency) gets coefficient 0 instead of NaN.
  @Test func rankDeficientColumnsAreDropped() {
    let c: [Double] = [1, 2, 3]
    let x = LeastSquares.solve(columns: [c, c], [2, 4, 6])
    #expect(x.allSatisfy { $0.isFinite })
    expectClose(x[0] + x[1], 2, absolute: 1e-14)
    #expect(LeastSquares.solve(columns: [[0, 0]], [1, 1]) == [0])
  }

  /// NNLS against brute force: the best non-negative solution over every subset of free
  /// variables (normal equations per subset), for small random problems.
  @Test(arguments: [1, 2, 3, 4, 5])
  func nnlsMatchesBruteForce(_ seed: UInt64) {
    let (m, p) = (10, 4)
    let g = GaussianFill.gaussians(count: m * p + m, seed: seed, stream: 0)
    let columns = (0..<p).map { j in Array(g[(j * m)..<((j + 1) * m)]) }
    let b = Array(g[(m * p)...])
    func residual(_ x: [Double]) -> Double {
      (0..<m).reduce(0.0) { s, i in
        let r = b[i] - (0..<p).reduce(0.0) { $0 + columns[$1][i] * x[$1] }
        return s + r * r
      }
    }
    var best = residual([Double](repeating: 0, count: p))
    for mask in 1..<(1 << p) {
      let free = (0..<p).filter { mask & (1 << $0) != 0 }
      var gram = Matrix(rows: free.count, cols: free.count)
      var rhs = [Double](repeating: 0, count: free.count)
      for (a, j) in free.enumerated() {
        rhs[a] = KernelScienceFixtures.dot(columns[j], b)
        for (c, k) in free.enumerated() { gram[a, c] = KernelScienceFixtures.dot(columns[j], columns[k]) }
      }
      let z = KernelScienceFixtures.solve(gram, rhs)
      guard z.allSatisfy({ $0 >= 0 }) else { continue }
      var x = [Double](repeating: 0, count: p)
      for (a, j) in free.enumerated() { x[j] = z[a] }
      best = min(best, residual(x))
    }
    let x = NonnegativeLeastSquares.solve(columns: columns, b)
    #expect(x.allSatisfy { $0 >= 0 })
    expectClose(residual(x), best, relative: 1e-12)
  }
}
