import Foundation
import TPCore
import TPNumerics

/// Executes a core program at a finite width `n` (THEORY.md §7).
///
/// Matrices have entries `σ/√n · N(0, 1)` and initial groups iid coordinates `N(μ, Σ)`, all drawn
/// from counter-based streams keyed by the seed (see ``Streams``), so a run is a fixed function
/// of `(program, n, seed)`: every parallel loop works on fixed chunks and reduces in chunk order,
/// and the results are bit-identical for any thread count.
///
/// - MatMul: a matrix used at most twice is never stored; its rows are regenerated in blocks and
///   consumed at once. A matrix used more often is materialized once and multiplied by the dense
///   kernels. ``FiniteOptions/matrixStorage`` forces either path.
/// - Nonlin and Moment: each expression is compiled to a ``Tape`` and run over chunks of
///   ``chunkSize`` coordinates; a Moment sums each chunk and adds the chunk sums in order.
/// - Vectors are freed after their last reader, except those the outputs name.
/// - Any NaN or ±Inf an instruction produces stops the run with an error naming it.
public enum FiniteExecutor {
  /// Coordinates per chunk of a Nonlin or Moment (and of initial sampling).
  public static let chunkSize = 4096

  /// What running `program` with `options` is estimated to cost, without running it.
  public static func estimate(_ program: Program, options: FiniteOptions) -> ResourceEstimate {
    let plan = ExecutionPlan(program, options: options)
    return ResourceEstimate(bytes: plan.peakBytes, multiplyAdds: plan.operations)
  }

  /// Runs `program` at `options.width` with `options.seed`.
  ///
  /// Throws ``NumericalError`` for a width below 1, for an estimated peak memory above
  /// `options.memoryLimit` or arithmetic above `options.workLimit` (before allocating anything),
  /// and for NaN/Inf results.
  public static func run(_ program: Program, options: FiniteOptions) throws(NumericalError) -> FiniteRun {
    guard options.width >= 1 else {
      throw NumericalError("the width must be at least 1, got \(options.width)")
    }
    let plan = ExecutionPlan(program, options: options)
    guard plan.peakBytes <= options.memoryLimit.bytes else {
      throw plan.memoryError(limit: options.memoryLimit)
    }
    guard plan.operations <= options.workLimit else { throw plan.workError(limit: options.workLimit) }
    let execution = Execution(program: program, plan: plan, options: options)
    try execution.sampleInitialGroups()
    for k in program.instructions.indices {
      ProgressMeter.shared.inner("instruction", done: k, total: program.instructions.count)
      try execution.execute(k)
    }
    return execution.finish()
  }
}

/// The mutable state of one run: vector and matrix buffers (freed on every exit path by
/// `deinit`) and the scalars computed so far.
private final class Execution {
  let program: Program
  let plan: ExecutionPlan
  let n: Int
  let seed: UInt64
  let threads: Int
  var vectors: [UnsafeMutablePointer<Double>?]
  var matrices: [UnsafeMutablePointer<Double>?]
  var scalars: [Double]

  init(program: Program, plan: ExecutionPlan, options: FiniteOptions) {
    self.program = program
    self.plan = plan
    self.n = options.width
    self.seed = options.seed
    self.threads = max(options.threads, 1)
    vectors = Array(repeating: nil, count: program.vectors.count)
    matrices = Array(repeating: nil, count: program.matrices.count)
    scalars = program.scalars.map { $0.constantValue ?? .nan }
  }

  deinit {
    for p in vectors { p?.deallocate() }
    for p in matrices { p?.deallocate() }
  }

  func allocate(_ v: VectorID) -> UnsafeMutablePointer<Double> {
    let p = UnsafeMutablePointer<Double>.allocate(capacity: n)
    vectors[v.raw] = p
    return p
  }

  func vector(_ v: VectorID) -> UnsafeMutablePointer<Double> {
    guard let p = vectors[v.raw] else {
      preconditionFailure("vector \(program.name(v)) read after it was freed")
    }
    return p
  }

  func sampleInitialGroups() throws(NumericalError) {
    for (g, group) in program.initialGroups.enumerated() {
      let outputs = group.vectors.map { plan.neededInitial.contains($0) ? allocate($0) : nil }
      guard outputs.contains(where: { $0 != nil }) else { continue }
      let sampler = InitialSampler(group: group, seed: seed, stream: Streams.initialGroup(g))
      sampler.sample(into: outputs, width: n, chunkSize: FiniteExecutor.chunkSize, threads: threads)
      // Means and variances near the top of the double range can overflow when sampled.
      for (v, p) in zip(group.vectors, outputs) {
        guard let p, !TapeKernels.allFinite(p, count: n) else { continue }
        let info = program.vectors[v.raw]
        let location = program.file.map { f in "\(f.name):\(f.location(of: info.range.start))" }
        throw NumericalError(
          "the initial vector '\(info.name)' has NaN or ±Inf coordinates at width \(n), seed \(seed)",
          location: location)
      }
    }
  }

  func execute(_ k: Int) throws(NumericalError) {
    switch program.instructions[k] {
    case .matmul(let d, let m, let transposed, let x):
      let y = allocate(d)
      multiply(m, transposed: transposed, vector(x), into: y)
      guard TapeKernels.allFinite(y, count: n) else { throw error("the product produced NaN or ±Inf", at: k) }
    case .nonlin(let d, let e):
      let y = allocate(d)
      guard nonlin(e, into: y) else { throw error("the expression produced NaN or ±Inf", at: k) }
    case .moment(let d, let e):
      let value = moment(e)
      guard value.isFinite else { throw error("the mean is \(value)", at: k) }
      scalars[d.raw] = value
    case .scalar(let d, let e):
      let scalars = self.scalars
      let value = e.evaluate { leaf in
        if case .scalar(let s) = leaf { return scalars[s.raw] }
        return .nan
      }
      guard value.isFinite else { throw error("the scalar formula gives \(value)", at: k) }
      self.scalars[d.raw] = value
    }
    for v in plan.vectorsFreedAfter[k] {
      vectors[v.raw]?.deallocate()
      vectors[v.raw] = nil
    }
    for m in plan.matricesFreedAfter[k] {
      matrices[m.raw]?.deallocate()
      matrices[m.raw] = nil
    }
  }

  func error(_ message: String, at k: Int) -> NumericalError {
    program.numericalError("\(message) at width \(n), seed \(seed),", at: k)
  }

  // MARK: MatMul

  func multiply(
    _ m: MatrixID, transposed: Bool, _ x: UnsafeMutablePointer<Double>, into y: UnsafeMutablePointer<Double>
  ) {
    let matrix = RandomMatrix(
      n: n, seed: seed, stream: Streams.matrix(m),
      scale: (program.matrices[m.raw].variance / Double(n)).squareRoot())
    guard plan.storage[m.raw] == .cached else {
      if transposed {
        matrix.multiplyTransposed(x, into: y, threads: threads)
      } else {
        matrix.multiply(x, into: y, threads: threads)
      }
      return
    }
    let z: UnsafeMutablePointer<Double>
    if let stored = matrices[m.raw] {
      z = stored
    } else {
      z = UnsafeMutablePointer<Double>.allocate(capacity: n * n)
      matrix.materialize(into: z, threads: threads)
      matrices[m.raw] = z
    }
    matrix.multiply(cached: z, transposed: transposed, x, into: y, threads: threads)
  }

  // MARK: Nonlin and Moment

  /// Writes `e` coordinatewise into `y`; false when some coordinate is NaN or ±Inf.
  func nonlin(_ e: CoordExpr, into y: UnsafeMutablePointer<Double>) -> Bool {
    let tape = Tape(e, scalars: scalars, writesOutput: true)
    if case .constant(let c) = tape.result {
      y.update(repeating: c, count: n)
      return c.isFinite
    }
    let chunks = (n - 1) / FiniteExecutor.chunkSize + 1
    let finite = UnsafeMutablePointer<Bool>.allocate(capacity: chunks)
    defer { finite.deallocate() }
    let shared = UnsafeShared((y, finite))
    forEachChunk(tape, output: y) { chunk, range, value in
      let (y, finite) = shared.value
      let out = y + range.lowerBound
      if UnsafePointer(out) != value { out.update(from: value, count: range.count) }
      finite[chunk] = TapeKernels.allFinite(out, count: range.count)
    }
    return UnsafeBufferPointer(start: finite, count: chunks).allSatisfy { $0 }
  }

  /// `(1/n) Σᵢ e(i)`: chunk sums in a fixed order, then added in chunk order.
  func moment(_ e: CoordExpr) -> Double {
    let tape = Tape(e, scalars: scalars, writesOutput: false)
    if case .constant(let c) = tape.result { return c }
    let chunks = (n - 1) / FiniteExecutor.chunkSize + 1
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
    defer { sums.deallocate() }
    let shared = UnsafeShared(sums)
    forEachChunk(tape, output: nil) { chunk, range, value in
      shared.value[chunk] = TapeKernels.sum(value, count: range.count)
    }
    var total = 0.0
    for c in 0..<chunks { total += sums[c] }
    return total / Double(n)
  }

  /// Evaluates `tape` on every chunk of coordinates in parallel and hands `body` the chunk's
  /// index, coordinate range, and a pointer to its values (the output, a register or an input).
  func forEachChunk(
    _ tape: Tape, output: UnsafeMutablePointer<Double>?,
    _ body: @escaping @Sendable (Int, Range<Int>, UnsafePointer<Double>) -> Void
  ) {
    tape.forEachChunk(
      count: n, inputs: tape.inputs.map { UnsafePointer(vector($0)) }, output: output,
      chunkSize: FiniteExecutor.chunkSize, threads: threads, body)
  }

  // MARK: Outputs

  func finish() -> FiniteRun {
    var kept: [VectorID: [Double]] = [:]
    for v in plan.retained.sorted() {
      guard let p = vectors[v.raw] else { continue }
      kept[v] = Array(UnsafeBufferPointer(start: p, count: n))
      p.deallocate()
      vectors[v.raw] = nil
    }
    let outputs = program.outputs.map { item in
      let value: OutputValue
      switch item.value {
      case .scalar(let s): value = .scalar(scalars[s.raw])
      case .vector(let v): value = .vector(VectorLaw(empiricalOf: kept[v] ?? []))
      }
      return OutputResult(
        name: item.name, value: value, standardError: 0, method: .finite, isShow: item.isShow)
    }
    return FiniteRun(
      width: n, seed: seed, scalars: scalars, vectors: kept, outputs: outputs, matrixStorage: plan.storage,
      estimatedPeakBytes: Double(plan.peakBytes))
  }
}
