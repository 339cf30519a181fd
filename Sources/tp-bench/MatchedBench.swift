import Foundation
import TPNumerics
import TensorPrograms

/// Seconds of CPU this process has used (all threads).
func processCPUSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// `body`'s result with the wall-clock and CPU seconds it took.
/// Flushes standard output first, so a long run redirected to a file shows its progress.
func measured<T>(_ body: () -> T) -> (value: T, wall: Double, cpu: Double) {
  fflush(nil)
  let cpu0 = processCPUSeconds()
  var value: T?
  let d = ContinuousClock().measure { value = body() }
  let wall = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  return (value!, wall, processCPUSeconds() - cpu0)
}

/// The values and reported errors of the model's output at `step`, in the order observed.
func outputsAt(step: Int, of report: RunReport) -> (values: [Double], errors: [Double]) {
  let points = report.trajectory.filter { $0.observable == "f" && $0.step == step }
  return (points.map(\.value), points.map(\.error))
}

/// One limit run of the matched benchmark.
struct MatchedLimitRun {
  var sampler: Sampler
  var samples: Int
  var replicates: Int
  var wall: Double
  var cpu: Double
  var values: [Double]
  var errors: [Double]
  var maxError: Double { errors.max() ?? .infinity }
}

/// `tp-bench matched`: the limit against the direct finite-width trainer at matched accuracy
/// (issue #16), for `examples/mup2_tanh.tp --set steps=10` and `examples/mup3_gelu.tp`
/// (3 hidden gelu layers, 10 steps). The accuracy is the largest error over the observed
/// points of the output at step 10.
///
/// * **Limit**, per sampler (`mc`, `rqmc`), `replicates` replicates (the reported error is their
///   spread, so it includes error inherited through `Ż` coefficients): from `startSamples`
///   particles per replicate, the particle count is predicted from the measured error
///   (`N·(e/ε)²`, plus a margin) and run again, up to `maxRuns` runs and `maxParticles` in all;
///   the cheapest count at which seeds 1 and 2 both report ≤ ε is the limit's cost (charged the
///   larger error and the mean time: one reported error is itself an estimate, and the
///   luckiest of several would flatter the limit). A sampler that would need
///   more than `maxParticles` is reported as a miss with its time extrapolated linearly in the
///   particles (the measured exponent is below 1, so this overstates the limit's cost).
/// * **Finite**: at each width, seeds 0, 1, … of the network trained by the direct trainer
///   (real weights, back-propagation), until `minSeeds` seeds and `secondsPerWidth` seconds (or
///   `maxSeeds`) are spent. The seed means minus the most precise limit value give the
///   `O(1/n)` bias `b/n` by weighted least squares per point; the spread `sd(n)` and the mean
///   per-seed time `t(n)` (a power law fitted across widths for widths beyond the measured
///   ones, where `sd` is scaled like `n^{-1/2}`) give, at each candidate width, the seeds
///   `K = ⌈(sd/(ε − |b|/n))²⌉` for which seed-mean standard error plus fitted bias is ε at every
///   point; the cheapest `K·t(n)` is the finite trainer's cost. ε is the accuracy the limit
///   reached (its achieved error, at most the target). The fit's χ² is printed, with a warning
///   when it rejects the `O(1/n)` model at 1 %; a bias-free lower bound (`b = 0`, the measured
///   widths only) is printed next to each plan, as it does not depend on that model.
///
/// The ratio's relative error combines the spread's (`1/√(2(K_measured − 1))`, doubled since
/// seeds go like sd²) and the limit's error estimate's (`1/√(2(R − 1))`, doubled since particles
/// go like error²); timing noise from the shared machine is not in it (wall and CPU ratios are
/// both printed).
func benchMatched(
  target epsilon: Double = 1e-3, widths: [Int] = [1024, 2048, 4096, 8192], replicates: Int = 8,
  startSamples: Int = 2048, maxParticles: Int = 1 << 19, maxRuns: Int = 4, minSeeds: Int = 8,
  maxSeeds: Int = 24, secondsPerWidth: Double = 8
) {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let cases: [(file: String, overrides: [String: Double])] = [
    ("examples/mup2_tanh.tp", ["steps": 10]),
    ("examples/mup3_gelu.tp", ["steps": 10]),
  ]
  let step = 10
  for c in cases {
    let program: TensorProgram
    do {
      program = try TensorProgram(
        source: String(contentsOf: root.appendingPathComponent(c.file), encoding: .utf8), fileName: c.file,
        overrides: c.overrides)
    } catch {
      print("matched: \(c.file) does not check: \(error)")
      continue
    }
    print(
      "matched: \(c.file) steps=\(step), target ε = \(String(format: "%.0e", epsilon)) (largest error over the observed points of f at step \(step)); \(Parallel.defaultThreads) threads"
    )
    // MARK: Limit
    print("  limit   sampler  R × N, seed         max error   wall (s)  cpu (s)  values at step \(step)")
    var chosen:
      [Sampler: (run: MatchedLimitRun?, extrapolated: (particles: Int, wall: Double, cpu: Double)?)] =
        [:]
    var allRuns: [MatchedLimitRun] = []
    for sampler in [Sampler.mc, .rqmc] {
      var samples = startSamples
      var best: MatchedLimitRun?
      var extrapolated: (particles: Int, wall: Double, cpu: Double)?
      var tried: Set<Int> = []
      // One run at `samples` particles per replicate with `seed`, printed.
      func limitRun(samples: Int, seed: UInt64) -> MatchedLimitRun? {
        var options = LimitOptions(samples: samples, replicates: replicates, seed: seed)
        options.sampler = sampler
        let m = measured { try? program.runLimit(options) }
        guard let report = m.value else {
          print("  limit   \(sampler.rawValue): run failed at \(replicates) × \(samples)")
          return nil
        }
        let (values, errors) = outputsAt(step: step, of: report)
        let run = MatchedLimitRun(
          sampler: sampler, samples: samples, replicates: replicates, wall: m.wall, cpu: m.cpu,
          values: values, errors: errors)
        print(
          "  limit   "
            + sampler.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            + "\(replicates) × \(samples), seed \(seed)".padding(toLength: 20, withPad: " ", startingAt: 0)
            + String(format: "%.2e    %8.2f  %7.2f  ", run.maxError, run.wall, run.cpu)
            + zip(values, errors).map { String(format: "%.5f ± %.1e", $0, $1) }.joined(separator: ", "))
        return run
      }
      for _ in 0..<maxRuns {
        tried.insert(samples)
        guard var run = limitRun(samples: samples, seed: 1) else { break }
        allRuns.append(run)
        // A reported error is itself an estimate (from R replicates): a count is accepted only
        // when a second seed also reports ≤ ε, and it is charged the larger error and the
        // mean time of the two (picking the luckiest of several error bars would flatter it).
        if run.maxError <= epsilon, let second = limitRun(samples: samples, seed: 2) {
          allRuns.append(second)
          run.errors = zip(run.errors, second.errors).map { max($0, $1) }
          run.wall = (run.wall + second.wall) / 2
          run.cpu = (run.cpu + second.cpu) / 2
        }
        if run.maxError <= epsilon, best.map({ run.wall < $0.wall }) ?? true { best = run }
        // The next particle count: about ε at the measured rate (error ∝ N^{-1/2}), with a 30 %
        // margin, in multiples of 1024.
        let predicted =
          Double(samples) * pow(run.maxError / epsilon, 2) * (run.maxError > epsilon ? 1.3 : 1.1)
        var next = max(1024, Int((predicted / 1024).rounded(.up)) * 1024)
        if run.maxError > epsilon { next = max(next, samples + 1024) }
        if run.maxError > epsilon {
          let scale = Double(next) / Double(samples)
          extrapolated = (next * replicates, run.wall * scale, run.cpu * scale)
        }
        if next * replicates > maxParticles { break }
        if best != nil && (next >= samples || tried.contains(next)) { break }
        // Above a count already accepted there is nothing to gain.
        if let b = best, next >= b.samples { break }
        if tried.contains(next) { break }
        samples = next
      }
      chosen[sampler] = (best, best == nil ? extrapolated : nil)
    }
    for sampler in [Sampler.mc, .rqmc] {
      if let r = chosen[sampler]?.run {
        print(
          "  limit   \(sampler.rawValue): error \(String(format: "%.2e", r.maxError)) ≤ ε (larger of seeds 1 and 2) at \(r.replicates) × \(r.samples) particles in \(format(r.wall)) s wall (\(format(r.cpu)) s CPU; mean of the two)"
            + (r.wall <= 10 ? "" : " — over the 10 s target"))
      } else if let e = chosen[sampler]?.extrapolated {
        print(
          "  limit   \(sampler.rawValue): MISS — ε needs about \(e.particles) particles (not run: over the cap of \(maxParticles) or of \(maxRuns) runs), extrapolated \(format(e.wall, 0)) s wall (\(format(e.cpu, 0)) s CPU)"
        )
      } else {
        print("  limit   \(sampler.rawValue): MISS — ε not reached")
      }
    }
    // The reference for the bias: the most precise limit run, per point.
    guard let reference = allRuns.min(by: { $0.maxError < $1.maxError }), !reference.values.isEmpty else {
      continue
    }
    // MARK: Finite
    print(
      "  finite  width  seeds  per-seed wall (s)  per-seed cpu (s)  spread sd (max)   (mean − limit)·n per point"
    )
    struct WidthStats {
      var width: Int
      var seeds: Int
      var wall: Double
      var wallSD: Double
      var cpu: Double
      var means: [Double]
      var sds: [Double]
    }
    var stats: [WidthStats] = []
    for n in widths {
      var runs: [[Double]] = []
      var walls: [Double] = []
      var cpus: [Double] = []
      var spent = 0.0
      var failed = false
      while runs.count < minSeeds || (spent < secondsPerWidth && runs.count < maxSeeds) {
        let m = measured { try? program.runFinite(width: n, seed: UInt64(runs.count)) }
        guard let report = m.value else {
          failed = true
          break
        }
        let values = outputsAt(step: step, of: report).values
        guard values.count == reference.values.count else {
          failed = true
          break
        }
        runs.append(values)
        walls.append(m.wall)
        cpus.append(m.cpu)
        spent += m.wall
      }
      if failed {
        print("  finite  width \(n): run failed")
        continue
      }
      let points = reference.values.indices
      let means = points.map { p in Statistics.mean(runs.map { $0[p] }) }
      let sds = points.map { p in Statistics.sampleVariance(runs.map { $0[p] }).squareRoot() }
      let s = WidthStats(
        width: n, seeds: runs.count, wall: Statistics.mean(walls),
        wallSD: Statistics.sampleVariance(walls).squareRoot(), cpu: Statistics.mean(cpus), means: means,
        sds: sds)
      stats.append(s)
      let scaled = points.map { p in
        let se = (sds[p] * sds[p] / Double(runs.count) + reference.errors[p] * reference.errors[p])
          .squareRoot()
        return String(format: "%+.2f ± %.2f", (means[p] - reference.values[p]) * Double(n), se * Double(n))
      }
      print(
        "  finite  " + String(n).padding(toLength: 7, withPad: " ", startingAt: 0)
          + String(runs.count).padding(toLength: 7, withPad: " ", startingAt: 0)
          + String(
            format: "%.3f ± %.3f      %.3f             %.2e          ", s.wall, s.wallSD, s.cpu,
            sds.max() ?? 0)
          + scaled.joined(separator: ", "))
    }
    guard stats.count >= 2 else { continue }
    // Bias b/n per point by weighted least squares on d(n) = mean(n) − limit.
    let points = reference.values.indices
    var bias: [(b: Double, se: Double)] = []
    var fitChi2: [Double] = []
    for p in points {
      var swx = 0.0
      var sww = 0.0
      for s in stats {
        let variance = s.sds[p] * s.sds[p] / Double(s.seeds) + reference.errors[p] * reference.errors[p]
        let w = 1 / max(variance, 1e-300)
        let x = 1 / Double(s.width)
        swx += w * x * (s.means[p] - reference.values[p])
        sww += w * x * x
      }
      let b = swx / sww
      var chi2 = 0.0
      for s in stats {
        let variance = s.sds[p] * s.sds[p] / Double(s.seeds) + reference.errors[p] * reference.errors[p]
        let r = s.means[p] - reference.values[p] - b / Double(s.width)
        chi2 += r * r / max(variance, 1e-300)
      }
      bias.append((b, (1 / sww).squareRoot()))
      fitChi2.append(chi2)
    }
    print(
      "  finite  fitted bias b/n, b per point: "
        + bias.map { String(format: "%+.2f ± %.2f", $0.b, $0.se) }.joined(separator: ", ")
        + "; χ² of the fit per point (\(stats.count - 1) degrees of freedom): "
        + fitChi2.map { format($0, 1) }.joined(separator: ", "))
    // The 1 % point of χ² with k degrees of freedom (Wilson–Hilferty).
    let k = Double(stats.count - 1)
    let critical = k * pow(1 - 2 / (9 * k) + 2.326 * (2 / (9 * k)).squareRoot(), 3)
    if fitChi2.contains(where: { $0 > critical }) {
      print(
        "  finite  WARNING: the O(1/n) bias model is rejected at 1 % (χ² > \(format(critical, 1))): the plans below rest on it"
      )
    }
    // Per-seed time t(n) = a·n^p, least squares in logs.
    let lx = stats.map { log(Double($0.width)) }
    let ly = stats.map { log($0.wall) }
    let lc = stats.map { log(max($0.cpu, 1e-9)) }
    let mx = Statistics.mean(lx)
    let sxx = lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    let slope = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - Statistics.mean(ly)) } / sxx
    let slopeCPU = zip(lx, lc).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - Statistics.mean(lc)) } / sxx
    print("  finite  per-seed time ∝ n^\(format(slope)) (wall), n^\(format(slopeCPU)) (CPU)")
    guard let largest = stats.last else { continue }
    for sampler in [Sampler.mc, .rqmc] {
      let limitRun = chosen[sampler]?.run
      let limitCost: (wall: Double, cpu: Double)
      let target: Double
      if let r = limitRun {
        limitCost = (r.wall, r.cpu)
        target = r.maxError
      } else if let e = chosen[sampler]?.extrapolated {
        limitCost = (e.wall, e.cpu)
        target = epsilon
      } else {
        continue
      }
      // Candidate widths: the measured ones, then 2×…64× the largest (extrapolated).
      var best: (n: Int, k: Int, wall: Double, cpu: Double, measuredSeeds: Int)?
      let candidates: [(n: Int, s: WidthStats?)] =
        stats.map { ($0.width, $0) } + [2, 4, 8, 16, 32, 64].map { (largest.width * $0, nil) }
      for (n, s) in candidates {
        var k = 2
        var feasible = true
        for p in points {
          let sd = s?.sds[p] ?? largest.sds[p] * (Double(largest.width) / Double(n)).squareRoot()
          let room = target - abs(bias[p].b) / Double(n)
          if room <= 0 {
            feasible = false
            break
          }
          k = max(k, Int(((sd / room) * (sd / room)).rounded(.up)))
        }
        guard feasible else { continue }
        let ratio = Double(n) / Double(largest.width)
        let wall = s?.wall ?? largest.wall * pow(ratio, slope)
        let cpu = s?.cpu ?? largest.cpu * pow(ratio, slopeCPU)
        let total = Double(k) * wall
        if best.map({ total < Double($0.k) * $0.wall }) ?? true {
          best = (n, k, wall, cpu, s?.seeds ?? largest.seeds)
        }
      }
      guard let plan = best else {
        print(
          "  finite  vs limit \(sampler.rawValue): no width up to \(64 * largest.width) reaches ε = \(String(format: "%.2e", target))"
        )
        continue
      }
      // With no bias at all the seeds alone must bring the standard error to ε: a lower bound
      // on the finite trainer's cost at the measured widths, free of the bias model.
      let floor = stats.map { s in
        let k = max(
          2, points.map { p in Int((s.sds[p] / target * s.sds[p] / target).rounded(.up)) }.max() ?? 2)
        return (n: s.width, k: k, wall: Double(k) * s.wall, cpu: Double(k) * s.cpu)
      }.min { $0.wall < $1.wall }
      if let f = floor {
        print(
          "  bound   \(sampler.rawValue): with zero bias, at least \(f.k) seeds × n = \(f.n) = \(format(f.wall, 1)) s wall (\(format(f.cpu, 1)) s CPU); ratio ≥ \(format(f.wall / limitCost.wall, 1))× wall, \(format(f.cpu / limitCost.cpu, 1))× CPU"
        )
      }
      let finiteWall = Double(plan.k) * plan.wall
      let finiteCPU = Double(plan.k) * plan.cpu
      let relative =
        ((2 / (2 * Double(plan.measuredSeeds - 1)).squareRoot()).squared
        + (2 / (2 * Double(replicates - 1)).squareRoot()).squared).squareRoot()
      let planSE = points.map { p in
        let sd =
          stats.first { $0.width == plan.n }?.sds[p] ?? largest.sds[p]
          * (Double(largest.width) / Double(plan.n)).squareRoot()
        return sd / Double(plan.k).squareRoot() + abs(bias[p].b) / Double(plan.n)
      }
      print(
        "  matched \(sampler.rawValue) (ε = \(String(format: "%.2e", target))): finite \(plan.k) seeds × n = \(plan.n)"
          + (stats.contains { $0.width == plan.n } ? "" : " (width extrapolated)")
          + " (SE + |b|/n ≤ \(String(format: "%.2e", planSE.max() ?? 0))) = \(format(finiteWall, 1)) s wall (\(format(finiteCPU, 1)) s CPU)"
          + (limitRun == nil ? ", limit extrapolated" : ", limit")
          + " \(format(limitCost.wall)) s wall (\(format(limitCost.cpu)) s CPU); ratio finite/limit = \(format(finiteWall / limitCost.wall, 1))× wall, \(format(finiteCPU / limitCost.cpu, 1))× CPU (± \(format(100 * relative, 0)) %)"
      )
    }
  }
}

extension Double {
  fileprivate var squared: Double { self * self }
}
