import Foundation

/// A hyperplane `{ε : offset + normal·ε = 0}` in standard normal coordinates, where an
/// integrand may have a kink or a jump.
public struct Hyperplane: Sendable, Hashable {
  public var offset: Double
  public var normal: [Double]

  public init(offset: Double, normal: [Double]) {
    self.offset = offset
    self.normal = normal
  }

  /// The same hyperplane with a unit normal whose first nonzero entry is positive (so that
  /// `h` and `−h` coincide), or nil when the normal vanishes (a constant-sign argument has no
  /// kink anywhere).
  public var normalized: Hyperplane? {
    let length = normal.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard length > 0, length.isFinite, offset.isFinite else { return nil }
    var s = 1 / length
    if let first = normal.first(where: { abs($0) > 1e-14 * length }), first < 0 { s = -s }
    return Hyperplane(offset: offset * s, normal: normal.map { $0 * s })
  }
}

/// Quadrature for `E f(ε)`, `ε ~ N(0, I_r)`, when `f` is smooth except across a few
/// hyperplanes (the kinks of `relu`/`abs` and the jumps of `step`/`sign` at affine arguments).
///
/// A Gauss–Hermite grid converges only algebraically across a kink and hardly at all across a
/// jump. This rule integrates coordinate by coordinate, `ε₁` outermost, and splits every
/// one-dimensional integral at the exact places where the integrand — or an inner integral —
/// stops being smooth; on each piece a Gauss–Legendre rule of `m` nodes integrates
/// `f(x) φ(x)`, which is analytic there, so the error decays like `ρ^{−2m}`.
///
/// Where the inner integrals stop being smooth: for fixed `ε₁…ε_{d−1}`, the innermost
/// integrand in `ε_r` has its breakpoints where each hyperplane crosses the line. The integral
/// over `ε_r` is a smooth function of `ε_{r−1}` except where two of those breakpoints meet
/// (the intersection of two hyperplanes, projected by eliminating `ε_r`) or where a hyperplane
/// does not involve `ε_r` at all (then it is a breakpoint of `ε_{r−1}` itself). Repeating the
/// elimination gives, for every level `d`, a set `C_d` of hyperplanes in `ε₁…ε_d` whose
/// crossings with the current line are that level's breakpoints: `C_r` is the given set and
/// `C_{d−1}` holds the pairwise eliminations of `ε_d` from `C_d` plus the members of `C_d`
/// free of `ε_d` (this is the projection step of a cylindrical decomposition of the
/// arrangement; Collins 1975, here for hyperplanes only). Each line is also split at the
/// fixed points `0, ±1.5, ±3` so that `φ` itself is resolved; the tails beyond the outermost
/// cuts (at `|x| ≥ 3`) are mapped to Gauss–Laguerre integrals, so nothing is truncated.
///
/// Lines are rotated first (see ``Layout``), and an outer line is also split where a
/// breakpoint of the next line crosses that line's fixed splits, so a breakpoint that sweeps
/// quickly (a hyperplane nearly parallel to the inner axis) is followed closely.
///
/// Cost: `|C_r| = K` hyperplanes give `|C_{r−1}| ≤ K + K(K−1)/2`; about
/// `∏_d (pieces_d · m)` points. ``pointCount(dimension:hyperplanes:nodesPerPiece:limit:)``
/// counts them exactly before anything is built.
public struct PiecewiseGaussRule: Sendable {
  /// The dimension `r`.
  public let dimension: Int
  /// The points in standard normal coordinates, point-major (`coordinates[k·r + d]`).
  public let coordinates: [Double]
  /// The weights; they sum to `1 − O(10⁻¹⁶)`.
  public let weights: [Double]

  /// Fixed split points of every line; beyond ±3 the tails are mapped to Gauss–Laguerre.
  static let fixedSplits: [Double] = [-3, -1.5, 0, 1.5, 3]
  /// Breakpoints farther out than this are ignored (`2Φ(−8.5) ≈ 2·10⁻¹⁷`).
  static let ignoredBeyond = 8.5
  /// Positions on an inner line whose crossing by a moving breakpoint splits the outer line.
  static let sweepMarks: [Double] = [-3, -1.5, 0, 1.5, 3]

  /// Gauss–Legendre rules of 2…20 nodes, built once.
  static let legendreRules: [GaussLegendreRule] = (0...20).map { GaussLegendreRule(nodes: max(1, $0)) }

  static func legendre(_ m: Int) -> GaussLegendreRule {
    m < legendreRules.count ? legendreRules[m] : GaussLegendreRule(nodes: m)
  }

  /// Gauss–Laguerre rules of 1…24 nodes, built once.
  static let laguerreRules: [GaussLaguerreRule] = (0...24).map { GaussLaguerreRule(nodes: max(1, $0)) }

  static func laguerre(_ m: Int) -> GaussLaguerreRule {
    m < laguerreRules.count ? laguerreRules[m] : GaussLaguerreRule(nodes: min(m, 40))
  }

  /// The number of points.
  public var count: Int { weights.count }

  /// The critical hyperplane sets `C_1 … C_r` (index `d − 1` holds `C_d`, hyperplanes in
  /// `d` coordinates), after normalizing and removing duplicates.
  static func criticalSets(dimension r: Int, hyperplanes: [Hyperplane]) -> [[Hyperplane]] {
    var sets = [[Hyperplane]](repeating: [], count: r)
    sets[r - 1] = unique(hyperplanes.compactMap(\.normalized))
    var d = r
    while d > 1 {
      var next: [Hyperplane] = []
      let current = sets[d - 1]
      let tiny = 1e-12
      for h in current where abs(h.normal[d - 1]) < tiny {
        if let p = Hyperplane(offset: h.offset, normal: Array(h.normal.prefix(d - 1))).normalized {
          next.append(p)
        }
      }
      for i in current.indices {
        let a = current[i].normal[d - 1]
        guard abs(a) >= tiny else { continue }
        for j in (i + 1)..<current.count {
          let b = current[j].normal[d - 1]
          guard abs(b) >= tiny else { continue }
          // b·hᵢ − a·hⱼ has no ε_d term: where the two breakpoints of the line coincide.
          let offset = b * current[i].offset - a * current[j].offset
          let normal = (0..<(d - 1)).map { b * current[i].normal[$0] - a * current[j].normal[$0] }
          if let p = Hyperplane(offset: offset, normal: normal).normalized,
            p.normal.reduce(0, { $0 + $1 * $1 }) > 0
          {
            // Nearly parallel pairs meet far away; `normalized` scaled them, so check the
            // unnormalized size to skip pairs that are parallel up to rounding.
            let size = normal.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if size > tiny * (abs(a) + abs(b)) { next.append(p) }
          }
        }
      }
      sets[d - 2] = unique(next)
      d -= 1
    }
    return sets
  }

  /// Hyperplanes without near-duplicates (offsets and normals equal to 1e-12).
  static func unique(_ hs: [Hyperplane]) -> [Hyperplane] {
    var out: [Hyperplane] = []
    for h in hs {
      let duplicate = out.contains { o in
        abs(o.offset - h.offset) <= 1e-12 * max(1, abs(h.offset))
          && zip(o.normal, h.normal).allSatisfy { abs($0 - $1) <= 1e-12 }
      }
      if !duplicate { out.append(h) }
    }
    return out
  }

  /// The rotated arrangement a rule is built from: the axes, the critical sets in rotated
  /// coordinates and the nodes per piece.
  struct Layout {
    let dimension: Int
    /// Column `j` is the `j`-th rotated axis in the original coordinates.
    let axes: Matrix
    let sets: [[Hyperplane]]
    let nodesPerPiece: Int

    init(dimension r: Int, hyperplanes: [Hyperplane], nodesPerPiece m: Int) {
      // Rotate (the standard normal law does not change) so that the directions the normals
      // share most come innermost, where breakpoints are exact: with the eigenvectors of
      // Σ n nᵀ in ascending order as the new axes, nearly parallel hyperplanes end up nearly
      // perpendicular to the innermost axis, and their breakpoints move slowly along the
      // outer ones.
      var gram = Matrix(rows: r, cols: r)
      for h in hyperplanes.compactMap(\.normalized) {
        for i in 0..<r { for j in 0..<r { gram[i, j] += h.normal[i] * h.normal[j] } }
      }
      let axes = SymmetricEigen(gram).vectors
      let rotated = hyperplanes.map { h in
        Hyperplane(
          offset: h.offset, normal: (0..<r).map { j in (0..<r).reduce(0) { $0 + axes[$1, j] * h.normal[$1] } }
        )
      }
      self.dimension = r
      self.axes = axes
      self.sets = PiecewiseGaussRule.criticalSets(dimension: r, hyperplanes: rotated)
      self.nodesPerPiece = m
    }

    /// The piece edges of the line at level `d` through `prefix[0..<d]`, from `−L` to `L`.
    func edges(_ d: Int, _ prefix: [Double]) -> [Double] {
      // Breakpoints beyond ±8.5 are ignored: the mass there is below 10⁻¹⁷.
      let l = PiecewiseGaussRule.ignoredBeyond
      var cuts = PiecewiseGaussRule.fixedSplits
      for h in sets[d] {
        let a = h.normal[d]
        guard abs(a) >= 1e-12 else { continue }
        var s = h.offset
        for j in 0..<d { s += h.normal[j] * prefix[j] }
        let t = -s / a
        if t > -l && t < l { cuts.append(t) }
      }
      // The next level's breakpoints move along this line; where one crosses a fixed split of
      // the next line or its ends, split here too, so that a breakpoint sweeping quickly across
      // the inner line (a hyperplane nearly parallel to it) is followed closely.
      if d + 1 < dimension {
        for h in sets[d + 1] {
          let inner = h.normal[d + 1]
          let a = h.normal[d]
          guard abs(inner) >= 1e-12, abs(a) >= 1e-12 else { continue }
          var s = h.offset
          for j in 0..<d { s += h.normal[j] * prefix[j] }
          // The next-level breakpoint t(x) = −(s + a x)/inner equals c where x = (−c·inner − s)/a.
          for c in PiecewiseGaussRule.sweepMarks {
            let x = (-c * inner - s) / a
            if x > -l && x < l { cuts.append(x) }
          }
        }
      }
      cuts.sort()
      var edges = [-Double.infinity]
      for c in cuts where c - edges[edges.count - 1] > 1e-12 { edges.append(c) }
      edges.append(.infinity)
      return edges
    }

    /// Nodes for the piece `[lo, hi]`: `m` Gauss–Legendre nodes on a finite piece, `m + 4`
    /// Gauss–Laguerre nodes on a tail (`lo = −∞` or `hi = ∞`).
    func nodes(for lo: Double, _ hi: Double) -> Int {
      lo.isFinite && hi.isFinite ? nodesPerPiece : nodesPerPiece + 4
    }

    /// The nodes and the weights `wᵢ · φ(xᵢ)` of a line cut at `edges` (from −∞ to ∞). Finite
    /// pieces use Gauss–Legendre on `f φ`; a tail `[a, ∞)` (`a ≥ 3`) is mapped by
    /// `x = √(a² + 2u)` to a Gauss–Laguerre integral (see ``GaussLaguerreRule``), and
    /// `(−∞, −a]` by symmetry.
    func line(_ edges: [Double]) -> (nodes: [Double], weights: [Double]) {
      let density = 1 / (2 * Double.pi).squareRoot()
      var xs: [Double] = []
      var ws: [Double] = []
      for p in 0..<(edges.count - 1) {
        let (lo, hi) = (edges[p], edges[p + 1])
        if lo.isFinite && hi.isFinite {
          let rule = PiecewiseGaussRule.legendre(nodes(for: lo, hi))
          let half = (hi - lo) / 2
          let mid = (hi + lo) / 2
          for i in rule.nodes.indices {
            let x = mid + half * rule.nodes[i]
            xs.append(x)
            ws.append(rule.weights[i] * half * density * exp(-0.5 * x * x))
          }
        } else {
          let a = lo.isFinite ? lo : -hi
          let sign: Double = lo.isFinite ? 1 : -1
          let rule = PiecewiseGaussRule.laguerre(nodes(for: lo, hi))
          let start = density * exp(-0.5 * a * a)
          for i in rule.nodes.indices {
            let x = (a * a + 2 * rule.nodes[i]).squareRoot()
            xs.append(sign * x)
            ws.append(start * rule.weights[i] / x)
          }
        }
      }
      return (xs, ws)
    }

    /// The exact number of points, or nil once it passes `limit`; a dry run over every line
    /// but the innermost, whose pieces are only counted.
    func pointCount(limit: Int) -> Int? {
      let r = dimension
      var prefix = [Double](repeating: 0, count: r)
      var total = 0
      // Explicit stack of (nodes of a line, next index).
      var stack: [([Double], Int)] = []
      func nodes(_ d: Int) -> [Double] { line(edges(d, prefix)).nodes }
      func innerCount(_ e: [Double]) -> Int {
        var n = 0
        for p in 0..<(e.count - 1) { n += self.nodes(for: e[p], e[p + 1]) }
        return n
      }
      if r == 1 {
        let n = innerCount(edges(0, prefix))
        return n <= limit ? n : nil
      }
      stack.append((nodes(0), 0))
      while let (xs, next) = stack.last {
        let d = stack.count - 1
        if next == xs.count {
          stack.removeLast()
          continue
        }
        stack[d].1 += 1
        prefix[d] = xs[next]
        if d == r - 2 {
          total += innerCount(edges(r - 1, prefix))
          if total > limit { return nil }
        } else {
          stack.append((nodes(d + 1), 0))
        }
      }
      return total
    }
  }

  /// The exact number of points the rule would have, or nil when it exceeds `limit` (found
  /// without building them).
  public static func pointCount(dimension r: Int, hyperplanes: [Hyperplane], nodesPerPiece m: Int, limit: Int)
    -> Int?
  {
    guard r >= 1, r <= 4, m >= 1 else { return nil }
    return Layout(dimension: r, hyperplanes: hyperplanes, nodesPerPiece: m).pointCount(limit: limit)
  }

  /// The rule for `dimension` coordinates (1 … 4) with breakpoints at `hyperplanes`
  /// (normals of length `dimension`) and `nodesPerPiece` Gauss–Legendre nodes per piece.
  /// Nil when the points would exceed `maximumPoints` (counted before any is built).
  public init?(dimension r: Int, hyperplanes: [Hyperplane], nodesPerPiece m: Int, maximumPoints: Int) {
    precondition(r >= 1 && r <= 4, "the piecewise rule is for 1 to 4 dimensions")
    precondition(m >= 1, "a piece needs at least one node")
    precondition(hyperplanes.allSatisfy { $0.normal.count == r }, "normals must have one entry per dimension")
    let layout = Layout(dimension: r, hyperplanes: hyperplanes, nodesPerPiece: m)
    guard let count = layout.pointCount(limit: maximumPoints) else { return nil }
    var coordinates: [Double] = []
    var weights: [Double] = []
    coordinates.reserveCapacity(count * r)
    weights.reserveCapacity(count)
    var prefix = [Double](repeating: 0, count: r)
    struct Frame {
      var nodes: [Double] = []
      var weights: [Double] = []
      var next = 0
      var weight: Double
    }
    func line(_ d: Int, weight: Double) -> Frame {
      let (xs, ws) = layout.line(layout.edges(d, prefix))
      return Frame(nodes: xs, weights: ws, weight: weight)
    }
    // Depth first over the levels, with an explicit stack (one frame per level).
    var stack = [line(0, weight: 1)]
    while !stack.isEmpty {
      let d = stack.count - 1
      let top = stack[d]
      if top.next == top.nodes.count {
        stack.removeLast()
        continue
      }
      stack[d].next += 1
      prefix[d] = top.nodes[top.next]
      let w = top.weight * top.weights[top.next]
      if d == r - 1 {
        for i in 0..<r {
          coordinates.append((0..<r).reduce(0) { $0 + layout.axes[i, $1] * prefix[$1] })
        }
        weights.append(w)
      } else {
        stack.append(line(d + 1, weight: w))
      }
    }
    self.dimension = r
    self.coordinates = coordinates
    self.weights = weights
  }
}
