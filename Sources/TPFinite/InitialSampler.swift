import TPCore
import TPNumerics

/// Samples one initial group: coordinates iid over `i`, each `(v¹_i, …, vᵏ_i) ~ N(μ, Σ)`.
///
/// With `Σ ≈ F Fᵀ` (`F` a `k × r` pivoted Cholesky factor, `r` the numerical rank, so a
/// singular `Σ` such as two identical vectors is fine), coordinate `i` is `μ + F z_i` where
/// `z_i` are the `r` standard normals at global indices `i·r … i·r + r − 1` of the group's
/// stream. Every coordinate is addressable, so chunks can be filled on any thread.
struct InitialSampler: Sendable {
  let mean: [Double]
  /// Row-major `k × rank`.
  let factor: [Double]
  let rank: Int
  let seed: UInt64
  let stream: UInt64

  init(group: InitialGroup, seed: UInt64, stream: UInt64) {
    let k = group.vectors.count
    let f = PivotedCholesky(Matrix(rows: k, cols: k, elements: group.covariance))
    self.mean = group.mean
    self.factor = f.factor.elements
    self.rank = f.rank
    self.seed = seed
    self.stream = stream
  }

  /// Fills `outputs[a]` (for the members `a` with a non-nil pointer) at every coordinate.
  func sample(into outputs: [UnsafeMutablePointer<Double>?], width n: Int, chunkSize: Int, threads: Int) {
    let shared = UnsafeShared(outputs)
    let me = self
    Parallel.forEachChunk(count: n, chunkSize: chunkSize, threads: threads) { range in
      let outputs = shared.value
      let r = me.rank
      let z = UnsafeMutablePointer<Double>.allocate(capacity: max(range.count * r, 1))
      defer { z.deallocate() }
      if r > 0 {
        GaussianFill.fill(
          UnsafeMutableBufferPointer(start: z, count: range.count * r), seed: me.seed, stream: me.stream,
          offset: UInt64(range.lowerBound) &* UInt64(r))
      }
      for (a, out) in outputs.enumerated() {
        guard let out else { continue }
        let mu = me.mean[a]
        for (k, i) in range.enumerated() {
          var v = mu
          for b in 0..<r { v += me.factor[a * r + b] * z[k * r + b] }
          out[i] = v
        }
      }
    }
  }
}
