/// Size arithmetic that cannot trap: products and sums of non-negative counts saturate at
/// `Int.max` instead of overflowing, so an estimate for `--width 9223372036854775807` is "too
/// large" rather than a crash. A saturated estimate exceeds every limit, so the run is refused.
public enum Saturating {
  /// `a · b`, or `Int.max` when it overflows (or either factor is negative).
  public static func product(_ a: Int, _ b: Int) -> Int {
    guard a >= 0, b >= 0 else { return Int.max }
    let (r, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? Int.max : r
  }

  /// The product of three or more factors, saturating.
  public static func product(_ a: Int, _ b: Int, _ c: Int, _ rest: Int...) -> Int {
    rest.reduce(product(product(a, b), c)) { product($0, $1) }
  }

  /// `a + b`, or `Int.max` when it overflows.
  public static func sum(_ a: Int, _ b: Int) -> Int {
    guard a >= 0, b >= 0 else { return Int.max }
    let (r, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : r
  }

  /// The sum of three or more terms, saturating.
  public static func sum(_ a: Int, _ b: Int, _ c: Int, _ rest: Int...) -> Int {
    rest.reduce(sum(sum(a, b), c)) { sum($0, $1) }
  }

  /// `a − b` for `a ≥ b`, kept at `Int.max` when `a` saturated (a lost bound stays lost).
  public static func difference(_ a: Int, _ b: Int) -> Int { a == Int.max ? Int.max : Swift.max(0, a - b) }
}
