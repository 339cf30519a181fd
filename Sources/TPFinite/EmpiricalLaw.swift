import TPCore

extension VectorLaw {
  /// The empirical law of a finite vector's coordinates `x₁ … xₙ`: mean `(1/n) Σ xᵢ`, variance
  /// `(1/n) Σ (xᵢ − mean)²` (the law of a uniformly chosen coordinate, so no `n − 1`), and the
  /// quantiles at ``reportedQuantiles`` by linear interpolation between order statistics
  /// (`x₍ₖ₎` at position `p·(n − 1)`, NumPy's default). An empty vector gives NaNs.
  public init(empiricalOf x: [Double]) {
    guard !x.isEmpty else {
      self.init(mean: .nan, variance: .nan, quantiles: reportedQuantiles.map { _ in .nan })
      return
    }
    let count = Double(x.count)
    let mean = x.withUnsafeBufferPointer { TapeKernels.sum($0.baseAddress!, count: $0.count) } / count
    let squares = x.map { ($0 - mean) * ($0 - mean) }
    let variance =
      squares.withUnsafeBufferPointer { TapeKernels.sum($0.baseAddress!, count: $0.count) } / count
    let sorted = x.sorted()
    let quantiles = reportedQuantiles.map { p -> Double in
      let h = p * Double(sorted.count - 1)
      let lo = Int(h.rounded(.down))
      let hi = min(lo + 1, sorted.count - 1)
      return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
    self.init(mean: mean, variance: variance, quantiles: quantiles)
  }
}
