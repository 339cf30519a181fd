import Foundation
import TPCommands
import TPTestSupport
import Testing

@testable import TensorPrograms

/// μP, one hidden layer, linear, d = k = 1 (THEORY §8), with `var` on both layers.
///
/// Conventions (THEORY §5, μP: input a = −½, b = ½; readout a = b = ½; c = 0): the input layer's
/// effective weights are `U = σ_U n^{½} w`, `w ~ N(0, 1/n)`, so `u := U` has coordinates
/// `N(0, σ_U²)`; the readout is `V = σ_V n^{-½} w = ṽ/n`, `ṽ ~ N(0, σ_V²)`, so
/// `f(ξ) = (1/n) Σ ṽᵢ uᵢ ξ`. SGD with step η on `w` moves the effective weights by
/// `−η σ² n^{-2a} ∂ℓ/∂W`: with `∂ℓ/∂Uᵢ = χ ṽᵢ ξ/n` that is `Δu = −η σ_U² χ ξ ṽ`, and with
/// `∂ℓ/∂Vᵢ = χ uᵢ ξ` it is `Δṽ = −η σ_V² χ ξ u` (both from the old weights; a batch averages).
/// So `Z^{ṽ_t} = a_t Z^ṽ + b_t Z^u`, `Z^{u_t} = c_t Z^ṽ + d_t Z^u` and
/// `f_t(ξ) = (a_t c_t σ_V² + b_t d_t σ_U²) ξ`.
func linearRecursion(
  data: [(Double, Double)], lr: Double, steps: Int, batch: Int, varU: Double, varV: Double,
  at points: [Double]
) -> (f: [[Double]], loss: [Double]) {
  var (a, b, c, d) = (1.0, 0.0, 0.0, 1.0)
  var fs: [[Double]] = []
  var losses: [Double] = []
  for t in 0...steps {
    let slope = a * c * varV + b * d * varU
    fs.append(points.map { slope * $0 })
    losses.append(
      data.reduce(0) { $0 + 0.5 * (slope * $1.0 - $1.1) * (slope * $1.0 - $1.1) } / Double(data.count))
    if t == steps { break }
    var g = 0.0  // mean over the batch of χ ξ
    for k in 0..<batch {
      let (xi, y) = data[(t * batch + k) % data.count]
      g += (slope * xi - y) * xi / Double(batch)
    }
    (a, b, c, d) = (
      a - lr * varV * g * c, b - lr * varV * g * d, c - lr * varU * g * a, d - lr * varU * g * b
    )
  }
  return (fs, losses)
}

@Test(arguments: [1, 3])
func linearMuPLimitIsTheExactRecursion(_ batch: Int) throws {
  let source = """
    width n
    layer U : 1 -> n  (var: 2)
    layer V : n -> 1  (var: 0.5)
    model f(xi) {
      h = U @ xi
      return V @ identity(h)
    }
    parametrization mup
    data train = [ [1] -> 1, [-0.5] -> 0.3, [2] -> -1 ]
    train f on train with sgd(lr: 0.3, steps: 5, batch: \(batch == 3 ? "full" : "1"), loss: mse)
    observe f at [1], [0.7]
    observe loss
    """
  let p = try TensorProgram(source: source)
  let limit = try p.runLimit(LimitOptions(method: .exact))
  let data = [(1.0, 1.0), (-0.5, 0.3), (2.0, -1.0)]
  let expected = linearRecursion(
    data: data, lr: 0.3, steps: 5, batch: batch, varU: 2, varV: 0.5, at: [1, 0.7])
  #expect(limit.trajectory.count == 6 * 3)
  for t in limit.trajectory {
    let step = try #require(t.step)
    let want = t.observable == "loss" ? expected.loss[step] : expected.f[step][t.points[0] == [1] ? 0 : 1]
    expectClose(t.value, want, absolute: 1e-12, relative: 1e-12, "\(TensorProgram.label(t))")
    #expect(t.standardError == 0)
  }
  #expect(expected.f[5][0] != 0)  // the recursion really moves
}

/// μP moves features by Θ(1); NTK freezes them in the limit, and at width n they move by
/// `mean((h_t − h_0)²) ∝ 1/n`.
@Test func featureMovementSeparatesMuPFromNTK() throws {
  let mup = try TensorProgram(source: twohidden("tanh", "mup", steps: 3, movement: true))
  let limit = try mup.runLimit(LimitOptions(samples: 1 << 17, replicates: 1))
  for t in limit.trajectory where t.step! > 0 {
    print("μP movement \(TensorProgram.label(t)) = \(t.value) ± \(t.standardError)")
    #expect(t.value > 0.05 && t.value > 10 * t.standardError, "\(TensorProgram.label(t))")
  }
  let ntk = try TensorProgram(source: twohidden("tanh", "ntk", steps: 3, movement: true))
  for t in try ntk.runLimit().trajectory { #expect(t.value == 0, "\(TensorProgram.label(t))") }
  let widths = [256, 512, 1024, 2048, 4096]
  let runs = try directRuns(ntk, widths: widths, seeds: 4)
  for target in ["h1", "h2"] {
    let label = "movement \(target)[3] at (1, 0)"
    let means = try #require(runs[label]).map { $0.reduce(0, +) / Double($0.count) }
    let slope = logLogSlope(widths, means)
    print("NTK \(label): \(means.map { String(format: "%.3e", $0) }) slope \(String(format: "%.3f", slope))")
    #expect(slope >= -1.2 && slope <= -0.8, "\(label): slope \(slope)")
  }
}

/// Collects what a command writes.
final class Capture: OutputSink, @unchecked Sendable {
  // @unchecked: the buffers are only touched under `lock`.
  private let lock = NSLock()
  private var stdout = ""
  private var stderr = ""
  func out(_ text: String) { lock.withLock { stdout += text } }
  func err(_ text: String) { lock.withLock { stderr += text } }
  var errors: String { lock.withLock { stderr } }
}

/// SP with c = 0: `tp run` stops (exit 3) naming the network output and its exponent, and real
/// training at several widths shows `|f_1 − f_0|` at the trained point growing with that exponent.
@Test(arguments: ["relu", "tanh"])
func standardParametrizationBlowsUpAsReported(_ activation: String) throws {
  let source = """
    width n
    layer U : 2 -> n
    layer V : n -> 1
    model f(xi) {
      h = U @ xi
      return V @ \(activation)(h)
    }
    parametrization sp
    data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1 ]
    train f on train with sgd(lr: 0.1, steps: 1, batch: 1, loss: mse)
    observe f at [1, 0]
    """
  let file = FileManager.default.temporaryDirectory.appendingPathComponent(
    "sp-\(activation)-\(UUID().uuidString).tp")
  try source.write(to: file, atomically: true, encoding: .utf8)
  defer { try? FileManager.default.removeItem(at: file) }
  let sink = Capture()
  let code = TPCommands.run(["run", file.path], io: sink)
  #expect(code == .numerical, "\(sink.errors)")
  let message = sink.errors
  #expect(message.contains("the network output grows like n^"), "\(message)")
  let exponentText = try #require(message.split(separator: "n^").last?.prefix { "0123456789/-".contains($0) })
  let parts = exponentText.split(separator: "/").compactMap { Double($0) }
  let exponent = parts.count == 2 ? parts[0] / parts[1] : try #require(parts.first)

  let p = try TensorProgram(source: source)
  let widths = [256, 512, 1024, 2048, 4096]
  var typical: [Double] = []
  for width in widths {
    // The geometric mean over seeds of |f_1 − f_0|: χ_0 = f_0 − y is an O(1) random factor.
    var logSum = 0.0
    let seeds = 8
    for seed in 0..<seeds {
      let t = try p.runFinite(width: width, seed: UInt64(seed)).trajectory
      logSum += log(abs(t[1].value - t[0].value))
    }
    typical.append(exp(logSum / Double(seeds)))
  }
  let slope = logLogSlope(widths, typical)
  print(
    "SP \(activation): exponent \(exponent), |f_1 − f_0| \(typical.map { String(format: "%.3e", $0) }) slope \(String(format: "%.3f", slope))"
  )
  #expect(abs(slope - exponent) <= 0.2, "measured \(slope) vs reported n^\(exponent)")
}
