/// Probabilities at which vector laws report quantiles.
public let reportedQuantiles: [Double] = [0.05, 0.25, 0.5, 0.75, 0.95]

/// The law of a vector's coordinates: moments and quantiles (of `Z` in the limit, or of the
/// empirical coordinates at finite width).
public struct VectorLaw: Sendable, Hashable, Codable {
  public var mean: Double
  public var variance: Double
  /// Values at ``reportedQuantiles``.
  public var quantiles: [Double]

  public init(mean: Double, variance: Double, quantiles: [Double]) {
    self.mean = mean
    self.variance = variance
    self.quantiles = quantiles
  }
}

/// How a number was computed.
public enum Method: String, Sendable, Hashable, Codable {
  case exact, quadrature, mc, finite
}

/// One output's value.
public enum OutputValue: Sendable, Hashable {
  case scalar(Double)
  case vector(VectorLaw)
}

/// One `out`/`show` result with its provenance.
public struct OutputResult: Sendable, Hashable {
  public var name: String
  public var value: OutputValue
  /// Monte Carlo standard error of a scalar (0 for exact/quadrature and finite-width runs).
  public var standardError: Double
  public var method: Method
  public var isShow: Bool

  public init(name: String, value: OutputValue, standardError: Double, method: Method, isShow: Bool = false) {
    self.name = name
    self.value = value
    self.standardError = standardError
    self.method = method
    self.isShow = isShow
  }

  /// The scalar value, or the mean of a vector law.
  public var scalarValue: Double {
    switch value {
    case .scalar(let v): return v
    case .vector(let law): return law.mean
    }
  }
}

/// A numerical failure (NaN/Inf, overflow, divergence, a refused allocation), naming its cause.
public struct NumericalError: Error, Sendable, CustomStringConvertible {
  public var message: String
  /// The instruction that produced it, when one did.
  public var instruction: Int?
  /// `file:line:col` of that instruction, when known.
  public var location: String?

  public init(_ message: String, instruction: Int? = nil, location: String? = nil) {
    self.message = message
    self.instruction = instruction
    self.location = location
  }

  public var description: String { (location.map { "\($0): " } ?? "") + "error: " + message }
}

extension Program {
  /// A ``NumericalError`` at instruction `k`, with its source location and a description of it.
  public func numericalError(_ message: String, at k: Int) -> NumericalError {
    NumericalError("\(message) in '\(describe(instruction: k))'", instruction: k, location: location(ofInstruction: k))
  }

  /// One instruction as text, e.g. `h = W @ x`.
  public func describe(instruction k: Int) -> String {
    switch instructions[k] {
    case .matmul(let d, let m, let t, let x): return "\(name(d)) = \(name(m))\(t ? ".T" : "") @ \(name(x))"
    case .nonlin(let d, let e): return "\(name(d)) = \(render(e))"
    case .moment(let d, let e): return "\(name(d)) = mean(\(render(e)))"
    case .scalar(let d, let e): return "\(name(d)) = \(render(e))"
    }
  }
}
