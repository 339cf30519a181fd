/// What `tp coordcheck` reports: per vector of a network, per step and per width, the RMS
/// coordinate size and the RMS change since initialization averaged over seeds, with the
/// fitted log–log slope against the width and the slope the parametrization predicts.
public struct CoordCheckReport: Sendable, Hashable {
  /// One measured quantity: a vector's size or change after one number of steps.
  public struct Quantity: Sendable, Hashable {
    /// `size` (`√mean x_t²`) or `change` (`√mean (x_t − x_0)²`).
    public enum Kind: String, Sendable, Hashable {
      case size, change
    }

    /// The seed mean at one width.
    public struct Width: Sendable, Hashable {
      /// The network's width `n`.
      public var width: Int
      /// Mean over seeds of the per-network RMS value.
      public var mean: Double
      /// Standard error of `mean` over the seeds.
      public var standardError: Double
      /// The seeds averaged.
      public var seeds: Int

      /// A seed mean at `width`.
      public init(width: Int, mean: Double, standardError: Double, seeds: Int) {
        self.width = width
        self.mean = mean
        self.standardError = standardError
        self.seeds = seeds
      }
    }

    /// The vector's name (`h1`, `relu(U xi)`, or the model's name for its output).
    public var vector: String
    /// Size or change.
    public var kind: Kind
    /// Updates done before the measurement.
    public var step: Int
    /// One entry per width where every seed reached `step` (training can diverge earlier).
    public var widths: [Width]
    /// Weighted least-squares slope of `log mean` against `log n`; nil with fewer than two
    /// widths or a mean that is not positive.
    public var slope: Double?
    /// The slope's standard error (from the seed means' errors, inflated by the scatter about
    /// the line when that is larger).
    public var slopeError: Double?
    /// The exponent the parametrization predicts (`CoordinateExponents`); nil when not
    /// predicted, `−∞` when the quantity should not move at all.
    public var expected: Double?
    /// True when the slope exceeds the tolerance by more than the critical number of standard
    /// errors: the quantity grows with the width.
    public var grows: Bool

    /// A quantity with its fit.
    public init(
      vector: String, kind: Kind, step: Int, widths: [Width], slope: Double?, slopeError: Double?,
      expected: Double?, grows: Bool
    ) {
      self.vector = vector
      self.kind = kind
      self.step = step
      self.widths = widths
      self.slope = slope
      self.slopeError = slopeError
      self.expected = expected
      self.grows = grows
    }
  }

  /// The program's file name.
  public var program: String
  /// The parametrization's name (`mup`, `ntk`, `sp`, `mf` or `abc`).
  public var parametrization: String
  /// Its regime by the classification (`feature-learning`, `kernel`, `trivial`, `unstable`).
  public var regime: String
  /// The widths trained, in order.
  public var widths: [Int]
  /// Seeds per width.
  public var seeds: Int
  /// The inputs at which coordinates are measured.
  public var probes: [[Double]]
  /// A slope up to this is not growth.
  public var tolerance: Double
  /// Standard errors by which a slope must exceed the tolerance to count as growth
  /// (one-sided, family-wise false-alarm level 1 % over the quantities with a slope).
  public var critical: Double
  /// Per step (in order), sizes then changes, per vector in the trace's order.
  public var quantities: [Quantity]
  /// Runs that stopped early (training diverged), one sentence each.
  public var failures: [String]

  /// A report.
  public init(
    program: String, parametrization: String, regime: String, widths: [Int], seeds: Int, probes: [[Double]],
    tolerance: Double, critical: Double, quantities: [Quantity], failures: [String]
  ) {
    self.program = program
    self.parametrization = parametrization
    self.regime = regime
    self.widths = widths
    self.seeds = seeds
    self.probes = probes
    self.tolerance = tolerance
    self.critical = critical
    self.quantities = quantities
    self.failures = failures
  }

  /// True when no quantity grows with the width and no run diverged.
  public var passed: Bool { failures.isEmpty && !quantities.contains(where: \.grows) }
}
