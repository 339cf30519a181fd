import Foundation
import TensorPrograms

/// `tp merge FILES…`: the partial results of a sharded `tp run --replicate K/R` or
/// `tp check --shard K/S` combined into the result the unsharded run prints.
struct MergeCommand: Command {
  static let name = "merge"
  static let summary = "Combine the partial results of sharded runs (tp run --replicate, tp check --shard)."
  static let usage = """
    USAGE: tp merge PARTIAL.json... [--json]

    Reads the partial results that 'tp run FILE --replicate K/R' (one per replicate K = 1…R) or
    'tp check FILE --shard K/S' (one per shard) printed, checks that they belong together — the
    same program (by its SHA-256), overrides, settings and tp version, every part exactly once —
    and prints what the unsharded 'tp run' or 'tp check' prints, bit for bit: the replicates are
    combined, or the finite runs tested, exactly as one process does. The program file is not
    needed: each partial carries its text. Exit 1 when the partials do not belong together; for
    a check, exit 4 as 'tp check' when a quantity does not converge to its limit.

    OPTIONS:
      --json             Print one JSON object to stdout (as 'tp run --json' or 'tp check --json').
    """
  static let options = OptionSpec(valued: [], flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    guard !args.positional.isEmpty else { throw CommandError.usage("missing PARTIAL files", command: name) }
    var partials: [(path: String, doc: PartialDocument)] = []
    for path in args.positional {
      let bytes = try FileIO.read(path, limit: 1 << 34)
      partials.append((path, try PartialDocument.read(bytes, path: path)))
    }
    try validate(partials)
    let first = partials[0].doc
    let ordered = partials.sorted { $0.doc.part < $1.doc.part }.map(\.doc)
    let program = try loadProgram(
      bytes: Array(first.source.utf8), name: first.program, overrides: first.overrides, io: io)
    if first.kind == "check" {
      var runs = ordered[0].check!  // safe: validated
      runs.shard = nil
      runs.runs = ordered.flatMap { $0.check!.runs }  // safe: validated
      let report = TensorProgram.checkReport(runs, program: first.program)
      guard !report.quantities.isEmpty else {
        throw CommandError.from(TensorProgram.nothingToCheck, path: first.program)
      }
      printCheck(report, json: args.flag("json"), io: io)
      return report.passed ? .success : .checkFailed
    }
    guard let options = first.settings.options else {
      throw CommandError("tp merge: error: unknown method '\(first.settings.method)'", code: .usage)
    }
    let callCount = first.calls?.count ?? 0
    // safe: every partial was validated to record the same calls
    let calls = (0..<callCount).map { c in ReplicateLedger.Call.merging(ordered.map { $0.calls![c] }) }
    let ledger = ReplicateLedger(replaying: calls)
    let report: RunReport
    do throws(RunFailure) {
      report = try program.runLimit(options, ledger: ledger)
    } catch {
      throw CommandError.from(error, path: first.program)
    }
    guard ledger.isExhausted else {
      throw CommandError(
        "tp merge: error: the partials hold more limit computations than the program makes; were they written by this tp version?",
        code: .usage)
    }
    printRun(report, path: first.program, width: nil, seed: options.seed, json: args.flag("json"), io: io)
    return .success
  }

  /// Refuses partials that do not belong to one sharded run, naming the files that differ.
  static func validate(_ partials: [(path: String, doc: PartialDocument)]) throws(CommandError) {
    func fail(_ message: String) -> CommandError { CommandError("tp merge: error: \(message)", code: .usage) }
    let (path0, first) = partials[0]
    let what = first.kind == "check" ? "shard" : "replicate"
    for (path, doc) in partials.dropFirst() {
      guard doc.kind == first.kind else {
        throw fail("\(path0) is a partial 'tp \(first.kind)' but \(path) a partial 'tp \(doc.kind)'")
      }
      guard doc.sha256 == first.sha256 else {
        throw fail(
          "\(path0) and \(path) come from different programs (SHA-256 \(first.sha256.prefix(12))… and \(doc.sha256.prefix(12))…)"
        )
      }
      guard doc.overrides == first.overrides else {
        throw fail("\(path0) and \(path) differ in their --set values")
      }
      guard doc.settings == first.settings else {
        throw fail(
          "\(path0) and \(path) were run with different settings (--method, --sampler, --samples, --replicates, --degree, --seed)"
        )
      }
      guard doc.tp == first.tp else {
        throw fail("\(path0) was written by tp \(first.tp) but \(path) by tp \(doc.tp)")
      }
      guard doc.parts == first.parts else {
        throw fail("\(path0) is a \(what) of \(first.parts) but \(path) of \(doc.parts)")
      }
    }
    for (path, doc) in partials {
      guard SHA256.hex(Array(doc.source.utf8)) == doc.sha256 else {
        throw fail("\(path): the program text does not match its SHA-256 (the file was edited)")
      }
      guard doc.kind == "run" || doc.kind == "check", (1...max(1, doc.parts)).contains(doc.part) else {
        throw fail(
          "\(path) is not a partial of 'tp run' or 'tp check' (\(doc.kind) \(doc.part)/\(doc.parts))")
      }
      if doc.kind == "run" {
        guard doc.calls != nil else { throw fail("\(path) holds no replicate results") }
      } else {
        guard let c = doc.check, c.shard?.index == doc.part - 1, c.shard?.count == doc.parts else {
          throw fail("\(path) holds no shard of a check")
        }
      }
    }
    var seen: [Int: String] = [:]
    for (path, doc) in partials {
      if let other = seen[doc.part] {
        throw fail("\(what) \(doc.part) of \(first.parts) appears twice: in \(other) and in \(path)")
      }
      seen[doc.part] = path
    }
    let missing = (1...first.parts).filter { seen[$0] == nil }
    if !missing.isEmpty {
      let list =
        missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
      throw fail(
        "\(missing.count == 1 ? what : what + "s") \(list) of \(first.parts) missing (got \(partials.count) of \(first.parts) partials)"
      )
    }
    if first.kind == "run" {
      let counts = Set(partials.map { $0.doc.calls!.count })  // safe: checked above
      guard counts.count == 1 else {
        throw fail(
          "the partials hold different numbers of limit computations; were they made by one tp version?")
      }
      for c in 0..<(first.calls!.count) {  // safe: checked above
        let flags = Set(partials.map { $0.doc.calls![c].deterministic })
        guard flags.count == 1 else {
          throw fail("the partials disagree on whether limit computation \(c + 1) uses Monte Carlo")
        }
      }
    } else {
      func header(_ c: CheckRuns) -> CheckRuns {
        var h = c
        h.runs = []
        h.shard = nil
        return h
      }
      let c0 = header(first.check!)  // safe: checked above
      for (path, doc) in partials.dropFirst() where header(doc.check!) != c0 {  // safe: checked above
        throw fail(
          "\(path0) and \(path) differ in their widths, seeds or limits; they are not shards of one check")
      }
      var runOwner: [Int: String] = [:]
      for (path, doc) in partials {
        for run in doc.check!.runs {  // safe: checked above
          if let other = runOwner[run.index] {
            throw fail("finite run \(run.index) appears in both \(other) and \(path)")
          }
          runOwner[run.index] = path
        }
      }
      let total = c0.widths.count * c0.seeds
      guard runOwner.count == total, runOwner.keys.allSatisfy({ (0..<total).contains($0) }) else {
        throw fail("the shards hold \(runOwner.count) of the check's \(total) finite runs")
      }
    }
  }
}
