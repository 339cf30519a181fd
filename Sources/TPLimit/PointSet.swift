import Foundation
import TPCore

/// A set of points in base-Gaussian space with weights, on which graph nodes are evaluated as
/// whole arrays — one contiguous buffer per node across all points (struct-of-arrays): Monte
/// Carlo particles or a quadrature grid.
///
/// Node expressions are compiled to ``Tape``s and run over fixed chunks in parallel; sums are
/// taken per chunk and added in chunk order, so results do not depend on the thread count.
final class PointSet {
  let count: Int
  /// Quadrature weights; nil means equal weights `1/count` (Monte Carlo).
  let weights: [Double]?
  /// Supplies the values of a base Gaussian at every point.
  let baseValues: (Int) -> [Double]
  let threads: Int
  /// Antithetic pairs (``Sampler/isAntithetic``): points `2i` and `2i + 1` are one draw, so
  /// standard errors and influences are taken over pair means. `count` is even.
  let paired: Bool
  static let chunkSize = 4096
  private(set) var cache: [Int: UnsafeMutablePointer<Double>] = [:]
  /// When each cached node was last read (a counter), for least-recently-used eviction.
  /// (Measured against GreedyDual-Size with recomputation costs, and against keeping the
  /// latest nodes, on 60 SGD steps of `mup2_tanh` with 32,768 particles and a 1 GiB budget:
  /// 6,114, 11,015 and 26,569 recomputations; least-recently-used stays.)
  private var lastUse: [Int: Int] = [:]
  private var clock = 0
  /// Most node buffers kept between requests; older ones are freed and recomputed on demand
  /// (recomputation is deterministic, so results do not depend on the budget).
  let capacity: Int
  /// How the node cache fared (`tp run --verbose`).
  private(set) var statistics = NodeCacheStatistics()
  /// Nodes computed at least once, to count recomputations.
  private var everComputed: Set<Int> = []

  /// A point set keeping at most `budgetBytes` of node values between requests (at least 16 nodes).
  init(
    count: Int, weights: [Double]?, threads: Int, budgetBytes: Int = 1 << 30, paired: Bool = false,
    baseValues: @escaping (Int) -> [Double]
  ) {
    precondition(!paired || (count % 2 == 0 && weights == nil), "antithetic pairs need an even count")
    self.count = count
    self.weights = weights
    self.paired = paired
    self.threads = threads
    self.capacity = max(16, budgetBytes / max(1, 8 * count))
    self.baseValues = baseValues
    statistics.capacity = capacity
    statistics.points = count
  }

  deinit { for p in cache.values { p.deallocate() } }

  /// The values of node `k` at every point, computing and caching missing ancestors as needed.
  /// The walk stops at cached nodes and uses an explicit stack (no deep recursion).
  func values(_ k: Int, _ graph: ZGraph) -> UnsafePointer<Double> {
    clock += 1
    lastUse[k] = clock
    statistics.requests += 1
    if let v = cache[k] {
      statistics.hits += 1
      return UnsafePointer(v)
    }
    var stack = [k]
    while let top = stack.last {
      if cache[top] != nil {
        stack.removeLast()
        continue
      }
      let missing = graph.inputs(of: top).filter { cache[$0] == nil }
      if missing.isEmpty {
        cache[top] = compute(top, graph)
        statistics.computations += 1
        if !everComputed.insert(top).inserted { statistics.recomputations += 1 }
        statistics.peakNodes = max(statistics.peakNodes, cache.count)
        lastUse[top] = clock
        stack.removeLast()
      } else {
        stack.append(contentsOf: missing)
      }
    }
    return UnsafePointer(cache[k]!)  // safe: just computed
  }

  /// Frees the least recently used buffers beyond ``capacity``, down to three quarters of it.
  /// Called only at the start of a request, so no pointer handed out within one request is
  /// ever freed under it.
  func evict() {
    guard cache.count > capacity else { return }
    let excess = cache.count - capacity + capacity / 4
    let victims = cache.keys.sorted { lastUse[$0, default: 0] < lastUse[$1, default: 0] }.prefix(excess)
    for k in victims {
      cache.removeValue(forKey: k)?.deallocate()
      lastUse.removeValue(forKey: k)
    }
    statistics.evictions += victims.count
  }

  /// Sets node `k`'s values directly (a leaf of a quadrature over affine leaves).
  func preset(_ k: Int, _ values: [Double]) {
    cache[k]?.deallocate()
    let out = UnsafeMutablePointer<Double>.allocate(capacity: count)
    // safe: `values` has `count` elements
    values.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress!, count: count) }
    cache[k] = out
    lastUse[k] = clock
  }

  /// A copy of node `k`'s values (for quantiles).
  func array(_ k: Int, _ graph: ZGraph) -> [Double] {
    evict()
    return Array(UnsafeBufferPointer(start: values(k, graph), count: count))
  }

  private func compute(_ k: Int, _ graph: ZGraph) -> UnsafeMutablePointer<Double> {
    let out = UnsafeMutablePointer<Double>.allocate(capacity: count)
    switch graph.nodes[k].kind {
    case .base(let b):
      let v = baseValues(b)
      // safe: count elements
      v.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress!, count: count) }
    case .affine(let c, let terms):
      out.initialize(repeating: c, count: count)
      for t in terms {
        let x = cache[t.node]!  // safe: ancestors are computed first
        let s = t.coefficient
        for p in 0..<count { out[p] += s * x[p] }
      }
    case .nonlin(let e):
      out.initialize(repeating: 0, count: count)
      evaluate(e, into: out)
    }
    return out
  }

  /// Writes `e` at every point into `out` (initialized). Leaves are cached nodes, or ids in
  /// `extra` (buffers that are not graph nodes, such as adjoints).
  func evaluate(
    _ e: CoordExpr, into out: UnsafeMutablePointer<Double>, extra: [Int: UnsafePointer<Double>] = [:]
  ) {
    let tape = Tape(e, scalars: [], writesOutput: true)
    if case .constant(let c) = tape.result {
      out.update(repeating: c, count: count)
      return
    }
    // safe: callers compute the leaves first
    let inputs = tape.inputs.map { extra[$0.raw] ?? UnsafePointer(cache[$0.raw]!) }
    let shared = UnsafeShared(out)
    tape.forEachChunk(count: count, inputs: inputs, output: out, chunkSize: Self.chunkSize, threads: threads)
    {
      _, range, values in
      let o = shared.value + range.lowerBound
      if UnsafePointer(o) != values { o.update(from: values, count: range.count) }
    }
  }

  /// `E[e] ≈ Σ_p w_p e(z_p)` and, for equal weights, the standard error `sd(e)/√count`.
  ///
  /// The variance is taken per chunk in two passes (chunk mean, then squared deviations) and
  /// chunks are merged in order by Chan, Golub & LeVeque's update, so a small spread next to a
  /// large mean keeps its digits and the result does not depend on the thread count. With
  /// `capture > 0` (equal weights only) the values at the first `capture` points, minus the
  /// mean, are returned too: the estimate's influence function on those points, from which
  /// the error of any smooth combination of estimates over the same points follows.
  ///
  /// For antithetic pairs (``paired``) the variance is that of the `N/2` pair means `q_i`, the
  /// standard error `sd(q)/√(N/2)`, and the influence at both points of pair `i` is
  /// `√2·(q_i − mean)`, so that `sd(ψ)/√N` — how ``ExpectationEngine`` turns an influence into
  /// an error — is again `sd(q)/√(N/2)`, for every linear combination of influences too.
  func expectation(_ e: CoordExpr, _ graph: ZGraph, capture: Int = 0) -> (
    mean: Double, standardError: Double, influence: [Double]?
  ) {
    evict()
    for leaf in e.vectors { _ = values(leaf.raw, graph) }
    let tape = Tape(e, scalars: [], writesOutput: false)
    let kept = weights == nil ? min(capture, count) : 0
    if case .constant(let c) = tape.result {
      return (c, 0, kept > 0 ? [Double](repeating: 0, count: kept) : nil)
    }
    let inputs = tape.inputs.map { UnsafePointer(cache[$0.raw]!) }  // safe: computed above
    let chunks = (count - 1) / Self.chunkSize + 1
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * chunks)
    defer { sums.deallocate() }
    sums.initialize(repeating: 0, count: 2 * chunks)
    let captured = UnsafeMutablePointer<Double>.allocate(capacity: max(1, kept))
    defer { captured.deallocate() }
    let shared = UnsafeShared((sums, weights, captured))
    let paired = paired
    tape.forEachChunk(count: count, inputs: inputs, output: nil, chunkSize: Self.chunkSize, threads: threads)
    {
      chunk, range, values in
      let (sums, weights, captured) = shared.value
      if let w = weights {
        var s = 0.0
        for (i, p) in range.enumerated() { s += w[p] * values[i] }
        sums[2 * chunk] = s
        return
      }
      var s = 0.0
      for i in 0..<range.count { s += values[i] }
      let m = s / Double(range.count)
      var ss = 0.0
      if paired {
        // Chunks start at multiples of the (even) chunk size: pairs never straddle two.
        for i in Swift.stride(from: 0, to: range.count, by: 2) {
          let d = 0.5 * (values[i] + values[i + 1]) - m
          ss += d * d
        }
      } else {
        for i in 0..<range.count {
          let d = values[i] - m
          ss += d * d
        }
      }
      sums[2 * chunk] = m
      sums[2 * chunk + 1] = ss
      if range.lowerBound < kept {
        for p in range.lowerBound..<min(kept, range.upperBound) { captured[p] = values[p - range.lowerBound] }
      }
    }
    if weights != nil {
      var s = 0.0
      for c in 0..<chunks { s += sums[2 * c] }
      return (s, 0, nil)
    }
    var n = 0.0
    var mean = 0.0
    var m2 = 0.0
    // Chan's update over chunks of `nc` draws: points, or pairs.
    let perDraw = paired ? 2 : 1
    for c in 0..<chunks {
      let nc = Double((min(count, (c + 1) * Self.chunkSize) - c * Self.chunkSize) / perDraw)
      let delta = sums[2 * c] - mean
      let total = n + nc
      mean += delta * nc / total
      m2 += sums[2 * c + 1] + delta * delta * n * nc / total
      n = total
    }
    let draws = count / perDraw
    let variance = draws > 1 ? m2 / Double(draws - 1) : 0
    var influence = kept > 0 ? (0..<kept).map { captured[$0] - mean } : nil
    if paired, var psi = influence {
      for i in Swift.stride(from: 0, to: kept - 1, by: 2) {
        let q = (psi[i] + psi[i + 1]) * 0.5.squareRoot()
        psi[i] = q
        psi[i + 1] = q
      }
      influence = psi
    }
    return (mean, (variance / Double(draws)).squareRoot(), influence)
  }
}

/// What a point set's node cache did: requests for a node's values, how many found them
/// cached, how many node buffers were computed (of which recomputations of a node evicted
/// earlier), evicted, and the most held at once, against the capacity.
public struct NodeCacheStatistics: Sendable, Hashable, Codable {
  public var requests = 0
  public var hits = 0
  public var computations = 0
  public var recomputations = 0
  public var evictions = 0
  public var peakNodes = 0
  public var capacity = 0
  /// Points per node buffer.
  public var points = 0

  public init() {}

  /// `hits / requests` (1 when nothing was requested).
  public var hitRate: Double { requests == 0 ? 1 : Double(hits) / Double(requests) }

  /// The sum of two runs' statistics (capacity and points: the larger).
  public func adding(_ o: NodeCacheStatistics) -> NodeCacheStatistics {
    var s = self
    s.requests += o.requests
    s.hits += o.hits
    s.computations += o.computations
    s.recomputations += o.recomputations
    s.evictions += o.evictions
    s.peakNodes = max(peakNodes, o.peakNodes)
    s.capacity = max(capacity, o.capacity)
    s.points = max(points, o.points)
    return s
  }
}
