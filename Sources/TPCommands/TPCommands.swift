import Foundation
import TPNumerics
import TensorPrograms

/// The `tp` command line: dispatch, help, version and the mapping of errors to exit codes.
public enum TPCommands {
  /// The version printed by `tp --version`.
  public static let version = "0.1.0"

  static let commands: [CommandEntry] = [
    CommandEntry(RunCommand.self), CommandEntry(CheckCommand.self), CommandEntry(CoordCheckCommand.self),
    CommandEntry(ClassifyCommand.self),
    CommandEntry(ExplainCommand.self), CommandEntry(MergeCommand.self),
  ]

  static var overview: String {
    var s = """
      tp — infinite-width limits of neural networks, by the Tensor Programs master theorem.

      USAGE: tp COMMAND FILE [OPTIONS]

      COMMANDS:

      """
    for c in commands {
      s += "  " + c.name.padding(toLength: 12, withPad: " ", startingAt: 0) + c.summary + "\n"
    }
    s += """
        help        Show help for a command.

      Exit codes: 0 success, 1 bad command line, 2 error in the program,
      3 numerical failure or instability, 4 'tp check' found a limit that finite widths do not approach
      (or 'tp coordcheck' a quantity that grows with the width).
      See 'tp help COMMAND' for a command's options.
      """
    return s
  }

  /// Runs `tp` with `arguments` (without the program name), writing to `io`; returns the exit code.
  public static func run(_ arguments: [String], io: any OutputSink) -> ExitCode {
    guard let first = arguments.first else {
      io.err(overview + "\n")
      return .usage
    }
    switch first {
    case "--help", "-h":
      io.out(overview + "\n")
      return .success
    case "--version":
      io.out("tp \(version)\n")
      return .success
    case "help":
      guard arguments.count > 1 else {
        io.out(overview + "\n")
        return .success
      }
      guard let c = commands.first(where: { $0.name == arguments[1] }) else {
        io.err(
          "tp: unknown command '\(arguments[1])'\(commandHint(arguments[1]))\nRun 'tp --help' for usage.\n")
        return .usage
      }
      io.out(c.usage + "\n")
      return .success
    default:
      break
    }
    guard let command = commands.first(where: { $0.name == first }) else {
      io.err("tp: unknown command '\(first)'\(commandHint(first))\nRun 'tp --help' for usage.\n")
      return .usage
    }
    if let t = ProcessInfo.processInfo.environment["TP_THREADS"], Parallel.threads(fromEnvironment: t) == nil
    {
      io.err("tp: TP_THREADS must be an integer in 1…1024, got '\(t)'\n")
      return .usage
    }
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
      io.out(command.usage + "\n")
      return .success
    }
    do {
      return try command.run(rest, io)
    } catch let error as CommandError {
      io.err(error.message.hasSuffix("\n") ? error.message : error.message + "\n")
      return error.code
    } catch {
      io.err("tp: \(error)\n")
      return .numerical
    }
  }

  /// "; did you mean 'run'?" when `name` is close to a command's name.
  static func commandHint(_ name: String) -> String {
    closestMatch(to: name, among: commands.map(\.name), limit: 2).map { "; did you mean '\($0)'?" } ?? ""
  }

  /// Runs the process's command line and exits with the resulting code.
  public static func main() -> Never {
    Watchdog.arm()
    let code = run(Array(CommandLine.arguments.dropFirst()), io: StandardStreams())
    exit(code.rawValue)
  }
}

/// The process's stdout and stderr; diagnostics' "error:" is coloured only on a terminal.
struct StandardStreams: OutputSink {
  func out(_ text: String) { OutputGate.writing { FileHandle.standardOutput.write(Data(text.utf8)) } }

  func err(_ text: String) {
    var t = text
    if isatty(2) != 0 {
      t = t.replacingOccurrences(of: ": error: ", with: ": \u{1B}[1;31merror:\u{1B}[0m ")
    }
    OutputGate.writing { FileHandle.standardError.write(Data(t.utf8)) }
  }
}
