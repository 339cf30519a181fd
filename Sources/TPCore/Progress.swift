import Foundation

/// How far the running computation has come: an outer task (a replicate of the limit, a finite
/// run of `tp check`) and an inner loop (the interpreter's instructions, the trainer's steps),
/// each with a count done out of a total.
///
/// The computation writes it (a lock and a few stores per update, so loops may update it once
/// per instruction or step); a reader — `tp`'s progress line on stderr, and its `--timeout` and
/// Ctrl-C handling, which say what was finished — takes ``snapshot()`` from another thread.
/// One meter serves the process (``shared``): an embedding application that runs several
/// computations at once reads an interleaving of theirs.
public final class ProgressMeter: @unchecked Sendable {
  /// One level of progress: what is being done and how much of it.
  public struct Level: Sendable, Equatable {
    public var label: String
    public var done: Int
    public var total: Int
    /// What distinguishes this part, e.g. `width 1024, seed 2`.
    public var detail: String = ""

    public init(label: String, done: Int, total: Int, detail: String = "") {
      self.label = label
      self.done = done
      self.total = total
      self.detail = detail
    }

    /// `label k of n (detail)`: `k` counts the running part from 1; the count is left out when
    /// the total is 1, the parenthesis when there is no detail.
    public var description: String {
      (total > 1 ? "\(label) \(done + 1) of \(total)" : label) + (detail.isEmpty ? "" : " (\(detail))")
    }
  }

  /// What a reader sees: both levels (either may be absent) and the moment the first began.
  public struct Snapshot: Sendable, Equatable {
    public var outer: Level?
    public var inner: Level?

    public init(outer: Level? = nil, inner: Level? = nil) {
      self.outer = outer
      self.inner = inner
    }

    /// `outer, inner`, e.g. `finite run 3 of 40 (width 1024, seed 2), step 5 of 10`.
    public var description: String {
      [outer, inner].compactMap { $0?.description }.joined(separator: ", ")
    }
  }

  /// The process's meter.
  public static let shared = ProgressMeter()

  private let lock = NSLock()
  private var state = Snapshot()

  public init() {}

  /// Starts part `done` (0-based) of `total` of an outer task `label`; clears the inner level.
  public func begin(_ label: String, done: Int = 0, total: Int = 1, detail: String = "") {
    lock.withLock {
      state.outer = Level(label: label, done: done, total: total, detail: detail)
      state.inner = nil
    }
  }

  /// Sets the inner loop: part `done` (0-based) of `total` of `label` is running.
  public func inner(_ label: String, done: Int, total: Int) {
    lock.withLock {
      if state.inner?.label == label, state.inner?.total == total {
        state.inner?.done = done
      } else {
        state.inner = Level(label: label, done: done, total: total)
      }
    }
  }

  /// Clears both levels (the computation is over).
  public func end() { lock.withLock { state = Snapshot() } }

  /// The current state.
  public func snapshot() -> Snapshot { lock.withLock { state } }
}
