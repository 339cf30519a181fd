import Foundation
import TPCore

extension JSONReport {
  /// The full `tp run --json` document: program, regime, outputs, trajectory, kernels and
  /// posterior; keys that do not apply are omitted.
  public struct FullRunDocument: Encodable, Sendable {
    public var report: RunReport
    public var seed: UInt64?

    public init(_ report: RunReport, seed: UInt64? = nil) {
      self.report = report
      self.seed = seed
    }

    enum Keys: String, CodingKey {
      case program, regime, width, seed, outputs, trajectory, kernels, posterior
    }

    struct Regime: Encodable {
      var `class`: String
      var r: JSONNumber
    }

    struct Step: Encodable {
      var value: TrajectoryValue
      enum Keys: String, CodingKey {
        case observable, target, point, points, output, step, value, variance, error, stderr, method
        case varianceError = "variance_error"
      }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.observable, forKey: .observable)
        try c.encodeIfPresent(value.target, forKey: .target)
        if value.points.count == 1 {
          try c.encode(value.points[0].map(JSONNumber.init), forKey: .point)
        } else if !value.points.isEmpty {
          try c.encode(value.points.map { $0.map(JSONNumber.init) }, forKey: .points)
        }
        if value.output > 0 { try c.encode(value.output, forKey: .output) }
        if let s = value.step { try c.encode(s, forKey: .step) } else { try c.encode("inf", forKey: .step) }
        try c.encode(JSONNumber(value.value), forKey: .value)
        try c.encode(JSONNumber(value.variance), forKey: .variance)
        try c.encode(JSONNumber(value.error), forKey: .error)
        if value.variance != 0 || value.varianceError != 0 {
          try c.encode(JSONNumber(value.varianceError), forKey: .varianceError)
        }
        try c.encode(JSONNumber(value.standardError), forKey: .stderr)
        try c.encode(value.method.rawValue, forKey: .method)
      }
    }

    struct Kernel: Encodable {
      var name: String
      var points: [[JSONNumber]]
      var matrix: [[JSONNumber]]
      /// Each entry's estimated error, parallel to `matrix`.
      var errors: [[JSONNumber]]
      var method: String
    }

    struct Posterior: Encodable {
      var point: [JSONNumber]
      var mean: JSONNumber
      var variance: JSONNumber
      /// The estimated error of the mean.
      var error: JSONNumber
      var variance_error: JSONNumber
      var method: String
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(report.program, forKey: .program)
      if let r = report.regime { try c.encode(Regime(class: r.name, r: JSONNumber(r.r)), forKey: .regime) }
      try c.encodeIfPresent(report.width, forKey: .width)
      if report.width != nil { try c.encodeIfPresent(seed, forKey: .seed) }
      if !report.outputs.isEmpty { try c.encode(report.outputs.map(Output.init), forKey: .outputs) }
      if !report.trajectory.isEmpty { try c.encode(report.trajectory.map(Step.init), forKey: .trajectory) }
      if !report.kernels.isEmpty {
        try c.encode(
          report.kernels.map {
            Kernel(
              name: $0.name, points: $0.points.map { $0.map(JSONNumber.init) },
              matrix: $0.matrix.map { $0.map(JSONNumber.init) },
              errors: $0.errors.map { $0.map(JSONNumber.init) },
              method: $0.method.rawValue)
          }, forKey: .kernels)
      }
      if !report.posterior.isEmpty {
        try c.encode(
          report.posterior.map {
            Posterior(
              point: $0.point.map(JSONNumber.init), mean: JSONNumber($0.mean),
              variance: JSONNumber($0.variance), error: JSONNumber($0.meanError),
              variance_error: JSONNumber($0.varianceError), method: $0.method.rawValue)
          },
          forKey: .posterior)
      }
    }
  }
}
