/// Mean of `v` and the standard error of that mean, `sd / √m` (0 for a single value).
public func meanAndStandardError(_ v: [Double]) -> (mean: Double, standardError: Double) {
  let m = v.reduce(0, +) / Double(v.count)
  let ss = v.reduce(0) { $0 + ($1 - m) * ($1 - m) }
  return (m, v.count > 1 ? (ss / Double(v.count - 1) / Double(v.count)).squareRoot() : 0)
}

/// Root-mean-square distance of `v` from `target`.
public func rmsError(_ v: [Double], from target: Double) -> Double {
  (v.reduce(0) { $0 + ($1 - target) * ($1 - target) } / Double(v.count)).squareRoot()
}
