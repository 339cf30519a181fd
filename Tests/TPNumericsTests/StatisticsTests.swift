import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct StatisticsTests {
  @Test func meanVarianceStandardError() {
    let x: [Double] = [2, 4, 4, 4, 5, 5, 7, 9]
    // Σx = 40, Σ(x − 5)² = 32.
    expectClose(Statistics.mean(x), 5, absolute: 1e-15)
    expectClose(Statistics.sampleVariance(x), 32.0 / 7, relative: 1e-15)
    expectClose(Statistics.standardErrorOfMean(x), (32.0 / 7 / 8).squareRoot(), relative: 1e-15)
  }

  @Test func varianceSurvivesLargeOffset() {
    let x = [1e9 + 1, 1e9 + 2, 1e9 + 3]
    expectClose(Statistics.sampleVariance(x), 1, relative: 1e-9)
  }

  @Test func shortSamplesAreNaN() {
    #expect(Statistics.mean([]).isNaN)
    #expect(Statistics.sampleVariance([3]).isNaN)
    #expect(Statistics.standardErrorOfMean([]).isNaN)
    let fit = Statistics.linearFit(x: [1], y: [2])
    #expect(fit.slope.isNaN && fit.intercept.isNaN)
    #expect(Statistics.linearFit(x: [2, 2, 2], y: [1, 2, 3]).slope.isNaN)
  }

  @Test func linearFitOfExactLine() {
    let x: [Double] = [0, 1, 2, 3, 4]
    let fit = Statistics.linearFit(x: x, y: x.map { -0.5 * $0 + 3 })
    expectClose(fit.slope, -0.5, absolute: 1e-14)
    expectClose(fit.intercept, 3, absolute: 1e-14)
    expectClose(fit.slopeStandardError, 0, absolute: 1e-14)
  }

  @Test func linearFitStandardErrorByHand() {
    // x = 0, 1, 2, 3; y = 0, 2, 1, 3: x̄ = 1.5, ȳ = 1.5, Sxx = 5, Sxy = 4 → slope 0.8,
    // intercept 0.3; residuals −0.3, 0.9, −0.9, 0.3 → RSS = 1.8, SE = √(1.8/2/5) = √0.18.
    let fit = Statistics.linearFit(x: [0, 1, 2, 3], y: [0, 2, 1, 3])
    expectClose(fit.slope, 0.8, absolute: 1e-15)
    expectClose(fit.intercept, 0.3, absolute: 1e-15)
    expectClose(fit.slopeStandardError, 0.18.squareRoot(), relative: 1e-14)
  }
}
