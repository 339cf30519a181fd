import Foundation
import TensorPrograms

/// `tp check FILE`: finite widths against the limit.
struct CheckCommand: Command {
  static let name = "check"
  static let summary = "Run FILE at several finite widths and compare with the limit."
  static let usage = """
    USAGE: tp check FILE [--widths 256,512,1024,2048,4096] [--seeds K] [--json] [--plot OUT.svg]
                         [--max-memory SIZE] [--max-work OPS]

    Computes the limit, runs the same program at each width with K seeds, and reports per
    quantity the seed mean ± standard error, and the slope of the RMS error against the width
    on log–log axes (about −0.5 when fluctuations are O(n^-1/2)). Exits with 4 when a quantity
    does not approach its limit: slope above −0.25 and, at the largest width, more than
    3 standard errors away.

    OPTIONS:
      --widths LIST      Comma-separated widths, each 1…4294967296 (default 256,512,1024,2048,4096).
      --seeds K          Seeds per width, 2…10000 (default 8).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write a log-log plot of the error against the width (after the results
                         are printed; a file that cannot be written is exit 1).
      --max-memory SIZE  Refuse when one finite run's estimated memory exceeds SIZE (as for 'tp run').
      --max-work OPS     Refuse when all finite runs together need more than OPS arithmetic
                         operations (default 1e12, about 40 minutes on two cores).
      --set NAME=VALUE   Override a 'param' (repeatable).
      --method, --samples, --replicates, --degree, --seed
                         As for 'tp run' (the limit's settings), except that
                         --replicates defaults to 4 here.
    """
  static let options = OptionSpec(
    valued: [
      "widths", "seeds", "plot", "set", "method", "samples", "replicates", "degree", "seed", "max-memory",
      "max-work",
    ],
    flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    let widths = try args.widths(default: [256, 512, 1024, 2048, 4096], command: name)
    let seeds = try args.seedCount(command: name)
    let budget = ResourceBudget(
      memory: try args.memoryLimit(command: name), work: try args.workLimit(command: name))
    // A path that cannot or must not be written fails now, not after the computation.
    let plotFile = try args.value("plot").map { p throws(CommandError) in
      try OutputFile.prepare(p, option: "plot", input: path)
    }
    var options = try limitOptions(args, command: name)
    // The exit-4 rule compares against the limit's error, so it must include propagated error.
    if args.value("replicates") == nil { options.replicates = 4 }
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    let report: CheckReport
    do {
      report = try program.check(
        widths: widths, seeds: seeds, baseSeed: options.seed, limit: options, budget: budget)
    } catch {
      throw CommandError.from(error, path: path)
    }
    if args.flag("json") {
      io.out(try JSONReport.string(JSONReport.CheckDocument(report)))
    } else {
      io.out(TextReport.check(report) + "\n")
    }
    // Written last: a failure to write is reported after the results (exit 1).
    try plotFile?.write(SVGPlot.check(report))
    return report.passed ? .success : .checkFailed
  }
}
