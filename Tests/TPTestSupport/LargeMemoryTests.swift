import Foundation

/// Tests that hold width-8192 weight matrices (512 MB each) or millions of Monte Carlo
/// particles take turns, so the test process's peak memory stays near that of one such test
/// rather than the sum of the ones Swift Testing happens to run at once (measured: one of them
/// alone peaks at 0.7–1.9 GB; the whole suite stays under 2 GB only if they do not overlap).
///
/// Use from a synchronous test: `LargeMemoryTests.begin(); defer { LargeMemoryTests.end() }`.
public enum LargeMemoryTests {
  private static let lock = NSLock()
  /// Waits until no other large test runs.
  public static func begin() { lock.lock() }
  /// Lets the next large test run.
  public static func end() { lock.unlock() }
}
