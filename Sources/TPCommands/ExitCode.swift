/// The exit codes of `tp`, as documented in docs/cli.md.
public enum ExitCode: Int32, Sendable {
  case success = 0
  /// Bad command line.
  case usage = 1
  /// Error in the program: syntax, types, names, shapes.
  case program = 2
  /// Numerical failure or instability.
  case numerical = 3
  /// `tp check` found a limit that finite widths do not approach.
  case checkFailed = 4
}

/// An error that ends a command with a message and an exit code.
public struct CommandError: Error, Sendable {
  public var message: String
  public var code: ExitCode

  public init(_ message: String, code: ExitCode) {
    self.message = message
    self.code = code
  }

  /// A command-line mistake (exit 1), with a pointer to help.
  public static func usage(_ message: String, command: String? = nil) -> CommandError {
    CommandError("\(message)\nRun 'tp help\(command.map { " \($0)" } ?? "")' for usage.", code: .usage)
  }
}

/// Where a command writes: captured in tests, the process's streams in `main`.
public protocol OutputSink: Sendable {
  func out(_ text: String)
  func err(_ text: String)
}
