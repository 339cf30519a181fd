import Foundation

/// Runs the recursive stages of the front end on a thread with a known, large stack.
///
/// Parsing and checking recurse once per nesting level (bounded by ``Parser/maximumDepth``), and
/// an unoptimized build spends several kilobytes of stack per level. Callers may be on threads
/// with small stacks (secondary threads of a test runner or a task pool get about 512 KiB), so
/// the front end does not rely on the caller's stack: like clang, it moves itself onto a thread
/// whose stack is sized for the worst accepted input. The stack is reserved, not committed, so an
/// unused part costs no memory.
public enum LargeStack {
  /// Stack size of the front-end thread: 64 KiB per permitted nesting level, at least 16 MiB.
  public static let size = max(16 << 20, Parser.maximumDepth * 2 * (64 << 10))

  /// Marks the front-end thread so nested calls run inline instead of spawning another thread.
  static let threadName = "tp.front-end"

  /// Runs `body` on a thread with a stack of ``size`` bytes and returns its result.
  public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    if Thread.current.name == threadName { return body() }
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.value = body()
      done.signal()
    }
    thread.name = threadName
    thread.stackSize = size
    thread.start()
    done.wait()
    return box.value!
  }
}

/// Carries a result from the front-end thread back to the caller; the semaphore orders the accesses.
private final class ResultBox<T>: @unchecked Sendable {
  var value: T?
}
