/// An exact rational number `numerator / denominator` (denominator > 0, lowest terms), for the
/// width exponents of abc-parametrizations, which must be compared exactly (`r = 0` vs `r > 0`).
public struct Rational: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let numerator: Int
  public let denominator: Int

  public init(_ numerator: Int, _ denominator: Int = 1) {
    precondition(denominator != 0, "zero denominator")
    let g = Rational.gcd(abs(numerator), abs(denominator))
    let s = denominator < 0 ? -1 : 1
    self.numerator = s * numerator / max(g, 1)
    self.denominator = s * denominator / max(g, 1)
  }

  /// The simplest fraction within `1e-9` of `x` with denominator ≤ 10⁴ (continued fractions);
  /// nil when there is none (exponents such as `0.5` or `-1/3` written as `-0.333333333333`).
  public init?(approximating x: Double) {
    guard x.isFinite, abs(x) < 1e6 else { return nil }
    var (h0, h1, k0, k1) = (0, 1, 1, 0)
    var v = x
    for _ in 0..<40 {
      let a = v.rounded(.down)
      let ai = Int(a)
      (h0, h1) = (h1, ai * h1 + h0)
      (k0, k1) = (k1, ai * k1 + k0)
      if k1 > 10_000 { return nil }
      if abs(Double(h1) / Double(k1) - x) <= 1e-9 {
        self.init(h1, k1)
        return
      }
      let frac = v - a
      if frac < 1e-15 { break }
      v = 1 / frac
    }
    guard k1 != 0, abs(Double(h1) / Double(k1) - x) <= 1e-9 else { return nil }
    self.init(h1, k1)
  }

  static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

  public var doubleValue: Double { Double(numerator) / Double(denominator) }
  public var isZero: Bool { numerator == 0 }
  public var signum: Int { numerator.signum() }

  public static let zero = Rational(0)
  public static let one = Rational(1)
  public static let half = Rational(1, 2)

  public static func + (a: Rational, b: Rational) -> Rational {
    Rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
  }
  public static func - (a: Rational, b: Rational) -> Rational { a + (-b) }
  public static prefix func - (a: Rational) -> Rational { Rational(-a.numerator, a.denominator) }
  public static func * (k: Int, a: Rational) -> Rational { Rational(k * a.numerator, a.denominator) }
  public static func < (a: Rational, b: Rational) -> Bool {
    a.numerator * b.denominator < b.numerator * a.denominator
  }

  public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}
