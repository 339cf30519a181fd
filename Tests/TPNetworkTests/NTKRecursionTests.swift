import Foundation
import TPTestSupport
import Testing

@testable import TensorPrograms

/// The NNGP/NTK of a deep ReLU or erf network under the NTK parametrization by the layer
/// recursion of Jacot et al. (2018), with the arc-cosine kernels of Cho & Saul (2009) and
/// Williams' (1997) erf kernel, written here independently of the library:
///
///     K¹(x, x′) = σ_U² x·x′/d + σ_b²,          Θ¹ = K¹,
///     Kˡ⁺¹ = σ² E[φ(u) φ(u′)] + σ_b²,         K̇ˡ⁺¹ = σ² E[φ′(u) φ′(u′)],
///     Θˡ⁺¹ = Kˡ⁺¹ + K̇ˡ⁺¹ Θˡ,                  (u, u′) ~ N(0, Kˡ on {x, x′}),
///
/// with the readout's variance in place of `σ²` and no bias at the last step.
func ntkRecursion(
  _ activation: String, _ x: [Double], _ y: [Double], inputVar: Double, hiddenVar: Double, readoutVar: Double,
  biasVar: Double, hidden: Int
) -> (nngp: Double, ntk: Double) {
  let d = Double(x.count)
  func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
  var kxx = inputVar * dot(x, x) / d + biasVar
  var kyy = inputVar * dot(y, y) / d + biasVar
  var kxy = inputVar * dot(x, y) / d + biasVar
  var theta = kxy
  for layer in 1...hidden {
    let last = layer == hidden
    let s2 = last ? readoutVar : hiddenVar
    let b2 = last ? 0 : biasVar
    func phiPhi(_ a: Double, _ b: Double, _ c: Double) -> Double {
      if activation == "erf" { return 2 / .pi * asin(2 * c / ((1 + 2 * a) * (1 + 2 * b)).squareRoot()) }
      let cosine = max(-1, min(1, c / (a * b).squareRoot()))
      let angle = acos(cosine)
      return (a * b).squareRoot() / (2 * .pi) * (sin(angle) + (.pi - angle) * cosine)
    }
    let derivative: Double
    if activation == "erf" {
      derivative = 4 / .pi / ((1 + 2 * kxx) * (1 + 2 * kyy) - 4 * kxy * kxy).squareRoot()
    } else {
      derivative = (.pi - acos(max(-1, min(1, kxy / (kxx * kyy).squareRoot())))) / (2 * .pi)
    }
    let next = s2 * phiPhi(kxx, kyy, kxy) + b2
    theta = next + s2 * derivative * theta
    (kxx, kyy) = (s2 * phiPhi(kxx, kxx, kxx) + b2, s2 * phiPhi(kyy, kyy, kyy) + b2)
    kxy = next
  }
  return (kxy, theta)
}

/// NNGP and NTK of ReLU and erf networks with d = 3 inputs (so each pre-activation mixes three
/// input columns), biases, 1–3 hidden layers, at 5 random points: every entry equals the
/// recursion to 1e-7 relative (erf: 1e-12, all closed forms), and no expectation needs Monte
/// Carlo. (Before the readout's variance was factored out of `E[ṽ² φ′ φ′]` and quadrature
/// learned to integrate over a few affine combinations of many bases, these went to Monte
/// Carlo or a grid across `step`'s jump: errors of 1e-2.)
@Test(arguments: ["relu", "erf"], [1, 2, 3])
func ntkMatchesTheLayerRecursion(_ activation: String, _ hidden: Int) throws {
  var generator = SplitMix(seed: 7)
  let points = (0..<5).map { _ in (0..<3).map { _ in Double(Int(generator.next() % 2000)) / 1000 - 1 } }
  var layers = ["layer L1 : 3 -> n  (var: 1.7)"]
  var body = ["  x1 = \(activation)(L1 @ xi + b1)"]
  for l in 2...max(2, hidden) where l <= hidden {
    layers.append("layer L\(l) : n -> n  (var: 2)")
    body.append("  x\(l) = \(activation)(L\(l) @ x\(l - 1) + b\(l))")
  }
  let biases = (1...hidden).map { "bias b\($0) : n  (var: 0.1)" }
  let format = { (p: [Double]) in "[" + p.map { String($0) }.joined(separator: ", ") + "]" }
  let source =
    (["width n"] + layers + ["layer V : n -> 1  (var: 0.8)"] + biases + ["model f(xi) {"] + body + [
      "  return V @ x\(hidden)", "}", "parametrization ntk",
      "kernel f at " + points.map(format).joined(separator: ", "),
    ]).joined(separator: "\n") + "\n"
  let report = try TensorProgram(source: source).runLimit()
  let nngp = try #require(report.kernels.first { $0.name == "nngp" })
  let ntk = try #require(report.kernels.first { $0.name == "ntk" })
  #expect(!report.notes.contains { $0.contains("Monte Carlo") }, "\(report.notes)")
  for i in points.indices {
    for j in points.indices {
      let expected = ntkRecursion(
        activation, points[i], points[j], inputVar: 1.7, hiddenVar: 2, readoutVar: 0.8, biasVar: 0.1,
        hidden: hidden)
      let tolerance = activation == "erf" ? 1e-12 : 1e-7
      expectClose(nngp.value(i, j), expected.nngp, relative: tolerance, "NNGP (\(i), \(j))")
      expectClose(ntk.value(i, j), expected.ntk, relative: tolerance, "NTK (\(i), \(j))")
    }
  }
}

/// A tiny deterministic generator for test inputs.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
