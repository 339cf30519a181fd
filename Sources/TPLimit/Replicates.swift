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
func combine(_ estimates: [Estimate]) -> Estimate {
  let r = Double(estimates.count)
  let values = estimates.map(\.value)
  let method = estimates.reduce(Method.exact) { $0.combined($1.method) }
  let mean = Statistics.mean(values)
  let within = (estimates.reduce(0) { $0 + $1.standardError * $1.standardError } / r).squareRoot()
  let deterministic =
    (estimates.reduce(0) { $0 + max(0, $1.error * $1.error - $1.standardError * $1.standardError) } / r)
    .squareRoot()
  guard method == .mc, estimates.count > 1 else {
    return Estimate(value: mean, error: estimates.map(\.error).max() ?? 0, method: method)
  }
  let spread = Statistics.sampleVariance(values).squareRoot()
  let sampling = max(spread, within) / r.squareRoot()
  return Estimate(
    value: mean, error: (sampling * sampling + deterministic * deterministic).squareRoot(),
    standardError: within / r.squareRoot(), method: method)
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

extension LimitResult {
  /// Replicate results of the same program combined with ``combine(_:)``: every scalar,
  /// output and `Ż` coefficient. Vector laws average their moments and quantiles; densities,
  /// the rest of the explanations and method counts come from the first replicate. A replicate
  /// that lies far from the others on some output (``outlyingReplicate(_:)``) is named in
  /// ``warnings``.
  static func combining(_ results: [LimitResult]) -> LimitResult {
    var out = results[0]
    out.replicates = results.count
    for k in out.scalars.indices { out.scalars[k] = combine(results.map { $0.scalars[k] }) }
    var flagged: [String] = []
    for (k, o) in out.outputs.enumerated() {
      let all = results.map { $0.outputs[k] }
      let estimates = all.map {
        Estimate(value: $0.scalarValue, error: $0.error, standardError: $0.standardError, method: $0.method)
      }
      let c = combine(estimates)
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
        out.outputs[k].value = .vector(
          VectorLaw(
            mean: c.value, variance: Statistics.mean(variances),
            quantiles: law.quantiles.indices.map { q in laws.reduce(0) { $0 + $1.quantiles[q] } / count },
            varianceError: max(spread(variances) / count.squareRoot(), laws.map(\.varianceError).max() ?? 0),
            quantileErrors: law.quantiles.indices.map { q in
              max(
                spread(laws.map { $0.quantiles[q] }) / count.squareRoot(),
                laws.map { $0.quantileErrors[q] }.max() ?? 0)
            }))
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
          })
        out.derivations[d].zdot[t].coefficient = c.value
        out.derivations[d].zdot[t].standardError = c.standardError
        out.derivations[d].zdot[t].error = c.error
      }
    }
    return out
  }
}

extension LimitResult {
  /// This result with every error at least its difference from `coarse`, the same program at
  /// lower quadrature resolution.
  func widened(by coarse: LimitResult) -> LimitResult {
    var out = self
    func wider(_ e: Double, _ a: Double, _ b: Double) -> Double { max(e, abs(a - b)) }
    if coarse.scalars.count == scalars.count {
      for k in scalars.indices {
        out.scalars[k].error = wider(scalars[k].error, scalars[k].value, coarse.scalars[k].value)
      }
    }
    if coarse.outputs.count == outputs.count {
      for k in outputs.indices {
        let (a, b) = (outputs[k], coarse.outputs[k])
        out.outputs[k].error = wider(a.error, a.scalarValue, b.scalarValue)
        if case .vector(var law) = a.value, case .vector(let other) = b.value {
          law.varianceError = wider(law.varianceError, law.variance, other.variance)
          for q in law.quantiles.indices where q < other.quantiles.count {
            law.quantileErrors[q] = wider(law.quantileErrors[q], law.quantiles[q], other.quantiles[q])
          }
          out.outputs[k].value = .vector(law)
        }
      }
    }
    if coarse.derivations.count == derivations.count {
      for d in derivations.indices where coarse.derivations[d].zdot.count == derivations[d].zdot.count {
        for t in derivations[d].zdot.indices {
          let (a, b) = (derivations[d].zdot[t], coarse.derivations[d].zdot[t])
          out.derivations[d].zdot[t].error = wider(a.error, a.coefficient, b.coefficient)
        }
      }
    }
    return out
  }
}
