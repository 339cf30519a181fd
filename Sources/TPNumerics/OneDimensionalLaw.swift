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

  /// The atoms of `Y`: values `g` takes on a whole stretch of cells (relu's 0, step's 0 and 1),
  /// with their Gaussian mass `Σ Φ(x_{i+1}) − Φ(x_i)` over the flat cells, in increasing order;
  /// masses below 10⁻⁹ are left out. `edge` is the mass of the non-flat cells bordering the
  /// stretches: the true flat set can end anywhere inside them, so it bounds the error of
  /// `mass` (a kink or jump inside a cell is what the interpolant cannot place).
  public func atoms() -> [(value: Double, mass: Double, edge: Double)] {
    var mass: [Double: Double] = [:]
    var edge: [Double: Double] = [:]
    let cells = values.count - 1
    func cellMass(_ i: Int) -> Double { cdfAtNodes[i + 1] - cdfAtNodes[i] }
    func flat(_ i: Int) -> Bool { values[i] == values[i + 1] }
    for i in 0..<cells where flat(i) {
      let v = values[i]
      mass[v, default: 0] += cellMass(i)
      if i > 0, !flat(i - 1) { edge[v, default: 0] += cellMass(i - 1) }
      if i + 1 < cells, !flat(i + 1) { edge[v, default: 0] += cellMass(i + 1) }
    }
    return mass.filter { $0.value > 1e-9 }.sorted { $0.key < $1.key }.map {
      ($0.key, $0.value, edge[$0.key] ?? 0)
    }
  }

  /// The density of the continuous part of `Y`, `(F_c(t + δ) − F_c(t − δ)) / 2δ` at `points`
  /// with `F_c = F − Σ_{atoms a ≤ t} P(Y = a)` and `δ` a thousandth of their span: the atoms
  /// (see ``atoms()``) are reported apart, not as spikes.
  public func density(at points: [Double]) -> [Double] {
    guard let first = points.first, let last = points.last, last > first else { return points.map { _ in 0 } }
    let delta = (last - first) / 1000
    let atoms = self.atoms()
    func continuous(_ t: Double) -> Double {
      cdf(t) - atoms.reduce(0) { $0 + ($1.value <= t ? $1.mass : 0) }
    }
    return points.map { max(0, (continuous($0 + delta) - continuous($0 - delta)) / (2 * delta)) }
  }
}
