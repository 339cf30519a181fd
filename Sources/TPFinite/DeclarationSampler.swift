import TPCore

/// A program's random declarations at one width and seed, drawn exactly as ``FiniteExecutor``
/// draws them: initial vector `v` is the sample the executor would put in `v`, matrix `m` holds
/// the entries `(σ/√n) z_ij` (row-major `n × n`) the executor multiplies by.
public struct SampledDeclarations: Sendable {
  public var width: Int
  /// Indexed by `VectorID.raw`; nil for vectors that are not initial.
  public var vectors: [[Double]?]
  /// Indexed by `MatrixID.raw`.
  public var matrices: [[Double]]
}

extension FiniteExecutor {
  /// Samples every initial vector and every matrix of `program` at `options.width` and
  /// `options.seed` from the same streams as ``run(_:options:)``. Matrices are dense, so this
  /// refuses (like `run`) when `8 n²` bytes per matrix exceed `options.memoryLimit`.
  public static func sampleDeclarations(_ program: Program, options: FiniteOptions) throws(NumericalError)
    -> SampledDeclarations
  {
    let n = options.width
    guard n >= 1 else { throw NumericalError("the width must be at least 1, got \(n)") }
    let vectorBytes = Saturating.product(8, n)
    let bytes = Saturating.sum(
      Saturating.product(program.matrices.count, vectorBytes, n),
      Saturating.product(program.vectors.count, vectorBytes))
    guard bytes <= options.memoryLimit.bytes else {
      throw NumericalError(
        Message.memoryRefused(
          "holding the weights at width \(n)", estimate: bytes, detail: "", limit: options.memoryLimit))
    }
    let threads = max(options.threads, 1)
    var vectors = [[Double]?](repeating: nil, count: program.vectors.count)
    for (g, group) in program.initialGroups.enumerated() {
      let buffers = group.vectors.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: n) }
      defer { buffers.forEach { $0.deallocate() } }
      let sampler = InitialSampler(group: group, seed: options.seed, stream: Streams.initialGroup(g))
      sampler.sample(into: buffers.map { Optional($0) }, width: n, chunkSize: chunkSize, threads: threads)
      for (v, p) in zip(group.vectors, buffers) {
        vectors[v.raw] = Array(UnsafeBufferPointer(start: p, count: n))
      }
    }
    var matrices: [[Double]] = []
    for (m, info) in program.matrices.enumerated() {
      let scale = (info.variance / Double(n)).squareRoot()
      let matrix = RandomMatrix(n: n, seed: options.seed, stream: Streams.matrix(MatrixID(m)), scale: scale)
      var entries = [Double](repeating: 0, count: n * n)
      entries.withUnsafeMutableBufferPointer { b in
        guard let base = b.baseAddress else { return }
        matrix.materialize(into: base, threads: threads)
        for i in 0..<(n * n) { base[i] *= scale }
      }
      matrices.append(entries)
    }
    return SampledDeclarations(width: n, vectors: vectors, matrices: matrices)
  }
}
