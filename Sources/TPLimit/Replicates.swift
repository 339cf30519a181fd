import TPCore
import TPNumerics

/// Replicate estimates of one number combined: the mean, and its error.
///
/// The Monte Carlo part is `max(sd_R, rms(seᵣ)) / √R`: the spread of the replicate values over
/// independent particle sets includes the error inherited through `Ż` coefficients and earlier
/// moments, which a replicate's own sampling error leaves out; the larger of the two guards
/// against a spread that is small by chance with few replicates. The deterministic part of
/// each replicate's error (quadrature, the same in every replicate) does not average away and
/// is added in quadrature as the root mean square of the replicates' own.
///
/// A number whose own integrator is exact or quadrature but whose inputs were sampled (a
/// closed form of Monte Carlo covariances) differs between replicates too; it is treated the
/// same way, and its method becomes `mc`.
///
/// For a sampler whose particles are dependent within a replicate (`spreadOnly`:
/// ``Sampler/errorFromReplicateSpread``, a lattice or antithetic pairs), the sampling part is
/// `sd_R/√R` alone, and the reported sampling error too.
func combine(_ estimates: [Estimate], spreadOnly: Bool = false) -> Estimate {
  let r = Double(estimates.count)
  let values = estimates.map(\.value)
  var method = estimates.reduce(Method.exact) { $0.combined($1.method) }
  let mean = Statistics.mean(values)
  let within = (estimates.reduce(0) { $0 + $1.standardError * $1.standardError } / r).squareRoot()
  let deterministic =
    (estimates.reduce(0) { $0 + max(0, $1.error * $1.error - $1.standardError * $1.standardError) } / r)
    .squareRoot()
  let spread = estimates.count > 1 ? Statistics.sampleVariance(values).squareRoot() : 0
  if spread > 1e-12 * max(1, abs(mean)) { method = method.combined(.mc) }
  guard method == .mc, estimates.count > 1 else {
    return Estimate(value: mean, error: estimates.map(\.error).max() ?? 0, method: method)
  }
  let sampling = (spreadOnly ? spread : max(spread, within)) / r.squareRoot()
  return Estimate(
    value: mean, error: (sampling * sampling + deterministic * deterministic).squareRoot(),
    standardError: (spreadOnly ? spread : within) / r.squareRoot(), method: method)
}

/// A replicate whose value is far from the others': `|vᵢ − mean_{j≠i}|` above 6 times what
/// the others' spread and its own sampling error allow. Returns the index, or nil.
func outlyingReplicate(_ estimates: [Estimate]) -> Int? {
  guard estimates.count >= 3 else { return nil }
  for i in estimates.indices {
    let others = estimates.indices.filter { $0 != i }.map { estimates[$0].value }
    let m = Statistics.mean(others)
    let sd = Statistics.sampleVariance(others).squareRoot()
    let se = estimates[i].standardError
    let allowed = 6 * (sd * sd * (1 + 1 / Double(others.count)) + se * se).squareRoot()
    if abs(estimates[i].value - m) > max(allowed, 1e-12 * max(1, abs(m))) { return i }
  }
  return nil
}

/// How many groups of scalars (steps) ``LimitResult/combining(_:pools:)`` pools: enough for
/// at least 15 degrees of freedom (`R − 1` per step; the points of one step are correlated
/// and count once), and at least 3 — 3 for 8 replicates, 5 for 4, 15 for 2. (Measured on 16 seeds of `examples/mup2_tanh.tp --set steps=10
/// --replicates 4`: pooling the 3 nearest steps left the reported errors 2.19-fold apart from
/// seed to seed, the 5 nearest 1.92.)
func poolSize(replicates r: Int) -> Int { max(3, (15 + r - 2) / max(1, r - 1)) }

extension LimitResult {
  /// Replicate results of the same program combined with ``combine(_:)``: every scalar,
  /// output and `Ż` coefficient. Vector laws average their moments and quantiles; densities,
  /// the rest of the explanations and method counts come from the first replicate. A replicate
  /// that lies far from the others on some output (``outlyingReplicate(_:)``) is named in
  /// ``warnings``.
  ///
  /// `pools` groups the scalars whose inherited error is alike (for a network, the observations
  /// of one observable, one group per step). For scalar `k`, its family's groups are walked by
  /// distance in steps, `k`'s own first (``ReplicatePools/nearestGroups(of:)``), and the
  /// replicate spreads of the first ``poolSize(replicates:)`` groups that hold Monte Carlo
  /// estimates are pooled, so `k`'s error is its own sampling error times the pool's inflation `ι = √(Σ sd² / Σ rms(se)²)` (at least 1). With few replicates
  /// one scalar's spread has few degrees of freedom (3 for 4 replicates, so it varies 3-fold
  /// from seed to seed); the pool's has about as many as its members together, at least 15.
  /// A scalar whose own spread exceeds the pooled prediction beyond the 0.1 % point of its χ²
  /// keeps its own.
  static func combining(_ results: [LimitResult], pools: ReplicatePools = ReplicatePools()) -> LimitResult {
    var out = results[0]
    out.replicates = results.count
    out.cacheStatistics = results.compactMap(\.cacheStatistics).reduce(nil) { $0?.adding($1) ?? $1 }
    let spreadOnly = results[0].errorFromReplicateSpread
    for k in out.scalars.indices {
      out.scalars[k] = combine(results.map { $0.scalars[k] }, spreadOnly: spreadOnly)
    }
    let r = results.count
    // Randomized QMC and antithetic pairs reduce the variance of different numbers by very
    // different factors, so neighbours' spread-to-sampling-error ratios say little about a
    // number's own (measured: pooled, the RQMC errors of `mup2_tanh` after 5 steps were 1.31×
    // too small); each keeps its own.
    if r > 1 && !pools.isEmpty && !spreadOnly {
      var spread: [Int: Double] = [:]
      var within: [Int: Double] = [:]
      func stats(_ k: Int) -> (Double, Double)? {
        guard k < out.scalars.count, out.scalars[k].method == .mc else { return nil }
        if let s = spread[k], let w = within[k] { return (s, w) }
        let s = Statistics.sampleVariance(results.map { $0.scalars[k].value })
        let w =
          results.reduce(0) { $0 + $1.scalars[k].standardError * $1.scalars[k].standardError } / Double(r)
        spread[k] = s
        within[k] = w
        return (s, w)
      }
      let allowance = chiSquareUpper999(degrees: r - 1) / Double(r - 1)
      var widened: [Int: Double] = [:]
      for k in pools.pooled {
        guard let (own, w) = stats(k), w > 0 else { continue }
        let groups = pools.nearestGroups(of: k).lazy.map { $0.compactMap(stats) }.filter { !$0.isEmpty }
        let members = Array(groups.prefix(poolSize(replicates: r)).joined())
        let totalWithin = members.reduce(0) { $0 + $1.1 }
        guard members.count > 1, totalWithin > 0 else { continue }
        let inflation = max(1, members.reduce(0) { $0 + $1.0 } / totalWithin)
        let variance = own > w * inflation * allowance ? own : w * inflation
        let e = out.scalars[k]
        let deterministic = max(0, e.error * e.error - max(own, w) / Double(r))
        widened[k] = (variance / Double(r) + deterministic).squareRoot()
      }
      for (k, e) in widened { out.scalars[k].error = e }
    }
    var flagged: [String] = []
    for (k, o) in out.outputs.enumerated() {
      let all = results.map { $0.outputs[k] }
      let estimates = all.map {
        Estimate(value: $0.scalarValue, error: $0.error, standardError: $0.standardError, method: $0.method)
      }
      let c = combine(estimates, spreadOnly: spreadOnly)
      if let bad = outlyingReplicate(estimates) { flagged.append("\(o.name) (replicate \(bad + 1))") }
      out.outputs[k].method = c.method
      out.outputs[k].standardError = c.standardError
      out.outputs[k].error = c.error
      switch o.value {
      case .scalar: out.outputs[k].value = .scalar(c.value)
      case .vector(let law):
        let laws = all.compactMap { if case .vector(let l) = $0.value { l } else { nil } }
        let count = Double(laws.count)
        func spread(_ v: [Double]) -> Double { v.count > 1 ? Statistics.sampleVariance(v).squareRoot() : 0 }
        let variances = laws.map(\.variance)
        var combined =
          VectorLaw(
            mean: c.value, variance: Statistics.mean(variances),
            quantiles: law.quantiles.indices.map { q in laws.reduce(0) { $0 + $1.quantiles[q] } / count },
            varianceError: max(spread(variances) / count.squareRoot(), laws.map(\.varianceError).max() ?? 0),
            quantileErrors: law.quantiles.indices.map { q in
              max(
                spread(laws.map { $0.quantiles[q] }) / count.squareRoot(),
                laws.map { $0.quantileErrors[q] }.max() ?? 0)
            })
        // Atoms come from a deterministic grid: the same in every replicate.
        combined.atoms = law.atoms
        out.outputs[k].value = .vector(combined)
      }
    }
    if !flagged.isEmpty {
      out.warnings.append(
        "a Monte Carlo replicate lies far from the others (more than 6 times their spread) for "
          + flagged.prefix(5).joined(separator: ", ") + (flagged.count > 5 ? ", …" : "")
          + "; the error bars include it, but look at the program's conditioning")
    }
    guard results.allSatisfy({ $0.derivations.count == out.derivations.count }) else { return out }
    for (d, derivation) in out.derivations.enumerated() {
      let all = results.map { $0.derivations[d] }
      // The same structure in every replicate (zero coefficients are decided symbolically).
      guard all.allSatisfy({ $0.zdot.map(\.operand) == derivation.zdot.map(\.operand) }) else { continue }
      for t in derivation.zdot.indices {
        let terms = all.map { $0.zdot[t] }
        let c = combine(
          terms.map {
            Estimate(
              value: $0.coefficient, error: $0.error, standardError: $0.standardError, method: $0.method)
          }, spreadOnly: spreadOnly)
        out.derivations[d].zdot[t].coefficient = c.value
        out.derivations[d].zdot[t].standardError = c.standardError
        out.derivations[d].zdot[t].error = c.error
      }
    }
    return out
  }
}

extension LimitResult {
  /// This result with every error at least the sum of its differences from `twins`, the same
  /// program with one rule family at a time at lower quadrature resolution (a twin whose
  /// structure differs is left out).
  func widened(by twins: [LimitResult]) -> LimitResult {
    var out = self
    for k in scalars.indices {
      let change = twins.reduce(0.0) { s, t in
        t.scalars.count == scalars.count ? s + abs(scalars[k].value - t.scalars[k].value) : s
      }
      out.scalars[k].error = max(scalars[k].error, change)
    }
    for k in outputs.indices {
      let same = twins.filter { $0.outputs.count == outputs.count }
      let a = outputs[k]
      out.outputs[k].error = max(
        a.error, same.reduce(0.0) { $0 + abs(a.scalarValue - $1.outputs[k].scalarValue) })
      if case .vector(var law) = a.value {
        let others = same.compactMap { t -> VectorLaw? in
          if case .vector(let other) = t.outputs[k].value { return other }
          return nil
        }
        law.varianceError = max(
          law.varianceError, others.reduce(0.0) { $0 + abs(law.variance - $1.variance) })
        for q in law.quantiles.indices {
          let change = others.reduce(0.0) { s, o in
            q < o.quantiles.count ? s + abs(law.quantiles[q] - o.quantiles[q]) : s
          }
          law.quantileErrors[q] = max(law.quantileErrors[q], change)
        }
        out.outputs[k].value = .vector(law)
      }
    }
    for d in derivations.indices {
      for t in derivations[d].zdot.indices {
        let a = derivations[d].zdot[t]
        let change = twins.reduce(0.0) { s, twin in
          twin.derivations.count == derivations.count
            && twin.derivations[d].zdot.count == derivations[d].zdot.count
            ? s + abs(a.coefficient - twin.derivations[d].zdot[t].coefficient) : s
        }
        out.derivations[d].zdot[t].error = max(a.error, change)
      }
    }
    return out
  }
}

/// The 0.999 quantile of χ² with `k` degrees of freedom (Wilson–Hilferty: accurate to a few
/// percent for `k ≥ 2`, which is all a guard needs).
func chiSquareUpper999(degrees k: Int) -> Double {
  let d = Double(max(1, k))
  let z = 3.090232
  let c = 1 - 2 / (9 * d) + z * (2 / (9 * d)).squareRoot()
  return d * c * c * c
}
