import Foundation
import TPCore

/// JSON documents of results (LANGUAGE.md, `--json`), built from `Encodable` values and
/// written by `JSONEncoder` with sorted keys, so the text is deterministic.
///
/// Numbers that are not finite are written as `null` (JSON has no NaN or infinity).
public enum JSONReport {
  /// One output: `{"name", "value", "stderr", "method"}` for a scalar,
  /// `{"name", "law": {"mean", "variance", "quantiles": {"0.05": …}}, "method"}` for a vector.
  public struct Output: Encodable, Sendable, Hashable {
    public var result: OutputResult

    public init(_ result: OutputResult) { self.result = result }

    enum Keys: String, CodingKey { case name, value, error, stderr, method, law }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(result.name, forKey: .name)
      switch result.value {
      case .scalar(let v):
        try c.encode(JSONNumber(v), forKey: .value)
        try c.encode(JSONNumber(result.standardError), forKey: .stderr)
      case .vector(let law):
        try c.encode(Law(law), forKey: .law)
      }
      try c.encode(JSONNumber(result.error), forKey: .error)
      try c.encode(result.method.rawValue, forKey: .method)
    }
  }

  /// A vector law: `{"mean", "variance", "quantiles": {"0.05": …, …}}`.
  public struct Law: Encodable, Sendable, Hashable {
    public var law: VectorLaw

    public init(_ law: VectorLaw) { self.law = law }

    enum Keys: String, CodingKey {
      case mean, variance, quantiles
      case varianceError = "variance_error"
      case quantileErrors = "quantile_errors"
      case atoms
    }

    /// A point mass: `{"value", "probability", "error"}`.
    struct Atom: Encodable {
      var value: JSONNumber
      var probability: JSONNumber
      var error: JSONNumber
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(JSONNumber(law.mean), forKey: .mean)
      try c.encode(JSONNumber(law.variance), forKey: .variance)
      try c.encode(JSONNumber(law.varianceError), forKey: .varianceError)
      var quantiles: [String: JSONNumber] = [:]
      var errors: [String: JSONNumber] = [:]
      for (i, p) in reportedQuantiles.enumerated() where i < law.quantiles.count {
        quantiles[TextReport.quantileLabel(p)] = JSONNumber(law.quantiles[i])
        errors[TextReport.quantileLabel(p)] = JSONNumber(
          i < law.quantileErrors.count ? law.quantileErrors[i] : 0)
      }
      try c.encode(quantiles, forKey: .quantiles)
      try c.encode(errors, forKey: .quantileErrors)
      if !law.atoms.isEmpty {
        try c.encode(
          law.atoms.map {
            Atom(
              value: JSONNumber($0[0]), probability: JSONNumber($0[1]),
              error: JSONNumber($0.count > 2 ? $0[2] : 0))
          }, forKey: .atoms)
      }
    }
  }

  /// The document of `tp run`: `{"program", "width"?, "seed"?, "outputs": […]}` (width and
  /// seed only for a finite-width run).
  public struct RunDocument: Encodable, Sendable {
    public var program: String
    public var width: Int?
    public var seed: UInt64?
    public var outputs: [Output]

    public init(program: String, width: Int? = nil, seed: UInt64? = nil, outputs: [OutputResult]) {
      self.program = program
      self.width = width
      self.seed = seed
      self.outputs = outputs.map(Output.init)
    }
  }

  /// A number that encodes as `null` when it is NaN or infinite.
  public struct JSONNumber: Encodable, Sendable, Hashable {
    public var value: Double

    public init(_ value: Double) { self.value = value }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
    }
  }

  /// `value` as pretty-printed JSON with sorted keys and a final newline.
  public static func string<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
