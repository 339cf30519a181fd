import TensorPrograms

/// `tp run FILE`: the infinite-width limit (or `--width N` for a finite network).
struct RunCommand: Command {
  static let name = "run"
  static let summary = "Compute the infinite-width limit of FILE (or run it at a finite width)."
  static let usage = """
    USAGE: tp run FILE [--json] [--method auto|exact|quadrature|mc] [--samples M]
                       [--degree P] [--seed S] [--set NAME=VALUE]... [--explain] [--width N]

    OPTIONS:
      --json             Print one JSON object to stdout.
      --method M         Expectation method: auto (default), exact, quadrature or mc.
      --samples M        Monte Carlo particles (default 65536).
      --degree P         Gauss–Hermite degree per dimension (default 25).
      --seed S           Random seed (default 0).
      --set NAME=VALUE   Override a 'param' (repeatable).
      --explain          Also print how each vector's law was derived.
      --width N          Execute at finite width N instead of the limit.
      --plot OUT.svg     Write density plots of vector outputs.
    """
  static let options = OptionSpec(
    valued: ["method", "samples", "degree", "seed", "set", "width", "plot"], flags: ["json", "explain"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    let width =
      args.value("width") == nil ? nil : try args.integer("width", default: 0, in: 1...Int.max, command: name)
    let seed = try args.seed(command: name)
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    guard let width else {
      throw CommandError("tp run: the limit interpreter is not built yet", code: .usage)
    }
    if program.network != nil && program.core.instructions.isEmpty {
      throw CommandError("tp run: finite-width training of network programs is not built yet", code: .usage)
    }
    let run: FiniteRun
    do {
      run = try FiniteExecutor.run(program.core, options: FiniteOptions(width: width, seed: seed))
    } catch {
      throw CommandError(error.description, code: .numerical)
    }
    if args.flag("json") {
      let document = JSONReport.RunDocument(program: path, width: width, seed: seed, outputs: run.outputs)
      io.out(try JSONReport.string(document))
    } else {
      io.out("\(path) at width \(width), seed \(seed)\n\n" + TextReport.outputs(run.outputs) + "\n")
    }
    return .success
  }
}

/// `tp check FILE`: finite widths against the limit.
struct CheckCommand: Command {
  static let name = "check"
  static let summary = "Run FILE at several finite widths and compare with the limit."
  static let usage = """
    USAGE: tp check FILE [--widths 256,1024,4096] [--seeds K] [--json] [--plot OUT.svg]

    OPTIONS:
      --widths LIST      Comma-separated widths (default 256,512,1024,2048,4096).
      --seeds K          Seeds per width (default 8).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write a log-log error plot.
      --set NAME=VALUE   Override a 'param' (repeatable).
    """
  static let options = OptionSpec(
    valued: ["widths", "seeds", "plot", "set", "method", "samples", "degree", "seed"], flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    _ = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    throw CommandError(
      "tp check: the finite-width executor and limit interpreter are not built yet", code: .usage)
  }
}
