import Foundation
import TensorPrograms

/// `tp coordcheck FILE`: μP's coord check — coordinate sizes of a trained network against the width.
struct CoordCheckCommand: Command {
  static let name = "coordcheck"
  static let summary = "Check that FILE's activations stay O(1) as the width grows (μP's coord check)."
  static let usage = """
    USAGE: tp coordcheck FILE [--widths N1,N2,...] [--seeds K] [--tolerance T] [--json] [--timeout S]
                              [--plot OUT.svg] [--set NAME=VALUE]... [--seed S]
                              [--max-memory SIZE] [--max-work OPS]

    Trains the network at each width with K seeds (the direct finite-width trainer) and
    measures after every step, for every vector of the model body (pre- and post-activations)
    and for the output, the RMS coordinate size √mean x_t² and the RMS change from
    initialization √mean (x_t − x_0)², over the training inputs (else the observed points)
    and all coordinates, averaged over the seeds. Reports the log–log slope against the
    width with its standard error, and the slope the parametrization predicts (μP: 0; NTK:
    the features' change −1/2; SP with a width-independent learning rate: positive).
    Exits with 4 when some quantity grows with the width — its slope exceeds the tolerance
    by more than z standard errors (one-sided, family-wise false-alarm level 1 %) — or a
    run's training diverged; 0 otherwise.

    OPTIONS:
      --widths LIST      Comma-separated widths, each 1…4294967296 (default 256,512,1024,2048,4096).
      --seeds K          Seeds per width, 2…10000 (default 8).
      --tolerance T      Slopes up to T are not growth (default 0.15).
      --json             Print one JSON object to stdout.
      --plot OUT.svg     Write log–log panels of the sizes and changes against the width, per
                         step (at most four, first to last), after the results are printed.
      --seed S           Base seed (default 0); width w, seed s uses S + w·K + s, as 'tp check'.
      --set NAME=VALUE   Override a 'param' (repeatable).
      --max-memory SIZE  Refuse when one run's estimated memory exceeds SIZE (as for 'tp run').
      --max-work OPS     Refuse when all runs together need more than OPS arithmetic operations
                         (default 1e12).
      --timeout S        Stop with exit 3 after S seconds without results (as for 'tp run').
    """
  static let options = OptionSpec(
    valued: ["widths", "seeds", "tolerance", "plot", "set", "seed", "max-memory", "max-work", "timeout"],
    flags: ["json"]
  )

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    if let t = try args.timeout(command: name) { Watchdog.arm(timeout: t) }
    let widths = try args.widths(default: TensorProgram.defaultCoordCheckWidths, command: name)
    guard widths.count >= 2 else {
      throw CommandError.usage("--widths needs at least two widths to fit a slope", command: name)
    }
    let seeds = try args.seedCount(command: name)
    let seed = try args.seed(command: name)
    var tolerance = 0.15
    if let t = args.value("tolerance") {
      guard let v = Double(t), v.isFinite, v >= 0, v <= 10 else {
        throw CommandError.usage("--tolerance must be a number in 0…10, got '\(t)'", command: name)
      }
      tolerance = v
    }
    let budget = ResourceBudget(
      memory: try args.memoryLimit(command: name), work: try args.workLimit(command: name))
    let plotFile = try args.value("plot").map { p throws(CommandError) in
      try OutputFile.prepare(p, option: "plot", input: path)
    }
    let overrides = try args.overrides(command: name)
    let program = try loadProgram(path, overrides: overrides, io: io)
    let report: CoordCheckReport
    do {
      report = try program.coordCheck(
        widths: widths, seeds: seeds, baseSeed: seed, tolerance: tolerance, budget: budget)
    } catch {
      throw CommandError.from(error, path: path)
    }
    OutputGate.commit()
    if args.flag("json") {
      // safe: the document holds strings, numbers and booleans only, which always encode
      io.out((try? JSONReport.string(JSONReport.CoordCheckDocument(report))) ?? "")
    } else {
      io.out(TextReport.coordCheck(report) + "\n")
    }
    if let plotFile {
      let svg: String
      do throws(PlotError) {
        svg = try SVGPlot.coordCheck(report)
      } catch {
        throw CommandError("\(path): error: \(error); no plot written", code: .usage)
      }
      try plotFile.write(svg)
    }
    return report.passed ? .success : .checkFailed
  }
}
