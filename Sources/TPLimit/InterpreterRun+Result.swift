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
            name: o.name, value: .scalar(est.value), standardError: est.standardError, error: est.error,
            method: est.method, isShow: o.isShow))
      case .vector(let v):
        do throws(MethodUnavailable) {
          let (law, mean, method, density) = try vectorLaw(vectorNode[v.raw])
          outputs.append(
            OutputResult(
              name: o.name, value: .vector(law), standardError: mean.standardError, error: mean.error,
              method: method, isShow: o.isShow))
          densities[o.name] = density
        } catch {
          let message = "the law of '\(o.name)' \(error.message)"
          if let k = program.vectorDefinitions[v.raw] { throw program.numericalError(message, at: k) }
          throw NumericalError(message)
        }
      }
    }
    var all: [Estimate] = []
    for s in scalars { all.append(s ?? Estimate(value: .nan, error: 0, method: .exact)) }
    var result = LimitResult(
      outputs: outputs, scalars: all, derivations: explainAll(), methodCounts: engine.counts)
    result.integratorCounts = engine.integratorCounts
    result.densities = densities
    result.cacheStatistics = engine.monteCarloPoints_?.statistics
    result.sampler = engine.monteCarloPoints_ != nil ? options.sampler : nil
    return result
  }

  /// The law of `Z^{node}`: mean and variance by the planner, quantiles and the density
  /// exactly for an affine (Gaussian) node, from the CDF on a fine grid when the node depends
  /// on a single Gaussian direction (``OneDimensionalLaw``; error from a grid of half the
  /// resolution), and from the Monte Carlo particles otherwise (with the standard error of
  /// a sample quantile, half the spread between the order statistics at `p ± √(p(1−p)/N)`).
  func vectorLaw(_ k: Int) throws(MethodUnavailable) -> (VectorLaw, Estimate, Method, [[Double]]) {
    let z = ZGraph.node(k)
    let m1 = try engine.expectation(z)
    let m2 = try engine.expectation(z * z)
    let mean = m1.value
    let variance = max(0, m2.value - mean * mean)
    guard mean.isFinite, variance.isFinite else { throw MethodUnavailable(message: "is not finite") }
    let varianceError = (m2.error * m2.error + 4 * mean * mean * m1.error * m1.error).squareRoot()
    var method = m1.method.combined(m2.method)
    let sd = variance.squareRoot()
    if engine.affine(k) != nil {
      let quantiles = reportedQuantiles.map { mean + sd * normalQuantile($0) }
      let curve: [[Double]] =
        sd > 0
        ? (0...120).map { i in
          let x = mean + sd * (-3.3 + 6.6 * Double(i) / 120)
          let u = (x - mean) / sd
          return [x, exp(-0.5 * u * u) / (sd * (2 * Double.pi).squareRoot())]
        } : [[mean, 1]]
      let law = VectorLaw(
        mean: mean, variance: variance, quantiles: quantiles, varianceError: varianceError,
        quantileErrors: quantiles.map { _ in
          (m1.error * m1.error + varianceError * varianceError).squareRoot()
        })
      return (law, m1, method, curve)
    }
    if let line = oneDimensionalLaw(k) {
      let (fine, coarse) = line
      let quantiles = reportedQuantiles.map(fine.quantile)
      let errors = zip(quantiles, reportedQuantiles.map(coarse.quantile)).map { abs($0 - $1) }
      let lo = fine.quantile(0.002)
      let hi = fine.quantile(0.998)
      let xs = hi > lo ? (0...200).map { lo + (hi - lo) * Double($0) / 200 } : [lo]
      let curve = hi > lo ? zip(xs, fine.density(at: xs)).map { [$0, $1] } : [[lo, 1]]
      var law = VectorLaw(
        mean: mean, variance: variance, quantiles: quantiles, varianceError: varianceError,
        quantileErrors: errors)
      // Each atom's error: the mass of the grid cells at its edges, where the interpolant
      // cannot place the kink or jump (a bound), or the change from the coarse grid if larger.
      let coarseAtoms = coarse.atoms()
      law.atoms = fine.atoms().map { a in
        let c = coarseAtoms.first { $0.value == a.value }?.mass ?? 0
        return [a.value, a.mass, max(a.edge, abs(a.mass - c))]
      }
      // A law that is (to the grid's accuracy) all atoms has no density to draw.
      let discrete = law.atoms.reduce(0) { $0 + $1[1] + $1[2] } >= 1 - 1e-3
      return (law, m1, method.combined(.quadrature), discrete ? [] : curve)
    }
    let set = engine.monteCarloPoints()
    let values = set.array(k, engine.graph).sorted()
    let n = Double(values.count)
    func order(_ p: Double) -> Double { values[min(values.count - 1, max(0, Int((p * n).rounded(.up)) - 1))] }
    let quantiles = reportedQuantiles.map(order)
    let errors = reportedQuantiles.map { p in
      let half = (p * (1 - p) / n).squareRoot()
      return (order(min(1, p + half)) - order(max(0, p - half))) / 2
    }
    method = method.combined(.mc)
    let law = VectorLaw(
      mean: mean, variance: variance, quantiles: quantiles, varianceError: varianceError,
      quantileErrors: errors)
    return (law, m1, method, kernelDensity(values))
  }

  /// The law of a node that depends on one Gaussian direction only (rank 1 in its bases or
  /// its affine leaves), at two grid resolutions; nil otherwise.
  func oneDimensionalLaw(_ k: Int) -> (OneDimensionalLaw, OneDimensionalLaw)? {
    let z = ZGraph.node(k)
    let support = engine.graph.support(of: z)
    var space: IntegrationSpace?
    if support.count <= 8 {
      let s = IntegrationSpace(bases: support, engine.bases)
      if s.rank == 1 { space = s }
    }
    if space == nil, let leaves = engine.affineLeaves(of: z) {
      let s = IntegrationSpace(
        leaves: leaves, forms: leaves.map { engine.affine($0) ?? .constant(0) }, engine.bases)
      if s.rank == 1 { space = s }
    }
    guard let space else { return nil }
    let nodes = OneDimensionalLaw.nodes()
    let set = space.pointSet(
      coordinates: nodes, weights: [Double](repeating: 1 / Double(nodes.count), count: nodes.count),
      threads: options.threads, budgetBytes: 64 << 20)
    let values = set.array(k, engine.graph)
    guard values.allSatisfy(\.isFinite) else { return nil }
    let coarse = stride(from: 0, to: values.count, by: 2).map { values[$0] }
    return (OneDimensionalLaw(values: values), OneDimensionalLaw(values: coarse))
  }

  /// A Gaussian kernel density estimate of sorted samples on 200 points between their 0.2% and
  /// 99.8% quantiles, with Silverman's bandwidth `0.9 min(sd, IQR/1.34) N^{−1/5}`.
  func kernelDensity(_ sorted: [Double]) -> [[Double]] {
    let n = sorted.count
    guard n > 1 else { return sorted.map { [$0, 1] } }
    let lo = sorted[n / 500]
    let hi = sorted[n - 1 - n / 500]
    guard hi > lo else { return [[lo, 1]] }
    let mean = sorted.reduce(0, +) / Double(n)
    let sd = (sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
    let iqr = sorted[3 * n / 4] - sorted[n / 4]
    let spread = iqr > 0 ? min(sd, iqr / 1.34) : sd
    let h = max(0.9 * spread * pow(Double(n), -0.2), (hi - lo) * 1e-3)
    // Bin first (4096 bins), then convolve the bins: O(N + bins · points).
    let bins = 4096
    let left = lo - 4 * h
    let width = (hi - lo + 8 * h) / Double(bins)
    var mass = [Double](repeating: 0, count: bins)
    for x in sorted where x >= left && x < left + Double(bins) * width {
      mass[min(bins - 1, Int((x - left) / width))] += 1
    }
    let norm = 1 / (Double(n) * h * (2 * Double.pi).squareRoot())
    return (0...200).map { i in
      let x = lo + (hi - lo) * Double(i) / 200
      var s = 0.0
      for b in 0..<bins where mass[b] > 0 {
        let u = (x - (left + (Double(b) + 0.5) * width)) / h
        if abs(u) < 6 { s += mass[b] * exp(-0.5 * u * u) }
      }
      return [x, s * norm]
    }
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
