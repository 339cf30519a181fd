import Foundation
import TPNumerics
import TensorPrograms

/// `tp-bench rqmc`: the variance-reduced samplers — randomized quasi-Monte Carlo
/// (``Sampler/rqmc``), antithetic pairs (``Sampler/antithetic``) and both
/// (``Sampler/rqmcAntithetic``) — against plain Monte Carlo on programs whose limit needs
/// Monte Carlo, measured in one run: for each sampler, `seeds` independent runs (seeds 0…) of
/// `replicates × samples` particles.
///
/// Per program and sampler, over every Monte Carlo number `v` (all observations of all steps):
/// * **time**: the mean time of one run;
/// * **reported**: the RMS of the reported errors `e`;
/// * **actual**: the RMS over numbers of the spread of `v` across the seeds (the error a run
///   really has; no reference needed, and both samplers are unbiased averages);
/// * **ratio** actual / reported: about 1 when the error bars are honest, above 1 when they
///   are too small;
/// * **coverage**: how often `|v_s − mean of the other seeds|` is within
///   `2·√(e_s² + sd²/(S − 1))` (about 93 % when honest: Student's t with 7 degrees of freedom
///   for 8 replicates, slightly more for the leave-one-out mean's own spread; about 95 % with
///   one replicate, whose error is its own standard error);
/// * **variance reduction** at equal particles `actual²_mc / actual²_s` and the **gain at
///   equal time** `(actual²_mc · t_mc) / (actual²_s · t_s)` against plain Monte Carlo, each with
///   its relative standard error (a jackknife over seeds of `log Σ sd²` for each sampler,
///   added in quadrature; the times' own noise is not in it), and the agreement of the two
///   samplers' means, `max |Δ| / √(sd²_mc + sd²_s)·√S`.
func benchSamplers(seeds: Int = 10, samples: Int = 4096, replicates: Int = 8) {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let cases: [(file: String, overrides: [String: Double], method: ExpectationMethod)] = [
    ("examples/mup2_tanh.tp", ["steps": 5], .auto),
    ("examples/mup2_relu.tp", [:], .auto),
    ("examples/mup1_tanh.tp", [:], .mc),
    ("examples/mup1_relu.tp", [:], .mc),
  ]
  print("samplers: \(seeds) seeds per sampler, each \(replicates) replicates × \(samples) particles")
  print(
    "  program                       sampler         time (s)  reported  actual    ratio  coverage  var. reduction  gain    max |Δmean|/σ"
  )
  for c in cases {
    guard
      let program = try? TensorProgram(
        source: String(contentsOf: root.appendingPathComponent(c.file), encoding: .utf8), fileName: c.file,
        overrides: c.overrides)
    else {
      print("  \(c.file): does not check")
      continue
    }
    func values(_ options: LimitOptions) -> [(Double, Double)]? {
      guard let r = try? program.runLimit(options) else { return nil }
      if !r.trajectory.isEmpty {
        return r.trajectory.filter { $0.method == .mc }.map { ($0.value, $0.error) }
      }
      return r.outputs.filter { $0.method == .mc }.map { ($0.scalarValue, $0.error) }
    }
    var baseline: (time: Double, spread: [Double], means: [Double], logError: Double)?
    for sampler in [Sampler.mc, .rqmc, .antithetic, .rqmcAntithetic] {
      var time = 0.0
      var runs: [[(Double, Double)]] = []
      for s in 0..<seeds {
        var o = LimitOptions(method: c.method, samples: samples, replicates: replicates, seed: UInt64(s))
        o.sampler = sampler
        var v: [(Double, Double)]?
        let d = ContinuousClock().measure { v = values(o) }
        time += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        if let v, v.count == runs.first?.count ?? v.count { runs.append(v) }
      }
      guard runs.count == seeds, let count = runs.first?.count, count > 0 else {
        print("  \(c.file): no Monte Carlo numbers")
        break
      }
      var reported = 0.0
      var actual = 0.0
      var covered = 0
      var spreads: [Double] = []
      var means: [Double] = []
      for k in 0..<count {
        let v = runs.map { $0[k].0 }
        let sd2 = Statistics.sampleVariance(v)
        spreads.append(sd2)
        means.append(Statistics.mean(v))
        actual += sd2
        for (s, run) in runs.enumerated() {
          reported += run[k].1 * run[k].1
          let others = v.enumerated().filter { $0.offset != s }.map(\.element)
          let m = Statistics.mean(others)
          let allowed =
            2 * (run[k].1 * run[k].1 + Statistics.sampleVariance(others) / Double(others.count)).squareRoot()
          if abs(run[k].0 - m) <= allowed { covered += 1 }
        }
      }
      // Jackknife over seeds of log Σ_k sd²_k (the numbers of one seed are correlated).
      var leftOut: [Double] = []
      for s in 0..<seeds {
        var total = 0.0
        for k in 0..<count {
          total += Statistics.sampleVariance(
            runs.enumerated().filter { $0.offset != s }.map { $0.element[k].0 })
        }
        leftOut.append(log(max(1e-300, total)))
      }
      let leftOutMean = Statistics.mean(leftOut)
      let logError =
        (Double(seeds - 1) / Double(seeds)
        * leftOut.reduce(0) { $0 + ($1 - leftOutMean) * ($1 - leftOutMean) })
        .squareRoot()
      let t = time / Double(seeds)
      let rep = (reported / Double(count * seeds)).squareRoot()
      let act = (actual / Double(count)).squareRoot()
      let name =
        c.file.replacingOccurrences(of: "examples/", with: "")
        + (c.overrides.isEmpty ? "" : " " + c.overrides.map { "\($0.key)=\(Int($0.value))" }.joined())
        + (c.method == .mc ? " (mc)" : "")
      var line = "  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
      line += sampler.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
      line += format(t, 3).padding(toLength: 10, withPad: " ", startingAt: 0)
      line += String(format: "%.2e  %.2e  ", rep, act)
      line += format(act / rep, 2).padding(toLength: 7, withPad: " ", startingAt: 0)
      line += (format(100 * Double(covered) / Double(count * seeds), 1) + " %").padding(
        toLength: 10, withPad: " ", startingAt: 0)
      if let p = baseline {
        let reduction = p.spread.reduce(0, +) / max(1e-300, spreads.reduce(0, +))
        let gain = reduction * p.time / max(1e-300, t)
        let relative = 100 * (exp((p.logError * p.logError + logError * logError).squareRoot()) - 1)
        var z = 0.0
        for k in 0..<count {
          let sigma = ((p.spread[k] + spreads[k]) / Double(seeds)).squareRoot()
          if sigma > 0 { z = max(z, abs(p.means[k] - means[k]) / sigma) }
        }
        line += (format(reduction, 1) + "× ±" + format(relative, 0) + " %").padding(
          toLength: 15, withPad: " ", startingAt: 0)
        line += (format(gain, 1) + "×").padding(toLength: 8, withPad: " ", startingAt: 0) + format(z, 2)
      }
      print(line)
      if baseline == nil { baseline = (t, spreads, means, logError) }
    }
  }
}
