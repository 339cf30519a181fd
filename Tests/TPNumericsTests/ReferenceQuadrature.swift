import Foundation
import Testing

/// Independent numerical references for the closed forms of the Gaussian-integral tests:
/// Gauss–Legendre rules from Newton's method on the Legendre polynomials, adaptive bisection,
/// and nested quadrature over a Gaussian pair with the integration ranges split at the kinks.
enum ReferenceQuadrature {
  /// The `n`-point Gauss–Legendre rule on `[−1, 1]`: Newton on `Pₙ` (three-term recurrence)
  /// from Tricomi's initial guesses, weights `2 / ((1 − x²) Pₙ′(x)²)`. Nodes ascending.
  static func legendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
    var nodes = [Double](repeating: 0, count: n)
    var weights = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
      var derivative = 0.0
      for _ in 0..<100 {
        var (p0, p1) = (1.0, x)
        for k in 1..<n { (p0, p1) = (p1, (Double(2 * k + 1) * x * p1 - Double(k) * p0) / Double(k + 1)) }
        derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
        let dx = p1 / derivative
        x -= dx
        if abs(dx) < 1e-17 { break }
      }
      nodes[n - 1 - i] = x
      weights[n - 1 - i] = 2 / ((1 - x * x) * derivative * derivative)
    }
    return (nodes, weights)
  }

  static let rule = legendre(20)

  /// The 20-point rule on `[lo, hi]`.
  static func panel(_ f: (Double) -> Double, _ lo: Double, _ hi: Double) -> Double {
    let (half, mid) = ((hi - lo) / 2, (hi + lo) / 2)
    var s = 0.0
    for i in 0..<rule.nodes.count { s += rule.weights[i] * f(mid + half * rule.nodes[i]) }
    return s * half
  }

  /// `∫ f` over `[lo, hi]` by adaptive bisection: a panel is accepted when its rule and the
  /// sum over its halves differ by at most `absolute + relative·|sum|` (the 20-point rule then
  /// is far more accurate than that on the halves). `breakpoints` inside the range split it
  /// first (kinks, jumps, sharp transitions), then into panels no wider than `panelWidth`,
  /// so that a rule and its halves cannot agree by accident on a wide panel. Bisection stops at
  /// depth 18.
  static func integrate(
    _ f: (Double) -> Double, _ lo: Double, _ hi: Double, breakpoints: [Double] = [], panelWidth: Double,
    absolute: Double = 0, relative: Double = 1e-14
  ) -> Double {
    let cuts = ([lo] + breakpoints.filter { $0 > lo && $0 < hi }.sorted() + [hi])
    var total = 0.0
    for (a, b) in zip(cuts, cuts.dropFirst()) {
      let panels = max(1, Int(((b - a) / panelWidth).rounded(.up)))
      let width = (b - a) / Double(panels)
      for k in 0..<panels {
        let (start, end) = (a + Double(k) * width, k == panels - 1 ? b : a + Double(k + 1) * width)
        total += bisect(f, start, end, panel(f, start, end), absolute, relative, 0)
      }
    }
    return total
  }

  private static func bisect(
    _ f: (Double) -> Double, _ lo: Double, _ hi: Double, _ whole: Double, _ absolute: Double,
    _ relative: Double,
    _ depth: Int
  ) -> Double {
    let mid = (lo + hi) / 2
    let (left, right) = (panel(f, lo, mid), panel(f, mid, hi))
    let sum = left + right
    if abs(sum - whole) <= absolute + relative * abs(sum) || depth >= 18 { return sum }
    return bisect(f, lo, mid, left, absolute, relative, depth + 1)
      + bisect(f, mid, hi, right, absolute, relative, depth + 1)
  }

  /// The vector version of ``integrate(_:_:_:breakpoints:panelWidth:absolute:relative:)``: `f(x, w, &out)` adds
  /// `weight·values` into `out` (the rule's weight is passed so nothing is allocated per point),
  /// and a panel is accepted when every component agrees to `tolerance · (1 + |component|)`.
  static func integrateVector(
    count: Int, _ f: (Double, Double, inout [Double]) -> Void, _ lo: Double, _ hi: Double,
    breakpoints: [Double], panelWidth: Double, tolerance: Double
  ) -> [Double] {
    func panel(_ lo: Double, _ hi: Double) -> [Double] {
      let (half, mid) = ((hi - lo) / 2, (hi + lo) / 2)
      var out = [Double](repeating: 0, count: count)
      for i in 0..<rule.nodes.count { f(mid + half * rule.nodes[i], rule.weights[i] * half, &out) }
      return out
    }
    func bisect(_ lo: Double, _ hi: Double, _ whole: [Double], _ depth: Int) -> [Double] {
      let mid = (lo + hi) / 2
      let (left, right) = (panel(lo, mid), panel(mid, hi))
      var sum = left
      var converged = true
      for c in 0..<count {
        sum[c] += right[c]
        if abs(sum[c] - whole[c]) > tolerance * (1 + abs(sum[c])) { converged = false }
      }
      if converged || depth >= 18 { return sum }
      let l = bisect(lo, mid, left, depth + 1)
      let r = bisect(mid, hi, right, depth + 1)
      return zip(l, r).map { $0 + $1 }
    }
    let cuts = ([lo] + breakpoints.filter { $0 > lo && $0 < hi }.sorted() + [hi])
    var total = [Double](repeating: 0, count: count)
    for (a, b) in zip(cuts, cuts.dropFirst()) {
      let panels = max(1, Int(((b - a) / panelWidth).rounded(.up)))
      let width = (b - a) / Double(panels)
      for k in 0..<panels {
        let (start, end) = (a + Double(k) * width, k == panels - 1 ? b : a + Double(k + 1) * width)
        let part = bisect(start, end, panel(start, end), 0)
        for c in 0..<count { total[c] += part[c] }
      }
    }
    return total
  }

  /// A Gaussian pair as plain numbers, so the reference does not read the library's type.
  struct Pair: Sendable, CustomTestStringConvertible {
    var m1: Double
    var m2: Double
    var k11: Double
    var k22: Double
    var rho: Double
    var k12: Double { rho * k11.squareRoot() * k22.squareRoot() }
    var testDescription: String { "μ (\(m1), \(m2)), k11 \(k11), k22 \(k22), ρ \(rho)" }
  }

  /// `E[fₐ(X)·g_b(Y)]` for all `a < nx`, `b < ny`, as `result[a·ny + b]`, where `fx(x, &v)` and
  /// `gy(y, &v)` write the values of the functions (which may jump or kink only at 0).
  ///
  /// `E[f(X) E[g(Y) | X]]`: the inner conditional expectation (`Y | X = x` is
  /// `N(m2 + (k12/k11)(x − m1), k22 − k12²/k11)`) by a composite 20-point rule over ±12
  /// conditional standard deviations in panels of 2 split at 0; the outer one adaptively over
  /// ±12 standard deviations split at 0 and where the conditional mean crosses 0. Zero
  /// variances and `|ρ| = 1` are point masses, evaluated directly.
  static func expectations(
    _ p: Pair, nx: Int, ny: Int, _ fx: (Double, inout [Double]) -> Void,
    _ gy: (Double, inout [Double]) -> Void,
    tolerance: Double = 1e-13
  ) -> [Double] {
    var gValues = [Double](repeating: 0, count: ny)
    var fValues = [Double](repeating: 0, count: nx)
    var inner = [Double](repeating: 0, count: ny)
    /// E[g(Y)] for Y ~ N(m, s²), into `inner`.
    func innerExpectation(_ m: Double, _ s: Double) {
      for b in 0..<ny { inner[b] = 0 }
      if s == 0 {
        gy(m, &gValues)
        for b in 0..<ny { inner[b] = gValues[b] }
        return
      }
      let (lo, hi) = (m - 12 * s, m + 12 * s)
      let cuts = lo < 0 && hi > 0 ? [lo, 0, hi] : [lo, hi]
      for (a, c) in zip(cuts, cuts.dropFirst()) {
        let panels = Int(((c - a) / (2 * s)).rounded(.up))
        let width = (c - a) / Double(panels)
        for k in 0..<panels {
          let start = a + Double(k) * width
          for i in 0..<rule.nodes.count {
            let y = start + width / 2 * (1 + rule.nodes[i])
            let z = (y - m) / s
            let w = rule.weights[i] * width / 2 * exp(-z * z / 2) / (s * (2 * Double.pi).squareRoot())
            gy(y, &gValues)
            for b in 0..<ny { inner[b] += w * gValues[b] }
          }
        }
      }
    }
    let k12 = p.k12
    if p.k11 == 0 {
      innerExpectation(p.m2, p.k22.squareRoot())
      fx(p.m1, &fValues)
      return (0..<(nx * ny)).map { fValues[$0 / ny] * inner[$0 % ny] }
    }
    let s1 = p.k11.squareRoot()
    let slope = k12 / p.k11
    let conditional = max(p.k22 - k12 * slope, 0).squareRoot()
    // |ρ| = 1 exactly: the conditional law is a point mass (the residual variance above is
    // rounding).
    let s = abs(p.rho) == 1 ? 0 : conditional
    var breaks: [Double] = [0]
    if slope != 0 { breaks.append(p.m1 - p.m2 / slope) }
    return integrateVector(
      count: nx * ny,
      { x, weight, out in
        let z = (x - p.m1) / s1
        let w = weight * exp(-z * z / 2) / (s1 * (2 * Double.pi).squareRoot())
        innerExpectation(p.m2 + slope * (x - p.m1), s)
        fx(x, &fValues)
        for a in 0..<nx where fValues[a] != 0 {
          for b in 0..<ny { out[a * ny + b] += w * fValues[a] * inner[b] }
        }
      }, p.m1 - 12 * s1, p.m1 + 12 * s1, breakpoints: breaks, panelWidth: 2 * s1, tolerance: tolerance)
  }
}
