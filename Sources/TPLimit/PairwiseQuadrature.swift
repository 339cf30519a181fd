import Foundation
import TPCore
import TPNumerics

/// The trapezoidal rule for the standard normal law on `[−Mh, Mh]`: nodes `zₖ = kh`,
/// weights `h φ(zₖ)`, `k = −M … M`.
///
/// Chosen over Gauss–Hermite because activations such as `tanh` and `sigmoid` have poles near
/// the real axis: Gauss–Hermite then converges only like `exp(−c√p)` (at variance 1.9,
/// `E[tanh²]` is off by 7·10⁻⁷ with 64 nodes), while the trapezoidal rule on ℝ converges like
/// `exp(−2πd/h)` for integrands analytic in the strip `|Im z| < d` (Trefethen & Weideman 2014),
/// and the truncation at `|z| = Mh ≥ 8.4` costs `2Φ(−8.4) < 10⁻¹⁶`.
struct TrapezoidRule: Sendable {
  var nodes: [Double]
  var weights: [Double]

  init(spacing h: Double, halfCount m: Int) {
    nodes = (-m...m).map { Double($0) * h }
    weights = nodes.map { h * exp(-0.5 * $0 * $0) / (2 * Double.pi).squareRoot() }
  }

  var degree: Int { nodes.count }
}

/// Quadrature of `E[ψ(y₀, y₁)]` with `y = L z`, `L` the Cholesky factor of `[[a, c], [c, b]]`
/// (`y₀ = √a z₀`, `y₁ = (c/√a) z₀ + √(b − c²/a) z₁`; a singular covariance gives `L`'s zero
/// column, so `|ρ| = 1` needs no special case), by the tensor trapezoidal rule of spacing `h`
/// (``TrapezoidRule``). The error estimate starts from `|T_h − T_{2h}|`, the difference from the rule
/// on every other node (the lower-degree rule, nested, so free), refined by the rule on every
/// fourth node (``integrateWithError(_:_:_:_:)``). The change of the value when the covariance
/// moves by its inherited error uses `T_{2h}` alone.
struct QuadraturePlan: Sendable {
  var tape: Tape
  var dimension: Int
  var high: TrapezoidRule
  var low: TrapezoidRule

  /// Spacing and nodes per half-line (multiples of 4, for the nested rules): 1-D `h = 0.1` to
  /// `|z| = 8.4`, 2-D `h = 0.2` to `|z| = 8.8`.
  static let oneDimensional = (spacing: 0.1, halfCount: 84)
  static let twoDimensional = (spacing: 0.2, halfCount: 44)

  init(_ psi: CoordExpr, dimension: Int) {
    tape = Tape(psi, scalars: [], writesOutput: true)
    self.dimension = dimension
    let rule = dimension == 1 ? Self.oneDimensional : Self.twoDimensional
    high = TrapezoidRule(spacing: rule.spacing, halfCount: rule.halfCount)
    low = TrapezoidRule(spacing: 2 * rule.spacing, halfCount: rule.halfCount / 2)
  }

  /// Nodes of the larger rule's grid.
  var nodeCount: Int { dimension == 1 ? high.degree : high.degree * high.degree }
  /// Doubles of scratch one evaluation needs.
  var scratchCount: Int { (tape.slotCount + 2) * nodeCount }

  /// `T_h` and its estimated error at `(a, b, c)`, from one evaluation of `ψ` on the fine grid
  /// and the nested rules `T_{2h}`, `T_{4h}` on every second and fourth node: with
  /// `d₁ = |T_h − T_{2h}|`, `d₂ = |T_{2h} − T_{4h}|`, the error is `d₁²/d₂` when the rules
  /// converge geometrically (`d₁ ≤ d₂/4`, faster than the `h²` of a kink; for `e(h) ∝ e^{−c/h}`
  /// the true error is `d₁³/d₂²`, smaller still — the estimate of double-exponential
  /// quadrature codes), and `d₁` otherwise; never below `10⁻¹⁵ Σ wᵢ|ψᵢ|` (rounding).
  func integrateWithError(_ a: Double, _ b: Double, _ c: Double, _ scratch: UnsafeMutablePointer<Double>)
    -> (Double, Double)
  {
    guard let out = evaluate(high, a, b, c, scratch) else { return (fixed, 0) }
    let p = high.degree
    var t1 = 0.0
    var t2 = 0.0
    var t4 = 0.0
    var magnitude = 0.0
    high.weights.withUnsafeBufferPointer { w in
      if dimension == 1 {
        for i in 0..<p {
          let x = w[i] * out[i]
          t1 += x
          magnitude += Swift.abs(x)
          if i % 2 == 0 { t2 += 2 * x }
          if i % 4 == 0 { t4 += 4 * x }
        }
      } else {
        for i in 0..<p {
          var r1 = 0.0
          var r2 = 0.0
          var r4 = 0.0
          var m = 0.0
          for j in 0..<p {
            let x = w[j] * out[i * p + j]
            r1 += x
            m += Swift.abs(x)
            if j % 2 == 0 { r2 += 2 * x }
            if j % 4 == 0 { r4 += 4 * x }
          }
          t1 += w[i] * r1
          magnitude += w[i] * m
          if i % 2 == 0 { t2 += 2 * w[i] * r2 }
          if i % 4 == 0 { t4 += 4 * w[i] * r4 }
        }
      }
    }
    let d1 = Swift.abs(t1 - t2)
    let d2 = Swift.abs(t2 - t4)
    let estimate = d2 > 0 && d1 <= d2 / 4 ? d1 * d1 / d2 : d1
    return (t1, max(estimate, 1e-15 * magnitude))
  }

  /// `E[ψ]` by `rule` at `(a, b, c)`.
  func integrate(
    _ rule: TrapezoidRule, _ a: Double, _ b: Double, _ c: Double, _ scratch: UnsafeMutablePointer<Double>
  ) -> Double {
    guard let out = evaluate(rule, a, b, c, scratch) else { return fixed }
    let p = rule.degree
    var sum = 0.0
    rule.weights.withUnsafeBufferPointer { w in
      if dimension == 1 {
        for i in 0..<p { sum += w[i] * out[i] }
      } else {
        for i in 0..<p {
          var row = 0.0
          for j in 0..<p { row += w[j] * out[i * p + j] }
          sum += w[i] * row
        }
      }
    }
    return sum
  }

  /// The value of a constant integrand.
  var fixed: Double {
    if case .constant(let v) = tape.result { return v }
    return 0
  }

  /// `ψ` on `rule`'s grid (row `i` for `z₀ = zᵢ`), in `scratch`; nil for a constant `ψ`.
  func evaluate(
    _ rule: TrapezoidRule, _ a: Double, _ b: Double, _ c: Double, _ scratch: UnsafeMutablePointer<Double>
  ) -> UnsafeMutablePointer<Double>? {
    let p = rule.degree
    let count = dimension == 1 ? p : p * p
    let stride = nodeCount
    let y0 = scratch
    let y1 = scratch + stride
    let s0 = max(a, 0).squareRoot()
    let l10 = s0 > 0 ? c / s0 : 0
    let l11 = max(b - l10 * l10, 0).squareRoot()
    rule.nodes.withUnsafeBufferPointer { z in
      if dimension == 1 {
        for i in 0..<p {
          y0[i] = s0 * z[i]
          y1[i] = 0
        }
      } else {
        for i in 0..<p {
          for j in 0..<p {
            y0[i * p + j] = s0 * z[i]
            y1[i * p + j] = l10 * z[i] + l11 * z[j]
          }
        }
      }
    }
    return withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Double>.self, capacity: tape.slotCount) {
      slots in
      for (k, v) in tape.inputs.enumerated() { slots[k] = v.raw == 0 ? y0 : y1 }
      for k in tape.inputs.count..<tape.slotCount { slots[k] = scratch + (2 + k) * stride }
      // safe: slotCount ≥ 1
      tape.evaluate(count: count, slots: UnsafePointer(slots.baseAddress!))
      switch tape.result {
      case .constant: return nil
      case .slot(let k): return slots[k]
      }
    }
  }
}
