import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct EigenlearningTests {
  /// A power-law spectrum `λᵢ ∝ (i + 1)^{−1.5}` with a few exact zeros, and a target.
  static let spectrum: [Double] = (0..<300).map { $0 >= 280 ? 0 : pow(Double($0 + 1), -1.5) }
  static let target: [Double] = (0..<300).map { pow(Double($0 + 1), -0.8) * (($0 % 3 == 0) ? -1 : 1) }

  /// The κ equation's residual, computed here: `Σ λ/(λ+κ) + δ/κ − n`.
  static func residual(_ lambda: [Double], _ kappa: Double, _ n: Int, _ delta: Double) -> Double {
    lambda.reduce(0) { $0 + $1 / ($1 + kappa) } + delta / kappa - Double(n)
  }

  @Test(arguments: [
    (1, 0.0), (10, 0.0), (100, 0.0), (279, 0.0), (1, 1e-3), (30, 1e-3), (500, 1e-2), (50, 10.0),
  ])
  func kappaSolvesTheEquation(_ n: Int, _ delta: Double) throws {
    let problem = try EigenlearningProblem(eigenvalues: Self.spectrum, targetCoefficients: Self.target)
    let kappa = try problem.effectiveRegularization(samples: n, ridge: delta)
    #expect(kappa > 0)
    #expect(abs(Self.residual(Self.spectrum, kappa, n, delta)) <= 1e-12)
  }

  /// The conservation law `Σᵢ Lᵢ = n` at `δ = 0`, summed here from the learnabilities.
  @Test(arguments: [1, 5, 30, 100, 250])
  func learnabilitiesSumToSampleCountWithoutRidge(_ n: Int) throws {
    let p = try EigenlearningProblem(eigenvalues: Self.spectrum, targetCoefficients: Self.target)
      .predict(samples: n, ridge: 0)
    expectClose(p.learnabilities.reduce(0, +), Double(n), absolute: 1e-10)
    expectClose(p.learnabilitySum, Double(n), absolute: 1e-10)
    #expect(abs(p.kappaResidual) <= 1e-12)
    #expect(p.trainMSE == 0)
    #expect(p.learnabilities.allSatisfy { $0 >= 0 && $0 < 1 })
  }

  /// With ridge: `Σ Lᵢ = n − δ/κ`.
  @Test func conservationWithRidge() throws {
    let p = try EigenlearningProblem(eigenvalues: Self.spectrum, targetCoefficients: Self.target)
      .predict(samples: 40, ridge: 0.05)
    expectClose(p.learnabilities.reduce(0, +), 40 - 0.05 / p.kappa, absolute: 1e-10)
  }

  /// All estimates from the definitions, evaluated here independently of the library's
  /// rearrangements: `Lᵢ`, `E₀ = n/(n − Σ L²)`, test and train MSE, target learnability.
  @Test func estimatesMatchTheirDefinitions() throws {
    let problem = try EigenlearningProblem(eigenvalues: Self.spectrum, targetCoefficients: Self.target)
    let (n, delta, noise) = (25, 2e-3, 0.01)
    let p = try problem.predict(samples: n, ridge: delta, noise: noise)
    let l = Self.spectrum.map { $0 / ($0 + p.kappa) }
    for i in l.indices { expectClose(p.learnabilities[i], l[i], relative: 1e-15) }
    let e0 = Double(n) / (Double(n) - l.reduce(0) { $0 + $1 * $1 })
    expectClose(p.overfittingCoefficient, e0, relative: 1e-12)
    let v2 = Self.target.map { $0 * $0 }
    let unlearned = zip(l, v2).reduce(0) { $0 + (1 - $1.0) * (1 - $1.0) * $1.1 }
    expectClose(p.testMSE, e0 * (unlearned + noise), relative: 1e-12)
    let factor = delta / (Double(n) * p.kappa)
    expectClose(p.trainMSE, factor * factor * e0 * (unlearned + noise), relative: 1e-12)
    expectClose(
      p.targetLearnability ?? .nan, zip(l, v2).reduce(0) { $0 + $1.0 * $1.1 } / v2.reduce(0, +),
      relative: 1e-13)
    #expect(p.samples == n && p.ridge == delta && p.noise == noise)
  }

  /// A flat spectrum (`r` modes of size `λ`, e.g. the identity kernel): at `δ = 0`,
  /// `L = n/r`, `κ = λ(r − n)/n`, `E₀ = r/(r − n)`, test MSE `(1 − n/r) Σ v²`; with ridge,
  /// `κ` is the positive root of `nκ² + (nλ − rλ − δ)κ − δλ = 0`.
  @Test func flatSpectrumClosedForm() throws {
    let (r, lambda) = (50, 0.02)
    let v: [Double] = (0..<r).map { cos(Double($0)) }
    let power = v.reduce(0) { $0 + $1 * $1 }
    let problem = try EigenlearningProblem(
      eigenvalues: [Double](repeating: lambda, count: r), targetCoefficients: v)
    for n in [1, 10, 49] {
      let p = try problem.predict(samples: n, ridge: 0)
      expectClose(p.kappa, lambda * Double(r - n) / Double(n), relative: 1e-13)
      expectClose(p.learnabilities[0], Double(n) / Double(r), relative: 1e-13)
      expectClose(p.overfittingCoefficient, Double(r) / Double(r - n), relative: 1e-12)
      expectClose(p.testMSE, (1 - Double(n) / Double(r)) * power, relative: 1e-12)
      expectClose(p.targetLearnability ?? .nan, Double(n) / Double(r), relative: 1e-13)
    }
    for (n, delta) in [(10, 0.1), (60, 0.5)] {
      let b = Double(n) * lambda - Double(r) * lambda - delta
      let kappa = (-b + (b * b + 4 * Double(n) * delta * lambda).squareRoot()) / (2 * Double(n))
      expectClose(try problem.effectiveRegularization(samples: n, ridge: delta), kappa, relative: 1e-13)
    }
  }

  @Test func zeroEigenvaluesAreNotLearnedAndBoundTheInterpolationThreshold() throws {
    let lambda: [Double] = [1, 0.5, 0.25, 0, 0, -1e-18]
    let v: [Double] = [1, 1, 1, 1, 1, 1]
    let problem = try EigenlearningProblem(eigenvalues: lambda, targetCoefficients: v)
    #expect(problem.rank == 3)
    let p = try problem.predict(samples: 2, ridge: 0)
    #expect(p.learnabilities[3] == 0 && p.learnabilities[5] == 0)
    // The null modes are never learned: test MSE ≥ E₀ · 3.
    #expect(p.testMSE >= 3 * p.overfittingCoefficient)
    #expect(throws: KernelAnalysisError.interpolationThreshold(samples: 3, rank: 3)) {
      try problem.predict(samples: 3, ridge: 0)
    }
    // A ridge makes every n solvable.
    #expect(try problem.predict(samples: 10, ridge: 1e-6).kappa > 0)
  }

  @Test func learningCurveReportsEachPoint() throws {
    let problem = try EigenlearningProblem(eigenvalues: [1, 0.1, 0.01], targetCoefficients: [1, 1, 1])
    let curve = problem.learningCurve(samples: [1, 2, 3, 4], ridge: 0)
    #expect(curve.count == 4)
    let tests = curve.prefix(2).map { (try? $0.get())?.testMSE ?? .nan }
    #expect(tests[1] < tests[0])
    for point in curve.suffix(2) {
      guard case .failure(.interpolationThreshold(samples: _, rank: _)) = point else {
        Issue.record("expected the interpolation threshold, got \(point)")
        continue
      }
    }
  }

  @Test func zeroTargetHasNoLearnability() throws {
    let p = try EigenlearningProblem(eigenvalues: [1, 0.5], targetCoefficients: [0, 0])
      .predict(samples: 1, ridge: 0, noise: 0.1)
    #expect(p.targetLearnability == nil)
    expectClose(p.testMSE, p.overfittingCoefficient * 0.1, relative: 1e-15)
  }

  @Test func invalidInputsThrow() throws {
    #expect(throws: KernelAnalysisError.emptyData(what: "eigenvalue list")) {
      try EigenlearningProblem(eigenvalues: [], targetCoefficients: [])
    }
    #expect(throws: KernelAnalysisError.self) {
      try EigenlearningProblem(eigenvalues: [1, 2], targetCoefficients: [1])
    }
    #expect(throws: KernelAnalysisError.notPositiveSemidefinite(eigenvalue: -0.1, largest: 1)) {
      try EigenlearningProblem(eigenvalues: [1, -0.1], targetCoefficients: [1, 1])
    }
    #expect(throws: KernelAnalysisError.nonFinite(what: "eigenvalue entry 1")) {
      try EigenlearningProblem(eigenvalues: [1, .nan], targetCoefficients: [1, 1])
    }
    #expect(throws: KernelAnalysisError.zeroKernel) {
      try EigenlearningProblem(eigenvalues: [0, 0], targetCoefficients: [1, 1])
    }
    let problem = try EigenlearningProblem(eigenvalues: [1, 0.5], targetCoefficients: [1, 1])
    #expect(throws: KernelAnalysisError.self) { try problem.predict(samples: 0, ridge: 1) }
    #expect(throws: KernelAnalysisError.self) { try problem.predict(samples: 1, ridge: -1) }
    #expect(throws: KernelAnalysisError.self) { try problem.predict(samples: 1, ridge: .nan) }
    #expect(throws: KernelAnalysisError.self) { try problem.predict(samples: 1, ridge: 0, noise: -1) }
  }

  /// The problem built from a kernel matrix uses the full spectrum of `K/M` and
  /// `vᵢ = uᵢᵀy/√M`: for the identity kernel on `M` points this is the flat spectrum
  /// `1/M` with `Σ v² = ‖y‖²/M`.
  @Test func problemFromKernelMatrix() throws {
    let m = 20
    let y = (0..<m).map { Double($0 % 4) - 1 }
    let problem = try EigenlearningProblem(kernel: .identity(m), target: y)
    #expect(problem.rank == m)
    let p = try problem.predict(samples: 5, ridge: 0)
    expectClose(
      p.testMSE, (1 - 5.0 / Double(m)) * KernelScienceFixtures.dot(y, y) / Double(m), relative: 1e-12)
  }
}

/// Eigenlearning against real kernel ridge regression: a one-hidden-layer ReLU NTK on 500
/// random points of the unit sphere in R⁸ (built here with the arc-cosine formulas), a
/// smooth target, `n = 10, 30, 100`, 200 training draws each.
@Suite struct EigenlearningVersusKernelRegressionTests {
  static let points = KernelScienceFixtures.spherePoints(count: 500, dimension: 8, seed: 2024)
  static let kernel = KernelScienceFixtures.gram(points) {
    KernelScienceFixtures.reluNTK($0, hiddenLayers: 1)
  }
  static let target: [Double] = points.map { x in x[0] + 2 * x[1] * x[2] + sin(2 * x[0]) }

  @Test(arguments: [(10, 0.0), (30, 0.0), (100, 0.0), (10, 1e-3), (30, 1e-3), (100, 1e-3)])
  func predictedTestMSEWithinTenPercentOfKernelRegression(_ n: Int, _ delta: Double) throws {
    let problem = try EigenlearningProblem(kernel: Self.kernel, target: Self.target)
    let predicted = try problem.predict(samples: n, ridge: delta)
    let actual = try KernelRidgeRegression.experiment(
      kernel: Self.kernel, target: Self.target, samples: n, ridge: delta, draws: 200, seed: 7)
    let ratio = predicted.testMSE / actual.testMSE
    print(
      "eigenlearning n = \(n), δ = \(delta): predicted test MSE \(predicted.testMSE), KRR \(actual.testMSE) ± "
        + "\(actual.testMSEStandardError) (ratio \(ratio)); train \(predicted.trainMSE) vs \(actual.trainMSE)"
    )
    #expect(abs(ratio - 1) <= 0.10)
    #expect(actual.testMSEStandardError < 0.05 * actual.testMSE)
    if delta > 0 {
      // The train-MSE estimate (δ/(nκ))² E is looser at small n; within 30 %.
      #expect(abs(predicted.trainMSE / actual.trainMSE - 1) <= 0.30)
    } else {
      #expect(actual.trainMSE < 1e-20)
    }
  }

  /// Label noise adds `E₀ ε²` to the prediction; checked against noisy regression.
  @Test func noisyLabels() throws {
    let problem = try EigenlearningProblem(kernel: Self.kernel, target: Self.target)
    let predicted = try problem.predict(samples: 30, ridge: 1e-2, noise: 0.04)
    let actual = try KernelRidgeRegression.experiment(
      kernel: Self.kernel, target: Self.target, samples: 30, ridge: 1e-2, noise: 0.04, draws: 200, seed: 8)
    #expect(abs(predicted.testMSE / actual.testMSE - 1) <= 0.10)
  }
}
