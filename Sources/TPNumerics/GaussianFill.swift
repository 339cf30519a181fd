import Foundation

/// Addressable standard normal numbers.
///
/// The standard normal number at global index `g` of sequence `(seed, stream)` is a fixed
/// function of `(seed, stream, g)`: it is made from word `g mod 2` of Philox block `g / 2`
/// by the ziggurat method, and in the rare case that the ziggurat rejects that word (about
/// 1.5% of indices) the retries draw on auxiliary Philox blocks keyed by
/// `seedMix(seed, γ + j)` at counter `g`, again a function of `g` alone. So filling a long
/// vector at once or in any split into pieces gives the same numbers.
public enum GaussianFill {
  /// Writes the standard normal numbers at global indices `offset, offset + 1, …,
  /// offset + out.count − 1` of sequence `(seed, stream)` into `out`.
  ///
  /// Element `k` depends only on `(seed, stream, offset + k)`, so `fill(out[0..<a], offset: o)`
  /// followed by `fill(out[a..<n], offset: o + a)` equals one `fill(out[0..<n], offset: o)`
  /// bit for bit, for any `a` and any (even or odd) `o`. Indices wrap modulo 2⁶⁴.
  /// Cost: one Philox block per two numbers plus a table lookup; serial (callers split
  /// rows across threads themselves).
  public static func fill(
    _ out: UnsafeMutableBufferPointer<Double>, seed: UInt64, stream: UInt64, offset: UInt64
  ) {
    let n = out.count
    guard n > 0, let base = out.baseAddress else { return }
    Ziggurat.shared.fill(
      base, count: n, seed: seed, stream: stream, offset: offset, vectorized: BuildMode.prefersSIMD)
  }

  /// Convenience: `count` standard normal numbers starting at global index `offset`.
  public static func gaussians(count: Int, seed: UInt64, stream: UInt64, offset: UInt64 = 0) -> [Double] {
    [Double](unsafeUninitializedCapacity: max(count, 0)) { buffer, initialized in
      fill(buffer, seed: seed, stream: stream, offset: offset)
      initialized = max(count, 0)
    }
  }

  /// `CounterRandom.seedMix(a, b)`, repeated here for callers that derive per-row seeds.
  @inlinable
  public static func seedMix(_ a: UInt64, _ b: UInt64) -> UInt64 { CounterRandom.seedMix(a, b) }
}

/// The ziggurat sampler for the standard normal law, in Doornik's "ZIGNOR" form
/// (J. A. Doornik, "An improved ziggurat method to generate normal random samples", 2005),
/// with 256 layers (Marsaglia & Tsang's constants for 256 layers).
///
/// The density `f(x) = exp(−x²/2)` on `x ≥ 0` is covered by 256 horizontal layers of equal
/// area `V`: layer `i ≥ 1` is the rectangle `[0, xᵢ] × [f(xᵢ), f(xᵢ₊₁)]` and layer 0 is the
/// rectangle `[0, R] × [0, f(R)]` together with the tail beyond `R`, drawn as a box of width
/// `x₀ = V / f(R)`. Choosing a layer uniformly and a point `u·xᵢ` uniformly across it samples
/// the area under the staircase; the point is certainly under `f` when `u·xᵢ < xᵢ₊₁`
/// (the fast path, one comparison), and is otherwise accepted by an exact wedge test or,
/// in layer 0, replaced by an exact tail sample (Marsaglia's method). Rejection sampling
/// from a cover is exact, so the output law is the normal law up to the resolution of the
/// 52-bit uniforms. Layer, sign and uniform come from disjoint bits of one word, which
/// avoids the correlation Doornik found in the original method.
struct Ziggurat: Sendable {
  /// `R`, where the tail starts, and `V`, the common layer area, for 256 layers.
  static let tailStart = 3.6541528853610088
  static let layerArea = 0.00492867323399

  /// Built once; immutable afterwards.
  static let shared = Ziggurat()

  /// `x[0…256]`: layer widths, decreasing from `x₀ = V/f(R)`, `x₁ = R` to `x₂₅₆ = 0`.
  let x: [Double]
  /// `ratio[i] = xᵢ₊₁ / xᵢ`: the fast-path acceptance bound for layer `i`.
  let ratio: [Double]

  init() {
    let r = Self.tailStart
    let v = Self.layerArea
    var x = [Double](repeating: 0, count: 257)
    var f = exp(-0.5 * r * r)
    x[0] = v / f
    x[1] = r
    // Equal areas: xᵢ (f(xᵢ₊₁) − f(xᵢ)) = V determines xᵢ₊₁ from xᵢ.
    for i in 2..<256 {
      x[i] = (-2 * log(v / x[i - 1] + f)).squareRoot()
      f = exp(-0.5 * x[i] * x[i])
    }
    x[256] = 0
    self.x = x
    self.ratio = (0..<256).map { x[$0 + 1] / x[$0] }
  }

  /// The normal number for `word`, which sits at global index `index` of `(seed, stream)`.
  @inline(__always)
  func normal(word: UInt64, seed: UInt64, stream: UInt64, index: UInt64) -> Double {
    let layer = Int(truncatingIfNeeded: word & 0xFF)
    let u = CounterRandom.uniform(word)
    if u < ratio[layer] {
      return signed(u * x[layer], negative: word & 0x100 != 0)
    }
    return slowNormal(word: word, seed: seed, stream: stream, index: index)
  }

  @inline(__always)
  func signed(_ magnitude: Double, negative: Bool) -> Double {
    negative ? -magnitude : magnitude
  }

  /// The fill loop: two numbers per Philox block, table pointers hoisted out of the loop.
  /// `vectorized` selects eight numbers per pass in SIMD lanes; the scalar loop computes
  /// the same words and the same arithmetic, so the output is the same either way.
  func fill(
    _ out: UnsafeMutablePointer<Double>, count n: Int, seed: UInt64, stream: UInt64, offset: UInt64,
    vectorized: Bool
  ) {
    x.withUnsafeBufferPointer { xs in
      ratio.withUnsafeBufferPointer { rs in
        let k0 = UInt32(truncatingIfNeeded: seed)
        let k1 = UInt32(truncatingIfNeeded: seed >> 32)
        let s0 = UInt32(truncatingIfNeeded: stream)
        let s1 = UInt32(truncatingIfNeeded: stream >> 32)

        @inline(__always) func one(_ word: UInt64, _ index: UInt64) -> Double {
          let layer = Int(truncatingIfNeeded: word & 0xFF)
          let u = CounterRandom.uniform(word)
          if _fastPath(u < rs[layer]) {
            let m = u * xs[layer]
            // Sign from bit 8: set the IEEE sign bit instead of branching.
            return Double(bitPattern: m.bitPattern | ((word & 0x100) << 55))
          }
          return slowNormal(word: word, seed: seed, stream: stream, index: index)
        }
        @inline(__always) func block(_ b: UInt64) -> (UInt64, UInt64) {
          let w = CounterRandom.philox4x32(
            UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), s0, s1, key: k0, k1)
          return (UInt64(w.1) << 32 | UInt64(w.0), UInt64(w.3) << 32 | UInt64(w.2))
        }

        var k = 0
        var g = offset
        if g & 1 == 1 {
          out[0] = one(block(g >> 1).1, g)
          k = 1
          g &+= 1
        }
        // Eight numbers (four blocks) per pass: Philox in SIMD lanes, the ziggurat fast path
        // vectorised, and any lane that misses it redone by the scalar path.
        let laneOffsets = SIMD4<UInt64>(0, 1, 2, 3)
        let layerMask = SIMD4<UInt64>(repeating: 0xFF)
        let signMask = SIMD4<UInt64>(repeating: 0x100)
        let one64 = SIMD4<UInt64>(repeating: 0x3FF0_0000_0000_0000)
        let shift = SIMD4<Double>(repeating: 1 - 0x1p-53)
        let stream0 = SIMD4(repeating: UInt64(s0))
        let stream1 = SIMD4(repeating: UInt64(s1))

        /// The ziggurat fast path on four words at once: the candidate values and whether
        /// each one is accepted.
        @inline(__always) func candidates(_ words: SIMD4<UInt64>) -> (SIMD4<Double>, SIMDMask<SIMD4<Int64>>) {
          let mantissa: SIMD4<UInt64> = one64 | (words &>> 12)
          let u: SIMD4<Double> = unsafeBitCast(mantissa, to: SIMD4<Double>.self) - shift
          let layers: SIMD4<UInt64> = words & layerMask
          let l0 = Int(truncatingIfNeeded: layers[0])
          let l1 = Int(truncatingIfNeeded: layers[1])
          let l2 = Int(truncatingIfNeeded: layers[2])
          let l3 = Int(truncatingIfNeeded: layers[3])
          let bound = SIMD4<Double>(rs[l0], rs[l1], rs[l2], rs[l3])
          let width = SIMD4<Double>(xs[l0], xs[l1], xs[l2], xs[l3])
          let signs: SIMD4<UInt64> = (words & signMask) &<< 55
          let magnitude: SIMD4<UInt64> = unsafeBitCast(u * width, to: SIMD4<UInt64>.self)
          return (unsafeBitCast(magnitude | signs, to: SIMD4<Double>.self), u .< bound)
        }

        // (Near the end of the index space the lanes would not wrap like the indices do;
        // the scalar loop below takes over there.)
        while vectorized && k + 8 <= n && g <= UInt64.max - 7 {
          let b: SIMD4<UInt64> = SIMD4(repeating: g >> 1) &+ laneOffsets
          let bHigh: SIMD4<UInt64> = b &>> 32
          let w = CounterRandom.philox4x32(lanes: b, bHigh, stream0, stream1, key: k0, k1)
          // Block l supplies indices g + 2l (word 0) and g + 2l + 1 (word 1).
          let words0: SIMD4<UInt64> = (w.1 &<< 32) | w.0
          let words1: SIMD4<UInt64> = (w.3 &<< 32) | w.2
          let (z0, fast0) = candidates(words0)
          let (z1, fast1) = candidates(words1)
          if _fastPath(all(fast0 .& fast1)) {
            let first = SIMD4<Double>(z0[0], z1[0], z0[1], z1[1])
            let second = SIMD4<Double>(z0[2], z1[2], z0[3], z1[3])
            let p = UnsafeMutableRawPointer(out + k)
            p.storeBytes(of: first, as: SIMD4<Double>.self)
            p.storeBytes(of: second, toByteOffset: 32, as: SIMD4<Double>.self)
          } else {
            for lane in 0..<4 {
              let i = k + 2 * lane
              let gi = g &+ UInt64(2 * lane)
              if fast0[lane] {
                out[i] = z0[lane]
              } else {
                out[i] = slowNormal(word: words0[lane], seed: seed, stream: stream, index: gi)
              }
              if fast1[lane] {
                out[i + 1] = z1[lane]
              } else {
                out[i + 1] = slowNormal(word: words1[lane], seed: seed, stream: stream, index: gi &+ 1)
              }
            }
          }
          k += 8
          g &+= 8
        }
        while k + 1 < n {
          let (w0, w1) = block(g >> 1)
          out[k] = one(w0, g)
          out[k + 1] = one(w1, g &+ 1)
          k += 2
          g &+= 2
        }
        if k < n {
          out[k] = one(block(g >> 1).0, g)
        }
      }
    }
  }

  /// Everything after a fast-path miss: the wedge test, the tail, and further attempts.
  /// Extra randomness for index `g` comes from `AuxiliaryWords`, itself a function of `g`.
  @inline(never)
  func slowNormal(word first: UInt64, seed: UInt64, stream: UInt64, index: UInt64) -> Double {
    var aux = AuxiliaryWords(seed: seed, stream: stream, index: index)
    var word = first
    while true {
      let layer = Int(truncatingIfNeeded: word & 0xFF)
      let negative = word & 0x100 != 0
      let u = CounterRandom.uniform(word)
      if u < ratio[layer] { return signed(u * x[layer], negative: negative) }
      if layer == 0 {
        // Marsaglia's tail method: for ξ = −log(U₁)/R, η = −log(U₂), accepting when
        // 2η > ξ² makes R + ξ follow the normal law conditioned on exceeding R.
        while true {
          let xi = -log(CounterRandom.uniform(aux.next())) / Self.tailStart
          let eta = -log(CounterRandom.uniform(aux.next()))
          if 2 * eta > xi * xi { return signed(Self.tailStart + xi, negative: negative) }
        }
      }
      // Wedge: the point (z, y) with y uniform in [f(xᵢ), f(xᵢ₊₁)] lies under f(z) iff
      // y / f(z) < 1; both bounds are computed relative to f(z) to stay in range.
      let z = u * x[layer]
      let f0 = exp(-0.5 * (x[layer] * x[layer] - z * z))
      let f1 = exp(-0.5 * (x[layer + 1] * x[layer + 1] - z * z))
      if f1 + CounterRandom.uniform(aux.next()) * (f0 - f1) < 1 { return signed(z, negative: negative) }
      word = aux.next()
    }
  }
}

/// The extra words a rejected ziggurat draw at global index `g` consumes, in order:
/// word `m` is half `m mod 2` of the Philox block at counter `g` under key
/// `seedMix(seed, γ + m/2)`. Keys derived by `seedMix` make these blocks independent of the
/// main sequence and of each other.
struct AuxiliaryWords {
  let seed: UInt64
  let stream: UInt64
  let index: UInt64
  var used: UInt64 = 0
  var words: (UInt64, UInt64) = (0, 0)

  init(seed: UInt64, stream: UInt64, index: UInt64) {
    self.seed = seed
    self.stream = stream
    self.index = index
  }

  mutating func next() -> UInt64 {
    if used & 1 == 0 {
      let key = CounterRandom.seedMix(seed, 0x9E37_79B9_7F4A_7C15 &+ (used >> 1))
      words = CounterRandom.bits(seed: key, stream: stream, counter: index)
    }
    defer { used &+= 1 }
    return used & 1 == 0 ? words.0 : words.1
  }
}
