import TPCore
import TPNumerics

/// `(mean, standard error of the mean)` of replicate values `v` with their own reported errors
/// `se`: `max(sd(v), rms(se)) / √R`. The larger of the two guards against a replicate spread
/// that happens to be small with few replicates.
func replicateMean(_ v: [Double], _ se: [Double]) -> (mean: Double, standardError: Double) {
  let r = Double(v.count)
  let spread = v.count > 1 ? Statistics.sampleVariance(v).squareRoot() : 0
  let within = (se.reduce(0) { $0 + $1 * $1 } / r).squareRoot()
  return (Statistics.mean(v), max(spread, within) / r.squareRoot())
}

extension LimitResult {
  /// Replicate results of the same program combined: every scalar, output and `Ż` coefficient is
  /// the replicate mean with ``replicateMean(_:_:)``'s standard error. Vector laws average their
  /// moments and quantiles; densities, explanations' other text and method counts come from the
  /// first replicate.
  static func combining(_ results: [LimitResult]) -> LimitResult {
    var out = results[0]
    out.replicates = results.count
    for (k, s) in out.scalars.enumerated() {
      let (m, se) = replicateMean(
        results.map { $0.scalars[k].value }, results.map { $0.scalars[k].standardError })
      let method = results.reduce(s.method) { $0.combined($1.scalars[k].method) }
      out.scalars[k] = ScalarEstimate(value: m, standardError: method == .mc ? se : 0, method: method)
    }
    for (k, o) in out.outputs.enumerated() {
      let all = results.map { $0.outputs[k] }
      let (m, se) = replicateMean(all.map(\.scalarValue), all.map(\.standardError))
      let method = all.reduce(o.method) { $0.combined($1.method) }
      out.outputs[k].method = method
      out.outputs[k].standardError = method == .mc ? se : 0
      switch o.value {
      case .scalar: out.outputs[k].value = .scalar(m)
      case .vector(let law):
        let laws = all.compactMap { if case .vector(let l) = $0.value { l } else { nil } }
        let count = Double(laws.count)
        out.outputs[k].value = .vector(
          VectorLaw(
            mean: m, variance: laws.reduce(0) { $0 + $1.variance } / count,
            quantiles: law.quantiles.indices.map { q in laws.reduce(0) { $0 + $1.quantiles[q] } / count }))
      }
    }
    guard results.allSatisfy({ $0.derivations.count == out.derivations.count }) else { return out }
    for (d, derivation) in out.derivations.enumerated() {
      let all = results.map { $0.derivations[d] }
      // The same structure in every replicate (zero coefficients are decided symbolically).
      guard all.allSatisfy({ $0.zdot.map(\.operand) == derivation.zdot.map(\.operand) }) else { continue }
      for (t, term) in derivation.zdot.enumerated() {
        let terms = all.map { $0.zdot[t] }
        let (m, se) = replicateMean(terms.map(\.coefficient), terms.map(\.standardError))
        out.derivations[d].zdot[t].coefficient = m
        out.derivations[d].zdot[t].standardError = term.method == .mc ? se : 0
      }
    }
    return out
  }
}
