import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct OneHiddenLayerKernelTests {
  static let grid: [Double] = (0...200).map { -1 + Double($0) / 100 }

  /// Cho & Saul's arc-cosine kernels, written here for pre-activation covariance
  /// `[[q, s], [s, q]]`, `cos θ = s/q`: `E[relu relu] = (q/2π)(sin θ + (π − θ) cos θ)`,
  /// `E[step step] = (π − θ)/(2π)`.
  static func reluPair(_ q: Double, _ s: Double) -> (nngp: Double, derivative: Double) {
    let c = min(max(s / q, -1), 1)
    let theta = acos(c)
    return (
      q / (2 * Double.pi) * (sin(theta) + (Double.pi - theta) * c), (Double.pi - theta) / (2 * Double.pi)
    )
  }

  /// relu, unit weights, no bias: NNGP and NTK `K + ρ E[step step]` to 1e-8 where the
  /// degree-300 series has converged (`|ρ| ≤ 0.95`), and within the reported error bound on
  /// all of `[−1, 1]` (near `|ρ| = 1` relu's `√(1 − ρ²)` makes the series converge only
  /// algebraically: `aₖ² ~ k^{−5/2}`).
  @Test func reluMatchesArcCosineKernels() throws {
    let kernel = try OneHiddenLayerKernel(
      activation: { max($0, 0) }, breakpoints: [0], derivative: { $0 > 0 ? 1 : 0 }, degree: 300)
    for rho in Self.grid {
      let (k, d) = Self.reluPair(1, rho)
      let theta = k + rho * d
      // safe: a derivative was supplied, so the NTK bound exists.
      let ntkBound = kernel.ntkError(rho)!
      #expect(abs(kernel.nngp(rho) - k) <= kernel.nngpError(rho) + 1e-15, "ρ = \(rho)")
      #expect(abs(kernel.ntk(rho) - theta) <= ntkBound + 1e-15, "ρ = \(rho)")
      if abs(rho) <= 0.95 + 1e-12 {
        expectClose(kernel.nngp(rho), k, absolute: 1e-8, "NNGP at ρ = \(rho)")
        expectClose(kernel.ntk(rho), theta, absolute: 1e-8, "NTK at ρ = \(rho)")
        #expect(kernel.nngpError(rho) < 1e-8 && ntkBound < 1e-8)
      }
    }
    // The bound is informative at ρ = 1, not vacuous.
    #expect(kernel.nngpError(1) < 1e-4 && kernel.ntkError(1)! < 0.05)
    print(
      "relu one-hidden-layer kernels, degree 300: error bounds at ρ = 1: NNGP \(kernel.nngpError(1)), NTK \(kernel.ntkError(1)!)"
    )
  }

  /// erf: Williams' `(2/π) arcsin(2ρ/3)` and `E[erf′ erf′] = (4/π)/√(9 − 4ρ²)` to 1e-8 on
  /// the whole grid (the series converges like `(2/3)ᵏ`).
  @Test func erfMatchesWilliams() throws {
    let kernel = try OneHiddenLayerKernel(
      activation: { erf($0) }, derivative: { 2 / Double.pi.squareRoot() * exp(-$0 * $0) }, degree: 80)
    for rho in Self.grid {
      let k = 2 / Double.pi * asin(2 * rho / 3)
      let theta = k + rho * 4 / Double.pi / (9 - 4 * rho * rho).squareRoot()
      expectClose(kernel.nngp(rho), k, absolute: 1e-8, "NNGP at ρ = \(rho)")
      expectClose(kernel.ntk(rho), theta, absolute: 1e-8, "NTK at ρ = \(rho)")
      #expect(kernel.nngpError(rho) < 1e-8 && kernel.ntkError(rho)! < 1e-8)
    }
  }

  /// Weight and bias variances: `K = σ_v² E[φ(u)φ(v)]` with `Cov(u, v) = σ_w²ρ + σ_b²`,
  /// `Θ = K + σ_v² (σ_w²ρ + σ_b²) E[φ′(u)φ′(v)]`, against the arc-cosine forms and against
  /// the library's `GaussianIntegrals` for erf.
  @Test func weightAndBiasVariances() throws {
    let (w, b, v) = (2.0, 0.3, 1.5)
    let q = w + b
    let relu = try OneHiddenLayerKernel(
      activation: { max($0, 0) }, breakpoints: [0], degree: 60, weightVariance: w, biasVariance: b,
      readoutVariance: v)
    let erfKernel = try OneHiddenLayerKernel(
      activation: { erf($0) }, degree: 80, weightVariance: w, biasVariance: b, readoutVariance: v)
    for rho in Self.grid where rho <= 0.5 {
      let s = w * rho + b
      let (k, d) = Self.reluPair(q, s)
      expectClose(relu.nngp(rho), v * k, absolute: 1e-8)
      expectClose(relu.ntk(rho), v * (k + s * d), absolute: 1e-8)
      // erf′(x) = (2/√π) e^{−x²}: E[erf′(u) erf′(v)] = (4/π)/√((1 + 2q)² − 4s²).
      let erfPair = 2 / Double.pi * asin(2 * s / (1 + 2 * q))
      let erfDerivative = 4 / Double.pi / ((1 + 2 * q) * (1 + 2 * q) - 4 * s * s).squareRoot()
      expectClose(erfKernel.nngp(rho), v * erfPair, absolute: 1e-8)
      expectClose(erfKernel.ntk(rho), v * (erfPair + s * erfDerivative), absolute: 1e-8)
      expectClose(erfKernel.nngp(rho), v * GaussianIntegrals.erfErf(q, s, q), absolute: 1e-8)
    }
  }

  /// The identity activation: `K = σ_v²(σ_w²ρ + σ_b²)` exactly, `Θ = 2K`; power series
  /// `[σ_v²σ_b², σ_v²σ_w²]`.
  @Test func identityActivationAndPowerSeries() throws {
    let (w, b, v) = (0.7, 0.2, 3.0)
    let kernel = try OneHiddenLayerKernel(
      activation: { $0 }, degree: 4, weightVariance: w, biasVariance: b, readoutVariance: v)
    let nngp = kernel.nngpCoefficients
    expectClose(nngp[0], v * b, absolute: 1e-14)
    expectClose(nngp[1], v * w, absolute: 1e-14)
    for j in 2..<nngp.count { expectClose(nngp[j], 0, absolute: 1e-14) }
    for rho in [-1, -0.3, 0.2, 1.0] {
      expectClose(kernel.nngp(rho), v * (w * rho + b), absolute: 1e-14)
      expectClose(kernel.ntk(rho), 2 * v * (w * rho + b), absolute: 1e-14)
    }
  }

  /// With a bias the series in ρ comes from substituting `c = αρ + β`; it must evaluate to
  /// the same kernel, and without bias it is `σ_v² aₖ²` and `σ_v²(k+1) aₖ²`.
  @Test func powerSeriesInRho() throws {
    let a: [Double] = [0.4, 0.8, -0.3, 0.2, 0.1]
    let plain = try OneHiddenLayerKernel(expansion: try HermiteExpansion(coefficients: a), readoutVariance: 2)
    for k in a.indices {
      expectClose(plain.nngpCoefficients[k], 2 * a[k] * a[k], absolute: 1e-15)
      expectClose(plain.ntkCoefficients[k], 2 * Double(k + 1) * a[k] * a[k], absolute: 1e-15)
    }
    let biased = try OneHiddenLayerKernel(
      expansion: try HermiteExpansion(coefficients: a), weightVariance: 1.3, biasVariance: 0.4)
    for rho in [-0.9, -0.2, 0.35, 0.8] {
      let c = (1.3 * rho + 0.4) / 1.7
      let direct = a.enumerated().reduce(0.0) { $0 + $1.1 * $1.1 * pow(c, Double($1.0)) }
      let series = biased.nngpCoefficients.enumerated().reduce(0.0) { $0 + $1.1 * pow(rho, Double($1.0)) }
      expectClose(biased.nngp(rho), direct, absolute: 1e-14)
      expectClose(series, direct, absolute: 1e-14)
      let directNTK = a.enumerated().reduce(0.0) {
        $0 + Double($1.0 + 1) * $1.1 * $1.1 * pow(c, Double($1.0))
      }
      let seriesNTK = biased.ntkCoefficients.enumerated().reduce(0.0) { $0 + $1.1 * pow(rho, Double($1.0)) }
      expectClose(seriesNTK, directNTK, absolute: 1e-14)
    }
  }

  @Test func invalidVariancesThrow() throws {
    let e = try HermiteExpansion(coefficients: [1])
    #expect(throws: KernelAnalysisError.self) { try OneHiddenLayerKernel(expansion: e, weightVariance: -1) }
    #expect(throws: KernelAnalysisError.self) {
      try OneHiddenLayerKernel(expansion: e, weightVariance: 0, biasVariance: 0)
    }
    #expect(throws: KernelAnalysisError.self) {
      try OneHiddenLayerKernel(expansion: e, readoutVariance: .nan)
    }
  }
}
