import Dispatch
import Foundation

/// Deterministic data parallelism over fixed chunks.
///
/// Work is cut into chunks whose boundaries depend only on `count` and `chunkSize`, never on
/// the number of threads; threads only decide how many chunks run at once. A computation
/// whose per-chunk work is deterministic therefore gives bit-identical results for every
/// thread count — the property the finite-width executor relies on for reproducible seeds.
public enum Parallel {
  /// The default number of worker threads: `TP_THREADS` from the environment when it is an
  /// integer in 1…1024, else the machine's active cores. Results never depend on it (every
  /// parallel reduction is split and summed in a fixed order); only the time does.
  public static let defaultThreads: Int =
    threads(fromEnvironment: ProcessInfo.processInfo.environment["TP_THREADS"])
    ?? ProcessInfo.processInfo.activeProcessorCount

  /// `TP_THREADS`'s value as a thread count (an integer in 1…1024), or nil when it is absent or not one.
  public static func threads(fromEnvironment value: String?) -> Int? {
    guard let value, let n = Int(value.trimmingCharacters(in: .whitespaces)), (1...1024).contains(n) else {
      return nil
    }
    return n
  }

  /// Calls `body` once for each chunk `[c·chunkSize, min((c+1)·chunkSize, count))`,
  /// `c = 0 ..< ⌈count / chunkSize⌉`.
  ///
  /// - `threads ≤ 1` (or a single chunk) runs the chunks serially in increasing order on the
  ///   calling thread; otherwise up to `threads` workers take chunks in increasing order as
  ///   they become free, so a core slowed by other load does not hold the others up.
  /// - `count ≤ 0` calls nothing. `chunkSize` must be positive.
  /// - `body` may run concurrently with itself on different chunks; it must only write to
  ///   state owned by its chunk.
  public static func forEachChunk(
    count: Int, chunkSize: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void
  ) {
    precondition(chunkSize > 0, "chunk size must be positive")
    guard count > 0 else { return }
    let chunks = (count - 1) / chunkSize + 1
    let workers = min(max(threads, 1), chunks)
    if workers == 1 {
      for c in 0..<chunks { body((c * chunkSize)..<min(count, (c + 1) * chunkSize)) }
      return
    }
    let queue = ChunkQueue(count: chunks)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while let c = queue.next() { body((c * chunkSize)..<min(count, (c + 1) * chunkSize)) }
    }
  }
}

/// Hands out chunk indices `0, 1, 2, …` to whichever worker asks next.
private final class ChunkQueue: @unchecked Sendable {
  // @unchecked: `nextIndex` is only touched under `lock`.
  private let lock = NSLock()
  private var nextIndex = 0
  private let count: Int

  init(count: Int) { self.count = count }

  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard nextIndex < count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees that concurrent
/// uses touch disjoint memory (unsafe buffers split into chunks).
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
