import Foundation
import TPNumerics
import TensorPrograms

// tp-bench [matvec | fill | finite | limit | kernels | linalg | linalg-large | planner | rqmc | rqmc-single | matched | tape | all]
// tp-bench kernel-times ACT POINTS.csv [REPS]
//
// Every comparison is measured in the same run, so ratios are meaningful even on a
// shared, noisy machine. Build with `-c release` for numbers worth reading.

/// Seconds taken by the fastest of `reps` timed calls of `body`, after one warm-up call.
func bestTime(reps: Int, _ body: () -> Void) -> Double {
  body()
  let clock = ContinuousClock()
  var best = Double.infinity
  for _ in 0..<reps {
    let d = clock.measure(body)
    let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    best = min(best, seconds)
  }
  return best
}

func format(_ value: Double, _ digits: Int = 2) -> String {
  String(format: "%.\(digits)f", value)
}

/// Runs `benchmarks/matvec_numpy.py` (found relative to the working directory or to this
/// source file) and returns its GFLOP/s by size, or nil when python3 or numpy is missing.
func numpyGFlops(sizes: [Int]) -> [Int: Double]? {
  guard let data = runBenchmarkScript("matvec_numpy.py", arguments: sizes.map(String.init)),
    let json = try? JSONSerialization.jsonObject(with: data) as? [String: Double]
  else {
    print("  numpy: python3 with numpy not available")
    return nil
  }
  return Dictionary(uniqueKeysWithValues: json.compactMap { key, value in Int(key).map { ($0, value) } })
}

/// Runs `python3 benchmarks/<script> <arguments>` (the script found relative to the working
/// directory or to this source file) and returns its standard output, or nil (with a note)
/// when the script, python3 or a zero exit status is missing. OPENBLAS_CORETYPE and
/// OPENBLAS_L2_SIZE, which may be set on shared machines to slow BLAS down, are removed for
/// the child only.
func runBenchmarkScript(_ script: String, arguments: [String]) -> Data? {
  let candidates = [
    URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
      .appendingPathComponent("benchmarks/\(script)"),
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("benchmarks/\(script)"),
  ]
  guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
    print("  numpy: benchmarks/\(script) not found")
    return nil
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", path.path] + arguments
  var environment = ProcessInfo.processInfo.environment
  environment["OPENBLAS_CORETYPE"] = nil
  environment["OPENBLAS_L2_SIZE"] = nil
  process.environment = environment
  let output = Pipe()
  process.standardOutput = output
  process.standardError = FileHandle.nullDevice
  do {
    try process.run()
  } catch {
    print("  numpy: python3 not available (\(error.localizedDescription))")
    return nil
  }
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return process.terminationStatus == 0 ? data : nil
}

/// A square Gaussian test matrix and vectors for the matvec benchmark.
struct MatvecProblem {
  let n: Int
  var a: [Double]
  var x: [Double]
  var y: [Double]

  init(n: Int, threads: Int) {
    self.n = n
    a = [Double](repeating: 0, count: n * n)
    x = GaussianFill.gaussians(count: n, seed: 2, stream: 0)
    y = [Double](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { pa in
      let rows = UncheckedBox(pa)
      Parallel.forEachChunk(count: n, chunkSize: 64, threads: threads) { range in
        for i in range {
          GaussianFill.fill(
            UnsafeMutableBufferPointer(rebasing: rows.value[(i * n)..<((i + 1) * n)]),
            seed: 1, stream: 0, offset: UInt64(i * n))
        }
      }
    }
  }

  /// Best seconds per call of `y = A x` (or `Aᵀ x`) over `reps` calls after a warm-up.
  mutating func time(transposed: Bool, threads: Int, reps: Int) -> Double {
    let n = self.n
    return a.withUnsafeBufferPointer { pa in
      x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
          bestTime(reps: reps) {
            if transposed {
              Dense.matvecTransposed(pa, rows: n, cols: n, px, into: py, threads: threads)
            } else {
              Dense.matvec(pa, rows: n, cols: n, px, into: py, threads: threads)
            }
          }
        }
      }
    }
  }
}

func benchMatvec() {
  let sizes = [4096, 8192]
  let threads = ProcessInfo.processInfo.activeProcessorCount
  print("matvec: y = A x, A n×n float64, GFLOP/s = 2n²/t (best of 2 × 7 after warm-up), \(threads) threads")
  var problems = sizes.map { MatvecProblem(n: $0, threads: threads) }
  func gflops(_ n: Int, _ seconds: Double) -> Double { 2 * Double(n) * Double(n) / seconds / 1e9 }
  // Ours and NumPy's timings alternate (ours, numpy, ours, numpy) and each side keeps its
  // best, so a burst of load from other processes cannot favour either side.
  var ours = [Int: Double]()
  var theirs = [Int: Double]()
  var numpyAvailable = true
  for _ in 0..<2 {
    for index in problems.indices {
      let n = problems[index].n
      ours[n] = max(
        ours[n] ?? 0, gflops(n, problems[index].time(transposed: false, threads: threads, reps: 7)))
    }
    guard numpyAvailable, let numpy = numpyGFlops(sizes: sizes) else {
      numpyAvailable = false
      continue
    }
    for (n, value) in numpy { theirs[n] = max(theirs[n] ?? 0, value) }
  }
  for index in problems.indices {
    let n = problems[index].n
    let single = gflops(n, problems[index].time(transposed: false, threads: 1, reps: 5))
    let transposed = gflops(n, problems[index].time(transposed: true, threads: threads, reps: 7))
    var line =
      "  n=\(n): ours \(format(ours[n] ?? 0)) GFLOP/s (1 thread \(format(single)), Aᵀx \(format(transposed)))"
    if let numpy = theirs[n], let mine = ours[n] {
      line += "; numpy \(format(numpy)) GFLOP/s; ratio ours/numpy = \(format(mine / numpy, 3))"
    }
    print(line)
  }
}

func benchFill() {
  // A buffer that stays in cache, filled repeatedly at advancing offsets, so the figure is
  // the cost of generating numbers rather than of first-touch page faults.
  let count = 1 << 16
  let calls = 64
  var buffer = [Double](repeating: 0, count: count)
  var offset: UInt64 = 1
  let t = buffer.withUnsafeMutableBufferPointer { out in
    bestTime(reps: 9) {
      for _ in 0..<calls {
        GaussianFill.fill(out, seed: 42, stream: 7, offset: offset)
        offset &+= UInt64(count)
      }
    }
  }
  let perNumber = t / Double(count * calls) * 1e9
  print("GaussianFill: \(format(perNumber)) ns/number (one thread, best of 9 × \(calls) fills of \(count))")
}

/// Lets a buffer cross into the `@Sendable` chunk body; chunks write disjoint rows.
struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

let arguments = CommandLine.arguments.dropFirst()
// `tp-bench kernel-times ACT POINTS.csv [REPS]`: one machine-readable timing for a script
// (benchmarks/kernels_scale_nt.py) that times Neural Tangents and NumPy in the same run.
if arguments.first == "kernel-times" {
  exit(benchKernelTimes(Array(arguments.dropFirst())))
}
let selected = Set(arguments.isEmpty ? ["all"] : arguments)
let known: Set = [
  "all", "matvec", "fill", "finite", "limit", "linalg", "linalg-large", "planner", "rqmc", "rqmc-single",
  "kernels", "matched", "tape",
]
if let unknown = selected.subtracting(known).first {
  print(
    "tp-bench: unknown benchmark '\(unknown)' (known: matvec, fill, finite, limit, linalg, linalg-large, planner, rqmc, rqmc-single, kernels, matched, tape, all)"
  )
  exit(2)
}
if selected.contains("all") || selected.contains("fill") { benchFill() }
if selected.contains("all") || selected.contains("matvec") { benchMatvec() }
if selected.contains("all") || selected.contains("finite") { benchFinite() }
if selected.contains("all") || selected.contains("limit") { benchLimit() }
if selected.contains("all") || selected.contains("kernels") { benchKernels() }
// linalg-large adds N = 4000 (about a minute more); `all` runs the default sizes.
if selected.contains("all") || selected.contains("linalg") || selected.contains("linalg-large") {
  benchLinalg(sizes: selected.contains("linalg-large") ? [500, 1000, 2000, 4000] : [500, 1000, 2000])
}
// Not part of "all": it takes several minutes.
if selected.contains("planner") { benchPlanner() }
// Not part of "all": about five minutes.
// `TP_BENCH_SEEDS=S` runs S seeds per sampler instead of 10 (the variance ratios' relative
// error shrinks like 1/√S; time grows like S).
let samplerSeeds =
  ProcessInfo.processInfo.environment["TP_BENCH_SEEDS"].flatMap { Int($0) }.map { max(3, $0) } ?? 10
if selected.contains("rqmc") { benchSamplers(seeds: samplerSeeds) }
// The same with one replicate per run (each number's own error; under a minute).
if selected.contains("rqmc-single") { benchSamplers(seeds: samplerSeeds, replicates: 1) }
// Not part of "all": limit vs finite trainer at matched accuracy (several minutes).
if selected.contains("matched") { benchMatched() }
// Not part of "all": tape throughput and thread scaling (under a minute).
if selected.contains("tape") { benchTape() }
