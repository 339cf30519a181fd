import Foundation
import TPTestSupport
import Testing

@testable import TPLimit
@testable import TensorPrograms

/// The source of an MLP `x_l = φ(L_l @ x_{l−1} [+ b_l])`, `l = 1 … hidden`, readout `V`, in
/// the `ntk` parametrization, with `kernel f at` the given points.
func pairwiseMLPSource(_ activation: String, hidden: Int, biases: Bool, points: [[Double]]) -> String {
  let d = points[0].count
  var lines = ["width n", "layer L1 : \(d) -> n  (var: 1.7)"]
  for l in 2...max(2, hidden) where l <= hidden { lines.append("layer L\(l) : n -> n  (var: 2)") }
  lines.append("layer V : n -> 1  (var: 0.8)")
  if biases { for l in 1...hidden { lines.append("bias b\(l) : n  (var: 0.1)") } }
  lines.append("model f(xi) {")
  for l in 1...hidden {
    let input = l == 1 ? "xi" : "x\(l - 1)"
    lines.append("  x\(l) = \(activation)(L\(l) @ \(input)\(biases ? " + b\(l)" : ""))")
  }
  lines += ["  return V @ x\(hidden)", "}", "parametrization ntk"]
  let format = { (p: [Double]) in "[" + p.map { String($0) }.joined(separator: ", ") + "]" }
  lines.append("kernel f at " + points.map(format).joined(separator: ", "))
  return lines.joined(separator: "\n") + "\n"
}

/// `count` points of R^d with coordinates uniform on a grid in [−1.5, 1.5].
func pairwisePoints(_ count: Int, _ d: Int, seed: UInt64) -> [[Double]] {
  var generator = SplitMix(seed: seed)
  return (0..<count).map { _ in (0..<d).map { _ in Double(Int(generator.next() % 3000)) / 1000 - 1.5 } }
}

/// The kernel matrices and errors of a run's report.
func pairwiseKernels(_ report: RunReport) throws -> (nngp: KernelMatrix, ntk: KernelMatrix) {
  (
    try #require(report.kernels.first { $0.name == "nngp" }),
    try #require(report.kernels.first { $0.name == "ntk" })
  )
}

struct PairwiseCase: Sendable, CustomStringConvertible {
  var activation: String
  var hidden: Int
  var biases: Bool
  var description: String { "\(activation) depth \(hidden)\(biases ? " with biases" : "")" }
}

let pairwiseCases: [PairwiseCase] = ["relu", "erf", "tanh", "gelu"].flatMap { a in
  [1, 2, 3].flatMap { h in [false, true].map { PairwiseCase(activation: a, hidden: h, biases: $0) } }
}

/// The pairwise recipe's NNGP and NTK equal the general interpreter's, for depth 1–3 relu, erf,
/// tanh and gelu MLPs with and without biases: to 1e-12 (relative to the entry, at least 1) plus
/// both entries' stated errors. relu and erf (closed forms, exact entries) on 50 random points of
/// R³; tanh and gelu (quadrature, errors below 1e-6) on 50 with `TP_LONG_TESTS=1` and on 2 by
/// default, since the interpreter takes 0.2–0.4 s per pair for them with biases.
@Test(arguments: pairwiseCases)
func pairwiseRecipeMatchesTheInterpreter(_ c: PairwiseCase) throws {
  let closed = ["relu", "erf"].contains(c.activation)
  let points = pairwisePoints(closed || LongTests.enabled ? 50 : 2, 3, seed: 11)
  let program = try TensorProgram(
    source: pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: points))
  let fast = try program.runLimit()
  var general = LimitOptions()
  general.pairwiseKernels = false
  let reference = try program.runLimit(general)
  #expect(!fast.notes.contains { $0.contains("general interpreter") }, "\(fast.notes)")
  let (fk, ft) = try pairwiseKernels(fast)
  let (rk, rt) = try pairwiseKernels(reference)
  for (f, r) in [(fk, rk), (ft, rt)] {
    #expect(f.method == (closed ? .exact : .quadrature), "\(f.name)")
    var worst = 0.0
    for i in points.indices {
      for j in points.indices {
        let scale = max(1, abs(r.value(i, j)))
        let allowed = 1e-12 * scale + f.error(i, j) + r.error(i, j)
        let difference = abs(f.value(i, j) - r.value(i, j))
        worst = max(worst, difference / allowed)
        if closed { #expect(f.error(i, j) == 0) } else { #expect(f.error(i, j) < 1e-6) }
        #expect(f.value(i, j) == f.value(j, i))
      }
    }
    // With `TP_LONG_TESTS=1` (50 points) this once failed at depth-3 tanh: the interpreter
    // understated its error there (see interpreterErrorCoversItsDeviationAtDepthThreeTanh).
    #expect(worst <= 1, "\(f.name): worst difference \(worst) × allowed")
  }
}

/// The pairwise recipe equals the layer recursion with arc-cosine and Williams kernels
/// (``ntkRecursion``, written independently in these tests) to 1e-10 relative on 60 random
/// points of R⁵, for depth 1–3 relu and erf MLPs with and without biases.
@Test(arguments: pairwiseCases.filter { ["relu", "erf"].contains($0.activation) })
func pairwiseRecipeMatchesTheLayerRecursion(_ c: PairwiseCase) throws {
  let points = pairwisePoints(60, 5, seed: 5)
  let program = try TensorProgram(
    source: pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: points))
  let report = try program.runLimit()
  let (k, t) = try pairwiseKernels(report)
  for i in points.indices {
    for j in points.indices {
      let expected = ntkRecursion(
        c.activation, points[i], points[j], inputVar: 1.7, hiddenVar: 2, readoutVar: 0.8,
        biasVar: c.biases ? 0.1 : 0, hidden: c.hidden)
      expectClose(k.value(i, j), expected.nngp, absolute: 1e-14, relative: 1e-10, "NNGP (\(i), \(j))")
      expectClose(t.value(i, j), expected.ntk, absolute: 1e-14, relative: 1e-10, "NTK (\(i), \(j))")
    }
  }
}

/// The NNGP and NTK of the MLPs of ``pairwiseMLPSource(_:hidden:biases:points:)`` by the layer
/// recursion of ``ntkRecursion`` with `E[φ(u)φ(v)]` and `E[φ′(u)φ′(v)]` integrated numerically
/// here, independently of the library: `v = ρ_c u/… ` by conditioning, `E = Σᵢ wᵢ φ(√a zᵢ)
/// Σⱼ wⱼ φ(c/√a zᵢ + √(b − c²/a) zⱼ)` with the composite 10-point Gauss–Legendre rule on 24
/// panels of `[−9, 9]` against the normal density (error below 1e-13 for these integrands).
func numericalRecursion(
  _ phi: (Double) -> Double, _ dphi: (Double) -> Double, _ x: [Double], _ y: [Double], biasVar: Double,
  hidden: Int, panels: Int = 24
) -> (nngp: Double, ntk: Double) {
  let rule = legendreNormalRule(panels: panels)
  func pair(_ f: (Double) -> Double, _ a: Double, _ b: Double, _ c: Double) -> Double {
    legendrePairExpectation(f, f, a: a, b: b, c: c, rule: rule)
  }
  let d = Double(x.count)
  func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
  var kxx = 1.7 * dot(x, x) / d + biasVar
  var kyy = 1.7 * dot(y, y) / d + biasVar
  var kxy = 1.7 * dot(x, y) / d + biasVar
  var theta = kxy
  for layer in 1...hidden {
    let last = layer == hidden
    let s2 = last ? 0.8 : 2
    let b2 = last ? 0 : biasVar
    let next = s2 * pair(phi, kxx, kyy, kxy) + b2
    theta = next + s2 * pair(dphi, kxx, kyy, kxy) * theta
    (kxx, kyy) = (s2 * pair(phi, kxx, kxx, kxx) + b2, s2 * pair(phi, kyy, kyy, kyy) + b2)
    kxy = next
  }
  return (kxy, theta)
}

/// `E[f(u) g(v)]`, `(u, v) ~ N(0, [[a, c], [c, b]])`, by conditioning (`u = √a z₀`,
/// `v = (c/√a) z₀ + √(b − c²/a) z₁`) and the tensor product of the 1-D `rule`.
func legendrePairExpectation(
  _ f: (Double) -> Double, _ g: (Double) -> Double, a: Double, b: Double, c: Double,
  rule: (nodes: [Double], weights: [Double])
) -> Double {
  let s0 = a.squareRoot()
  let l10 = c / s0
  let l11 = max(b - l10 * l10, 0).squareRoot()
  var total = 0.0
  for (zi, wi) in zip(rule.nodes, rule.weights) {
    var inner = 0.0
    for (zj, wj) in zip(rule.nodes, rule.weights) { inner += wj * g(l10 * zi + l11 * zj) }
    total += wi * f(s0 * zi) * inner
  }
  return total
}

/// Composite Gauss–Legendre (10 nodes, by Newton on the Legendre recurrence) on `panels`
/// panels of `[−9, 9]`, weights times the standard normal density.
func legendreNormalRule(panels: Int = 24) -> ([Double], [Double]) {
  let m = 10
  var gl: [(Double, Double)] = []
  for i in 1...m {
    var t = cos(Double.pi * (Double(i) - 0.25) / (Double(m) + 0.5))
    var derivative = 0.0
    for _ in 0..<100 {
      var p0 = 1.0
      var p1 = t
      for k in 2...m {
        let p2 = ((2 * Double(k) - 1) * t * p1 - (Double(k) - 1) * p0) / Double(k)
        p0 = p1
        p1 = p2
      }
      derivative = Double(m) * (t * p1 - p0) / (t * t - 1)
      let step = p1 / derivative
      t -= step
      if abs(step) < 1e-16 { break }
    }
    gl.append((t, 2 / ((1 - t * t) * derivative * derivative)))
  }
  var nodes: [Double] = []
  var weights: [Double] = []
  let width = 18.0 / Double(panels)
  for p in 0..<panels {
    let mid = -9 + (Double(p) + 0.5) * width
    for (t, w) in gl {
      let z = mid + 0.5 * width * t
      nodes.append(z)
      weights.append(0.5 * width * w * exp(-0.5 * z * z) / (2 * Double.pi).squareRoot())
    }
  }
  return (nodes, weights)
}

/// tanh and gelu MLPs (depth 1–3, with and without biases) on 8 random points of R³: the
/// pairwise recipe equals ``numericalRecursion`` within its stated error plus 1e-11.
@Test(arguments: pairwiseCases.filter { ["tanh", "gelu"].contains($0.activation) })
func pairwiseQuadratureMatchesANumericalRecursion(_ c: PairwiseCase) throws {
  let points = pairwisePoints(8, 3, seed: 3)
  let program = try TensorProgram(
    source: pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: points))
  let (k, t) = try pairwiseKernels(try program.runLimit())
  let gelu = { (x: Double) in 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
  let dgelu = { (x: Double) in
    0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
  }
  let phi: (Double) -> Double = c.activation == "tanh" ? { tanh($0) } : gelu
  let dphi: (Double) -> Double = c.activation == "tanh" ? { 1 - tanh($0) * tanh($0) } : dgelu
  for i in points.indices {
    for j in i..<points.count {
      let expected = numericalRecursion(
        phi, dphi, points[i], points[j], biasVar: c.biases ? 0.1 : 0, hidden: c.hidden)
      #expect(abs(k.value(i, j) - expected.nngp) <= k.error(i, j) + 1e-11, "NNGP (\(i), \(j))")
      #expect(abs(t.value(i, j) - expected.ntk) <= t.error(i, j) + 1e-11, "NTK (\(i), \(j))")
      #expect(k.error(i, j) < 1e-6 && t.error(i, j) < 1e-6)
    }
  }
}

/// A model whose kernel expectation has four Gaussian directions in one family (`W` applied to
/// `x1` and to `x2`, multiplied): no pairwise recipe, so the general interpreter computes the
/// kernels and the run says so; the entries equal the interpreter's own.
@Test func programsWithoutAPairwiseRecipeFallBackWithANote() throws {
  let source = """
    width n
    layer U : 2 -> n  (var: 2)
    layer W : n -> n  (var: 2)
    layer V : n -> 1
    model f(xi) {
      x1 = relu(U @ xi)
      x2 = relu(W @ x1)
      x3 = x2 * relu(W @ x2)
      return V @ x3
    }
    parametrization ntk
    kernel f at [1, 0], [0.6, 0.8]

    """
  let program = try TensorProgram(source: source)
  let report = try program.runLimit()
  #expect(report.notes.contains { $0.contains("general interpreter") && $0.contains("Gaussian directions") })
  var general = LimitOptions()
  general.pairwiseKernels = false
  let reference = try program.runLimit(general)
  let (k, _) = try pairwiseKernels(report)
  let (r, _) = try pairwiseKernels(reference)
  #expect(k.values == r.values)
}

/// The general interpreter's stated error covers its deviation from an independent 96-panel
/// Gauss–Legendre recursion on the pair where it once did not: a depth-3 tanh MLP with biases,
/// whose kernel program integrates in 1, 2 and 3 Gaussian directions. One all-coarse twin run
/// let the 3-D and 2-D grids' errors cancel (8.3e-11 off, 1.9e-11 stated); one twin per rule
/// family states 2.8e-9.
@Test func interpreterErrorCoversItsDeviationAtDepthThreeTanh() throws {
  let all = pairwisePoints(50, 3, seed: 11)
  let points = [all[3], all[43]]
  let program = try TensorProgram(source: pairwiseMLPSource("tanh", hidden: 3, biases: true, points: points))
  var general = LimitOptions()
  general.pairwiseKernels = false
  let (k, t) = try pairwiseKernels(try program.runLimit(general))
  let tanhPrime = { (x: Double) in 1 - tanh(x) * tanh(x) }
  for (i, j) in [(0, 0), (0, 1), (1, 1)] {
    let expected = numericalRecursion(
      { tanh($0) }, tanhPrime, points[i], points[j], biasVar: 0.1, hidden: 3, panels: 96)
    #expect(abs(k.value(i, j) - expected.nngp) <= k.error(i, j), "NNGP (\(i), \(j))")
    #expect(abs(t.value(i, j) - expected.ntk) <= t.error(i, j), "NTK (\(i), \(j))")
  }
}

/// The evaluator's output arrays: filled in place up to ``PairwiseRecipe/inPlaceArrays``, through
/// buffers beyond (so many feature kernels never nest closures per matrix); every entry arrives.
@Test(arguments: [0, 1, 8, 9, 40])
func filledArraysKeepEveryEntry(_ count: Int) {
  let arrays = PairwiseRecipe.filledArrays(count: count, elements: 5) { buffers in
    #expect(buffers.count == count)
    for (k, b) in buffers.enumerated() { for i in 0..<5 { b[i] = Double(100 * k + i) } }
  }
  #expect(arrays.count == count)
  for (k, a) in arrays.enumerated() { #expect(a == (0..<5).map { Double(100 * k + $0) }) }
}
