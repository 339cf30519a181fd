import Foundation

/// The loops a tape runs: one tight loop per operation and operand kind.
///
/// The operand kinds (array or immediate) and the function are switched on once per chunk,
/// outside the loop; inside, each loop body is a fixed formula that the compiler inlines (the
/// `@inline(__always)` helpers take closure literals, so nothing is called per coordinate).
public enum TapeKernels {
  typealias Slots = UnsafePointer<UnsafeMutablePointer<Double>>

  // MARK: Scalar semantics (used for folding constant operands)

  static func apply(_ u: Tape.Unary, _ x: Double) -> Double {
    switch u {
    case .negate: return -x
    case .function(let f): return f(x)
    }
  }

  static func apply(_ b: Tape.Binary, _ x: Double, _ y: Double) -> Double {
    switch b {
    case .add: return x + y
    case .subtract: return x - y
    case .multiply: return x * y
    case .divide: return x / y
    case .power: return Foundation.pow(x, y)
    }
  }

  // MARK: Array loops

  static func unary(
    _ u: Tape.Unary, _ a: Tape.Operand, into d: UnsafeMutablePointer<Double>, count n: Int, slots: Slots
  ) {
    switch u {
    case .negate: map(a, d, n, slots) { -$0 }
    case .function(let f):
      switch f {
      case .relu: map(a, d, n, slots) { Function.relu.callAsFunction($0) }
      case .tanh: map(a, d, n, slots) { Function.tanh.callAsFunction($0) }
      case .erf: map(a, d, n, slots) { Function.erf.callAsFunction($0) }
      case .sigmoid: map(a, d, n, slots) { Function.sigmoid.callAsFunction($0) }
      case .gelu: map(a, d, n, slots) { Function.gelu.callAsFunction($0) }
      case .softplus: map(a, d, n, slots) { Function.softplus.callAsFunction($0) }
      case .sin: map(a, d, n, slots) { Function.sin.callAsFunction($0) }
      case .cos: map(a, d, n, slots) { Function.cos.callAsFunction($0) }
      case .exp: map(a, d, n, slots) { Function.exp.callAsFunction($0) }
      case .abs: map(a, d, n, slots) { Function.abs.callAsFunction($0) }
      case .step: map(a, d, n, slots) { Function.step.callAsFunction($0) }
      case .sign: map(a, d, n, slots) { Function.sign.callAsFunction($0) }
      case .identity: map(a, d, n, slots) { $0 }
      case .sqrt: map(a, d, n, slots) { Function.sqrt.callAsFunction($0) }
      case .log: map(a, d, n, slots) { Function.log.callAsFunction($0) }
      }
    }
  }

  static func binary(
    _ b: Tape.Binary, _ x: Tape.Operand, _ y: Tape.Operand, into d: UnsafeMutablePointer<Double>,
    count n: Int,
    slots: Slots
  ) {
    switch b {
    case .add: zip(x, y, d, n, slots) { $0 + $1 }
    case .subtract: zip(x, y, d, n, slots) { $0 - $1 }
    case .multiply: zip(x, y, d, n, slots) { $0 * $1 }
    case .divide: zip(x, y, d, n, slots) { $0 / $1 }
    case .power: zip(x, y, d, n, slots) { Foundation.pow($0, $1) }
    }
  }

  @inline(__always)
  static func map(
    _ a: Tape.Operand, _ d: UnsafeMutablePointer<Double>, _ n: Int, _ slots: Slots, _ f: (Double) -> Double
  ) {
    switch a {
    case .slot(let i):
      let p = slots[i]
      for k in 0..<n { d[k] = f(p[k]) }
    case .constant(let c): d.update(repeating: f(c), count: n)
    }
  }

  @inline(__always)
  static func zip(
    _ x: Tape.Operand, _ y: Tape.Operand, _ d: UnsafeMutablePointer<Double>, _ n: Int, _ slots: Slots,
    _ f: (Double, Double) -> Double
  ) {
    switch (x, y) {
    case (.slot(let i), .slot(let j)):
      let p = slots[i]
      let q = slots[j]
      for k in 0..<n { d[k] = f(p[k], q[k]) }
    case (.slot(let i), .constant(let c)):
      let p = slots[i]
      for k in 0..<n { d[k] = f(p[k], c) }
    case (.constant(let c), .slot(let j)):
      let q = slots[j]
      for k in 0..<n { d[k] = f(c, q[k]) }
    case (.constant(let c), .constant(let e)): d.update(repeating: f(c, e), count: n)
    }
  }

  // MARK: Reductions

  /// `Σ p[k]` over `k < n` in a fixed order: four interleaved partial sums, combined pairwise,
  /// then the leftover terms. The order depends only on `n`, so a chunk's sum is reproducible.
  public static func sum(_ p: UnsafePointer<Double>, count n: Int) -> Double {
    var s0 = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var s3 = 0.0
    var k = 0
    while k + 4 <= n {
      s0 += p[k]
      s1 += p[k + 1]
      s2 += p[k + 2]
      s3 += p[k + 3]
      k += 4
    }
    var s = (s0 + s1) + (s2 + s3)
    while k < n {
      s += p[k]
      k += 1
    }
    return s
  }

  /// True when every `p[k]` is finite: `Σ 0·p[k]` is 0 exactly then, and NaN as soon as one
  /// entry is NaN or ±Inf (`0·∞` is NaN). Branch-free, so it vectorizes.
  public static func allFinite(_ p: UnsafePointer<Double>, count n: Int) -> Bool {
    var s = 0.0
    for k in 0..<n { s += 0 * p[k] }
    return s == 0
  }
}
