/// `arccos` and `arcsin` without branches or a library call, so that a loop over a block of
/// correlations compiles to straight-line (vectorizable) code: the arc-cosine kernels
/// (`E[relu relu]`, `E[step step]`) and Williams' `E[erf erf]` spend most of their time here at
/// data-set scale.
///
/// The reduction and the rational approximation are those of FreeBSD's `msun` (fdlibm,
/// `e_asin.c`/`e_acos.c`, Sun Microsystems 1993): on `|x| < ½`, `asin x = x + x·R(x²)`; on
/// `|x| ≥ ½`, with `z = (1 − |x|)/2` (exact by Sterbenz's lemma) and `s = √z`,
/// `asin |x| = π/2 − 2 asin s` and `acos x = 2 asin s` (`x > 0`) or `π − 2 asin s` (`x < 0`),
/// where `asin s = s + s·R(z)`. `R(t) = t·P(t)/Q(t)` approximates `(asin √t − √t)/√t` on
/// `[0, ¼]` with error below `2⁻⁵⁸`. fdlibm's extra-precision splitting of `s` is left out:
/// the results are within 2 ulp of the correctly rounded values (tested against the C
/// library's on a dense grid and at the reduction boundaries), against fdlibm's 1 ulp.
/// Arguments outside `[−1, 1]` are clamped; NaN gives NaN.
public enum InverseTrigonometric {
  // fdlibm's coefficients of P and Q.
  @usableFromInline static let p0 = 1.666_666_666_666_666_574_15e-01
  @usableFromInline static let p1 = -3.255_658_186_224_009_154_05e-01
  @usableFromInline static let p2 = 2.012_125_321_348_629_258_81e-01
  @usableFromInline static let p3 = -4.005_553_450_067_941_140_27e-02
  @usableFromInline static let p4 = 7.915_349_942_898_145_321_76e-04
  @usableFromInline static let p5 = 3.479_331_075_960_211_675_70e-05
  @usableFromInline static let q1 = -2.403_394_911_734_414_218_78e+00
  @usableFromInline static let q2 = 2.020_945_760_233_505_694_71e+00
  @usableFromInline static let q3 = -6.882_839_716_054_532_930_30e-01
  @usableFromInline static let q4 = 7.703_815_055_590_193_527_91e-02
  /// `π/2 = halfPiHigh + halfPiLow` to about 2⁻¹⁰⁶.
  @usableFromInline static let halfPiHigh = 1.570_796_326_794_896_558_00e+00
  @usableFromInline static let halfPiLow = 6.123_233_995_736_766_035_87e-17

  /// `asin |x|` split as `(u, small)`: `u = asin |x|` when `|x| < ½`, else `u = asin √((1 − |x|)/2)`.
  @inlinable @inline(__always)
  static func reduced(_ x: Double) -> (u: Double, small: Bool) {
    let ax = Swift.min(Swift.abs(x), 1)
    let small = ax < 0.5
    let z = small ? ax * ax : (1 - ax) * 0.5
    let s = small ? ax : z.squareRoot()
    let p = z * (p0 + z * (p1 + z * (p2 + z * (p3 + z * (p4 + z * p5)))))
    let q = 1 + z * (q1 + z * (q2 + z * (q3 + z * q4)))
    return (s + s * (p / q), small)
  }

  /// `arccos x ∈ [0, π]` for `x ∈ [−1, 1]` (clamped).
  @inlinable @inline(__always)
  public static func acos(_ x: Double) -> Double {
    let (u, small) = reduced(x)
    if small { return halfPiHigh - ((x < 0 ? -u : u) - halfPiLow) }
    return x > 0 ? 2 * u : 2 * (halfPiHigh - u) + 2 * halfPiLow
  }

  /// `arcsin x ∈ [−π/2, π/2]` for `x ∈ [−1, 1]` (clamped).
  @inlinable @inline(__always)
  public static func asin(_ x: Double) -> Double {
    let (u, small) = reduced(x)
    let magnitude = small ? u : halfPiHigh - (2 * u - halfPiLow)
    return x < 0 ? -magnitude : magnitude
  }
}

extension InverseTrigonometric {
  /// Four lanes of ``reduced(_:)``, the same operations in the same order (so each lane equals
  /// the scalar result bit for bit).
  @inlinable @inline(__always)
  static func reduced(_ x: SIMD4<Double>) -> (u: SIMD4<Double>, small: SIMDMask<SIMD4<Int64>>) {
    let one = SIMD4<Double>(repeating: 1)
    let magnitude = x.replacing(with: -x, where: x .< 0)
    let ax = magnitude.replacing(with: one, where: magnitude .> one)
    let small = ax .< 0.5
    let z = ((one - ax) * 0.5).replacing(with: ax * ax, where: small)
    let s = z.squareRoot().replacing(with: ax, where: small)
    // Horner's rule written out: one expression is too much for the type checker.
    var p: SIMD4<Double> = z * p5 + p4
    p = z * p + p3
    p = z * p + p2
    p = z * p + p1
    p = z * p + p0
    p = z * p
    var q: SIMD4<Double> = z * q4 + q3
    q = z * q + q2
    q = z * q + q1
    q = z * q + one
    return (s + s * (p / q), small)
  }

  /// ``acos(_:)-(Double)`` in four lanes.
  @inlinable @inline(__always)
  public static func acos(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let (u, small) = reduced(x)
    let negative = x .< 0
    let signed = u.replacing(with: -u, where: negative)
    let central = halfPiHigh - (signed - halfPiLow)
    let outer = (2 * u).replacing(with: 2 * (halfPiHigh - u) + 2 * halfPiLow, where: .!(x .> 0))
    return outer.replacing(with: central, where: small)
  }

  /// ``asin(_:)-(Double)`` in four lanes.
  @inlinable @inline(__always)
  public static func asin(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let (u, small) = reduced(x)
    let magnitude = (halfPiHigh - (2 * u - halfPiLow)).replacing(with: u, where: small)
    return magnitude.replacing(with: -magnitude, where: x .< 0)
  }
}
