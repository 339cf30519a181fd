import Testing

/// Expects `|actual - expected| <= absolute + relative * |expected|`, reporting the caller's location.
public func expectClose(
  _ actual: Double, _ expected: Double, absolute: Double = 0, relative: Double = 0,
  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
  let tolerance = absolute + relative * abs(expected)
  let ok = abs(actual - expected) <= tolerance
  #expect(
    ok,
    "\(actual) vs \(expected): |Δ| = \(abs(actual - expected)) > \(tolerance) \(comment.map { "— \($0)" } ?? "")",
    sourceLocation: sourceLocation)
}

/// Expects a Monte Carlo (or seed-mean) estimate to lie within `k` reported standard errors of `expected`.
public func expectWithinStandardErrors(
  _ estimate: Double, standardError: Double, of expected: Double, k: Double = 4,
  floor: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation
) {
  let bound = k * max(standardError, floor)
  #expect(
    abs(estimate - expected) <= bound,
    "\(estimate) ± \(standardError) vs \(expected): |Δ| = \(abs(estimate - expected)) > \(k) SE",
    sourceLocation: sourceLocation)
}
