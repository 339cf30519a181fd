import Foundation
import TensorPrograms

/// `tp check FILE`: finite widths against the limit.
struct CheckCommand: Command {
  static let name = "check"
  static let summary = "Run FILE at several finite widths and compare with the limit."
  static let usage = """
    USAGE: tp check FILE [--widths N1,N2,...] [--seeds K] [--json] [--plot OUT.svg]

    Computes the limit, runs the same program at each width with K seeds, and reports per
    quantity the seed mean ± standard error, the limit extrapolated by a weighted fit
    mean(n) = L + B/n, and the slope of the RMS error against the width on log–log axes
    (about −0.5 when fluctuations are O(n^-1/2)). Exits with 4 when some quantity's seed
    means are inconsistent with mean(n) = limit + B/n for every bias B, given the errors of
    both sides; the test's family-wise false-alarm level is 1 % (docs/cli.md).

    OPTIONS:
      --widths LIST      Comma-separated widths (default: five doubling widths up to the
                         largest that the program's cost allows, between 1024 and 2^20).
      --seeds K          Seeds per width (default 8).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write log-log plots of the RMS error against the width, one panel
                         per observable (exit 1, no file, when there is nothing to plot).
      --set NAME=VALUE   Override a 'param' (repeatable).
      --method, --samples, --replicates, --degree, --seed
                         As for 'tp run' (the limit's settings).
    """
  static let options = OptionSpec(
    valued: ["widths", "seeds", "plot", "set", "method", "samples", "replicates", "degree", "seed"],
    flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    var widths: [Int]?
    if let list = args.value("widths") {
      let parsed = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw CommandError.usage(
          "--widths must be comma-separated positive integers, got '\(list)'", command: name)
      }
      widths = parsed.map { $0! }  // safe: checked above
    }
    let seeds = try args.integer("seeds", default: 8, in: 1...10_000, command: name)
    let options = try limitOptions(args, command: name)
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    let report: CheckReport
    do {
      report = try program.check(
        widths: widths ?? program.defaultCheckWidths(seeds: seeds), seeds: seeds, baseSeed: options.seed,
        limit: options)
    } catch {
      throw CommandError.from(error, path: path)
    }
    // A figure with nothing to show is refused: the report is still printed, then exit 1.
    let svg = args.value("plot") == nil ? nil : Result { () throws(PlotError) in try SVGPlot.check(report) }
    if let plot = args.value("plot"), case .success(let text) = svg {
      do {
        try text.write(toFile: plot, atomically: true, encoding: .utf8)
      } catch {
        throw CommandError("cannot write '\(plot)': \(error.localizedDescription)", code: .usage)
      }
    }
    if args.flag("json") {
      io.out(try JSONReport.string(JSONReport.CheckDocument(report)))
    } else {
      io.out(TextReport.check(report) + "\n")
    }
    if case .failure(let error) = svg {
      throw CommandError("\(path): error: \(error); no plot written", code: .usage)
    }
    return report.passed ? .success : .checkFailed
  }
}
