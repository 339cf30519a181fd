import TPSyntax

/// Probabilities at which vector laws report quantiles.
public let reportedQuantiles: [Double] = [0.05, 0.25, 0.5, 0.75, 0.95]

/// The law of a vector's coordinates: moments and quantiles (of `Z` in the limit, or of the
/// empirical coordinates at finite width).
public struct VectorLaw: Sendable, Hashable, Codable {
  public var mean: Double
  public var variance: Double
  /// Values at ``reportedQuantiles``.
  public var quantiles: [Double]
  /// Estimated absolute error of the variance (0 when exact).
  public var varianceError: Double
  /// Estimated absolute error of each quantile (0 when exact).
  public var quantileErrors: [Double]
  /// Point masses of the law as `[value, probability, error of the probability]` (relu's
  /// `P(Z = 0)`), when known; the density then describes the rest of the law only.
  public var atoms: [[Double]] = []

  public init(
    mean: Double, variance: Double, quantiles: [Double], varianceError: Double = 0,
    quantileErrors: [Double]? = nil
  ) {
    self.mean = mean
    self.variance = variance
    self.quantiles = quantiles
    self.varianceError = varianceError
    self.quantileErrors = quantileErrors ?? quantiles.map { _ in 0 }
  }
}

/// How a number was computed.
public enum Method: String, Sendable, Hashable, Codable {
  case exact, quadrature, mc, finite
}

/// One output's value.
public enum OutputValue: Sendable, Hashable, Codable {
  case scalar(Double)
  case vector(VectorLaw)
}

/// One `out`/`show` result with its provenance.
public struct OutputResult: Sendable, Hashable, Codable {
  public var name: String
  public var value: OutputValue
  /// Monte Carlo sampling standard error of a scalar's final average (0 for exact/quadrature
  /// and finite-width runs).
  public var standardError: Double
  /// Estimated absolute error of the value (of the mean, for a vector): see ``Estimate``.
  public var error: Double
  public var method: Method
  public var isShow: Bool

  public init(
    name: String, value: OutputValue, standardError: Double, error: Double? = nil, method: Method,
    isShow: Bool = false
  ) {
    self.name = name
    self.value = value
    self.standardError = standardError
    self.error = error ?? standardError
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
  /// `file:line:col` of that instruction (or statement), when known.
  public var location: String?
  /// The source range of the statement it is about, for a caret under it, when known.
  public var range: SourceRange?

  public init(_ message: String, instruction: Int? = nil, location: String? = nil, range: SourceRange? = nil)
  {
    self.message = message
    self.instruction = instruction
    self.location = location
    self.range = range
  }

  /// An error about the statement at `range` of `file`, located like a diagnostic.
  public init(_ message: String, at range: SourceRange, in file: SourceFile?) {
    self.init(message, location: file.map { "\($0.name):\($0.location(of: range.start))" }, range: range)
  }

  public var description: String { (location.map { "\($0): " } ?? "") + "error: " + message }

  /// Rendered like a compiler diagnostic, with the source line and a caret, when the range and
  /// the file are known; else ``description``.
  public func rendered(in file: SourceFile?) -> String {
    guard let file, let range, range.end <= file.bytes.count else { return description }
    return Diagnostic(.error, message, at: range, category: .numerical).render(in: file)
  }
}

extension Program {
  /// A ``NumericalError`` at instruction `k`, with its source location and a description of it:
  /// where it came from in the user's terms for a lowered network, else the instruction itself
  /// (long expressions cut to about 120 characters).
  public func numericalError(_ message: String, at k: Int) -> NumericalError {
    let what: String
    if k < instructionOrigins.count, let origin = instructionOrigins[k] {
      what = origin
    } else {
      let text = describe(instruction: k)
      what = "'" + (text.count > 120 ? String(text.prefix(117)) + "…" : text) + "'"
    }
    return NumericalError(
      "\(message) in \(what)", instruction: k, location: location(ofInstruction: k),
      range: k < instructionRanges.count ? instructionRanges[k] : nil)
  }

  /// One instruction as the user wrote it, e.g. `h = W @ x`: compiler temporaries (`%3`) are
  /// replaced by what they compute, `mean(relu(W @ z[0]))`, up to 3 levels deep, and an
  /// instruction whose destination is a temporary is shown without it.
  public func describe(instruction k: Int) -> String {
    let definitions = vectorDefinitions
    var scalarDefinitions = [Int?](repeating: nil, count: scalars.count)
    for (i, inst) in instructions.enumerated() {
      switch inst {
      case .moment(let d, _), .scalar(let d, _): scalarDefinitions[d.raw] = i
      default: break
      }
    }
    func right(_ k: Int, depth: Int) -> String {
      func leaf(_ e: CoordExpr) -> String {
        switch e {
        case .vector(let v):
          guard vectors[v.raw].isTemporary, depth < 3, let d = definitions[v.raw] else { return name(v) }
          let text = right(d, depth: depth + 1)
          if case .nonlin = instructions[d], text.contains(" ") { return "(" + text + ")" }
          return text
        case .scalar(let s):
          guard scalars[s.raw].isTemporary, depth < 3, let d = scalarDefinitions[s.raw] else {
            return name(s)
          }
          let text = right(d, depth: depth + 1)
          if case .scalar = instructions[d], text.contains(" ") { return "(" + text + ")" }
          return text
        case .argument(let a): return "$\(a)"
        default: return ""
        }
      }
      switch instructions[k] {
      case .matmul(_, let m, let t, let x): return "\(name(m))\(t ? ".T" : "") @ \(leaf(.vector(x)))"
      case .nonlin(_, let e), .scalar(_, let e): return e.rendered(leafName: leaf)
      case .moment(_, let e): return "mean(\(e.rendered(leafName: leaf)))"
      }
    }
    let text = right(k, depth: 0)
    switch instructions[k] {
    case .matmul(let d, _, _, _), .nonlin(let d, _):
      return vectors[d.raw].isTemporary ? text : "\(name(d)) = \(text)"
    case .moment(let d, _), .scalar(let d, _):
      return scalars[d.raw].isTemporary ? text : "\(name(d)) = \(text)"
    }
  }
}

/// One reported value of a training trajectory.
public struct TrajectoryValue: Sendable, Hashable {
  /// `f` (the model's name), `loss`, `movement` or `kernel`.
  public var observable: String
  public var target: String?
  public var points: [[Double]]
  public var output: Int
  /// nil for the fully trained limit (`steps: inf`).
  public var step: Int?
  public var value: Double
  /// Variance of a Gaussian limit (kernel regime); 0 when the limit is deterministic.
  public var variance: Double
  /// Monte Carlo sampling standard error of the final average (0 when none).
  public var standardError: Double
  /// Estimated absolute error of `value` (see ``Estimate``).
  public var error: Double
  /// Estimated absolute error of `variance`.
  public var varianceError: Double
  public var method: Method

  public init(
    observable: String, target: String? = nil, points: [[Double]], output: Int = 0, step: Int?, value: Double,
    variance: Double = 0, standardError: Double = 0, error: Double? = nil, varianceError: Double = 0,
    method: Method
  ) {
    self.observable = observable
    self.target = target
    self.points = points
    self.output = output
    self.step = step
    self.value = value
    self.variance = variance
    self.standardError = standardError
    self.error = error ?? standardError
    self.varianceError = varianceError
    self.method = method
  }
}

/// A Gram matrix (`nngp` or `ntk`) on a list of points, or a cross-kernel between two lists.
///
/// The entries are stored flat, row by row (a 2000-point Gram matrix is one array of 4·10⁶
/// doubles, not 2000 arrays), from the limit's evaluation to the `.npy` writer.
public struct KernelMatrix: Sendable, Hashable {
  public var name: String
  /// The row points (and the column points when `columnPoints` is nil).
  public var points: [[Double]]
  /// The column points of a cross-kernel `K(xᵢ, x′ⱼ)`; nil for a Gram matrix on `points`.
  public var columnPoints: [[Double]]? = nil
  /// The number of columns (entries per row).
  public let columnCount: Int
  /// Entry `(i, j)` at `i · columnCount + j`.
  public var values: [Double]
  /// Each entry's estimated absolute error, in the order of `values`; nil when every entry is
  /// exact.
  public var errors: [Double]?
  /// How the least exact entry was computed.
  public var method: Method

  /// A matrix of `points.count` rows of `columnCount` entries, row-major.
  public init(
    name: String, points: [[Double]], columnCount: Int, values: [Double], errors: [Double]? = nil,
    method: Method = .exact
  ) {
    precondition(values.count == points.count * columnCount, "entry count does not match the shape")
    precondition(errors.map { $0.count == values.count } ?? true, "error count does not match the shape")
    self.name = name
    self.points = points
    self.columnCount = columnCount
    self.values = values
    self.errors = errors
    self.method = method
  }

  /// A matrix given by its rows (each of equal length), with optional per-entry errors.
  public init(
    name: String, points: [[Double]], matrix: [[Double]], errors: [[Double]]? = nil, method: Method = .exact
  ) {
    self.init(
      name: name, points: points, columnCount: matrix.first?.count ?? 0, values: matrix.flatMap { $0 },
      errors: errors?.flatMap { $0 }, method: method)
  }

  /// The number of rows.
  public var rowCount: Int { points.count }
  /// Entry `(i, j)`.
  public func value(_ i: Int, _ j: Int) -> Double { values[i * columnCount + j] }
  /// The estimated absolute error of entry `(i, j)` (0 when exact).
  public func error(_ i: Int, _ j: Int) -> Double { errors?[i * columnCount + j] ?? 0 }
  /// Row `i`.
  public func row(_ i: Int) -> ArraySlice<Double> { values[(i * columnCount)..<((i + 1) * columnCount)] }
  /// The entries as rows (a copy; for printing small matrices).
  public var rows: [[Double]] { (0..<rowCount).map { Array(row($0)) } }
}

/// The NNGP posterior of the latent function at one point.
public struct PosteriorValue: Sendable, Hashable {
  public var point: [Double]
  public var mean: Double
  public var variance: Double
  /// Estimated absolute errors of the mean and the variance, from the kernel entries' errors.
  public var meanError: Double
  public var varianceError: Double
  public var method: Method

  public init(
    point: [Double], mean: Double, variance: Double, meanError: Double = 0, varianceError: Double = 0,
    method: Method = .exact
  ) {
    self.point = point
    self.mean = mean
    self.variance = variance
    self.meanError = meanError
    self.varianceError = varianceError
    self.method = method
  }
}

/// The kernel–target alignment `A(K, y) = yᵀKy / (‖K‖_F ‖y‖²)` of one kernel on a data set.
public struct AlignmentValue: Sendable, Hashable {
  /// `nngp` or `ntk`.
  public var kernel: String
  public var data: String
  public var value: Double
  /// First-order bound on the error inherited from the kernel entries' errors (0 when exact).
  public var error: Double
  public var method: Method

  public init(kernel: String, data: String, value: Double, error: Double, method: Method) {
    self.kernel = kernel
    self.data = data
    self.value = value
    self.error = error
    self.method = method
  }
}

/// The eigenvalues of `K/M` on an `M`-point data set and the target's coefficients.
public struct EigenValues: Sendable, Hashable {
  public var kernel: String
  public var data: String
  /// The population size `M`.
  public var points: Int
  /// The largest eigenvalues of `K/M`, decreasing.
  public var eigenvalues: [Double]
  public var eigenvalueErrors: [Double]
  /// `vᵢ = uᵢᵀy/√M`.
  public var targetCoefficients: [Double]
  public var targetCoefficientErrors: [Double]
  /// `Σ_{j ≤ i} vⱼ² / (‖y‖²/M)`.
  public var cumulativePower: [Double]
  /// `tr(K)/M`, the sum of all `M` eigenvalues.
  public var trace: Double
  public var method: Method

  public init(
    kernel: String, data: String, points: Int, eigenvalues: [Double], eigenvalueErrors: [Double],
    targetCoefficients: [Double], targetCoefficientErrors: [Double], cumulativePower: [Double], trace: Double,
    method: Method
  ) {
    self.kernel = kernel
    self.data = data
    self.points = points
    self.eigenvalues = eigenvalues
    self.eigenvalueErrors = eigenvalueErrors
    self.targetCoefficients = targetCoefficients
    self.targetCoefficientErrors = targetCoefficientErrors
    self.cumulativePower = cumulativePower
    self.trace = trace
    self.method = method
  }
}

/// The eigenlearning prediction for kernel ridge regression with `samples` points.
public struct EigenlearningValue: Sendable, Hashable {
  public var kernel: String
  public var data: String
  public var samples: Int
  public var ridge: Double
  public var noise: Double
  public var kappa: Double
  public var kappaError: Double
  /// `Lᵢ`, one per eigenvalue of `K/M` (decreasing eigenvalue).
  public var learnabilities: [Double]
  /// `Σᵢ Lᵢ` (`= n` at `δ = 0`).
  public var learnabilitySum: Double
  /// nil for a zero target.
  public var targetLearnability: Double?
  public var targetLearnabilityError: Double
  /// `E₀ = n/(n − Σᵢ Lᵢ²)`.
  public var overfitting: Double
  public var testMSE: Double
  public var testMSEError: Double
  public var trainMSE: Double
  public var trainMSEError: Double
  /// Actual kernel ridge regression averaged over `trials` random draws, when requested.
  public var experiment: KernelRegressionExperiment?
  /// True when the statement gave a list of sample counts (a learning curve).
  public var isSweep: Bool
  public var method: Method

  public init(
    kernel: String, data: String, samples: Int, ridge: Double, noise: Double, kappa: Double,
    kappaError: Double,
    learnabilities: [Double], learnabilitySum: Double, targetLearnability: Double?,
    targetLearnabilityError: Double, overfitting: Double, testMSE: Double, testMSEError: Double,
    trainMSE: Double, trainMSEError: Double, experiment: KernelRegressionExperiment? = nil, isSweep: Bool,
    method: Method
  ) {
    self.kernel = kernel
    self.data = data
    self.samples = samples
    self.ridge = ridge
    self.noise = noise
    self.kappa = kappa
    self.kappaError = kappaError
    self.learnabilities = learnabilities
    self.learnabilitySum = learnabilitySum
    self.targetLearnability = targetLearnability
    self.targetLearnabilityError = targetLearnabilityError
    self.overfitting = overfitting
    self.testMSE = testMSE
    self.testMSEError = testMSEError
    self.trainMSE = trainMSE
    self.trainMSEError = trainMSEError
    self.experiment = experiment
    self.isSweep = isSweep
    self.method = method
  }
}

/// Test and train MSE of actual kernel ridge regression, averaged over random training draws.
public struct KernelRegressionExperiment: Sendable, Hashable {
  public var trials: Int
  public var testMSE: Double
  /// Standard error of `testMSE` over the draws.
  public var testMSEStandardError: Double
  public var trainMSE: Double
  public var trainMSEStandardError: Double

  public init(
    trials: Int, testMSE: Double, testMSEStandardError: Double, trainMSE: Double,
    trainMSEStandardError: Double
  ) {
    self.trials = trials
    self.testMSE = testMSE
    self.testMSEStandardError = testMSEStandardError
    self.trainMSE = trainMSE
    self.trainMSEStandardError = trainMSEStandardError
  }
}

/// The normalised Hermite coefficients `aₖ = E[φ(Z) hₖ(Z)]` of an activation.
public struct HermiteValue: Sendable, Hashable {
  public var function: String
  public var coefficients: [Double]
  public var errors: [Double]
  /// `E[φ(Z)²]` and its error; `E[φ²] − Σ aₖ²` is the power beyond the degree.
  public var secondMoment: Double
  public var secondMomentError: Double
  /// How the coefficients were computed, e.g. `gauss-hermite 512 nodes`.
  public var rule: String

  /// The coefficients of `ρᵏ` in the one-hidden-layer NNGP the activation induces on the unit
  /// sphere (unit pre-activation variance, readout variance 1, no bias):
  /// `K(ρ) = Σₖ aₖ² ρᵏ` (Mehler's formula; `OneHiddenLayerKernel`).
  public var nngpSeries: [Double] { coefficients.map { $0 * $0 } }
  /// Their errors, `2|aₖ| eₖ + eₖ²`.
  public var nngpSeriesErrors: [Double] { zip(coefficients, errors).map { 2 * abs($0) * $1 + $1 * $1 } }
  /// The coefficients of `ρᵏ` in the NTK of the same network, `Θ(ρ) = Σₖ (k + 1) aₖ² ρᵏ`
  /// (Jacot, Gabriel & Hongler 2018 for one hidden layer, every layer trained).
  public var ntkSeries: [Double] { nngpSeries.enumerated().map { Double($0.offset + 1) * $0.element } }
  /// Their errors, `(k + 1)` times those of the NNGP series.
  public var ntkSeriesErrors: [Double] {
    nngpSeriesErrors.enumerated().map { Double($0.offset + 1) * $0.element }
  }
  public var method: Method

  public init(
    function: String, coefficients: [Double], errors: [Double], secondMoment: Double,
    secondMomentError: Double,
    rule: String, method: Method
  ) {
    self.function = function
    self.coefficients = coefficients
    self.errors = errors
    self.secondMoment = secondMoment
    self.secondMomentError = secondMomentError
    self.rule = rule
    self.method = method
  }
}

/// `reverse f`: an activation `φ = Σₖ aₖ hₖ` whose one-hidden-layer kernel matches the
/// model's on the unit sphere, with the fit's error and the error `tp` measured on the
/// generated network.
public struct ReverseValue: Sendable, Hashable {
  public var model: String
  /// `ntk` or `nngp`.
  public var kernel: String
  /// `a₀ … a_D` (normalised Hermite coefficients of the activation).
  public var hermiteCoefficients: [Double]
  /// `b₀ … b_D`, the fitted power series `κ(ρ) ≈ Σ bₖ ρᵏ` (all `≥ 0`).
  public var kernelCoefficients: [Double]
  /// `|bₖ(D) − bₖ(D′)|` against a higher-degree fit.
  public var kernelCoefficientErrors: [Double]
  /// `max |κ − Σ bₖ ρᵏ| / max|κ|` on the fit points.
  public var fitError: Double
  public var fitPoints: Int
  /// `max|κ|` on the fit points.
  public var scale: Double
  /// The accuracy asked for.
  public var accuracy: Double
  public var rhoMax: Double
  /// `max |κ_generated − κ| / max|κ|` over the check points, both computed by `tp`.
  public var verifiedError: Double
  /// The entries' errors there, relative to the same scale.
  public var verifiedErrorUncertainty: Double
  public var verifiedPoints: Int
  /// Where the verified error is largest.
  public var worstRho: Double
  /// The `def phi(z) = …` line(s).
  public var definition: String
  /// The generated program's path as written, if it was written.
  public var output: String?
  public var method: Method

  public var degree: Int { hermiteCoefficients.count - 1 }

  public init(
    model: String, kernel: String, hermiteCoefficients: [Double], kernelCoefficients: [Double],
    kernelCoefficientErrors: [Double], fitError: Double, fitPoints: Int, scale: Double, accuracy: Double,
    rhoMax: Double, verifiedError: Double, verifiedErrorUncertainty: Double, verifiedPoints: Int,
    worstRho: Double, definition: String, output: String?, method: Method
  ) {
    self.model = model
    self.kernel = kernel
    self.hermiteCoefficients = hermiteCoefficients
    self.kernelCoefficients = kernelCoefficients
    self.kernelCoefficientErrors = kernelCoefficientErrors
    self.fitError = fitError
    self.fitPoints = fitPoints
    self.scale = scale
    self.accuracy = accuracy
    self.rhoMax = rhoMax
    self.verifiedError = verifiedError
    self.verifiedErrorUncertainty = verifiedErrorUncertainty
    self.verifiedPoints = verifiedPoints
    self.worstRho = worstRho
    self.definition = definition
    self.output = output
    self.method = method
  }
}

/// The regime of a network's parametrization, for reports.
public struct RegimeSummary: Sendable, Hashable {
  /// `feature-learning`, `kernel`, `trivial` or `unstable`.
  public var name: String
  public var r: Double
  public var rText: String

  public init(name: String, r: Double, rText: String) {
    self.name = name
    self.r = r
    self.rText = rText
  }
}

/// Everything `tp run` reports for one program.
public struct RunReport: Sendable {
  /// How the computation went, for `--verbose` (node-cache statistics and the like).
  public var verboseNotes: [String] = []
  public var program: String
  public var regime: RegimeSummary?
  /// The width for a finite-width run; nil for the limit.
  public var width: Int?
  public var outputs: [OutputResult]
  public var trajectory: [TrajectoryValue]
  public var kernels: [KernelMatrix]
  public var posterior: [PosteriorValue]
  /// Remarks for stderr (methods used, dropped terms, …).
  public var notes: [String]
  /// For vector outputs: the density of the coordinate law as `(x, p(x))` points, by name.
  public var densities: [String: [[Double]]] = [:]
  /// `alignment f on d`: one value per kernel (NNGP, NTK) and statement.
  public var alignments: [AlignmentValue] = []
  /// `eigen f on d`: one eigenstructure per kernel and statement.
  public var eigen: [EigenValues] = []
  /// `eigenlearning f on d`: one prediction per sample count and statement.
  public var eigenlearning: [EigenlearningValue] = []
  /// `hermite φ`: one expansion per statement.
  public var hermite: [HermiteValue] = []
  /// `reverse f`: one designed activation per statement.
  public var reverse: [ReverseValue] = []
  /// The names of named points (`point a = [1, 0]`), for headers and JSON.
  public var pointNames: [[Double]: String] = [:]

  public init(
    program: String, regime: RegimeSummary? = nil, width: Int? = nil, outputs: [OutputResult] = [],
    trajectory: [TrajectoryValue] = [], kernels: [KernelMatrix] = [], posterior: [PosteriorValue] = [],
    notes: [String] = []
  ) {
    self.program = program
    self.regime = regime
    self.width = width
    self.outputs = outputs
    self.trajectory = trajectory
    self.kernels = kernels
    self.posterior = posterior
    self.notes = notes
  }
}

/// One quantity compared by `tp check`: its limit, finite-width statistics per width, and the
/// fitted slope of the per-seed RMS error against the width on log–log axes.
public struct CheckedQuantity: Sendable, Hashable {
  public struct Width: Sendable, Hashable {
    public var width: Int
    public var mean: Double
    /// Standard error of `mean` over seeds.
    public var standardError: Double
    /// `√(mean over seeds of (value − limit)²)`.
    public var rmsError: Double
    public var values: [Double]

    public init(width: Int, mean: Double, standardError: Double, rmsError: Double, values: [Double]) {
      self.width = width
      self.mean = mean
      self.standardError = standardError
      self.rmsError = rmsError
      self.values = values
    }
  }

  public var name: String
  public var limit: Double
  public var limitStandardError: Double
  public var widths: [Width]
  /// NaN when it cannot be fitted (e.g. every width exactly right).
  public var slope: Double
  /// False when the finite widths do not approach the limit (the test of `tp check`: docs/cli.md).
  public var converges: Bool
  /// The test statistic and its critical value (NaN when the quantity was judged otherwise).
  public var statistic: Double = .nan
  public var critical: Double = .nan
  /// The limit extrapolated from the finite widths by a weighted fit `mean(n) = L + B/n`, and its
  /// standard error (NaN when not fitted).
  public var extrapolated: Double = .nan
  public var extrapolatedError: Double = .nan

  public init(
    name: String, limit: Double, limitStandardError: Double, widths: [Width], slope: Double, converges: Bool
  ) {
    self.name = name
    self.limit = limit
    self.limitStandardError = limitStandardError
    self.widths = widths
    self.slope = slope
    self.converges = converges
  }
}

/// The result of `tp check`.
public struct CheckReport: Sendable {
  public var program: String
  public var seeds: Int
  public var quantities: [CheckedQuantity]

  public init(program: String, seeds: Int, quantities: [CheckedQuantity]) {
    self.program = program
    self.seeds = seeds
    self.quantities = quantities
  }

  public var passed: Bool { quantities.allSatisfy(\.converges) }
}

extension RunReport {
  /// The outputs by name (`report.outputsByName["r"]`).
  public var outputsByName: [String: OutputResult] {
    Dictionary(outputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The kernel matrices by name: `"nngp"`, `"ntk"` (and feature kernels by their names).
  public var kernelsByName: [String: KernelMatrix] {
    Dictionary(kernels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The trajectory of one observed quantity by step (`nil` is `steps: inf`): `observable` is
  /// `"f"` (a model), `"loss"`, `"movement"`, `"kernel"` or `"alignment"`; `target` names the
  /// vector of `movement`/`kernel`/`alignment`; `points` the observed point (one for `f` and
  /// `movement`, two for `kernel`, none for `loss`); `output` the model's output index.
  public func trajectory(
    _ observable: String, target: String? = nil, at points: [[Double]] = [], output: Int = 0
  ) -> [Int?: TrajectoryValue] {
    var out: [Int?: TrajectoryValue] = [:]
    for v in trajectory
    where v.observable == observable && v.target == target && v.points == points && v.output == output {
      out[v.step] = v
    }
    return out
  }
}
