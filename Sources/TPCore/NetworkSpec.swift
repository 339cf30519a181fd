import TPSyntax

/// A layer dimension after checking: a fixed size or the width `n`.
public enum LayerDimension: Sendable, Hashable, CustomStringConvertible {
  case finite(Int)
  case width

  public var description: String {
    switch self {
    case .finite(let k): return String(k)
    case .width: return "n"
    }
  }
}

/// The role a layer plays, fixed by its shape: `d → n` input, `n → n` hidden, `n → k` readout.
public enum LayerRole: String, Sendable, Hashable {
  case input, hidden, readout
}

/// `layer NAME : in -> out (var: σ²)`; effective entries `N(0, σ²/fan_in)`.
public struct LayerSpec: Sendable, Hashable {
  public var name: String
  public var input: LayerDimension
  public var output: LayerDimension
  public var variance: Double
  public var range: SourceRange

  public var role: LayerRole {
    switch (input, output) {
    case (.finite, _): return .input
    case (.width, .width): return .hidden
    case (.width, .finite): return .readout
    }
  }
}

/// `bias NAME : n (var: σ²)`: an initial vector with coordinates `N(0, σ²)`.
public struct BiasSpec: Sendable, Hashable {
  public var name: String
  public var variance: Double
  public var range: SourceRange
}

/// The straight-line forward pass `model f(xi) { … return e }`, kept as checked syntax.
public struct ModelSpec: Sendable {
  public var name: String
  public var parameter: String
  public var body: [Stmt]
  /// The input dimension `d` (fan-in of the input layer).
  public var inputDimension: Int
  /// The output dimension `k` (fan-out of the readout).
  public var outputDimension: Int
  public var range: SourceRange
}

/// Width exponents of one layer in an abc-parametrization (THEORY §5).
public struct ABCExponents: Sendable, Hashable {
  public var a: Double
  public var b: Double
  public init(a: Double, b: Double) {
    self.a = a
    self.b = b
  }
}

/// The `parametrization` statement.
public enum ParametrizationSpec: Sendable, Hashable {
  /// `mup`, `ntk`, `sp` or `mf`.
  case preset(String)
  /// Explicit exponents per layer name and the learning-rate exponent `c`.
  case abc(layers: [String: ABCExponents], c: Double)
}

/// One training or evaluation example.
public struct Example: Sendable, Hashable {
  public var input: [Double]
  public var label: [Double]
}

/// The loss of `sgd(loss:)`: `mse` is `½(f − y)²`, `logistic` is `log(1 + e^{−y f})`.
public enum LossKind: String, Sendable, Hashable {
  case mse, logistic
}

/// `train f on data with sgd(lr:, steps:, batch:, loss:)`.
public struct TrainingSpec: Sendable, Hashable {
  public var model: String
  public var data: String
  public var learningRate: Double
  /// nil for `steps: inf` (the fully trained kernel-regime limit).
  public var steps: Int?
  /// nil for `batch: full`.
  public var batch: Int?
  public var loss: LossKind
  public var range: SourceRange
}

/// What an `observe` statement asks for.
public enum ObservableKind: Sendable, Hashable {
  /// `observe f at …`: the model output.
  case function
  /// `observe loss`: the mean training loss.
  case loss
  /// `observe movement h at ξ`: `mean((h_t − h_0)²)`.
  case movement(String)
  /// `observe kernel x at ξ, ξ′`: `mean(x(ξ) x(ξ′))` for all pairs.
  case kernel(String)
  /// `observe alignment x on d`: the kernel–target alignment `yᵀFy / (‖F‖_F ‖y‖²)` of the
  /// feature kernel `F = mean(x(ξ) x(ξ′))` on the inputs of data set `d` (the observation's
  /// points, in data order) with its labels.
  case alignment(String, data: String)
}

/// `observe …` with its points and `every: k` thinning.
public struct ObservationSpec: Sendable, Hashable {
  public var kind: ObservableKind
  public var points: [[Double]]
  public var every: Int
  public var range: SourceRange
}

/// `kernel f at …` or `posterior f on data at … (noise: σ²)`.
public struct KernelRequest: Sendable, Hashable {
  public var model: String
  public var points: [[Double]]
  /// For cross-kernels (`kernel f on train, test`): the column points; the matrices are
  /// `points × columnPoints`. Nil for Gram matrices on `points`.
  public var columnPoints: [[Double]]? = nil
  /// For posteriors: the training set name and the observation noise variance.
  public var posteriorData: String?
  public var noise: Double
  public var range: SourceRange
}

/// Everything a network program declares, checked for well-formedness; lowered by TPNetwork.
public struct NetworkSpec: Sendable {
  public var widthName: String = "n"
  public var layers: [LayerSpec] = []
  public var biases: [BiasSpec] = []
  public var model: ModelSpec?
  public var parametrization: ParametrizationSpec = .preset("ntk")
  public var parametrizationRange: SourceRange?
  public var datasets: [String: [Example]] = [:]
  /// `point NAME = […]` declarations: the name of each named point (the first, when one point
  /// has several), for the reports' column headers and JSON.
  public var pointNames: [[Double]: String] = [:]
  public var training: TrainingSpec?
  public var observations: [ObservationSpec] = []
  public var kernels: [KernelRequest] = []
  /// Kernel-analysis statements, in file order.
  public var analyses: [KernelAnalysisRequest] = []
  /// For data sets read with `csv(…)`: the resolved path of the file.
  public var dataFiles: [String: String] = [:]

  public init() {}

  public func layer(named name: String) -> LayerSpec? { layers.first { $0.name == name } }
}

/// Which kernel of a model a kernel-analysis statement uses.
public enum KernelChoice: String, Sendable, Hashable, CaseIterable {
  /// The NNGP kernel `K` (the output covariance at initialization).
  case nngp
  /// The neural tangent kernel `Θ`.
  case ntk
}

/// A checked kernel-analysis statement (LANGUAGE.md, "Kernel analysis").
public enum KernelAnalysisRequest: Sendable, Hashable {
  /// `alignment f on d`: `A(K, y) = yᵀKy / (‖K‖_F ‖y‖²)` for the NNGP and the NTK.
  case alignment(model: String, data: String, range: SourceRange)
  /// `eigen f on d (top: k)`: the `k` largest eigenvalues of `K/M` and the target's
  /// coefficients, for the NNGP and the NTK (`top` nil: all `M`).
  case eigen(model: String, data: String, top: Int?, range: SourceRange)
  /// `eigenlearning f on d (samples: …, ridge: δ, noise: ε², kernel: …)`.
  case eigenlearning(EigenlearningRequest)
  /// `hermite φ (degree: K)`: the normalised Hermite coefficients `a₀ … a_K` of a built-in
  /// activation or a one-argument `def`.
  case hermite(function: String, degree: Int, range: SourceRange)
  /// `reverse f to "FILE" (…)`: an activation with the model's one-hidden-layer kernel.
  case reverse(ReverseRequest)

  public var range: SourceRange {
    switch self {
    case .alignment(_, _, let r), .eigen(_, _, _, let r), .hermite(_, _, let r): return r
    case .eigenlearning(let e): return e.range
    case .reverse(let r): return r.range
    }
  }
}

/// `reverse f to "FILE" (kernel: ntk|nngp, accuracy: ε, degree: D, rho_max: r)`: an
/// activation whose one-hidden-layer NNGP or NTK on the unit sphere is the model's (Simon,
/// Anand & DeWeese, "Reverse Engineering the Neural Tangent Kernel", ICML 2022).
public struct ReverseRequest: Sendable, Hashable {
  /// The largest `degree:` accepted (the monomial power series carries little beyond it).
  public static let maximumDegree = 60

  public var model: String
  /// The kernel to match (default: the NTK).
  public var kernel: KernelChoice = .ntk
  /// The largest fit error allowed, relative to the kernel's scale `max|κ|` on the fit points.
  public var accuracy: Double = 1e-3
  /// A fixed degree, or nil for the lowest one reaching `accuracy`.
  public var degree: Int?
  /// The fit covers `ρ ∈ [−1, rhoMax]` and `ρ = 1`.
  public var rhoMax: Double = 1
  /// Where to write the generated program (resolved against the program's directory), and
  /// the path as written.
  public var output: String?
  public var shownOutput: String?
  public var range: SourceRange

  public init(model: String, range: SourceRange) {
    self.model = model
    self.range = range
  }
}

/// `eigenlearning f on d (samples: n | [n₁, …], ridge: δ, noise: ε², kernel: ntk|nngp, trials: T)`.
public struct EigenlearningRequest: Sendable, Hashable {
  public var model: String
  public var data: String
  /// The training-set sizes `n` (one, or a learning curve).
  public var samples: [Int]
  /// True when `samples` was written as a list (a learning curve, plotted with `--plot`).
  public var isSweep: Bool
  public var ridge: Double
  public var noise: Double
  public var kernel: KernelChoice
  /// When given, actual kernel ridge regression is also run on this many random training
  /// draws per sample count, for comparison with the prediction.
  public var trials: Int?
  public var range: SourceRange

  public init(
    model: String, data: String, samples: [Int], isSweep: Bool, ridge: Double, noise: Double,
    kernel: KernelChoice, trials: Int?, range: SourceRange
  ) {
    self.model = model
    self.data = data
    self.samples = samples
    self.isSweep = isSweep
    self.ridge = ridge
    self.noise = noise
    self.kernel = kernel
    self.trials = trials
    self.range = range
  }
}
