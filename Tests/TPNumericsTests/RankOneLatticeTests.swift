import Foundation
import Testing

@testable import TPNumerics

/// `Φ⁻¹` inverts `Φ` to a few ulps; Acklam's approximation alone to 1.15·10⁻⁹ relative.
@Test func normalQuantileInvertsTheDistributionFunction() {
  for i in 0...320 {
    let x = -8 + 0.05 * Double(i)
    let p = StandardNormal.cdf(x)
    let q = StandardNormal.quantile(p)
    // Above the median `p` itself holds 1 − Φ(−x) only to an ulp of 1: that limits any inverse.
    let conditioning = x > 0 ? 2.3e-16 / StandardNormal.density(x) : 0
    #expect(abs(q - x) <= 1e-12 * max(1, abs(x)) + conditioning, "x \(x) → \(q)")
    let a = StandardNormal.approximateQuantile(p)
    #expect(abs(a - x) <= 1.2e-9 * max(abs(x), 1e-3) + conditioning, "x \(x) → \(a)")
  }
  #expect(StandardNormal.quantile(0.5) == 0)
  #expect(StandardNormal.quantile(0) == -.infinity)
  #expect(StandardNormal.quantile(1) == .infinity)
}

/// Every one-dimensional projection of the lattice is the shifted grid `{(k + Δ·N)/N}`, so
/// each coordinate is exactly stratified.
@Test func latticeCoordinatesAreShiftedGrids() {
  let lattice = RankOneLattice(count: 1024)
  #expect(lattice.multiplier % 2 == 1)
  for j in [0, 1, 5, 40] {
    let shift = 0.3141
    let u = lattice.gaussians(coordinate: j, shift: shift).map(StandardNormal.cdf).sorted()
    for (k, v) in u.enumerated() {
      let grid = (Double(k) + (shift * 1024).truncatingRemainder(dividingBy: 1)) / 1024
      #expect(abs(v - grid) < 1e-8, "coordinate \(j) point \(k): \(v) vs \(grid)")
    }
  }
}

/// Randomized QMC on a smooth 8-dimensional Gaussian integral,
/// `E[exp(Σⱼ cⱼ Zⱼ)] = exp(Σⱼ cⱼ²/2)`: unbiased over 32 shifts, with a spread far below
/// plain Monte Carlo's at the same number of points.
@Test func shiftedLatticeIsUnbiasedAndBeatsMonteCarlo() {
  let n = 4096
  let lattice = RankOneLattice(count: n)
  let c = (0..<8).map { 0.5 * pow(0.7, Double($0)) }
  let exact = exp(c.reduce(0) { $0 + $1 * $1 } / 2)
  func estimate(_ columns: [[Double]]) -> Double {
    var s = 0.0
    for i in 0..<n {
      var e = 0.0
      for j in 0..<8 { e += c[j] * columns[j][i] }
      s += exp(e)
    }
    return s / Double(n)
  }
  var qmc: [Double] = []
  var mc: [Double] = []
  for r in 0..<32 {
    let shifts = (0..<8).map {
      CounterRandom.uniform(CounterRandom.bits(seed: UInt64(r), stream: UInt64($0), counter: 7).0)
    }
    qmc.append(estimate((0..<8).map { lattice.gaussians(coordinate: $0, shift: shifts[$0]) }))
    mc.append(estimate((0..<8).map { GaussianFill.gaussians(count: n, seed: UInt64(r), stream: UInt64($0)) }))
  }
  let qmcMean = Statistics.mean(qmc)
  let qmcSE = (Statistics.sampleVariance(qmc) / 32).squareRoot()
  #expect(abs(qmcMean - exact) < 4 * qmcSE + 1e-12, "\(qmcMean) vs \(exact) ± \(qmcSE)")
  #expect(Statistics.sampleVariance(qmc) < Statistics.sampleVariance(mc) / 10)
}
