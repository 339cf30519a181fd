import Foundation
import TensorPrograms

/// `tp check FILE`: finite widths against the limit.
struct CheckCommand: Command {
  static let name = "check"
  static let summary = "Run FILE at several finite widths and compare with the limit."
  static let usage = """
    USAGE: tp check FILE [--widths N1,N2,...] [--seeds K] [--json] [--plot OUT.svg] [--plot-values OUT.svg]
                         [--max-memory SIZE] [--max-work OPS] [--shard K/S] [--timeout S]

    Computes the limit, runs the same program at each width with K seeds, and reports per
    quantity the seed mean ± standard error, the limit extrapolated by a weighted fit
    mean(n) = L + B/n, and the slope of the RMS error against the width on log–log axes
    (about −0.5 when fluctuations are O(n^-1/2)). Exits with 4 when some quantity's seed
    means are inconsistent with mean(n) = limit + B/n for every bias B, given the errors of
    both sides; the test's family-wise false-alarm level is 1 % (docs/cli.md).

    OPTIONS:
      --widths LIST      Comma-separated widths, each 1…4294967296 (default: five doubling
                         widths up to the largest that the program's cost allows, between
                         1024 and 2^20).
      --seeds K          Seeds per width, 2…10000 (default 8).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write log-log plots of the RMS error against the width, one panel per
                         observable (after the results are printed; nothing to plot, or a file
                         that cannot be written, is exit 1).
      --plot-values OUT.svg
                         Write the seed means ± SE against the width with the limit dashed,
                         one panel per observable (up to four steps each).
      --max-memory SIZE  Refuse when one finite run's estimated memory exceeds SIZE (as for 'tp run').
      --max-work OPS     Refuse when all finite runs together need more than OPS arithmetic
                         operations (default 1e12, about 40 minutes on two cores).
      --shard K/S        Run only shard K (1…S) of S: the finite runs whose index
                         width·seeds + seed is K−1 modulo S, and the limit; print a partial
                         JSON result. 'tp merge' combines the S partials into the unsharded
                         check's result (docs/scaling.md). --max-work bounds the shard's share.
      --set NAME=VALUE   Override a 'param' (repeatable).
      --timeout S        Stop with exit 3 after S seconds without results (as for 'tp run').
      --method, --samples, --replicates, --degree, --seed, --sampler, --cache-memory
                         As for 'tp run' (the limit's settings).
    """
  static let options = OptionSpec(
    valued: [
      "widths", "seeds", "plot", "plot-values", "set", "method", "samples", "replicates", "degree", "seed",
      "max-memory",
      "max-work", "shard", "cache-memory", "sampler", "timeout",
    ],
    flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    if let t = try args.timeout(command: name) { Watchdog.arm(timeout: t) }
    let widths = args.value("widths") == nil ? nil : try args.widths(default: [], command: name)
    let seeds = try args.seedCount(command: name)
    let budget = ResourceBudget(
      memory: try args.memoryLimit(command: name), work: try args.workLimit(command: name))
    // A path that cannot or must not be written fails now, not after the computation.
    let plotFile = try args.value("plot").map { p throws(CommandError) in
      try OutputFile.prepare(p, option: "plot", input: path)
    }
    let valuesFile = try args.value("plot-values").map { p throws(CommandError) in
      try OutputFile.prepare(p, option: "plot-values", input: path)
    }
    let options = try limitOptions(args, command: name)
    let shard = try args.part("shard", maximum: 1 << 20, command: name)
    if shard != nil, args.value("plot") != nil || args.value("plot-values") != nil {
      throw CommandError.usage(
        "--shard prints a partial result; --plot applies to a whole check", command: name)
    }
    let overrides = try args.overrides(command: name)
    let source = try loadSource(path)
    let program = try loadProgram(bytes: source, name: path, overrides: overrides, io: io)
    let runs: CheckRuns
    do {
      runs = try program.checkRuns(
        widths: widths ?? program.defaultCheckWidths(seeds: seeds), seeds: seeds, baseSeed: options.seed,
        limit: options, budget: budget, shard: shard.map { ($0.index - 1, $0.count) })
    } catch {
      throw CommandError.from(error, path: path)
    }
    OutputGate.commit()
    if let shard {
      var partial = PartialDocument(
        kind: "check", program: path, source: source, overrides: overrides, settings: .init(options),
        part: shard.index, parts: shard.count)
      partial.check = runs
      io.out(try partial.json())
      io.err("note: shard \(shard.index) of \(shard.count); combine the partials with 'tp merge'\n")
      return .success
    }
    let report = TensorProgram.checkReport(runs, program: path)
    // Zero compared quantities is not a pass.
    guard !report.quantities.isEmpty else {
      throw CommandError.from(TensorProgram.nothingToCheck, path: path)
    }
    printCheck(report, json: args.flag("json"), io: io)
    // Written last: nothing to plot, or a failure to write, is reported after the results (exit 1).
    func write(_ file: OutputFile?, _ render: (CheckReport) throws(PlotError) -> String) throws(CommandError)
    {
      guard let file else { return }
      let svg: String
      do throws(PlotError) {
        svg = try render(report)
      } catch {
        throw CommandError("\(path): error: \(error); no plot written", code: .usage)
      }
      try file.write(svg)
    }
    try write(plotFile, SVGPlot.check)
    try write(valuesFile, SVGPlot.checkValues)
    return report.passed ? .success : .checkFailed
  }
}

/// Prints a check's result, as text or JSON.
func printCheck(_ report: CheckReport, json: Bool, io: any OutputSink) {
  if json {
    // safe: the documents hold strings and numbers only, which always encode
    io.out((try? JSONReport.string(JSONReport.CheckDocument(report))) ?? "")
  } else {
    io.out(TextReport.check(report) + "\n")
  }
}
