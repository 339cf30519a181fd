import TPCore

/// What a limit run may cost at most, estimated from the program's size before anything is
/// sampled: the Monte Carlo worst case, in which every expectation falls back to particles.
///
/// Memory: each base Gaussian's particle column and its innovation stream
/// (`2 · bases · samples · 8` bytes) plus the node cache (``LimitOptions/cacheBytes``, or every
/// vector when that is less) and a few working columns. Work: every vector and moment
/// evaluated once per particle and replicate, at about 8 operations each (measured: a 30,000-node
/// tanh chain at 8,192 × 8 particles runs about 2·10¹⁰ such operations in 80 s on this machine).
/// Quadrature and closed forms cost far less; the estimate only guards against runs that could
/// not finish or fit.
public struct LimitCost: Sendable, Hashable {
  /// Base Gaussians: initial vectors plus one per MatMul (its `Ẑ` part).
  public var bases: Int
  /// Vectors and moments the interpreter evaluates.
  public var nodes: Int
  public var bytes: Int
  public var operations: Int

  /// The worst-case cost of interpreting `program` with `options`.
  public init(_ program: Program, options: LimitOptions) {
    var matmuls = 0
    for i in program.instructions { if case .matmul = i { matmuls += 1 } }
    let initial = program.initialGroups.reduce(0) { $0 + $1.vectors.count }
    bases = initial + matmuls
    nodes = program.instructions.count + initial
    let column = Saturating.product(max(1, options.samples), 8)
    let cached = min(Saturating.product(nodes, column), max(0, options.cacheBytes))
    bytes = Saturating.sum(Saturating.product(Saturating.sum(2 * bases, 8), column), cached)
    operations = Saturating.product(
      Saturating.product(max(1, options.samples), max(1, options.replicates)), Saturating.product(nodes, 8))
  }

  /// Throws when the worst case exceeds the options' limits, naming the sizes and the remedy.
  public func check(_ options: LimitOptions) throws(NumericalError) {
    let what =
      "Monte Carlo over \(bases) Gaussian\(bases == 1 ? "" : "s") and \(nodes) nodes with"
      + " \(options.samples) particles × \(options.replicates) replicate\(options.replicates == 1 ? "" : "s")"
    if bytes > options.memoryLimit {
      throw NumericalError(
        "\(what) could need \(Message.bytes(bytes)) of memory, more than the limit of"
          + " \(Message.bytes(options.memoryLimit)); use fewer --samples (or raise --max-memory)")
    }
    if operations > options.workLimit {
      throw NumericalError(
        "\(what) could need \(Message.count(operations)) arithmetic operations, more than the limit of"
          + " \(Message.count(options.workLimit)); use fewer --samples or --replicates (or raise --max-work)")
    }
  }
}
