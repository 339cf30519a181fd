import TPCore

/// The raw replicate results of every limit computation in one `tp run`, for sharded runs
/// (docs/scaling.md): recorded by a shard that runs one replicate, replayed by `tp merge`.
///
/// A run may compute several limits (a network's kernel program and its trajectory, say); each
/// call of ``LimitInterpreter/run(_:options:pools:ledger:)`` is one ``Call``, in call order.
/// Because replicate `k` of `R` uses seed `replicateSeed(seed, k)` in a full run as in a shard,
/// and ``LimitResult/combining(_:pools:)`` is a deterministic function of the replicate results
/// in replicate order, replaying the shards' calls gives the full run's result bit for bit.
public final class ReplicateLedger: @unchecked Sendable {
  // @unchecked: a ledger belongs to one run on one thread.

  /// What the ledger does when a limit is computed.
  public enum Mode: Sendable, Equatable {
    /// Run only replicate `index` (0-based) of `count`, and record its result.
    case record(index: Int, count: Int)
    /// Return the combination of the recorded replicates of each call, computing nothing.
    case replay
  }

  /// One limit computation: its replicate results in replicate order, or one result when no
  /// expectation was Monte Carlo (then every replicate is the same and a full run does not
  /// repeat it).
  public struct Call: Sendable, Codable {
    /// True when no expectation was Monte Carlo: `results` holds the one result, already
    /// widened by its coarse twin.
    public var deterministic: Bool
    public var results: [LimitResult]

    public init(deterministic: Bool, results: [LimitResult]) {
      self.deterministic = deterministic
      self.results = results
    }
  }

  public let mode: Mode
  /// Recorded calls (in `record` mode), or the calls to replay.
  public private(set) var calls: [Call]
  private var cursor = 0

  /// A ledger that records replicate `index` (0-based) of `count`.
  public init(recording index: Int, of count: Int) {
    mode = .record(index: index, count: count)
    calls = []
  }

  /// A ledger that replays `calls` (each with every replicate, in order).
  public init(replaying calls: [Call]) {
    mode = .replay
    self.calls = calls
  }

  /// Whether every call to replay was used.
  public var isExhausted: Bool { cursor == calls.count }

  func append(_ call: Call) { calls.append(call) }

  /// The next call to replay.
  func next() throws(NumericalError) -> Call {
    guard cursor < calls.count else {
      throw NumericalError(
        "the partial results hold \(calls.count) limit computation(s), but the program needs more; were they made from this program and version?"
      )
    }
    defer { cursor += 1 }
    return calls[cursor]
  }
}

extension ReplicateLedger.Call {
  /// The same call recorded by several shards, given in replicate order, as one call holding
  /// every replicate: a deterministic call keeps the first shard's result (every replicate's
  /// is the same), a Monte Carlo call the shards' results one after the other.
  public static func merging(_ shards: [Self]) -> Self {
    if let d = shards.first(where: \.deterministic) { return d }
    return Self(deterministic: false, results: shards.flatMap(\.results))
  }
}
