import Foundation
import TPNumerics

/// `tp-bench linalg`: dense linear algebra for Gram matrices of N points — GEMM, Cholesky,
/// the solve with N right-hand sides, eigenvalues, eigenvalues + vectors — against
/// NumPy/SciPy (`benchmarks/linalg_numpy.py`) in the same run. Rounds alternate (ours,
/// NumPy, ours, NumPy) and each side keeps its best, so load from other processes cannot
/// favour either side.
func benchLinalg(sizes: [Int]) {
  let threads = ProcessInfo.processInfo.activeProcessorCount
  print("linalg: float64, best wall-clock seconds, \(threads) threads; K = B·Bᵀ/n + I, B Gaussian n×n")
  let operations = ["gemm", "cholesky", "solve", "eigvalsh", "eigh"]
  var ours = [Int: [String: Double]]()
  var theirs = [Int: [String: Double]]()
  var numpyAvailable = true
  for round in 0..<2 {
    // Sizes above 2000 get one round each: the eigendecomposition alone takes tens of seconds.
    let roundSizes = round == 0 ? sizes : sizes.filter { $0 <= 2000 }
    for n in roundSizes {
      let times = LinalgProblem(n: n).time(threads: threads, reps: n <= 1000 ? 3 : 1)
      ours[n, default: [:]].merge(times) { min($0, $1) }
    }
    guard numpyAvailable, let numpy = numpyLinalgTimes(sizes: roundSizes) else {
      numpyAvailable = false
      continue
    }
    for (n, times) in numpy { theirs[n, default: [:]].merge(times) { min($0, $1) } }
  }
  print("  op         n      ours (s)    GFLOP/s   numpy (s)   ours/numpy")
  for n in sizes {
    for op in operations {
      guard let mine = ours[n]?[op] else { continue }
      var line =
        "  " + op.padding(toLength: 9, withPad: " ", startingAt: 0) + String(n).leftPadded(6)
        + format(mine, 4).leftPadded(12)
      let flops = LinalgProblem.flops(op, n: n)
      line += (flops.map { format($0 / mine / 1e9, 1) } ?? "").leftPadded(11)
      if let numpy = theirs[n]?[op] {
        line += format(numpy, 4).leftPadded(12) + format(mine / numpy, 2).leftPadded(13)
      }
      print(line)
    }
  }
  if !numpyAvailable { print("  (numpy timings unavailable)") }
}

/// One size's matrices.
struct LinalgProblem {
  let n: Int
  let a: Matrix
  let b: Matrix
  let k: Matrix
  let rhs: Matrix

  init(n: Int) {
    self.n = n
    a = Matrix(rows: n, cols: n, elements: GaussianFill.gaussians(count: n * n, seed: 1, stream: 0))
    b = Matrix(rows: n, cols: n, elements: GaussianFill.gaussians(count: n * n, seed: 2, stream: 0))
    var k = (1 / Double(n)) * a.gram()
    for i in 0..<n { k[i, i] += 1 }
    self.k = k
    rhs = Matrix(rows: n, cols: n, elements: GaussianFill.gaussians(count: n * n, seed: 3, stream: 0))
  }

  /// The nominal flop count used for GFLOP/s (the classical counts; nil where the count
  /// depends on the spectrum).
  static func flops(_ op: String, n: Int) -> Double? {
    let x = Double(n)
    switch op {
    case "gemm": return 2 * x * x * x
    case "cholesky": return x * x * x / 3
    case "solve": return 2 * x * x * x
    case "eigvalsh": return 4 * x * x * x / 3
    default: return nil
    }
  }

  /// Best seconds per operation over `reps` timed calls after one warm-up call
  /// (`bestTime`); the eigendecompositions at n > 1000 are timed once, without warm-up.
  func time(threads: Int, reps: Int) -> [String: Double] {
    var out = [String: Double]()
    out["gemm"] = bestTime(reps: reps) { _ = Matrix.product(a, b, threads: threads) }
    out["cholesky"] = bestTime(reps: reps) { _ = try? Cholesky(k, threads: threads) }
    if let factor = try? Cholesky(k, threads: threads) {
      out["solve"] = bestTime(reps: reps) { _ = factor.solve(rhs, threads: threads) }
    }
    let clock = ContinuousClock()
    func once(_ body: () -> Void) -> Double {
      let d = clock.measure(body)
      return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
    if n > 1000 {
      out["eigvalsh"] = once { _ = SymmetricEigen.eigenvalues(of: k, threads: threads) }
      out["eigh"] = once { _ = SymmetricEigen(k, threads: threads) }
    } else {
      out["eigvalsh"] = bestTime(reps: reps) { _ = SymmetricEigen.eigenvalues(of: k, threads: threads) }
      out["eigh"] = bestTime(reps: reps) { _ = SymmetricEigen(k, threads: threads) }
    }
    return out
  }
}

/// Runs `benchmarks/linalg_numpy.py` (see `numpyGFlops`) and returns seconds by size and
/// operation, or nil when python3 or numpy is missing.
func numpyLinalgTimes(sizes: [Int]) -> [Int: [String: Double]]? {
  guard let data = runBenchmarkScript("linalg_numpy.py", arguments: sizes.map(String.init)),
    let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Double]]
  else {
    print("  numpy: python3 with numpy not available")
    return nil
  }
  return Dictionary(uniqueKeysWithValues: json.compactMap { key, value in Int(key).map { ($0, value) } })
}

extension String {
  /// The string right-aligned in a field of `width` characters.
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
