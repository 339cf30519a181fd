import Foundation
import TensorPrograms

/// `tp check FILE`: finite widths against the limit.
struct CheckCommand: Command {
  static let name = "check"
  static let summary = "Run FILE at several finite widths and compare with the limit."
  static let usage = """
    USAGE: tp check FILE [--widths 256,512,1024,2048,4096] [--seeds K] [--json] [--plot OUT.svg]

    Computes the limit, runs the same program at each width with K seeds, and reports per
    quantity the seed mean ± standard error, and the slope of the RMS error against the width
    on log–log axes (about −0.5 when fluctuations are O(n^-1/2)). Exits with 4 when a quantity
    does not approach its limit: slope above −0.25 and, at the largest width, more than
    3 standard errors away.

    OPTIONS:
      --widths LIST      Comma-separated widths (default 256,512,1024,2048,4096).
      --seeds K          Seeds per width (default 8).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write a log-log plot of the error against the width.
      --set NAME=VALUE   Override a 'param' (repeatable).
      --method, --samples, --replicates, --degree, --seed
                         As for 'tp run' (the limit's settings), except that
                         --replicates defaults to 4 here.
    """
  static let options = OptionSpec(
    valued: ["widths", "seeds", "plot", "set", "method", "samples", "replicates", "degree", "seed"],
    flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    var widths = [256, 512, 1024, 2048, 4096]
    if let list = args.value("widths") {
      let parsed = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw CommandError.usage(
          "--widths must be comma-separated positive integers, got '\(list)'", command: name)
      }
      widths = parsed.map { $0! }  // safe: checked above
    }
    let seeds = try args.integer("seeds", default: 8, in: 1...10_000, command: name)
    var options = try limitOptions(args, command: name)
    // The exit-4 rule compares against the limit's error, so it must include propagated error.
    if args.value("replicates") == nil { options.replicates = 4 }
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    let report: CheckReport
    do {
      report = try program.check(widths: widths, seeds: seeds, baseSeed: options.seed, limit: options)
    } catch {
      throw CommandError.from(error, path: path)
    }
    if let plot = args.value("plot") {
      do {
        try SVGPlot.check(report).write(toFile: plot, atomically: true, encoding: .utf8)
      } catch {
        throw CommandError("cannot write '\(plot)': \(error.localizedDescription)", code: .usage)
      }
    }
    if args.flag("json") {
      io.out(try JSONReport.string(JSONReport.CheckDocument(report)))
    } else {
      io.out(TextReport.check(report) + "\n")
    }
    return report.passed ? .success : .checkFailed
  }
}
