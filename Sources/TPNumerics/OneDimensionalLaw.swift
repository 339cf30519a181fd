import Foundation

/// The law of `Y = g(ε)`, `ε ~ N(0, 1)`, from `g` sampled on a fine uniform grid: its CDF,
/// quantiles and density, for any `g` that is continuous between grid points or has jumps
/// (an affine `g` needs no grid — use the Gaussian formulas).
///
/// `g` is taken piecewise linear between the nodes `x_i = −L + i h`; then
/// `F(t) = P(g(ε) ≤ t)` is the Gaussian mass of `{x : g(x) ≤ t}`, which on each cell is the
/// whole cell, nothing, or the part on one side of the crossing point of the linear piece.
/// Flat stretches of `g` (an atom of `Y`, as `relu` has at 0) are kept: a cell whose two ends
/// equal `t` counts as below it, so `F` jumps there and the quantile lands on the atom. The
/// error of `F` from replacing `g` by its interpolant is `O(h² max|g″|)` in `x`, so
/// 20,001 nodes over `[−8.5, 8.5]` (h = 8.5·10⁻⁴) give quantiles to about 10⁻⁶ for smooth `g`;
/// the mass beyond `±L` (2·10⁻¹⁷) is ignored.
public struct OneDimensionalLaw: Sendable {
  /// `g` at the nodes.
  public let values: [Double]
  public let lower: Double
  public let step: Double
  /// `Φ(x_i)` at the nodes.
  let cdfAtNodes: [Double]

  /// The nodes of the standard grid: `count` points on `[−8.5, 8.5]`.
  public static func nodes(count: Int = 20_001) -> [Double] {
    let l = 8.5
    return (0..<count).map { -l + 2 * l * Double($0) / Double(count - 1) }
  }

  /// The law from `values[i] = g(nodes(count: values.count)[i])`.
  public init(values: [Double]) {
    precondition(values.count >= 2, "a law needs at least two nodes")
    self.values = values
    lower = -8.5
    step = 17 / Double(values.count - 1)
    cdfAtNodes = (0..<values.count).map { i in Self.phi(-8.5 + Double(i) * 17 / Double(values.count - 1)) }
  }

  static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

  /// `P(Y ≤ t)`.
  public func cdf(_ t: Double) -> Double {
    var total = 0.0
    for i in 0..<(values.count - 1) {
      let (a, b) = (values[i], values[i + 1])
      let (ca, cb) = (cdfAtNodes[i], cdfAtNodes[i + 1])
      if a <= t && b <= t {
        total += cb - ca
      } else if a > t && b > t {
        continue
      } else {
        // One end above t: the crossing of the linear piece, x = x_i + h (t − a)/(b − a).
        let x0 = lower + Double(i) * step
        let cross = x0 + step * (t - a) / (b - a)
        let cc = Self.phi(cross)
        total += a <= t ? cc - ca : cb - cc
      }
    }
    return min(1, max(0, total))
  }

  /// The smallest `t` with `P(Y ≤ t) ≥ p` (to 10⁻¹² of the range), `0 < p < 1`.
  public func quantile(_ p: Double) -> Double {
    var lo = values.min() ?? 0
    var hi = values.max() ?? 0
    if cdf(lo) >= p { return lo }
    for _ in 0..<200 {
      let mid = lo + (hi - lo) / 2
      if mid <= lo || mid >= hi { break }
      if cdf(mid) >= p { hi = mid } else { lo = mid }
      if hi - lo <= 1e-12 * max(1, abs(hi)) { break }
    }
    return hi
  }

  /// The density `(F(t + δ) − F(t − δ)) / 2δ` at `points`, `δ` a thousandth of their span
  /// (an atom shows as a spike of height ≈ mass/2δ).
  public func density(at points: [Double]) -> [Double] {
    guard let first = points.first, let last = points.last, last > first else { return points.map { _ in 0 } }
    let delta = (last - first) / 1000
    return points.map { (cdf($0 + delta) - cdf($0 - delta)) / (2 * delta) }
  }
}
