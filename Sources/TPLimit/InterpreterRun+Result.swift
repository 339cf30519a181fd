import Foundation
import TPCore
import TPNumerics

extension InterpreterRun {
  /// Collects outputs: scalar values, and for vectors the law of `Z` (mean, variance, quantiles).
  func result() throws(NumericalError) -> LimitResult {
    var outputs: [OutputResult] = []
    var densities: [String: [[Double]]] = [:]
    for o in program.outputs {
      switch o.value {
      case .scalar(let s):
        guard let est = scalars[s.raw] else { continue }
        outputs.append(
          OutputResult(
            name: o.name, value: .scalar(est.value), standardError: est.standardError, method: est.method,
            isShow: o.isShow))
      case .vector(let v):
        do throws(MethodUnavailable) {
          let (law, se, method) = try vectorLaw(vectorNode[v.raw])
          outputs.append(
            OutputResult(
              name: o.name, value: .vector(law), standardError: se, method: method, isShow: o.isShow))
          densities[o.name] = density(vectorNode[v.raw], law)
        } catch {
          let message = "the law of '\(o.name)' \(error.message)"
          if let k = program.vectorDefinitions[v.raw] { throw program.numericalError(message, at: k) }
          throw NumericalError(message)
        }
      }
    }
    var all: [ScalarEstimate] = []
    for s in scalars { all.append(s ?? ScalarEstimate(value: .nan, standardError: 0, method: .exact)) }
    var result = LimitResult(
      outputs: outputs, scalars: all, derivations: explainAll(), methodCounts: engine.counts)
    result.densities = densities
    return result
  }

  /// Mean, variance and quantiles of `Z^{node}`: Gaussian quantiles when it is affine, weighted
  /// quantiles of the quadrature grid or the particles otherwise.
  func vectorLaw(_ k: Int) throws(MethodUnavailable) -> (VectorLaw, Double, Method) {
    let z = ZGraph.node(k)
    let m1 = try engine.expectation(z)
    let m2 = try engine.expectation(z * z)
    let mean = m1.value
    let variance = max(0, m2.value - mean * mean)
    guard mean.isFinite, variance.isFinite else { throw MethodUnavailable(message: "is not finite") }
    let method = m1.method.combined(m2.method)
    let quantiles: [Double]
    if engine.affine(k) != nil {
      quantiles = reportedQuantiles.map { mean + variance.squareRoot() * normalQuantile($0) }
    } else {
      let support = engine.graph.support(of: z)
      let set: PointSet
      if method != .mc && engine.effectiveRank(support) <= options.quadratureMaximumDimension {
        set = engine.quadraturePoints(support)
      } else {
        set = engine.monteCarloPoints()
      }
      quantiles = weightedQuantiles(set.array(k, engine.graph), weights: set.weights, at: reportedQuantiles)
    }
    return (VectorLaw(mean: mean, variance: variance, quantiles: quantiles), m1.standardError, method)
  }

  /// The density of `Z^{node}` on 80 points between its 0.1% and 99.9% quantiles: exact for an
  /// affine (Gaussian) node, a weighted histogram of the grid or particles otherwise.
  func density(_ k: Int, _ law: VectorLaw) -> [[Double]] {
    let sd = law.variance.squareRoot()
    if engine.affine(k) != nil {
      guard sd > 0 else { return [[law.mean, 1]] }
      return (0...80).map { i in
        let x = law.mean + sd * (-3.3 + 6.6 * Double(i) / 80)
        let z = (x - law.mean) / sd
        return [x, exp(-0.5 * z * z) / (sd * (2 * Double.pi).squareRoot())]
      }
    }
    let support = engine.graph.support(of: ZGraph.node(k))
    let set =
      engine.effectiveRank(support) <= options.quadratureMaximumDimension
      ? engine.quadraturePoints(support) : engine.monteCarloPoints()
    let values = set.array(k, engine.graph)
    let qs = weightedQuantiles(values, weights: set.weights, at: [0.001, 0.999])
    let (lo, hi) = (qs[0], qs[1])
    guard hi > lo else { return [[lo, 1]] }
    let bins = 60
    var mass = [Double](repeating: 0, count: bins)
    let total = set.weights.map { $0.reduce(0, +) } ?? Double(values.count)
    for (p, x) in values.enumerated() where x >= lo && x <= hi {
      let b = min(bins - 1, Int((x - lo) / (hi - lo) * Double(bins)))
      mass[b] += set.weights?[p] ?? 1
    }
    let width = (hi - lo) / Double(bins)
    return (0..<bins).map { [lo + (Double($0) + 0.5) * width, mass[$0] / total / width] }
  }

  /// How each vector's `Z` is built, for `tp explain`.
  func explainAll() -> [VectorDerivation] {
    var byName: [String: VectorDerivation] = [:]
    for d in derivations { byName[d.vector] = d }
    var out: [VectorDerivation] = []
    for (i, v) in program.vectors.enumerated() {
      if let d = byName[v.name] {
        out.append(d)
        continue
      }
      let k = vectorNode[i]
      guard k >= 0 else { continue }
      let formula: String
      switch engine.graph.nodes[k].kind {
      case .base(let b):
        formula = "Z^{\(v.name)} ~ N(0, \(Program.format(engine.bases.covariance(b, b))))  (initial)"
      case .affine(let c, let terms):
        formula =
          "Z^{\(v.name)} = \(Program.format(c)) + "
          + terms.map { "\(Program.format($0.coefficient))·Z^{\(engine.graph.nodes[$0.node].label)}" }.joined(
            separator: " + ")
      case .nonlin(let e):
        formula = "Z^{\(v.name)} = \(engine.graph.render(e))"
      }
      out.append(VectorDerivation(vector: v.name, lead: formula, zdot: []))
    }
    return out
  }
}

/// The standard normal quantile `Φ⁻¹(p)` for `0 < p < 1`: Acklam's rational approximation
/// (relative error below 1.2·10⁻⁹) refined by one Halley step on `Φ(x) − p`.
func normalQuantile(_ p: Double) -> Double {
  if p <= 0 { return -.infinity }
  if p >= 1 { return .infinity }
  let a = [
    -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
    -3.066479806614716e+01, 2.506628277459239e+00,
  ]
  let b = [
    -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
    -1.328068155288572e+01,
  ]
  let c = [
    -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
    4.374664141464968e+00, 2.938163982698783e+00,
  ]
  let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  let low = 0.02425
  var x: Double
  if p < low {
    let q = (-2 * log(p)).squareRoot()
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
      / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  } else if p <= 1 - low {
    let q = p - 0.5
    let r = q * q
    x =
      (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
      / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  } else {
    let q = (-2 * log(1 - p)).squareRoot()
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
      / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
  let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
  return x - u / (1 + x * u / 2)
}

/// Quantiles of a weighted sample (equal weights when `weights` is nil): the smallest value whose
/// cumulative weight reaches `p`.
func weightedQuantiles(_ values: [Double], weights: [Double]?, at ps: [Double]) -> [Double] {
  let order = values.indices.sorted { values[$0] < values[$1] }
  let total = weights.map { $0.reduce(0, +) } ?? Double(values.count)
  return ps.map { p in
    var acc = 0.0
    for i in order {
      acc += weights?[i] ?? 1
      if acc >= p * total { return values[i] }
    }
    return values[order.last ?? 0]
  }
}
