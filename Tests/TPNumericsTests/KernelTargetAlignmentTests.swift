import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct KernelTargetAlignmentTests {
  static let u: [Double] = [-1.5, 0.5, 2, 0, 1.25, -0.75]

  static func outer(_ a: [Double], _ b: [Double]) -> Matrix {
    Matrix(rows: a.count, cols: b.count, elements: a.flatMap { x in b.map { x * $0 } })
  }

  @Test func rankOneKernelIsPerfectlyAlignedWithItsVector() throws {
    let k = Self.outer(Self.u, Self.u)
    let a = try KernelTargetAlignment(kernel: k, target: Self.u)
    expectClose(a.value, 1, absolute: 1e-15)
    expectClose(
      try KernelTargetAlignment(kernel: k, target: Self.u.map { -3 * $0 }).value, 1, absolute: 1e-15)
    #expect(a.roundingError > 0 && a.roundingError < 1e-13)
  }

  /// For `K = uuᵀ`, `A = (uᵀy)² / (‖u‖² ‖y‖²) = cos² ∠(u, y)`; 0 for `y ⊥ u`.
  @Test func rankOneKernelGivesSquaredCosine() throws {
    let k = Self.outer(Self.u, Self.u)
    let y: [Double] = [0.3, -1, 0.2, 2, 0.5, 1]
    let uy = KernelScienceFixtures.dot(Self.u, y)
    let expected = uy * uy / (KernelScienceFixtures.dot(Self.u, Self.u) * KernelScienceFixtures.dot(y, y))
    expectClose(try KernelTargetAlignment(kernel: k, target: y).value, expected, relative: 1e-14)
    // y ⊥ u: project u out of y.
    let scale = uy / KernelScienceFixtures.dot(Self.u, Self.u)
    let orthogonal = zip(y, Self.u).map { $0 - scale * $1 }
    expectClose(try KernelTargetAlignment(kernel: k, target: orthogonal).value, 0, absolute: 1e-15)
  }

  @Test(arguments: [1, 2, 7, 100])
  func identityHasAlignmentOneOverRootM(_ m: Int) throws {
    let y = (0..<m).map { sin(Double($0) + 0.3) + 0.1 }
    expectClose(
      try KernelTargetAlignment(kernel: .identity(m), target: y).value, 1 / Double(m).squareRoot(),
      relative: 1e-14)
  }

  @Test func diagonalKernel() throws {
    let d: [Double] = [3, 0.5, 1, 2]
    let y: [Double] = [1, -2, 0.5, 1.5]
    let expected =
      zip(d, y).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
      / (d.reduce(0) { $0 + $1 * $1 }.squareRoot() * y.reduce(0) { $0 + $1 * $1 })
    expectClose(try KernelTargetAlignment(kernel: .diagonal(d), target: y).value, expected, relative: 1e-15)
  }

  /// A naive computation written out: `Σᵢⱼ yᵢ Kᵢⱼ yⱼ / (√(Σᵢⱼ Kᵢⱼ²) Σᵢ yᵢ²)`.
  @Test func matchesNaiveFormulaOnRandomPSDKernel() throws {
    let m = 40
    let k = TestData.psd(n: m, rank: 12, seed: 5)
    let y = GaussianFill.gaussians(count: m, seed: 6, stream: 0)
    var quadratic = 0.0
    var frobenius = 0.0
    for i in 0..<m {
      for j in 0..<m {
        quadratic += y[i] * k[i, j] * y[j]
        frobenius += k[i, j] * k[i, j]
      }
    }
    let expected = quadratic / (frobenius.squareRoot() * KernelScienceFixtures.dot(y, y))
    let a = try KernelTargetAlignment(kernel: k, target: y)
    expectClose(a.value, expected, relative: 1e-13)
    #expect(a.value >= 0 && a.value <= 1)
  }

  @Test func scaleInvarianceWithoutOverflow() throws {
    let k = TestData.psd(n: 10, rank: 3, seed: 7)
    let y = GaussianFill.gaussians(count: 10, seed: 8, stream: 0)
    let reference = try KernelTargetAlignment(kernel: k, target: y).value
    let huge = try KernelTargetAlignment(kernel: 1e300 * k, target: y.map { $0 * 1e200 }).value
    let tiny = try KernelTargetAlignment(kernel: 1e-300 * k, target: y.map { $0 * 1e-300 }).value
    expectClose(huge, reference, relative: 1e-14)
    expectClose(tiny, reference, relative: 1e-14)
  }

  /// `K = uuᵀ + c·11ᵀ` with centred `u`: centring removes `c·11ᵀ` exactly (`H1 = 0`,
  /// `Hu = u`), so the centred alignment with `y = u + const` is 1, while the uncentred one
  /// is reduced by the constant mode.
  @Test func centringRemovesTheConstantMode() throws {
    let mean = Self.u.reduce(0, +) / Double(Self.u.count)
    let centred = Self.u.map { $0 - mean }
    let ones = [Double](repeating: 1, count: Self.u.count)
    let k = Self.outer(centred, centred) + 5 * Self.outer(ones, ones)
    let y = centred.map { $0 + 2 }
    let a = try KernelTargetAlignment(kernel: k, target: y, centred: true)
    #expect(a.centred)
    expectClose(a.value, 1, absolute: 1e-14)
    #expect(try KernelTargetAlignment(kernel: k, target: y).value < 0.9)
    // A naive centred computation: K_c = HKH, y_c = Hy.
    let m = Self.u.count
    let h = Matrix.identity(m) - (1 / Double(m)) * Self.outer(ones, ones)
    let kc = h * k * h
    let w: [Double] = [0.2, 1, -0.5, 0.7, 0.1, -1]
    let wc = h.multiply(w)
    let expected =
      KernelScienceFixtures.dot(wc, kc.multiply(wc))
      / (TestData.frobenius(kc) * KernelScienceFixtures.dot(wc, wc))
    expectClose(
      try KernelTargetAlignment(kernel: k, target: w, centred: true).value, expected, relative: 1e-12)
  }

  /// Several outputs: `Σ_c y_cᵀKy_c / (‖K‖_F Σ_c ‖y_c‖²)`, with per-output values.
  @Test func multipleOutputsSumNumeratorsAndNorms() throws {
    let m = 12
    let k = TestData.psd(n: m, rank: 5, seed: 9)
    let y1 = GaussianFill.gaussians(count: m, seed: 10, stream: 0)
    let y2 = GaussianFill.gaussians(count: m, seed: 10, stream: 1).map { 3 * $0 }
    let targets = Matrix((0..<m).map { [y1[$0], y2[$0], 0] })
    let a = try KernelTargetAlignment(kernel: k, targets: targets)
    let f = TestData.frobenius(k)
    let q1 = KernelScienceFixtures.dot(y1, k.multiply(y1))
    let q2 = KernelScienceFixtures.dot(y2, k.multiply(y2))
    let n1 = KernelScienceFixtures.dot(y1, y1)
    let n2 = KernelScienceFixtures.dot(y2, y2)
    expectClose(a.value, (q1 + q2) / (f * (n1 + n2)), relative: 1e-13)
    #expect(a.outputs.count == 3)
    expectClose(a.outputs[0] ?? .nan, q1 / (f * n1), relative: 1e-13)
    expectClose(a.outputs[1] ?? .nan, q2 / (f * n2), relative: 1e-13)
    #expect(a.outputs[2] == nil)
  }

  @Test func invalidInputsThrowTypedErrors() {
    let k = TestData.psd(n: 4, rank: 2, seed: 1)
    #expect(throws: KernelAnalysisError.zeroKernel) {
      try KernelTargetAlignment(kernel: Matrix(rows: 3, cols: 3), target: [1, 2, 3])
    }
    #expect(throws: KernelAnalysisError.zeroTarget) {
      try KernelTargetAlignment(kernel: k, target: [0, 0, 0, 0])
    }
    #expect(throws: KernelAnalysisError.zeroTarget) {
      try KernelTargetAlignment(kernel: k, target: [2, 2, 2, 2], centred: true)
    }
    #expect(throws: KernelAnalysisError.zeroKernel) {
      try KernelTargetAlignment(
        kernel: Matrix(rows: 3, cols: 3, repeating: 4), target: [1, 2, 3], centred: true)
    }
    #expect(throws: KernelAnalysisError.emptyData(what: "kernel matrix")) {
      try KernelTargetAlignment(kernel: Matrix(rows: 0, cols: 0), target: [])
    }
    #expect(throws: KernelAnalysisError.notSquare(rows: 2, cols: 3)) {
      try KernelTargetAlignment(kernel: Matrix(rows: 2, cols: 3, repeating: 1), target: [1, 2])
    }
    #expect(
      throws: KernelAnalysisError.sizeMismatch(
        what: "targets (one row per kernel row)", expected: 4, actual: 3)
    ) {
      try KernelTargetAlignment(kernel: k, target: [1, 2, 3])
    }
    var nan = k
    nan[1, 2] = .nan
    #expect(throws: KernelAnalysisError.nonFinite(what: "kernel entry (1, 2)")) {
      try KernelTargetAlignment(kernel: nan, target: [1, 2, 3, 4])
    }
    #expect(throws: KernelAnalysisError.nonFinite(what: "target entry 2")) {
      try KernelTargetAlignment(kernel: k, target: [1, 2, .infinity, 4])
    }
    var asymmetric = k
    asymmetric[3, 0] += 1
    #expect(throws: KernelAnalysisError.self) {
      try KernelTargetAlignment(kernel: asymmetric, target: [1, 2, 3, 4])
    }
  }
}
