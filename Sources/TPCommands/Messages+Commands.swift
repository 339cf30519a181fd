import TensorPrograms

/// The command line's messages, in the catalogue with the checker's (see ``Message``).
extension Message {
  /// An integer option outside its range (or not an integer).
  public static func integerOption(_ name: String, _ range: ClosedRange<Int>, got: String) -> String {
    "--\(name) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(got)'"
  }
  public static func widthList(_ got: String) -> String {
    "--widths must be comma-separated integers in 1…\(CommandLimits.maximumWidth), at most"
      + " \(CommandLimits.maximumWidths) of them, got '\(got)'"
  }
  public static func tooFewSeeds(_ got: String) -> String {
    "tp check needs at least 2 seeds (a standard error over seeds needs two values), got --seeds \(got)"
  }
  public static func memorySize(_ got: String) -> String {
    "--max-memory must be a size such as 8G, 512M or 1073741824 (bytes; K, M, G, T are powers of 1024),"
      + " got '\(got)'"
  }
  public static func workCount(_ got: String) -> String {
    "--max-work must be a positive number of operations such as 1e12, got '\(got)'"
  }
  public static func cannotRead(_ path: String, _ reason: String) -> String {
    "cannot read '\(path)': \(reason)"
  }
  public static func isADirectory(_ path: String) -> String { "'\(path)' is a directory, not a .tp file" }
  public static func timeoutOption(_ got: String) -> String {
    "--timeout must be a number of seconds in (0, 10000000], got '\(got)'"
  }

  public static func inputTimedOut(_ path: String, _ timeout: Duration) -> String {
    "cannot read '\(path)': no data arrived for \(timeout.components.seconds) seconds"
      + " (a pipe or FIFO that nothing writes to?)"
  }
  /// A file the command could not write, errno-style: "tp: cannot write 'out.svg': Permission denied".
  public static func cannotWrite(_ path: String, _ reason: String) -> String {
    "tp: cannot write '\(path)': \(reason)"
  }
  public static let notARegularFile = "it is not a regular file (a device, FIFO or socket)"
  public static func outputIsInput(_ path: String, _ option: String) -> String {
    "tp: cannot write '\(path)': it is the input program; choose another file for --\(option)"
  }
  public static func emptyOutputPath(_ option: String) -> String { "--\(option) needs a file name" }
}

/// Bounds on what the command line accepts.
public enum CommandLimits {
  /// The largest `--width` (and entry of `--widths`): 2³², where one vector already takes 32 GiB.
  public static let maximumWidth = 1 << 32
  /// The most entries of `--widths`.
  public static let maximumWidths = 64
  /// The most `--seeds` of `tp check`.
  public static let maximumSeeds = 10_000
}
