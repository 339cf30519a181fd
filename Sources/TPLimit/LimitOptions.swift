import Foundation
import TPCore
import TPNumerics

/// How the limit interpreter evaluates expectations.
public enum ExpectationMethod: String, Sendable, Hashable, CaseIterable {
  /// Exact where possible, quadrature in low dimension, Monte Carlo otherwise.
  case auto
  /// Closed forms and Gaussian moments only; anything else is an error.
  case exact
  /// Gauss–Hermite tensor quadrature (up to ``LimitOptions/quadratureMaximumDimension`` + 3 dimensions).
  case quadrature
  /// Monte Carlo over particles for everything.
  case mc
}

/// Where the Monte Carlo particles come from.
public enum Sampler: String, Sendable, Hashable, CaseIterable, Codable {
  /// Independent pseudo-random Gaussians (counter-based Philox streams, one per base).
  case mc
  /// Randomized quasi-Monte Carlo: a randomly shifted rank-1 lattice mapped by `Φ⁻¹`
  /// (``RankOneLattice``), one lattice coordinate per base Gaussian innovation and one
  /// independent shift per coordinate and replicate; the replicates' spread is the error.
  case rqmc
  /// Antithetic pairs: half the particles are pseudo-random innovations `ε` and the other half
  /// their negations `−ε`, interleaved (particles `2i` and `2i + 1` are a pair), so the odd part
  /// of every integrand in the innovations cancels exactly within each pair. A pair's members
  /// are not independent: a replicate's own error is the spread of the pair means over
  /// `√(N/2)`, and with several replicates the error is their spread alone.
  case antithetic
  /// Both: a randomly shifted rank-1 lattice of `N/2` points (as ``rqmc``) and its reflection
  /// through the origin of the Gaussian space, paired as in ``antithetic``.
  case rqmcAntithetic = "rqmc-antithetic"

  /// Whether particle `2i + 1` is the negation of particle `2i`.
  public var isAntithetic: Bool { self == .antithetic || self == .rqmcAntithetic }

  /// Whether the innovations come from a shifted rank-1 lattice.
  public var isLattice: Bool { self == .rqmc || self == .rqmcAntithetic }

  /// Whether the particles of one replicate are dependent (a lattice, or antithetic pairs), so
  /// that the error of several replicates is their spread alone — `sd_R/√R`, not
  /// `max(sd_R, rms(seᵣ))/√R` — and no spread is pooled across neighbouring numbers
  /// (``LimitResult/combining(_:pools:)``): the variance reduction differs from number to number.
  public var errorFromReplicateSpread: Bool { self != .mc }
}

/// How `E[∂Z^x/∂Ẑ^{Wᵀy}]` in a `Ż` coefficient is computed.
public enum DerivativeRule: String, Sendable, Hashable {
  /// Path-wise where every function on the path is Lipschitz, Stein's identity where a jump lies on it.
  case auto
  /// Always path-wise (wrong through jumps; for tests that show why).
  case pathwise
  /// Always Gaussian integration by parts, `E[∇_G F] = C⁺ E[G F]`.
  case stein
}

/// Settings of a limit computation.
public struct LimitOptions: Sendable, Hashable {
  public var method: ExpectationMethod
  /// Monte Carlo particles per replicate.
  public var samples: Int
  /// Independent Monte Carlo replicates, averaged, whose spread gives the reported errors (only
  /// when some expectation is Monte Carlo). The default, 8 replicates of 8,192 particles, costs
  /// what one run of 65,536 does and includes the error inherited through `Ż` coefficients and
  /// earlier moments; with 1, the reported error is each final average's sampling error, which
  /// leaves that out (measured 3.5× too small on a two-hidden-layer ReLU network trained 10 steps).
  public var replicates: Int
  /// Gauss–Hermite nodes per dimension; 0 chooses by dimension (100, 80, 60 for 1, 2, 3
  /// dimensions, then 20), enough for smooth integrands to reach about 1e-6.
  public var degree: Int
  public var seed: UInt64
  /// Largest number of base Gaussians integrated by quadrature under `.auto`.
  public var quadratureMaximumDimension: Int
  public var derivativeRule: DerivativeRule
  public var threads: Int
  /// Bytes of node values the Monte Carlo particle set keeps between expectations (buffers
  /// beyond it are freed, the cheapest to recompute first, and recomputed when needed again;
  /// results are identical for every budget). Quadrature grids keep 1/32 of it each. The
  /// default is ``defaultCacheBytes``.
  public var cacheBytes: Int

  /// A quarter of the physical memory, between 1 GiB and 64 GiB: the node values a long
  /// run needs grow like steps × particles (60 SGD steps of a two-hidden-layer network hold
  /// about 5,700 node buffers, 6 GiB at 131,072 particles), and a budget below that makes the
  /// run recompute nodes over and over.
  public static var defaultCacheBytes: Int {
    let quarter = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)
    return min(max(1 << 30, quarter), 64 << 30)
  }
  /// Whether path-wise `Ż` derivatives that would be Monte Carlo anyway are averaged by one
  /// reverse-mode sweep over the particles (true, the default: cost linear in the ancestors)
  /// or through forward-mode tangent nodes per base (false: the same per-particle values, for
  /// cross-checks; the number of tangent nodes grows like steps³ in trained networks).
  public var reverseModeDerivatives: Bool = true
  /// Bytes a run may use, checked against ``LimitCost`` before any particle is drawn
  /// (`tp run` sets it from physical memory, `ulimit` or `--max-memory`).
  public var memoryLimit: Int = .max
  /// Arithmetic operations a run may spend, checked against ``LimitCost`` first (`--max-work`).
  public var workLimit: Int = .max
  /// Whether NNGP/NTK matrices use a ``PairwiseRecipe`` when the kernel program has one (true,
  /// the default) or always run the kernel program through the general interpreter (false: the
  /// reference the fast path is tested against).
  public var pairwiseKernels: Bool = true
  /// Whether the pairwise recipe evaluates separable smooth expectations (`E[tanh(u) tanh(v)]`,
  /// …) by Mehler's series in the correlation (true, the default) or by the two-dimensional
  /// trapezoidal rule at every pair (false: for cross-checks).
  public var mehlerSeries: Bool = true
  /// Most points a quadrature rule may have (Gauss–Hermite grids and piecewise rules).
  public var gridBudget: Int = 4_000_000
  /// Gauss–Legendre nodes per piece of the kink-aware piecewise rule (tails get four more).
  public var piecewiseNodes: Int = 8
  /// Particles on which a Monte Carlo estimate keeps its influence function, so that the
  /// error of a formula combining estimates over the same particles accounts for their
  /// correlation (the first `min(samples, influenceParticles)` particles).
  public var influenceParticles: Int = 8192
  /// Pseudo-random (`mc`, the default), randomized quasi-Monte Carlo (`rqmc`), antithetic
  /// (`antithetic`) or both (`rqmc-antithetic`) particles. Except with `mc` the particles of
  /// one replicate are not independent (``Sampler/errorFromReplicateSpread``), so the combined
  /// error is the replicates' spread alone (``LimitResult/combining(_:pools:)``); with one
  /// replicate it is the replicate's own error: `sd/√N` for `rqmc` (conservative), the spread
  /// of the pair means `/√(N/2)` for the antithetic samplers.
  public var sampler: Sampler = .mc

  public init(
    method: ExpectationMethod = .auto, samples: Int = 1 << 13, replicates: Int = 8, degree: Int = 0,
    seed: UInt64 = 0,
    quadratureMaximumDimension: Int = 3, derivativeRule: DerivativeRule = .auto,
    threads: Int = Parallel.defaultThreads,
    cacheBytes: Int = LimitOptions.defaultCacheBytes
  ) {
    self.method = method
    self.samples = samples
    self.replicates = replicates
    self.degree = degree
    self.seed = seed
    self.quadratureMaximumDimension = quadratureMaximumDimension
    self.derivativeRule = derivativeRule
    self.threads = threads
    self.cacheBytes = cacheBytes
  }

  /// The rule family this run takes at lower resolution when it is a twin of a run
  /// (``LimitInterpreter/run(_:options:pools:ledger:)``): its rules at about three quarters
  /// of their nodes (Gauss–Hermite) or two nodes fewer per piece (piecewise), every other rule
  /// as in the run. nil for a run at full resolution.
  var coarse: QuadratureFamily? = nil

  /// The Gauss–Hermite degree used for a `dimension`-dimensional integral.
  public func degree(forDimension dimension: Int) -> Int {
    let full: Int
    if degree > 0 {
      full = degree
    } else {
      switch dimension {
      case ...1: full = 100
      case 2: full = 80
      case 3: full = 60
      default: full = 20
      }
    }
    return coarse == .gaussHermite(dimension: dimension) ? max(1, 3 * full / 4) : full
  }

  /// Gauss–Legendre nodes per piece of the piecewise rule in this run.
  var nodesPerPiece: Int { coarse == .piecewise ? max(2, piecewiseNodes - 2) : piecewiseNodes }
}

/// A family of quadrature rules whose resolution changes together: Gauss–Hermite grids of one
/// dimension, or the piecewise rule.
public enum QuadratureFamily: Hashable, Sendable {
  case gaussHermite(dimension: Int)
  case piecewise

  /// An order for running twins deterministically: Gauss–Hermite by dimension, then piecewise.
  var order: Int {
    switch self {
    case .gaussHermite(let d): return d
    case .piecewise: return .max
    }
  }
}

/// One `Ż` term of a MatMul: `coefficient · Z^{operand}` with `coefficient = σ² E[∂Z^x/∂Ẑ^{Wᵀy}]`,
/// and how that expectation was found.
public struct ZDotTerm: Sendable, Hashable, Codable {
  /// The program vector `y_j` multiplied by the coefficient.
  public var operand: String
  public var coefficient: Double
  public var standardError: Double
  /// Its estimated error (see ``Estimate``).
  public var error: Double
  /// The matrix's variance `σ²`.
  public var sigma2: Double
  /// The expectation, spelled out: `E[∂Z^{x}/∂Ẑ^{Wᵀ y}]`.
  public var target: String
  /// How it was computed: Stein's identity, path-wise tangents, or path-wise reverse mode.
  public var rule: String
  public var method: Method

  public init(
    operand: String, coefficient: Double, standardError: Double, error: Double? = nil, sigma2: Double,
    target: String, rule: String, method: Method
  ) {
    self.operand = operand
    self.coefficient = coefficient
    self.standardError = standardError
    self.error = error ?? standardError
    self.sigma2 = sigma2
    self.target = target
    self.rule = rule
    self.method = method
  }

  /// `σ²·E[…] = σ²·value [± se] rule (method)`, as `tp explain` prints it.
  public var derivation: String {
    let value = sigma2 == 0 ? 0 : coefficient / sigma2
    let error = self.error > 0 ? " ± \(Program.format(self.error / sigma2))" : ""
    return
      "σ²·\(target) = \(Program.format(sigma2))·\(Program.format(value))\(error), \(rule) (\(method.rawValue))"
  }
}

/// How one vector's `Z` is built, for `tp explain`.
public struct VectorDerivation: Sendable, Hashable, Codable {
  public var vector: String
  /// The formula without its `Ż` terms, e.g. `Z^{h} = Ẑ^{W g}`.
  public var lead: String
  public var zdot: [ZDotTerm]

  public init(vector: String, lead: String, zdot: [ZDotTerm]) {
    self.vector = vector
    self.lead = lead
    self.zdot = zdot
  }

  /// The whole formula, e.g. `Z^{h} = Ẑ^{W g} + 2·Z^{y}`.
  public var formula: String {
    zdot.reduce(lead) { $0 + " + \(Program.format($1.coefficient))·Z^{\($1.operand)}" }
  }
}

/// The infinite-width limit of a program.
public struct LimitResult: Sendable, Codable {
  public var outputs: [OutputResult]
  /// Every scalar of the program, by `ScalarID.raw`.
  public var scalars: [Estimate]
  public var derivations: [VectorDerivation]
  /// How many expectations each method computed.
  public var methodCounts: [Method: Int]
  /// How many expectations each integrator computed.
  public var integratorCounts: [Integrator: Int] = [:]
  /// For vector outputs: the density of `Z` as `(x, p(x))` points (a Gaussian curve when `Z` is
  /// affine in the base Gaussians, else a weighted histogram of the grid or particles).
  public var densities: [String: [[Double]]] = [:]
  /// How many Monte Carlo replicates were averaged (1 when none or no Monte Carlo was needed).
  public var replicates = 1
  /// Things the user should know about how the numbers were obtained.
  public var warnings: [String] = []
  /// The sampler of the Monte Carlo particles (nil when there were none).
  public var sampler: Sampler?
  /// Whether the error of several replicates is their spread alone
  /// (``Sampler/errorFromReplicateSpread``).
  public var errorFromReplicateSpread: Bool { sampler?.errorFromReplicateSpread ?? false }
  /// The Monte Carlo particle set's node cache, summed over replicates (nil without particles).
  public var cacheStatistics: NodeCacheStatistics?

  /// The output named `name`.
  public func output(_ name: String) -> OutputResult? { outputs.first { $0.name == name } }
}
