import Foundation
import TensorPrograms

/// One `tp` subcommand: its help text lives next to its options.
protocol Command: Sendable {
  static var name: String { get }
  static var summary: String { get }
  static var usage: String { get }
  static var options: OptionSpec { get }
  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode
}

/// A type-erased command for the dispatch table.
struct CommandEntry: Sendable {
  let name: String
  let summary: String
  let usage: String
  let run: @Sendable ([String], any OutputSink) throws -> ExitCode

  init<C: Command>(_ c: C.Type) {
    name = C.name
    summary = C.summary
    usage = C.usage
    run = { args, io in
      let parsed = try C.options.parse(args, command: C.name)
      return try C.run(parsed, io)
    }
  }
}

/// Reads and checks a `.tp` file, mapping failures to exit codes (1: unreadable, 2: diagnostics).
func loadProgram(_ path: String, overrides: [String: Double], io: any OutputSink) throws(CommandError)
  -> TensorProgram
{
  try loadProgram(bytes: try loadSource(path), name: path, overrides: overrides, io: io)
}

/// The bytes of a `.tp` file (exit 1 when unreadable, 2 when larger than 64 MiB).
func loadSource(_ path: String) throws(CommandError) -> [UInt8] {
  let limit = 64 << 20
  // At most one byte past the limit is read, and a pipe or FIFO that stays silent times out, so
  // neither a device without end nor a FIFO without writer can hang `tp`.
  let data = try FileIO.read(path, limit: limit)
  guard data.count <= limit else {
    throw CommandError(
      "\(path): error: the file is larger than 64 MiB; a .tp program is text", code: .program)
  }
  return data
}

/// Checks a program given as `bytes` (read from `name`), as ``loadProgram(_:overrides:io:)`` does.
func loadProgram(bytes data: [UInt8], name path: String, overrides: [String: Double], io: any OutputSink)
  throws(CommandError) -> TensorProgram
{
  let file = SourceFile(name: path, bytes: data)
  let program: TensorProgram
  do {
    program = try TensorProgram(file: file, overrides: overrides)
  } catch {
    // A valid program whose constants are NaN or ±Inf is a numerical failure (exit 3).
    throw CommandError(error.render(), code: error.isNumericalFailure ? .numerical : .program)
  }
  if !program.checked.warnings.isEmpty {
    io.err(Diagnostics(file: file, items: program.checked.warnings).render() + "\n")
  }
  for name in overrides.keys.sorted() where !program.checked.parameterNames.contains(name) {
    let hint = closestMatch(to: name, among: program.checked.parameterNames, limit: 2)
    throw .usage(
      "--set \(name): the program has no 'param \(name)'" + (hint.map { "; did you mean '\($0)'?" } ?? ""))
  }
  return program
}
