import Foundation
import TPNumerics
import TensorPrograms

/// The source of a two-hidden-layer MLP in R^d, `ntk` parametrization, `var: 1` everywhere
/// (Neural Tangents' `Dense` default), with the activation `activation`.
func kernelBenchSource(_ activation: String, d: Int) -> String {
  """
  width n
  layer U : \(d) -> n
  layer W : n -> n
  layer V : n -> 1
  model f(xi) {
    x1 = \(activation)(U @ xi)
    x2 = \(activation)(W @ x1)
    return V @ x2
  }
  parametrization ntk

  """
}

/// `count` points of R^d with iid standard normal coordinates (fixed seed).
func kernelBenchPoints(_ count: Int, d: Int) -> [[Double]] {
  let z = GaussianFill.gaussians(count: count * d, seed: 0x6b62, stream: 0)
  return (0..<count).map { i in Array(z[(i * d)..<((i + 1) * d)]) }
}

/// The least-squares slope of `log t` against `log N`.
func fittedExponent(_ sizes: [Int], _ seconds: [Double]) -> Double {
  let x = sizes.map { log(Double($0)) }
  let y = seconds.map { log($0) }
  let mx = x.reduce(0, +) / Double(x.count)
  let my = y.reduce(0, +) / Double(y.count)
  let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
  let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
  return sxy / sxx
}

/// `tp-bench kernels`: NNGP + NTK Gram matrices of two-hidden-layer MLPs on N points of R¹⁶ by
/// the pairwise recipe (`TensorProgram.kernels(at:)`: lowering at two points, derivation, and
/// evaluation over all pairs), for relu and erf at N = 500, 1000, 2000 and tanh (quadrature) at
/// N = 100, 200, with the fitted exponent of time against N; and, in the same run, the general
/// interpreter (today's path before the recipe) at N = 64 and 128 against the recipe at the
/// same N.
func benchKernels() {
  let d = 16
  let threads = ProcessInfo.processInfo.activeProcessorCount
  print("kernels: NNGP + NTK, two hidden layers, N points of R^\(d), \(threads) threads (best of 3)")
  let cases: [(String, [Int])] = [
    ("relu", [500, 1000, 2000]), ("erf", [500, 1000, 2000]), ("tanh", [100, 200]),
  ]
  for (activation, sizes) in cases {
    guard let program = try? TensorProgram(source: kernelBenchSource(activation, d: d), fileName: "bench.tp")
    else {
      print("kernels: the benchmark program does not check")
      return
    }
    var seconds: [Double] = []
    for n in sizes {
      let points = kernelBenchPoints(n, d: d)
      var result: KernelMatrices?
      let t = bestTime(reps: n >= 1000 || activation == "tanh" ? 1 : 3) {
        result = try? program.kernels(at: points)
      }
      seconds.append(t)
      let worstError = max(
        result.map { $0.nngpErrors?.elements.max() ?? 0 } ?? .nan,
        result.map { $0.ntkErrors?.elements.max() ?? 0 } ?? .nan)
      print(
        "  \(activation.padding(toLength: 5, withPad: " ", startingAt: 0)) N = \(String(n).padding(toLength: 5, withPad: " ", startingAt: 0))"
          + "  \(format(t, 3)) s  (\(format(t / Double(n * (n + 1) / 2) * 1e9, 0)) ns per pair, largest error \(String(format: "%.1e", worstError))"
          + "\(result?.note.map { ", " + $0 } ?? ""))")
    }
    print(
      "  \(activation): time ∝ N^\(format(fittedExponent(sizes, seconds))) over N = \(sizes.map(String.init).joined(separator: ", "))"
    )
  }
  guard let relu = try? TensorProgram(source: kernelBenchSource("relu", d: d), fileName: "bench.tp") else {
    return
  }
  var general = LimitOptions()
  general.pairwiseKernels = false
  for n in [64, 128] {
    let points = kernelBenchPoints(n, d: d)
    let slow = bestTime(reps: 1) { _ = try? relu.kernels(at: points, options: general) }
    let fast = bestTime(reps: 3) { _ = try? relu.kernels(at: points) }
    print(
      "  relu N = \(n): general interpreter \(format(slow, 3)) s, recipe \(format(fast, 4)) s: \(format(slow / fast, 0))× faster"
    )
  }
}

/// `tp-bench kernel-times ACT POINTS.csv [REPS]`: the best in-process time of
/// `TensorProgram.kernels(at:)` (NNGP + NTK of the two-hidden-layer MLP of
/// ``kernelBenchSource(_:d:)`` with activation ACT) over REPS calls (default 3) after a warm-up
/// call, on the points of a CSV file (one point per row, no header), printed as one JSON object
/// `{"seconds": …, "max_error": …, "method": …}` for benchmarks/kernels_scale_nt.py. Returns the
/// exit status (2 for unreadable input, 3 when the kernels fail).
func benchKernelTimes(_ args: [String]) -> Int32 {
  guard args.count >= 2, let text = try? String(contentsOfFile: args[1], encoding: .utf8) else {
    print("usage: tp-bench kernel-times ACT POINTS.csv [REPS]")
    return 2
  }
  let reps = args.count > 2 ? Int(args[2]) ?? 3 : 3
  let points = text.split(whereSeparator: \.isNewline).map { line in
    line.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
  }
  guard let d = points.first?.count, d > 0, points.allSatisfy({ $0.count == d }),
    let program = try? TensorProgram(source: kernelBenchSource(args[0], d: d), fileName: "bench.tp")
  else {
    print("tp-bench kernel-times: unreadable points or activation")
    return 2
  }
  var result: KernelMatrices?
  let t = bestTime(reps: reps) { result = try? program.kernels(at: points) }
  guard let result else { return 3 }
  let worst = max(result.nngpErrors?.elements.max() ?? 0, result.ntkErrors?.elements.max() ?? 0)
  print("{\"seconds\": \(t), \"max_error\": \(worst), \"method\": \"\(result.method.rawValue)\"}")
  return 0
}
