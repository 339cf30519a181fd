import Foundation
import TPCore

extension JSONReport {
  /// The full `tp run --json` document: program, regime, outputs, trajectory, kernels and
  /// posterior; keys that do not apply are omitted.
  public struct FullRunDocument: Encodable, Sendable {
    public var report: RunReport
    public var seed: UInt64?
    /// Networks averaged at a finite width (`tp run --width N --seeds K`); 1 for one network.
    public var seeds: Int

    public init(_ report: RunReport, seed: UInt64? = nil, seeds: Int = 1) {
      self.report = report
      self.seed = seed
      self.seeds = seeds
    }

    enum Keys: String, CodingKey {
      case program, regime, width, seed, seeds, outputs, trajectory, kernels, posterior
      case alignment, eigen, eigenlearning, hermite, reverse
      case namedPoints = "named_points"
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
      /// The column points of a cross-kernel (`kernel f on train, test`); absent for a Gram matrix.
      var column_points: [[JSONNumber]]?
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
      if report.width != nil, seeds > 1 { try c.encode(seeds, forKey: .seeds) }
      if !report.outputs.isEmpty { try c.encode(report.outputs.map(Output.init), forKey: .outputs) }
      if !report.pointNames.isEmpty {
        var named: [String: [JSONNumber]] = [:]
        for (p, name) in report.pointNames { named[name] = p.map(JSONNumber.init) }
        try c.encode(named, forKey: .namedPoints)
      }
      if !report.trajectory.isEmpty { try c.encode(report.trajectory.map(Step.init), forKey: .trajectory) }
      if !report.kernels.isEmpty {
        try c.encode(
          report.kernels.map { k in
            Kernel(
              name: k.name, points: k.points.map { $0.map(JSONNumber.init) },
              column_points: k.columnPoints?.map { $0.map(JSONNumber.init) },
              matrix: k.rows.map { $0.map(JSONNumber.init) },
              errors: (0..<k.rowCount).map { i in (0..<k.columnCount).map { j in JSONNumber(k.error(i, j)) }
              },
              method: k.method.rawValue)
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
      if !report.alignments.isEmpty {
        try c.encode(report.alignments.map(Alignment.init), forKey: .alignment)
      }
      if !report.eigen.isEmpty { try c.encode(report.eigen.map(Eigen.init), forKey: .eigen) }
      if !report.eigenlearning.isEmpty {
        try c.encode(report.eigenlearning.map(Eigenlearning.init), forKey: .eigenlearning)
      }
      if !report.hermite.isEmpty { try c.encode(report.hermite.map(Hermite.init), forKey: .hermite) }
      if !report.reverse.isEmpty { try c.encode(report.reverse.map(Reverse.init), forKey: .reverse) }
    }

    /// `{"kernel", "data", "value", "error", "method"}`.
    struct Alignment: Encodable {
      var value: AlignmentValue
      enum Keys: String, CodingKey { case kernel, data, value, error, method }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.kernel, forKey: .kernel)
        try c.encode(value.data, forKey: .data)
        try c.encode(JSONNumber(value.value), forKey: .value)
        try c.encode(JSONNumber(value.error), forKey: .error)
        try c.encode(value.method.rawValue, forKey: .method)
      }
    }

    /// `{"kernel", "data", "points", "eigenvalues", "eigenvalue_errors", "target_coefficients",
    /// "target_coefficient_errors", "cumulative_power", "trace", "method"}`.
    struct Eigen: Encodable {
      var value: EigenValues
      enum Keys: String, CodingKey {
        case kernel, data, points, eigenvalues, trace, method
        case eigenvalueErrors = "eigenvalue_errors"
        case targetCoefficients = "target_coefficients"
        case targetCoefficientErrors = "target_coefficient_errors"
        case cumulativePower = "cumulative_power"
      }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.kernel, forKey: .kernel)
        try c.encode(value.data, forKey: .data)
        try c.encode(value.points, forKey: .points)
        try c.encode(value.eigenvalues.map(JSONNumber.init), forKey: .eigenvalues)
        try c.encode(value.eigenvalueErrors.map(JSONNumber.init), forKey: .eigenvalueErrors)
        try c.encode(value.targetCoefficients.map(JSONNumber.init), forKey: .targetCoefficients)
        try c.encode(value.targetCoefficientErrors.map(JSONNumber.init), forKey: .targetCoefficientErrors)
        try c.encode(value.cumulativePower.map(JSONNumber.init), forKey: .cumulativePower)
        try c.encode(JSONNumber(value.trace), forKey: .trace)
        try c.encode(value.method.rawValue, forKey: .method)
      }
    }

    /// The contract's keys (`kernel`, `samples`, `ridge`, `noise`, `kappa`, `learnabilities`,
    /// `target_learnability`, `test_mse`, `train_mse`) plus `data`, `learnability_sum`,
    /// `overfitting`, each estimate's `…_error`, the `method`, and `krr` (actual kernel ridge
    /// regression over random draws) when `trials:` was given.
    struct Eigenlearning: Encodable {
      var value: EigenlearningValue
      enum Keys: String, CodingKey {
        case kernel, data, samples, ridge, noise, kappa, learnabilities, overfitting, method, krr
        case kappaError = "kappa_error"
        case learnabilitySum = "learnability_sum"
        case targetLearnability = "target_learnability"
        case targetLearnabilityError = "target_learnability_error"
        case testMSE = "test_mse"
        case testMSEError = "test_mse_error"
        case trainMSE = "train_mse"
        case trainMSEError = "train_mse_error"
      }
      struct KRR: Encodable {
        var trials: Int
        var test_mse: JSONNumber
        var test_mse_stderr: JSONNumber
        var train_mse: JSONNumber
        var train_mse_stderr: JSONNumber
      }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.kernel, forKey: .kernel)
        try c.encode(value.data, forKey: .data)
        try c.encode(value.samples, forKey: .samples)
        try c.encode(JSONNumber(value.ridge), forKey: .ridge)
        try c.encode(JSONNumber(value.noise), forKey: .noise)
        try c.encode(JSONNumber(value.kappa), forKey: .kappa)
        try c.encode(JSONNumber(value.kappaError), forKey: .kappaError)
        try c.encode(value.learnabilities.map(JSONNumber.init), forKey: .learnabilities)
        try c.encode(JSONNumber(value.learnabilitySum), forKey: .learnabilitySum)
        if let t = value.targetLearnability {
          try c.encode(JSONNumber(t), forKey: .targetLearnability)
          try c.encode(JSONNumber(value.targetLearnabilityError), forKey: .targetLearnabilityError)
        }
        try c.encode(JSONNumber(value.overfitting), forKey: .overfitting)
        try c.encode(JSONNumber(value.testMSE), forKey: .testMSE)
        try c.encode(JSONNumber(value.testMSEError), forKey: .testMSEError)
        try c.encode(JSONNumber(value.trainMSE), forKey: .trainMSE)
        try c.encode(JSONNumber(value.trainMSEError), forKey: .trainMSEError)
        try c.encode(value.method.rawValue, forKey: .method)
        if let x = value.experiment {
          try c.encode(
            KRR(
              trials: x.trials, test_mse: JSONNumber(x.testMSE),
              test_mse_stderr: JSONNumber(x.testMSEStandardError),
              train_mse: JSONNumber(x.trainMSE), train_mse_stderr: JSONNumber(x.trainMSEStandardError)),
            forKey: .krr)
        }
      }
    }

    /// `{"function", "coefficients", "errors", "second_moment", "second_moment_error",
    /// "nngp_series", "ntk_series" (with `…_errors`), "rule", "method"}`.
    struct Hermite: Encodable {
      var value: HermiteValue
      enum Keys: String, CodingKey {
        case function, coefficients, errors, rule, method
        case secondMoment = "second_moment"
        case secondMomentError = "second_moment_error"
        case nngpSeries = "nngp_series"
        case nngpSeriesErrors = "nngp_series_errors"
        case ntkSeries = "ntk_series"
        case ntkSeriesErrors = "ntk_series_errors"
      }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.function, forKey: .function)
        try c.encode(value.coefficients.map(JSONNumber.init), forKey: .coefficients)
        try c.encode(value.errors.map(JSONNumber.init), forKey: .errors)
        try c.encode(JSONNumber(value.secondMoment), forKey: .secondMoment)
        try c.encode(JSONNumber(value.secondMomentError), forKey: .secondMomentError)
        try c.encode(value.nngpSeries.map(JSONNumber.init), forKey: .nngpSeries)
        try c.encode(value.nngpSeriesErrors.map(JSONNumber.init), forKey: .nngpSeriesErrors)
        try c.encode(value.ntkSeries.map(JSONNumber.init), forKey: .ntkSeries)
        try c.encode(value.ntkSeriesErrors.map(JSONNumber.init), forKey: .ntkSeriesErrors)
        try c.encode(value.rule, forKey: .rule)
        try c.encode(value.method.rawValue, forKey: .method)
      }
    }
    /// `{"model", "kernel", "degree", "hermite_coefficients", "kernel_coefficients",
    /// "kernel_coefficient_errors", "fit_error", "fit_points", "scale", "accuracy", "rho_max",
    /// "verified_error", "verified_error_uncertainty", "verified_points", "worst_rho",
    /// "definition", "output", "method"}`; errors are relative to `scale`.
    struct Reverse: Encodable {
      var value: ReverseValue
      enum Keys: String, CodingKey {
        case model, kernel, degree, scale, accuracy, definition, output, method
        case hermiteCoefficients = "hermite_coefficients"
        case kernelCoefficients = "kernel_coefficients"
        case kernelCoefficientErrors = "kernel_coefficient_errors"
        case fitError = "fit_error"
        case fitPoints = "fit_points"
        case rhoMax = "rho_max"
        case verifiedError = "verified_error"
        case verifiedErrorUncertainty = "verified_error_uncertainty"
        case verifiedPoints = "verified_points"
        case worstRho = "worst_rho"
      }
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.model, forKey: .model)
        try c.encode(value.kernel, forKey: .kernel)
        try c.encode(value.degree, forKey: .degree)
        try c.encode(value.hermiteCoefficients.map(JSONNumber.init), forKey: .hermiteCoefficients)
        try c.encode(value.kernelCoefficients.map(JSONNumber.init), forKey: .kernelCoefficients)
        try c.encode(value.kernelCoefficientErrors.map(JSONNumber.init), forKey: .kernelCoefficientErrors)
        try c.encode(JSONNumber(value.fitError), forKey: .fitError)
        try c.encode(value.fitPoints, forKey: .fitPoints)
        try c.encode(JSONNumber(value.scale), forKey: .scale)
        try c.encode(JSONNumber(value.accuracy), forKey: .accuracy)
        try c.encode(JSONNumber(value.rhoMax), forKey: .rhoMax)
        try c.encode(JSONNumber(value.verifiedError), forKey: .verifiedError)
        try c.encode(JSONNumber(value.verifiedErrorUncertainty), forKey: .verifiedErrorUncertainty)
        try c.encode(value.verifiedPoints, forKey: .verifiedPoints)
        try c.encode(JSONNumber(value.worstRho), forKey: .worstRho)
        try c.encode(value.definition, forKey: .definition)
        if let out = value.output { try c.encode(out, forKey: .output) }
        try c.encode(value.method.rawValue, forKey: .method)
      }
    }
  }
}
