import Foundation

/// The opt-in switch for long statistical sweeps: `TP_LONG_TESTS=1 swift test …` runs the full
/// versions (more seeds, widths or trials); the default suite runs a fast version of each.
public enum LongTests {
  /// Whether `TP_LONG_TESTS` is set in the environment.
  public static let enabled = ProcessInfo.processInfo.environment["TP_LONG_TESTS"] != nil
}
