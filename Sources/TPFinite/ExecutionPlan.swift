import Foundation
import TPCore

/// What a finite run will hold and when: matrix storage, vector lifetimes, and the peak memory
/// this implies, computed before anything is allocated.
struct ExecutionPlan {
  let width: Int
  /// `.cached` or `.regenerated` for each matrix.
  let storage: [MatrixStorage]
  /// Initial vectors that are read or output (the others are never sampled).
  let neededInitial: Set<VectorID>
  /// Vectors the outputs name: kept to the end.
  let retained: Set<VectorID>
  /// Vectors to free right after instruction `k` (their last reader, or their definition when
  /// nothing reads them).
  let vectorsFreedAfter: [[VectorID]]
  /// Cached matrices to free right after instruction `k` (their last product).
  let matricesFreedAfter: [[MatrixID]]
  /// Estimated peak of vectors, cached matrices and product scratch, in bytes (saturating).
  let peakBytes: Int
  /// Estimated arithmetic: multiply-adds, with each normal drawn counted as
  /// ``FiniteOptions/normalCost`` (saturating).
  let operations: Int

  init(_ program: Program, options: FiniteOptions) {
    let n = options.width
    width = n
    let count = program.instructions.count

    var uses = [Int](repeating: 0, count: program.matrices.count)
    var lastMatrixUse = [Int](repeating: -1, count: program.matrices.count)
    var lastRead = [Int](repeating: -1, count: program.vectors.count)
    for (k, inst) in program.instructions.enumerated() {
      switch inst {
      case .matmul(_, let m, _, let x):
        uses[m.raw] += 1
        lastMatrixUse[m.raw] = k
        lastRead[x.raw] = k
      case .nonlin(_, let e), .moment(_, let e):
        for v in e.vectors { lastRead[v.raw] = k }
      case .scalar: break
      }
    }
    storage = uses.map { u in
      switch options.matrixStorage {
      case .automatic: return u > 2 ? .cached : .regenerated
      case .cached, .regenerated: return options.matrixStorage
      }
    }

    var retained = Set<VectorID>()
    for o in program.outputs { if case .vector(let v) = o.value { retained.insert(v) } }
    self.retained = retained
    var needed = Set<VectorID>()
    for g in program.initialGroups {
      for v in g.vectors where lastRead[v.raw] >= 0 || retained.contains(v) { needed.insert(v) }
    }
    neededInitial = needed

    var freed = [[VectorID]](repeating: [], count: count)
    let definitions = program.vectorDefinitions
    for v in program.vectors.indices {
      let id = VectorID(v)
      guard !retained.contains(id) else { continue }
      if lastRead[v] >= 0 {
        freed[lastRead[v]].append(id)
      } else if let k = definitions[v] {
        freed[k].append(id)
      }
    }
    vectorsFreedAfter = freed
    var matricesFreed = [[MatrixID]](repeating: [], count: count)
    for m in program.matrices.indices where storage[m] == .cached && lastMatrixUse[m] >= 0 {
      matricesFreed[lastMatrixUse[m]].append(MatrixID(m))
    }
    matricesFreedAfter = matricesFreed

    // Walk the program, counting live bytes and operations in saturating arithmetic, so huge
    // widths give huge estimates instead of overflow traps.
    let vectorBytes = Saturating.product(8, n)
    let matrixBytes = Saturating.product(vectorBytes, n)
    let entries = Saturating.product(n, n)
    let threads = max(options.threads, 1)
    var live = Saturating.product(needed.count, vectorBytes)
    var peak = live
    var work = 0
    for g in program.initialGroups {
      let drawn = g.vectors.filter(needed.contains).count
      work = Saturating.sum(work, Saturating.product(drawn, n, FiniteOptions.normalCost))
    }
    var cachedLive = Set<Int>()
    var generated = Set<Int>()
    for (k, inst) in program.instructions.enumerated() {
      var scratch = 0
      switch inst {
      case .matmul(_, let m, let transposed, _):
        live = Saturating.sum(live, vectorBytes)
        if storage[m.raw] == .cached {
          if cachedLive.insert(m.raw).inserted { live = Saturating.sum(live, matrixBytes) }
          // Dense.matvecTransposed keeps about 32 partial vectors.
          if transposed { scratch = Saturating.product(33, vectorBytes) }
          if generated.insert(m.raw).inserted {
            work = Saturating.sum(work, Saturating.product(entries, FiniteOptions.normalCost))
          }
          work = Saturating.sum(work, entries)
        } else {
          let block = Saturating.product(RandomMatrix.blockRows(n) + 1, vectorBytes)
          scratch = Saturating.product(threads, block)
          if transposed {
            scratch = Saturating.sum(
              scratch, Saturating.product(RandomMatrix.transposedChunks(n), vectorBytes))
          }
          work = Saturating.sum(work, Saturating.product(entries, FiniteOptions.normalCost + 1))
        }
      case .nonlin(_, let e):
        live = Saturating.sum(live, vectorBytes)
        scratch = Self.tapeScratch(e, n: n, threads: threads)
        work = Saturating.sum(work, Saturating.product(n, e.nodeCount))
      case .moment(_, let e):
        scratch = Self.tapeScratch(e, n: n, threads: threads)
        work = Saturating.sum(work, Saturating.product(n, e.nodeCount))
      case .scalar: break
      }
      peak = max(peak, Saturating.sum(live, scratch))
      live = Saturating.difference(live, Saturating.product(freed[k].count, vectorBytes))
      for m in matricesFreed[k] {
        cachedLive.remove(m.raw)
        live = Saturating.difference(live, matrixBytes)
      }
    }
    // Output vectors are copied into arrays one at a time at the end.
    peakBytes = max(peak, Saturating.sum(live, retained.isEmpty ? 0 : vectorBytes))
    operations = work
  }

  /// Bytes a tape of `e` allocates per running chunk, on `threads` threads: its registers (a
  /// post-order evaluation with reuse keeps about as many live as the tree is high; shared
  /// sub-expressions add some, hence the margin) of one chunk each, and one pointer per input.
  static func tapeScratch(_ e: CoordExpr, n: Int, threads: Int) -> Int {
    let nodes = e.nodeCount
    let registers = min(nodes, 4 * e.height + 16) + 2
    let chunk = min(n, FiniteExecutor.chunkSize)
    return Saturating.product(
      threads, 8, Saturating.sum(Saturating.product(registers, chunk), e.vectors.count))
  }

  /// The refusal for a run whose memory estimate exceeds `limit`.
  func memoryError(limit: MemoryLimit) -> NumericalError {
    let cached = storage.filter { $0 == .cached }.count
    let detail = cached > 0 ? " (\(cached) cached \(width)×\(width) matrix\(cached == 1 ? "" : "es"))" : ""
    return NumericalError(
      Message.memoryRefused("running at width \(width)", estimate: peakBytes, detail: detail, limit: limit))
  }

  /// The refusal for a run whose work estimate exceeds `limit` operations.
  func workError(limit: Int) -> NumericalError {
    NumericalError(Message.workRefused("running at width \(width)", estimate: operations, limit: limit))
  }
}
