import Foundation
import TPCore
import TPFinite
import TPLimit
import TPNumerics

/// `tp check`: the default widths, the budget, the finite runs against the limit and the test
/// of each quantity (docs/cli.md, "tp check").
extension TensorProgram {
  /// The widths `tp check` uses when none are given: five, doubling, up to the largest power of
  /// two (between 1,024 and 2²⁰) at which `seeds` runs at all five widths stay within about
  /// 4·10¹⁰ operations. A run's cost is counted from the core program (the network lowered for
  /// a finite width): `n²` per MatMul, `n` per element of every other instruction. Programs
  /// without matrices thus get widths up to 2²⁰, where their fluctuations are small enough to
  /// expose a limit that is wrong by a fraction of a percent. A network without training or
  /// observations (only `kernel` statements) gets 256…4096.
  public func defaultCheckWidths(seeds: Int) -> [Int] {
    let program: Program
    if isNetwork, let net = network, net.training == nil, net.observations.isEmpty {
      // Only kernels (or nothing) to compare: the sampled weights dominate, n² per hidden matrix.
      return [256, 512, 1024, 2048, 4096]
    }
    if isNetwork {
      guard let lowered = try? finiteProgram(width: 1024).0 else { return [256, 512, 1024, 2048, 4096] }
      program = lowered
    } else {
      program = core
    }
    var matmuls = 0.0
    var elements = 0.0
    for instruction in program.instructions {
      switch instruction {
      case .matmul: matmuls += 1
      case .nonlin(_, let e), .moment(_, let e): elements += Double(e.nodeCount)
      case .scalar: break
      }
    }
    let budget = 4e10
    func cost(_ n: Double) -> Double {
      // Five widths n, n/2, …, n/16 cost about 1.33 n² per MatMul and 1.94 n per element.
      Double(max(1, seeds)) * (1.33 * matmuls * n * n + 1.94 * (elements + 1) * n)
    }
    var top = 1 << 10
    while top < (1 << 20) && cost(Double(top * 2)) <= budget { top *= 2 }
    return (0..<5).map { top >> (4 - $0) }
  }

  /// Runs the program at each width over `seeds` seeds and compares every scalar output (or
  /// trajectory value) with the limit.
  ///
  /// Before anything runs, the finite runs' memory and their arithmetic together are estimated
  /// and the check is refused (a numerical failure) when one run needs more memory than
  /// `budget.memory` or all of them more operations than `budget.work`. It needs at least two
  /// seeds (a standard error over seeds needs two values).
  public func check(
    widths: [Int], seeds: Int, baseSeed: UInt64 = 0, limit options: LimitOptions = LimitOptions(),
    budget: ResourceBudget = ResourceBudget()
  )
    throws(RunFailure) -> CheckReport
  {
    try check(
      widths: widths, seeds: seeds, baseSeed: baseSeed, limit: options, budget: budget,
      limitPerturbation: CheckTestHooks.limitPerturbation)
  }

  /// Refuses a check whose finite runs would exceed `budget` (see ``check(widths:seeds:baseSeed:limit:budget:)``).
  func checkBudget(widths: [Int], seeds: Int, budget: ResourceBudget) throws(RunFailure) {
    guard seeds >= 2 else {
      throw .unsupported("tp check needs at least 2 seeds (a standard error over seeds needs two values)")
    }
    guard !widths.isEmpty else { throw .unsupported("tp check needs at least one width") }
    var total = 0
    for width in widths {
      let options = FiniteOptions(width: width, seed: 0, budget: budget)
      let cost: ResourceEstimate
      if isNetwork {
        do {
          cost = try DirectTrainer.estimate(checked, options: options)
        } catch {
          switch error {
          case .program(let e): throw .program(rendered(e))
          case .numerical(let e): throw .numerical(e.rendered(in: unit.file))
          }
        }
      } else {
        cost = FiniteExecutor.estimate(core, options: options)
      }
      guard cost.bytes <= budget.memory.bytes else {
        throw .numerical(
          "error: "
            + Message.memoryRefused(
              "a run at width \(width)", estimate: cost.bytes, detail: "", limit: budget.memory))
      }
      total = Saturating.sum(total, Saturating.product(seeds, cost.multiplyAdds))
    }
    guard total <= budget.work else {
      throw .numerical(
        "error: "
          + Message.workRefused(
            "tp check at \(widths.count) width\(widths.count == 1 ? "" : "s") (up to \(widths.max() ?? 0)) × \(seeds) seeds",
            estimate: total, limit: budget.work, remedy: "use smaller widths or fewer seeds"))
    }
  }

  /// `check` with `limitPerturbation` added to every limit: a test hook (not an option) that
  /// shows the check fails when the limit is wrong.
  func check(
    widths: [Int], seeds: Int, baseSeed: UInt64, limit options: LimitOptions,
    budget: ResourceBudget = ResourceBudget(),
    limitPerturbation: Double
  )
    throws(RunFailure) -> CheckReport
  {
    let runs = try checkRuns(
      widths: widths, seeds: seeds, baseSeed: baseSeed, limit: options, budget: budget,
      limitPerturbation: limitPerturbation)
    return Self.checkReport(runs, program: unit.file.name)
  }

  /// The finite runs of `tp check --shard K/S` (`shard = (K − 1, S)`): the runs whose index
  /// `w·seeds + s` (width `w`, seed `s`) is `K − 1` modulo `S`, with the limit they are compared
  /// with; all runs without a shard. ``checkReport(_:program:)`` of the runs of every shard,
  /// merged, is the report of the unsharded check (docs/scaling.md).
  ///
  /// The work budget is checked for the shard's share of the runs.
  public func checkRuns(
    widths: [Int], seeds: Int, baseSeed: UInt64 = 0, limit options: LimitOptions = LimitOptions(),
    budget: ResourceBudget = ResourceBudget(), shard: (index: Int, count: Int)? = nil
  ) throws(RunFailure) -> CheckRuns {
    try checkRuns(
      widths: widths, seeds: seeds, baseSeed: baseSeed, limit: options, budget: budget,
      limitPerturbation: CheckTestHooks.limitPerturbation, shard: shard)
  }

  func checkRuns(
    widths: [Int], seeds: Int, baseSeed: UInt64, limit options: LimitOptions, budget: ResourceBudget,
    limitPerturbation: Double, shard: (index: Int, count: Int)? = nil
  ) throws(RunFailure) -> CheckRuns {
    let shards = max(1, shard?.count ?? 1)
    var shareBudget = budget
    shareBudget.work = Saturating.product(budget.work, shards)
    try checkBudget(widths: widths, seeds: seeds, budget: shareBudget)
    let limitReport = try runLimit(options)
    let pointNames = network?.pointNames ?? [:]
    var out = CheckRuns(widths: widths, seeds: seeds, baseSeed: baseSeed)
    if let shard { out.shard = CheckRuns.Shard(index: shard.index, count: shard.count) }
    func mine(_ w: Int, _ s: Int) -> Bool {
      guard let shard else { return true }
      return (w * seeds + s) % shard.count == shard.index
    }
    // The limit of each checked quantity, by name.
    var limits: [(String, Double, Double)] = []
    if isNetwork {
      for t in limitReport.trajectory { limits.append((Self.label(t, names: pointNames), t.value, t.error)) }
      let kernelLimits = kernelEntries(limitReport.kernels, posterior: limitReport.posterior)
      if limitReport.trajectory.contains(where: { $0.variance > 0 }) {
        out.kernelRegime = true
        // Kernel entries are compared with their limits, as outside the kernel regime.
        out.limits = kernelLimits.map {
          CheckRuns.Limit(name: $0.0, value: $0.1 + limitPerturbation, error: $0.2)
        }
        out.runs = try kernelRegimeRuns(
          widths: widths, seeds: seeds, baseSeed: baseSeed, limit: options, budget: budget,
          limitPerturbation: limitPerturbation, include: mine)
        if !out.runs.isEmpty, out.runs.allSatisfy({ $0.values.isEmpty }) { throw Self.nothingToCheck }
        return out
      }
      limits += kernelLimits
    } else {
      for o in limitReport.outputs {
        if case .scalar(let v) = o.value { limits.append((o.name, v, o.error)) }
      }
    }
    guard !limits.isEmpty else { throw Self.nothingToCheck }
    if limitPerturbation != 0 { limits = limits.map { ($0.0, $0.1 + limitPerturbation, $0.2) } }
    let relative = CheckTestHooks.limitScalePerturbation
    if relative != 0 {
      // A quantity's scale: its own size, or the typical size of all of them (for one that is 0).
      let typical = (limits.reduce(0) { $0 + $1.1 * $1.1 } / Double(max(1, limits.count))).squareRoot()
      limits = limits.map { ($0.0, $0.1 + relative * max(abs($0.1), typical), $0.2) }
    }
    out.limits = limits.map { CheckRuns.Limit(name: $0.0, value: $0.1, error: $0.2) }
    for (w, width) in widths.enumerated() {
      for s in 0..<seeds where mine(w, s) {
        ProgressMeter.shared.begin(
          "finite run", done: w * seeds + s, total: widths.count * seeds,
          detail: "width \(width), seed \(s + 1)")
        let seed = Self.checkSeed(baseSeed, width: w, seed: s, seeds: seeds)
        let r =
          isNetwork
          ? try trainDirectly(width: width, seed: seed, budget: budget, readoutAveraged: true)
          : try runFinite(width: width, seed: seed, budget: budget)
        let named: [String: Double]
        if isNetwork {
          named = Dictionary(
            r.trajectory.map { (Self.label($0, names: pointNames), $0.value) }
              + kernelEntries(r.kernels, posterior: r.posterior).map { ($0.0, $0.1) },
            uniquingKeysWith: { a, _ in a })
        } else {
          named = Dictionary(r.outputs.map { ($0.name, $0.scalarValue) }, uniquingKeysWith: { a, _ in a })
        }
        out.runs.append(CheckRuns.Run(index: w * seeds + s, values: limits.map { named[$0.0] ?? .nan }))
      }
    }
    return out
  }

  /// The report of a check from all of its runs (``checkRuns(widths:seeds:baseSeed:limit:budget:shard:)``,
  /// of one shard or of every shard merged): per quantity, its values `values[w][seed]` in run order.
  public static func checkReport(_ c: CheckRuns, program: String) -> CheckReport {
    let runs = c.runs.sorted { $0.index < $1.index }
    let seeds = max(1, c.seeds)
    if c.kernelRegime {
      var names: [String] = []
      var values: [String: [[Double]]] = [:]
      for run in runs {
        let w = run.index / seeds
        for (name, v) in zip(run.names ?? [], run.values) {
          if values[name] == nil {
            names.append(name)
            values[name] = Array(repeating: [], count: c.widths.count)
          }
          values[name]![w].append(v)  // safe: set above
        }
      }
      let alpha = Self.falseAlarmLevel / Double(max(1, names.count))
      // Kernel entries are raw values with limits of their own; the rest are differences (limit 0).
      let limitOf = Dictionary(c.limits.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      let quantities = names.map { name in
        // safe: names are keys of values
        Self.checkedQuantity(
          name: name, limit: limitOf[name]?.value ?? 0, limitStandardError: limitOf[name]?.error ?? 0,
          widths: c.widths, values: values[name]!, paired: name.hasPrefix("Δ"), alpha: alpha)
      }
      return CheckReport(program: program, seeds: c.seeds, quantities: quantities)
    }
    var values = [[[Double]]](
      repeating: [[Double]](repeating: [], count: c.widths.count), count: c.limits.count)
    for run in runs {
      let w = run.index / seeds
      for q in c.limits.indices where q < run.values.count { values[q][w].append(run.values[q]) }
    }
    let alpha = Self.falseAlarmLevel / Double(max(1, c.limits.count))
    let quantities = c.limits.enumerated().map { q, l in
      Self.checkedQuantity(
        name: l.name, limit: l.value, limitStandardError: l.error, widths: c.widths, values: values[q],
        alpha: alpha)
    }
    return CheckReport(program: program, seeds: c.seeds, quantities: quantities)
  }

  /// `tp check` on a program without outputs or observations (only kernel statements, say):
  /// a usage error rather than an empty table that "passes".
  public static let nothingToCheck = RunFailure.unsupported(
    "nothing to check: the program has no outputs, observations, 'kernel' or 'posterior' statements"
      + " with finite-width counterparts (kernel analyses such as 'alignment' and 'eigen' are computed"
      + " in the limit only)")

  /// Family-wise false-alarm level of `tp check`: each of `Q` quantities is tested at `α/Q`
  /// (Bonferroni), so a correct program fails with probability at most about `α`.
  static let falseAlarmLevel = 0.01

  /// One checked quantity from its finite values `values[w][seed]`: per width the seed mean, its
  /// standard error and the RMS error against `limit`, the fitted slope of log RMS error against
  /// log width (descriptive), and the verdict of ``LimitTest`` at level `alpha`: the seed means
  /// must be consistent with `limit + B/n` for some bias `B`, given both sides' errors.
  ///
  /// Values that are exactly right at every width pass; values without spread (a deterministic
  /// finite computation) must agree to 1e-9 relative. For `paired` differences (kernel-regime
  /// checks, whose sign is random, so their mean says little) the rule is instead that their RMS
  /// error at the largest width is not significantly above (at the 0.1 % level, given the seeds)
  /// what `n^{-1/2}` scaling from the smallest width predicts.
  static func checkedQuantity(
    name: String, limit: Double, limitStandardError limitSE: Double, widths: [Int], values: [[Double]],
    paired: Bool = false, alpha: Double = falseAlarmLevel
  ) -> CheckedQuantity {
    let perWidth = widths.enumerated().map { w, width in
      let v = values[w]
      let rms = (v.reduce(0) { $0 + ($1 - limit) * ($1 - limit) } / Double(max(1, v.count))).squareRoot()
      return CheckedQuantity.Width(
        width: width, mean: Statistics.mean(v), standardError: Statistics.standardErrorOfMean(v),
        rmsError: rms, values: v)
    }
    let fit = SlopeFit(widths: widths, errors: perWidth.map(\.rmsError))
    let scale = max(1, abs(limit))
    let exact = perWidth.allSatisfy { $0.rmsError <= 1e-9 * scale }
    var converges: Bool
    var test: LimitTest?
    if exact {
      converges = true
    } else if paired, let first = perWidth.first, let last = perWidth.last {
      // A mean square over k seeds has log-sd ≈ √(2/(k−1)); the log of a ratio of two, about
      // twice that variance. 3.1 of its sds is a one-sided 0.1 % false-alarm level (a ratio of
      // RMS errors of 6 for 4 seeds, 3.2 for 8, 2.2 for 16).
      let k = Double(max(2, min(first.values.count, last.values.count)))
      let allowed = exp(3.1 / (k - 1).squareRoot())
      converges =
        !(last.rmsError > allowed * first.rmsError * (Double(first.width) / Double(last.width)).squareRoot())
    } else if perWidth.allSatisfy({ !($0.standardError > 0) }) {
      // No spread to judge by: the finite computation is deterministic.
      converges = perWidth.allSatisfy { abs($0.mean - limit) <= 1e-9 * scale + 3 * limitSE }
    } else {
      let t = LimitTest(
        widths: widths, means: perWidth.map(\.mean), standardErrors: perWidth.map(\.standardError),
        seeds: perWidth.map(\.values.count).min() ?? 0, limit: limit, limitError: limitSE, alpha: alpha)
      converges = t.passes
      test = t
    }
    var q = CheckedQuantity(
      name: name, limit: limit, limitStandardError: limitSE, widths: perWidth, slope: fit.slope,
      converges: converges)
    if let test {
      q.statistic = test.statistic
      q.critical = test.critical
      q.extrapolated = test.extrapolated
      q.extrapolatedError = test.extrapolatedError
    }
    return q
  }

  /// The seed of run `seed` at the `width`-th width of a check: `baseSeed + width·seeds + seed`,
  /// so every width gets its own seeds. (Random streams are addressable by coordinate, so the
  /// same seed at widths n and 2n would share the first n coordinates and correlate the two
  /// widths' means, which the test assumes independent.) `tp run --width N --seed S`
  /// reproduces any single run.
  static func checkSeed(_ baseSeed: UInt64, width: Int, seed: Int, seeds: Int) -> UInt64 {
    baseSeed &+ UInt64(width * seeds + seed)
  }

  /// A stable name for a trajectory value: `f[2] at (1, 0)`.
  /// A named point (`point a = …`, `word("…")`) is shown by its name.
  static func label(_ t: TrajectoryValue, names: [[Double]: String] = [:]) -> String {
    let pts = t.points.map { names[$0] ?? "(" + $0.map(Program.format).joined(separator: ", ") + ")" }.joined(
      separator: ", ")
    let head = t.observable + (t.target.map { " " + $0 } ?? "") + (t.output > 0 ? "[\(t.output)]" : "")
    return "\(head)[\(t.step.map(String.init) ?? "inf")]" + (pts.isEmpty ? "" : " at \(pts)")
  }
}

/// Hooks for tests of `check` (reachable with `@testable import`; not part of the API).
enum CheckTestHooks {
  /// Added to every limit by the public `check`, so an in-process `tp check` can be made to
  /// compare against a wrong limit: `CheckTestHooks.$limitPerturbation.withValue(0.5) { … }`.
  @TaskLocal static var limitPerturbation: Double = 0
  /// Added to every limit as a fraction of its scale (its magnitude, or the root mean square of
  /// all the limits for one that is near 0).
  @TaskLocal static var limitScalePerturbation: Double = 0
}

/// The finite runs of a `tp check` (or of one shard of it) and the limit they are compared
/// with: what ``TensorProgram/checkReport(_:program:)`` needs (docs/scaling.md).
public struct CheckRuns: Sendable, Codable, Equatable {
  /// The limit of one checked quantity.
  public struct Limit: Sendable, Codable, Equatable {
    public var name: String
    public var value: Double
    public var error: Double
  }

  /// One finite run: width `index / seeds`, seed `index % seeds` of the check.
  public struct Run: Sendable, Codable, Equatable {
    public var index: Int
    /// The checked values, parallel to ``CheckRuns/limits`` (or to `names` in the kernel regime).
    public var values: [Double]
    /// Kernel regime: the name of each value (differences against the limit's prediction).
    public var names: [String]?
  }

  /// Which runs a shard did: those with index `≡ index (mod count)`, 0-based.
  public struct Shard: Sendable, Codable, Equatable {
    public var index: Int
    public var count: Int
  }

  public var widths: [Int]
  public var seeds: Int
  public var baseSeed: UInt64
  /// True for a kernel-regime check (quantities are named per run, compared with 0).
  public var kernelRegime = false
  public var limits: [Limit] = []
  public var runs: [Run] = []
  public var shard: Shard?

  public init(widths: [Int], seeds: Int, baseSeed: UInt64) {
    self.widths = widths
    self.seeds = seeds
    self.baseSeed = baseSeed
  }
}
