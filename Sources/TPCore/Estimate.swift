/// A computed number with its estimated error and provenance — the one value type every
/// integrator returns and every report prints.
///
/// * `error` is the estimated absolute error of `value`: 0 for exact results (closed forms,
///   exact algebra); for quadrature the difference from a rule of lower resolution (a
///   conservative estimate for rules that converge); for Monte Carlo a standard error, which
///   after replicates are combined includes the error inherited through `Ż` coefficients and
///   earlier moments.
/// * `standardError` is the Monte Carlo sampling standard error of the final average alone
///   (0 when no sampling was involved); it is what JSON calls `stderr`.
public struct Estimate: Sendable, Hashable, Codable {
  public var value: Double
  public var error: Double
  public var standardError: Double
  public var method: Method

  public init(value: Double, error: Double, standardError: Double = 0, method: Method) {
    self.value = value
    self.error = error
    self.standardError = standardError
    self.method = method
  }

  /// An exact value.
  public static func exact(_ value: Double) -> Estimate { Estimate(value: value, error: 0, method: .exact) }

  /// A Monte Carlo average with its standard error (which is also its error).
  public static func monteCarlo(_ value: Double, standardError: Double) -> Estimate {
    Estimate(value: value, error: standardError, standardError: standardError, method: .mc)
  }
}

extension Method {
  /// The least exact of two methods (finite over Monte Carlo over quadrature over exact): how
  /// a number computed from both was obtained.
  public func combined(_ other: Method) -> Method { rank >= other.rank ? self : other }

  var rank: Int {
    switch self {
    case .exact: return 0
    case .quadrature: return 1
    case .mc: return 2
    case .finite: return 3
    }
  }
}
