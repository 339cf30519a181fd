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

/// The pairwise recipe's NNGP and NTK equal the general interpreter's on 50 random points of
/// R³, for depth 1–3 relu, erf, tanh and gelu MLPs with and without biases: to 1e-12 (relative
/// to the entry, at least 1) plus both entries' stated errors. Closed-form activations report
/// exact entries; tanh and gelu report quadrature errors, all below 1e-6 (the trapezoidal rule at twice the spacing overstates them).
@Test(arguments: pairwiseCases)
func pairwiseRecipeMatchesTheInterpreter(_ c: PairwiseCase) throws {
  let points = pairwisePoints(50, 3, seed: 11)
  let program = try TensorProgram(
    source: pairwiseMLPSource(c.activation, hidden: c.hidden, biases: c.biases, points: points))
  let fast = try program.runLimit()
  var general = LimitOptions()
  general.pairwiseKernels = false
  let reference = try program.runLimit(general)
  #expect(!fast.notes.contains { $0.contains("general interpreter") }, "\(fast.notes)")
  let (fk, ft) = try pairwiseKernels(fast)
  let (rk, rt) = try pairwiseKernels(reference)
  let closed = ["relu", "erf"].contains(c.activation)
  for (f, r) in [(fk, rk), (ft, rt)] {
    #expect(f.method == (closed ? .exact : .quadrature), "\(f.name)")
    var worst = 0.0
    for i in points.indices {
      for j in points.indices {
        let scale = max(1, abs(r.matrix[i][j]))
        let allowed = 1e-12 * scale + f.errors[i][j] + r.errors[i][j]
        let difference = abs(f.matrix[i][j] - r.matrix[i][j])
        worst = max(worst, difference / allowed)
        if closed { #expect(f.errors[i][j] == 0) } else { #expect(f.errors[i][j] < 1e-6) }
        #expect(f.matrix[i][j] == f.matrix[j][i])
      }
    }
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
      expectClose(k.matrix[i][j], expected.nngp, absolute: 1e-14, relative: 1e-10, "NNGP (\(i), \(j))")
      expectClose(t.matrix[i][j], expected.ntk, absolute: 1e-14, relative: 1e-10, "NTK (\(i), \(j))")
    }
  }
}
