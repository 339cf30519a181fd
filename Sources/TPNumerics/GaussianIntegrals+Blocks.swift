/// The closed forms of ``GaussianIntegrals`` over many covariances at once, four lanes at a
/// time: the inner loop of an NNGP/NTK Gram matrix at data-set scale.
extension GaussianIntegrals {
  /// A bivariate closed form evaluated in blocks.
  public enum PairForm: Sendable, Equatable {
    /// ``reluRelu(_:_:_:)``.
    case reluRelu
    /// ``stepStep(_:_:_:)``.
    case stepStep
    /// ``erfErf(_:_:_:)``.
    case erfErf
  }

  /// A read-only column of numbers: entry `i` at `base[i · stride]` (stride 0 repeats one value).
  public struct Strided {
    public var base: UnsafePointer<Double>
    public var stride: Int
    public init(_ base: UnsafePointer<Double>, stride: Int) {
      self.base = base
      self.stride = stride
    }
    @inlinable @inline(__always)
    subscript(i: Int) -> Double { base[i &* stride] }
    @inlinable @inline(__always)
    func lanes(_ i: Int) -> SIMD4<Double> {
      stride == 0
        ? SIMD4(repeating: base[0]) : SIMD4(self[i], self[i &+ 1], self[i &+ 2], self[i &+ 3])
    }
  }

  /// Where one form's values go: `out[i] = scale · form(…)`.
  public struct BlockOutput {
    public var scale: Double
    public var out: UnsafeMutablePointer<Double>
    public init(scale: Double, out: UnsafeMutablePointer<Double>) {
      self.scale = scale
      self.out = out
    }
    @inlinable @inline(__always)
    func store(_ v: SIMD4<Double>, at i: Int) {
      let s = scale * v
      out[i] = s[0]
      out[i &+ 1] = s[1]
      out[i &+ 2] = s[2]
      out[i &+ 3] = s[3]
    }
  }

  /// `x` clamped to `[−1, 1]` lane by lane (the scalar forms' `min(max(x, −1), 1)`).
  @inlinable @inline(__always)
  static func clamp(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let one = SIMD4<Double>(repeating: 1)
    let low = x.replacing(with: -one, where: x .< -one)
    return low.replacing(with: one, where: low .> one)
  }

  /// The arc-cosine kernels of degree 1 and 0 at `(k11[i], k12[i], k22[i])`, `i < count`, into
  /// `relu` (``reluRelu(_:_:_:)``) and `step` (``stepStep(_:_:_:)``), either or both: both share
  /// `s`, `ρ` and `θ = arccos ρ`, computed once. Each lane performs the scalar forms' operations
  /// in the same order (``InverseTrigonometric``'s four-lane `acos`, the same clamps and
  /// zero-variance cases), so every value equals the scalar one bit for bit.
  public static func evaluateArcCosine(
    count: Int, k11: Strided, k12: Strided, k22: Strided, relu: BlockOutput?, step: BlockOutput?
  ) {
    let one = SIMD4<Double>(repeating: 1)
    var i = 0
    while i + 4 <= count {
      let a = k11.lanes(i)
      let c = k12.lanes(i)
      let b = k22.lanes(i)
      // scaleAndCorrelation: s = √(ab) (√a·√b where ab over- or underflows), ρ = clamp(c/s);
      // a or b ≤ 0 gives 0.
      let invalid = .!((a .> 0) .& (b .> 0))
      let product = (a * b).replacing(with: one, where: invalid)
      let outside = (product .< .leastNormalMagnitude) .| (product .> .greatestFiniteMagnitude)
      var s = product.squareRoot()
      if any(outside) { s = s.replacing(with: a.squareRoot() * b.squareRoot(), where: outside) }
      let rho = clamp(c / s)
      let remaining = .pi - InverseTrigonometric.acos(rho)
      if let relu {
        let sinTheta = (one - rho * rho).squareRoot()
        relu.store((s / (2 * .pi) * (sinTheta + remaining * rho)).replacing(with: 0, where: invalid), at: i)
      }
      if let step { step.store((remaining / (2 * .pi)).replacing(with: 0, where: invalid), at: i) }
      i += 4
    }
    while i < count {
      if let relu { relu.out[i] = relu.scale * reluRelu(k11[i], k12[i], k22[i]) }
      if let step { step.out[i] = step.scale * stepStep(k11[i], k12[i], k22[i]) }
      i += 1
    }
  }

  /// `output ← form(k11[i], k12[i], k22[i])`, `i < count`: `lanes` four at a time, `scalar` for
  /// the tail. The two must perform the same operations in the same order.
  @inline(__always)
  static func forEachLane(
    count: Int, k11: Strided, k12: Strided, k22: Strided, into output: BlockOutput,
    lanes: (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>) -> SIMD4<Double>,
    scalar: (Double, Double, Double) -> Double
  ) {
    var i = 0
    while i + 4 <= count {
      output.store(lanes(k11.lanes(i), k12.lanes(i), k22.lanes(i)), at: i)
      i += 4
    }
    while i < count {
      output.out[i] = output.scale * scalar(k11[i], k12[i], k22[i])
      i += 1
    }
  }

  /// Williams' ``erfErf(_:_:_:)`` at `(k11[i], k12[i], k22[i])`, `i < count`, into `output`, four
  /// lanes at a time with the scalar form's operations (bit for bit equal).
  public static func evaluateErf(
    count: Int, k11: Strided, k12: Strided, k22: Strided, into output: BlockOutput
  ) {
    let zero = SIMD4<Double>(repeating: 0)
    let one = SIMD4<Double>(repeating: 1)
    forEachLane(
      count: count, k11: k11, k12: k12, k22: k22, into: output,
      lanes: { a, c, b in
        let aa = a.replacing(with: zero, where: a .< zero)
        let bb = b.replacing(with: zero, where: b .< zero)
        let argument = 2 * c / ((one + 2 * aa) * (one + 2 * bb)).squareRoot()
        return 2 / .pi * InverseTrigonometric.asin(clamp(argument))
      }, scalar: erfErf)
  }

  /// ``gaussianGaussian(_:_:_:)`` at `(k11[i], k12[i], k22[i])`, `i < count`, into `output`, four
  /// lanes at a time with the scalar form's operations (bit for bit equal).
  public static func evaluateGaussianGaussian(
    count: Int, k11: Strided, k12: Strided, k22: Strided, into output: BlockOutput
  ) {
    let zero = SIMD4<Double>(repeating: 0)
    let one = SIMD4<Double>(repeating: 1)
    forEachLane(
      count: count, k11: k11, k12: k12, k22: k22, into: output,
      lanes: { a0, c0, b0 in
        let a = a0.replacing(with: zero, where: a0 .< zero)
        let b = b0.replacing(with: zero, where: b0 .< zero)
        let product = a * b
        let bound = product.squareRoot()
        let low = c0.replacing(with: -bound, where: c0 .< -bound)
        let c = low.replacing(with: bound, where: low .> bound)
        let determinant = product - c * c
        let positive = determinant.replacing(
          with: zero, where: .!(determinant .>= zero) .| .!(product .< .infinity))
        return one / (one + 2 * (a + b) + 4 * positive).squareRoot()
      }, scalar: gaussianGaussian)
  }
}
