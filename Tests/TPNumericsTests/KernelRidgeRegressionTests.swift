import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct KernelRidgeRegressionTests {
  static let points = KernelScienceFixtures.spherePoints(count: 30, dimension: 3, seed: 5)
  static let kernel = KernelScienceFixtures.gram(points) {
    KernelScienceFixtures.reluNTK($0, hiddenLayers: 2)
  }
  static let target = points.map { $0[0] - 0.5 * $0[1] * $0[2] }

  /// `f̂ = K(·, X)(K(X, X) + δI)⁻¹ y` against Gaussian elimination written in the test.
  @Test func predictionsMatchAnIndependentSolve() throws {
    let training = [3, 17, 0, 25, 9, 11]
    let labels = training.map { Self.target[$0] + 0.01 }
    let delta = 0.05
    var system = Matrix(rows: training.count, cols: training.count)
    for (a, i) in training.enumerated() {
      for (b, j) in training.enumerated() { system[a, b] = Self.kernel[i, j] + (a == b ? delta : 0) }
    }
    let alpha = KernelScienceFixtures.solve(system, labels)
    let f = try KernelRidgeRegression.predictions(
      kernel: Self.kernel, training: training, labels: labels, ridge: delta)
    for x in 0..<Self.points.count {
      let expected = training.enumerated().reduce(0.0) { $0 + Self.kernel[x, $1.1] * alpha[$1.0] }
      expectClose(f[x], expected, absolute: 1e-12)
    }
  }

  /// With every point in the training set and `δ = 0`, KRR interpolates: test and train MSE 0.
  @Test func fullPopulationInterpolates() throws {
    let m = Self.points.count
    let result = try KernelRidgeRegression.experiment(
      kernel: Self.kernel, target: Self.target, samples: m, ridge: 0, draws: 3, seed: 1)
    #expect(result.testMSE < 1e-20 && result.trainMSE < 1e-20)
  }

  /// The identity kernel: `f̂ = y/(1 + δ)` on the training points and 0 elsewhere, so
  /// `E[test MSE] = (1/M) Σ y² ((n/M)(δ/(1+δ))² + 1 − n/M)` over uniform draws.
  @Test func identityKernelAverageMatchesExpectation() throws {
    let m = 40
    let y = (0..<m).map { sin(Double($0)) + 0.2 }
    let (n, delta) = (10, 0.5)
    let result = try KernelRidgeRegression.experiment(
      kernel: .identity(m), target: y, samples: n, ridge: delta, draws: 400, seed: 3)
    let fraction = Double(n) / Double(m)
    let shrink = delta / (1 + delta)
    let expected = KernelScienceFixtures.dot(y, y) / Double(m) * (fraction * shrink * shrink + 1 - fraction)
    expectWithinStandardErrors(result.testMSE, standardError: result.testMSEStandardError, of: expected, k: 4)
    #expect(result.draws == 400 && result.samples == n)
  }

  @Test func drawsAreDistinctReproducibleAndSeeded() throws {
    var a = RandomStream(seed: 42, stream: 3)
    var b = RandomStream(seed: 42, stream: 3)
    let first = KernelRidgeRegression.sampleWithoutReplacement(20, from: 25, &a)
    #expect(first == KernelRidgeRegression.sampleWithoutReplacement(20, from: 25, &b))
    #expect(Set(first).count == 20 && first.allSatisfy { $0 >= 0 && $0 < 25 })
    var c = RandomStream(seed: 43, stream: 3)
    #expect(first != KernelRidgeRegression.sampleWithoutReplacement(20, from: 25, &c))
    let one = try KernelRidgeRegression.experiment(
      kernel: Self.kernel, target: Self.target, samples: 5, ridge: 1e-3, draws: 4, seed: 9)
    let two = try KernelRidgeRegression.experiment(
      kernel: Self.kernel, target: Self.target, samples: 5, ridge: 1e-3, draws: 4, seed: 9)
    #expect(one == two)
  }

  /// Lemire's bounded integers are uniform: counts over 0..<7 within 5 standard deviations.
  @Test func boundedIntegersAreUniform() {
    var stream = RandomStream(seed: 7, stream: 0)
    var counts = [Int](repeating: 0, count: 7)
    let draws = 70_000
    for _ in 0..<draws { counts[KernelRidgeRegression.boundedInteger(7, &stream)] += 1 }
    let expected = Double(draws) / 7
    let sd = (expected * 6 / 7).squareRoot()
    for c in counts { #expect(abs(Double(c) - expected) < 5 * sd) }
  }

  @Test func invalidInputsThrow() {
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.experiment(kernel: Self.kernel, target: Self.target, samples: 31, ridge: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.experiment(kernel: Self.kernel, target: Self.target, samples: 0, ridge: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.experiment(
        kernel: Self.kernel, target: Self.target, samples: 3, ridge: 0, draws: 1)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.experiment(kernel: Self.kernel, target: [1, 2], samples: 1, ridge: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.predictions(
        kernel: Self.kernel, training: [0, 40], labels: [1, 2], ridge: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.predictions(
        kernel: Self.kernel, training: [0, 1], labels: [1, .nan], ridge: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.predictions(kernel: Self.kernel, training: [], labels: [], ridge: 0)
    }
    // A repeated point at δ = 0, and a rank-one kernel: singular training kernels.
    #expect(throws: KernelAnalysisError.self) {
      try KernelRidgeRegression.predictions(kernel: Self.kernel, training: [3, 3], labels: [1, 1], ridge: 0)
    }
    let ones = Matrix(rows: 4, cols: 4, repeating: 1)
    do throws(KernelAnalysisError) {
      _ = try KernelRidgeRegression.experiment(
        kernel: ones, target: [1, 2, 3, 4], samples: 2, ridge: 0, draws: 2)
      Issue.record("a singular training kernel must throw")
    } catch {
      guard case .singularTrainingKernel(draw: 0, detail: _) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    }
  }
}
