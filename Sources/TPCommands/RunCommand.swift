import Foundation
import TensorPrograms

/// `tp run FILE`: the infinite-width limit, or with `--width N` a finite network.
struct RunCommand: Command {
  static let name = "run"
  static let summary = "Compute the infinite-width limit of FILE (or run it at a finite width)."
  static let usage = """
    USAGE: tp run FILE [--json] [--method auto|exact|quadrature|mc] [--samples M]
                       [--replicates R] [--degree P] [--seed S] [--set NAME=VALUE]...
                       [--explain] [--width N [--seeds K]] [--max-memory SIZE] [--max-work OPS]
                       [--plot OUT.svg] [--replicate K/R] [--verbose] [--cache-memory SIZE]
                       [--npy DIR] [--timeout S]

    OPTIONS:
      --json             Print one JSON object to stdout (notes go to stderr).
      --method M         Expectation method: auto (default), exact, quadrature, mc, or rqmc
                         (auto with --sampler rqmc).
      --sampler S        Monte Carlo particles: mc (pseudo-random, default), rqmc (randomly
                         shifted rank-1 lattice), antithetic (pairs ε, −ε; even --samples)
                         or rqmc-antithetic (both). Except for mc the error is the
                         replicates' spread.
      --samples M        Monte Carlo particles per replicate (default 8192).
      --replicates R     Independent Monte Carlo replicates, averaged (default 8); ± includes
                         their spread / √R, hence error propagated through Ż coefficients.
      --degree P         Gauss–Hermite nodes per dimension (default: 100/80/60 for 1/2/3 dims).
      --seed S           Random seed (default 0).
      --set NAME=VALUE   Override a 'param' (repeatable).
      --explain          Also print each vector's law and ZDot coefficients (as 'tp explain').
      --width N          Execute at finite width N (1…4294967296) instead of the limit. A
                         network's 'kernel' statements give the empirical NNGP f(x)f(x') and
                         NTK ⟨∂f/∂θ(x), ∂f/∂θ(x')⟩ (ntk parametrization, per-layer learning-rate
                         multipliers) of the network drawn with the seed.
      --seeds K          With --width on a network: average K networks (seeds S…S+K−1), 2…10000;
                         every value is the seed mean ± its standard error.
      --max-memory SIZE  Refuse a finite run whose estimated memory exceeds SIZE (bytes, or
                         512M, 8G, …; default: the physical memory, or less under 'ulimit -v').
      --max-work OPS     Refuse a finite run needing more than OPS arithmetic operations
                         (default 1e12, about 40 minutes on two cores).
      --plot OUT.svg     Write the learning curves of 'eigenlearning' sample sweeps or, without
                         them, the density of every vector output (limit only). Written after
                         the results are printed; nothing to plot, or a file that cannot be
                         written, is exit 1.
      --npy DIR          Write each kernel matrix as a NumPy .npy file (float64, little-endian):
                         DIR/nngp.npy and DIR/ntk.npy (then nngp_2.npy, … for further 'kernel'
                         statements), with their entries' errors in nngp_error.npy, … unless
                         every entry is exact; DIR is created if missing. The matrices are then
                         left out of stdout.
      --cache-memory SIZE
                         Memory for Monte Carlo node values kept between expectations (default:
                         a quarter of the physical memory, 1G…64G); the results do not depend on
                         it, the time does (--verbose shows recomputations).
      --verbose          Also print how the computation went (stderr): the Monte Carlo node
                         cache's requests, hit rate, recomputations and evictions.
      --replicate K/R    Run only replicate K (1…R) of R, with the seed the full run gives it,
                         and print a partial JSON result; 'tp merge' combines the R partials
                         into the full run's result (docs/scaling.md).
      --timeout S        Stop with exit 3 after S seconds without results, saying how far the
                         run got. (Runs longer than 2 s show their progress on stderr; Ctrl-C
                         stops with exit 130 and leaves no partial file.)
    """
  static let options = OptionSpec(
    valued: [
      "method", "samples", "replicates", "degree", "seed", "set", "width", "plot", "max-memory", "max-work",
      "replicate", "cache-memory", "sampler", "seeds", "timeout", "npy",
    ],
    flags: ["json", "explain", "verbose"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    if let t = try args.timeout(command: name) { Watchdog.arm(timeout: t) }
    let width = try args.width(command: name)
    let seed = try args.seed(command: name)
    var seeds = 1
    if args.value("seeds") != nil {
      guard width != nil else {
        throw CommandError.usage("--seeds averages finite networks; it needs --width N", command: name)
      }
      seeds = try args.seedCount(command: name)
    }
    var limitOptions = try limitOptions(args, command: name)
    let replicate = try args.part("replicate", maximum: 1024, command: name)
    if let replicate {
      guard width == nil else {
        throw CommandError.usage(
          "--replicate runs one replicate of the limit; it does not apply with --width", command: name)
      }
      guard !args.flag("explain"), args.value("plot") == nil else {
        throw CommandError.usage(
          "--replicate prints a partial result; --explain and --plot apply to a whole run", command: name)
      }
      if args.value("replicates") != nil && limitOptions.replicates != replicate.count {
        throw CommandError.usage(
          "--replicate \(replicate.index)/\(replicate.count) and --replicates \(limitOptions.replicates) disagree",
          command: name)
      }
      limitOptions.replicates = replicate.count
    }
    let budget = ResourceBudget(
      memory: try args.memoryLimit(command: name), work: try args.workLimit(command: name))
    // A path that cannot or must not be written fails now, not after the computation.
    let plotFile = try args.value("plot").map { p throws(CommandError) in
      try OutputFile.prepare(p, option: "plot", input: path)
    }
    let npyDirectory = try args.value("npy").map { d throws(CommandError) in try Self.prepareDirectory(d) }
    let overrides = try args.overrides(command: name)
    let source = try loadSource(path)
    let program = try loadProgram(bytes: source, name: path, overrides: overrides, io: io)
    let ledger = replicate.map { ReplicateLedger(recording: $0.index - 1, of: $0.count) }
    var report: RunReport
    do throws(RunFailure) {
      if let width {
        report = try program.runFinite(width: width, seed: seed, seeds: seeds, budget: budget)
      } else {
        report = try program.runLimit(limitOptions, ledger: ledger)
      }
    } catch {
      throw CommandError.from(error, path: path)
    }
    OutputGate.commit()
    if args.flag("verbose") { for note in report.verboseNotes { io.err("note: \(note)\n") } }
    if let replicate, let ledger {
      var partial = PartialDocument(
        kind: "run", program: path, source: source, overrides: overrides, settings: .init(limitOptions),
        part: replicate.index, parts: replicate.count)
      partial.calls = ledger.calls
      io.out(try partial.json())
      io.err(
        "note: replicate \(replicate.index) of \(replicate.count); combine the partials with 'tp merge'\n")
      return .success
    }
    if width != nil, seeds == 1, !report.kernels.isEmpty {
      report.notes.append(
        "the kernels are those of one network (seed \(seed)), without errors; --seeds K averages K networks"
          + " and gives standard errors")
    }
    var printed = report
    if let npyDirectory {
      let written = try Self.writeNPY(report.kernels, to: npyDirectory, input: path)
      printed.kernels = []
      if !written.isEmpty {
        printed.notes.append("kernel matrices written to " + written.joined(separator: ", "))
      }
    }
    printRun(printed, path: path, width: width, seed: seed, seeds: seeds, json: args.flag("json"), io: io)
    if args.flag("explain") && width == nil {
      var explainArgs = args
      explainArgs.values["samples"] = [String(limitOptions.samples)]
      explainArgs.values["replicates"] = [String(limitOptions.replicates)]
      _ = try ExplainCommand.run(explainArgs, io)
    }
    // Written last: nothing to plot, or a failure to write, is reported after the results.
    if let plotFile {
      let svg: String
      do throws(PlotError) {
        if report.eigenlearning.contains(where: \.isSweep) {
          svg = try SVGPlot.learningCurves(
            report.eigenlearning, title: "learning curves in the limit: \(path)")
        } else {
          svg = try SVGPlot.densities(report.densities, title: "coordinate laws in the limit: \(path)")
        }
      } catch {
        let reason = width == nil ? "\(error)" : "--plot draws the limit's densities, not a finite-width run"
        throw CommandError("\(path): error: \(reason); no plot written", code: .usage)
      }
      try plotFile.write(svg)
    }
    return .success
  }
}

extension RunCommand {
  /// `dir`, created when missing; an error (exit 1) when it is not a writable directory.
  static func prepareDirectory(_ dir: String) throws(CommandError) -> String {
    guard !dir.isEmpty else { throw .usage(Message.emptyOutputPath("npy")) }
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
      do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      } catch {
        throw CommandError(Message.cannotWrite(dir, error.localizedDescription), code: .usage)
      }
    } else if !isDirectory.boolValue {
      throw CommandError(Message.cannotWrite(dir, "it is not a directory"), code: .usage)
    }
    return dir
  }

  /// Writes each kernel matrix and, unless it is exact, its errors as `.npy` files in `dir`;
  /// returns their paths.
  static func writeNPY(_ kernels: [KernelMatrix], to dir: String, input: String) throws(CommandError)
    -> [String]
  {
    var seen: [String: Int] = [:]
    var written: [String] = []
    for k in kernels {
      seen[k.name, default: 0] += 1
      let suffix = seen[k.name] == 1 ? "" : "_\(seen[k.name]!)"  // safe: just set
      // An exact matrix has no error file.
      let files = [(k.name + suffix, k.values)] + (k.errors.map { [(k.name + suffix + "_error", $0)] } ?? [])
      for (name, entries) in files {
        let file = (dir as NSString).appendingPathComponent(name + ".npy")
        let out = try OutputFile.prepare(file, option: "npy", input: input)
        let (header, doubles) = NPY.float64Pieces(rows: k.rowCount, cols: k.columnCount, elements: entries)
        try out.write(pieces: [.bytes(header), .doubles(doubles)])
        written.append(file)
      }
    }
    return written
  }
}

/// Prints a run's notes (stderr) and its result (stdout), as text or JSON.
func printRun(
  _ report: RunReport, path: String, width: Int?, seed: UInt64, seeds: Int = 1, json: Bool, io: any OutputSink
) {
  for note in report.notes { io.err("note: \(note)\n") }
  if json {
    // safe: the documents hold strings and numbers only, which always encode
    io.out((try? JSONReport.string(JSONReport.FullRunDocument(report, seed: seed, seeds: seeds))) ?? "")
  } else {
    let seedText = seeds > 1 ? "mean over seeds \(seed)…\(seed &+ UInt64(seeds - 1))" : "seed \(seed)"
    let head = width.map { "\(path) at width \($0), \(seedText)" } ?? "\(path) in the infinite-width limit"
    io.out(head + "\n\n" + TextReport.run(report) + "\n")
  }
}

/// The limit settings shared by `run` and `check`.
func limitOptions(_ args: ParsedArguments, command: String) throws(CommandError) -> LimitOptions {
  var options = LimitOptions(seed: try args.seed(command: command))
  if let m = args.value("method") {
    if m == "rqmc" {
      // Monte Carlo where the planner needs it, on randomized quasi-Monte Carlo points.
      options.method = .auto
      options.sampler = .rqmc
    } else {
      guard let method = ExpectationMethod(rawValue: m) else {
        throw CommandError.usage(
          "--method must be auto, exact, quadrature, mc or rqmc, got '\(m)'", command: command)
      }
      options.method = method
    }
  }
  if let s = args.value("sampler") {
    guard let sampler = Sampler(rawValue: s) else {
      throw CommandError.usage(
        "--sampler must be mc, rqmc, antithetic or rqmc-antithetic, got '\(s)'", command: command)
    }
    options.sampler = sampler
  }
  options.samples = try args.integer("samples", default: options.samples, in: 2...(1 << 26), command: command)
  if options.sampler.isAntithetic && options.samples % 2 != 0 {
    throw CommandError.usage(
      "--sampler \(options.sampler.rawValue) pairs the particles: --samples must be even, got \(options.samples)",
      command: command)
  }
  options.replicates = try args.integer(
    "replicates", default: options.replicates, in: 1...1024, command: command)
  options.degree = try args.integer("degree", default: 0, in: 0...400, command: command)
  // The limit's worst case is checked against the same budget as finite runs (LimitCost).
  options.memoryLimit = try args.memoryLimit(command: command).bytes
  options.workLimit = try args.workLimit(command: command)
  if let s = args.value("cache-memory") {
    guard let bytes = ParsedArguments.size(s) else {
      throw CommandError.usage(
        "--cache-memory expects a size such as 512M or 4G, got '\(s)'", command: command)
    }
    options.cacheBytes = bytes
  }
  return options
}

extension CommandError {
  /// Maps a run failure to its exit code: program errors 2, numerical trouble 3, unsupported 1.
  static func from(_ failure: RunFailure, path: String) -> CommandError {
    switch failure {
    case .program(let m):
      // Already located (FILE:LINE:COL: error: …) when the failure knows its statement.
      if m.contains(": error: ") { return CommandError(m, code: .program) }
      return CommandError("\(path): error: \(m)", code: .program)
    case .numerical(let m):
      if m.contains(": error: ") { return CommandError(m, code: .numerical) }
      let bare = m.hasPrefix("error: ") ? String(m.dropFirst(7)) : m
      return CommandError("\(path): error: \(bare)", code: .numerical)
    case .unsupported(let m): return CommandError("\(path): \(m)", code: .usage)
    }
  }
}
