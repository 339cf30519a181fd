/// Summary statistics of samples: means, variances, standard errors, least-squares lines.
///
/// Undefined quantities (the mean of nothing, the variance of one value) are NaN, so that a
/// caller can tell "not enough data" from a value; nothing here traps on short input.
public enum Statistics {
  /// The sample mean `(1/m) Σ xᵢ`; NaN for an empty sample.
  public static func mean(_ x: [Double]) -> Double {
    guard !x.isEmpty else { return .nan }
    return x.reduce(0, +) / Double(x.count)
  }

  /// The unbiased sample variance `Σ (xᵢ − x̄)² / (m − 1)`; NaN when `m < 2`.
  ///
  /// Two passes (mean first, then squared deviations) rather than `E[x²] − x̄²`, which loses
  /// all digits when the spread is small next to the mean.
  public static func sampleVariance(_ x: [Double]) -> Double {
    guard x.count >= 2 else { return .nan }
    let m = mean(x)
    var s = 0.0
    for v in x { s += (v - m) * (v - m) }
    return s / Double(x.count - 1)
  }

  /// The standard error of the mean, `sqrt(sampleVariance / m)`; NaN when `m < 2`.
  public static func standardErrorOfMean(_ x: [Double]) -> Double {
    guard x.count >= 2 else { return .nan }
    return (sampleVariance(x) / Double(x.count)).squareRoot()
  }

  /// Ordinary least squares for `y ≈ slope·x + intercept`.
  ///
  /// `slope = Sxy / Sxx`, `intercept = ȳ − slope·x̄` with centered sums, and the classical
  /// standard error `sqrt(RSS / (m − 2) / Sxx)` of the slope (residual sum of squares RSS).
  /// Edge cases: fewer than two points, or all `x` equal (`Sxx = 0`), give NaN for every
  /// field; exactly two points give an exact line with NaN standard error. `x` and `y` must
  /// have the same length.
  public static func linearFit(x: [Double], y: [Double]) -> (
    slope: Double, intercept: Double, slopeStandardError: Double
  ) {
    precondition(x.count == y.count, "linearFit needs as many y values as x values")
    let m = x.count
    guard m >= 2 else { return (.nan, .nan, .nan) }
    let mx = mean(x)
    let my = mean(y)
    var sxx = 0.0
    var sxy = 0.0
    for i in 0..<m {
      sxx += (x[i] - mx) * (x[i] - mx)
      sxy += (x[i] - mx) * (y[i] - my)
    }
    guard sxx > 0 else { return (.nan, .nan, .nan) }
    let slope = sxy / sxx
    let intercept = my - slope * mx
    guard m > 2 else { return (slope, intercept, .nan) }
    var rss = 0.0
    for i in 0..<m {
      let r = y[i] - (slope * x[i] + intercept)
      rss += r * r
    }
    return (slope, intercept, (rss / Double(m - 2) / sxx).squareRoot())
  }
}
