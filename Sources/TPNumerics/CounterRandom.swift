/// Counter-based random bits: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011).
///
/// A counter-based generator is a keyed bijection of a counter, so the value at any position
/// is computed directly, in O(1), without stepping through the ones before it. That is what
/// makes sampling reproducible under any chunking or thread count: the finite-width executor
/// can regenerate row `i` of a random matrix on whichever thread needs it and get the same
/// numbers every time.
///
/// Here the 64-bit `seed` is the Philox key and the 128-bit Philox counter is
/// `(counter, stream)`, so `(seed, stream)` names an independent sequence of 2⁶⁴ blocks of
/// 128 bits each.
public enum CounterRandom {
  /// The 128-bit Philox4x32-10 block for `counter` in sequence `(seed, stream)`, as two
  /// 64-bit words.
  ///
  /// Philox words: key `(k₀, k₁) = (seed mod 2³², seed / 2³²)`, counter
  /// `(c₀, c₁, c₂, c₃) = (counter mod 2³², counter / 2³², stream mod 2³², stream / 2³²)`;
  /// the four output words `(x₀, x₁, x₂, x₃)` are returned as `(x₁·2³² + x₀, x₃·2³² + x₂)`.
  /// Every input is valid; the map `counter ↦ bits` is a bijection for fixed `seed, stream`.
  @inlinable
  public static func bits(seed: UInt64, stream: UInt64, counter: UInt64) -> (UInt64, UInt64) {
    let x = philox4x32(
      UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32),
      UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32),
      key: UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    return (UInt64(x.1) << 32 | UInt64(x.0), UInt64(x.3) << 32 | UInt64(x.2))
  }

  /// Philox4x32 with 10 rounds on counter words `c` and key words `k`, matching the
  /// Random123 reference implementation (and its known-answer vectors).
  ///
  /// Each round multiplies two counter words by odd constants, keeps both halves of the
  /// 64-bit products and mixes them with the other words and the round key (a Weyl sequence
  /// in the golden-ratio constants). Ten rounds is the variant the authors found to pass
  /// BigCrush with a safety margin.
  @inlinable @inline(__always)
  public static func philox4x32(
    _ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32, key k0: UInt32, _ k1: UInt32
  ) -> (UInt32, UInt32, UInt32, UInt32) {
    var (x0, x1, x2, x3) = (c0, c1, c2, c3)
    var (key0, key1) = (k0, k1)
    for round in 0..<10 {
      if round > 0 {
        key0 &+= 0x9E37_79B9
        key1 &+= 0xBB67_AE85
      }
      let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
      let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
      let hi0 = UInt32(truncatingIfNeeded: p0 >> 32)
      let lo0 = UInt32(truncatingIfNeeded: p0)
      let hi1 = UInt32(truncatingIfNeeded: p1 >> 32)
      let lo1 = UInt32(truncatingIfNeeded: p1)
      (x0, x1, x2, x3) = (hi1 ^ x1 ^ key0, lo1, hi0 ^ x3 ^ key1, lo0)
    }
    return (x0, x1, x2, x3)
  }

  /// Several Philox4x32-10 blocks at once, one per SIMD lane: lane `l` of the result
  /// equals `philox4x32(c0[l], c1[l], c2[l], c3[l], key: k0, k1)`, with each input lane
  /// read modulo 2³² and each output lane below 2³².
  ///
  /// A lane holds a 32-bit word in 64 bits, so each product is one 32×32→64-bit vector
  /// multiply, and the independent blocks advance side by side, hiding the latency of each
  /// round's multiply–xor chain.
  @inlinable @inline(__always)
  public static func philox4x32<V: SIMD>(
    lanes c0: V, _ c1: V, _ c2: V, _ c3: V, key k0: UInt32, _ k1: UInt32
  ) -> (V, V, V, V) where V.Scalar == UInt64 {
    // Only the low 32 bits of each lane matter. The high halves may hold garbage, which
    // never reaches a low half: products read masked low halves, xor is lane-wise, and the
    // results are masked at the end. Skipping per-round masks saves a fifth of the work;
    // `(x & low) &* m` compiles to a single unsigned 32×32→64 multiply.
    let low = V(repeating: 0xFFFF_FFFF)
    var x = (c0, c1, c2, c3)
    // Ten rounds written out with the Weyl key schedule k + r·W (mod 2³²): a loop with a
    // conditional key bump compiles to selects and lane shuffles instead of straight code.
    let w0: UInt32 = 0x9E37_79B9
    let w1: UInt32 = 0xBB67_AE85
    philoxRound(&x, k0, k1, low)
    philoxRound(&x, k0 &+ w0, k1 &+ w1, low)
    philoxRound(&x, k0 &+ 2 &* w0, k1 &+ 2 &* w1, low)
    philoxRound(&x, k0 &+ 3 &* w0, k1 &+ 3 &* w1, low)
    philoxRound(&x, k0 &+ 4 &* w0, k1 &+ 4 &* w1, low)
    philoxRound(&x, k0 &+ 5 &* w0, k1 &+ 5 &* w1, low)
    philoxRound(&x, k0 &+ 6 &* w0, k1 &+ 6 &* w1, low)
    philoxRound(&x, k0 &+ 7 &* w0, k1 &+ 7 &* w1, low)
    philoxRound(&x, k0 &+ 8 &* w0, k1 &+ 8 &* w1, low)
    philoxRound(&x, k0 &+ 9 &* w0, k1 &+ 9 &* w1, low)
    let o0: V = x.0 & low
    let o1: V = x.1 & low
    let o2: V = x.2 & low
    let o3: V = x.3 & low
    return (o0, o1, o2, o3)
  }

  /// One Philox round on SIMD lanes (see `philox4x32(lanes:…)` for why the high halves of
  /// the lanes may hold garbage).
  @inlinable @inline(__always)
  static func philoxRound<V: SIMD>(_ x: inout (V, V, V, V), _ key0: UInt32, _ key1: UInt32, _ low: V)
  where V.Scalar == UInt64 {
    let a0: V = x.0 & low
    let a2: V = x.2 & low
    let p0: V = a0 &* V(repeating: 0xD251_1F53)
    let p1: V = a2 &* V(repeating: 0xCD9E_8D57)
    let h0: V = p0 &>> V(repeating: 32)
    let h1: V = p1 &>> V(repeating: 32)
    let y0: V = h1 ^ x.1
    let y2: V = h0 ^ x.3
    x = (y0 ^ V(repeating: UInt64(key0)), p1, y2 ^ V(repeating: UInt64(key1)), p0)
  }

  /// A 64-bit mixing hash for deriving sub-seeds, e.g. one seed per matrix from a run seed.
  ///
  /// `seedMix(a, b) = m(m(a + γ) ⊕ b)` with `γ = 0x9E3779B97F4A7C15` and `m` the
  /// SplitMix64 finalizer (Stafford's "Mix13"), a bijection of `UInt64` with full avalanche.
  /// Consequently, for fixed `a` the map `b ↦ seedMix(a, b)` is a bijection and so is
  /// `a ↦ seedMix(a, b)` for fixed `b`: distinct sub-seeds of one parent never collide.
  /// The function is not symmetric: `seedMix(a, b) ≠ seedMix(b, a)` in general.
  @inlinable
  public static func seedMix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    mix64(mix64(a &+ 0x9E37_79B9_7F4A_7C15) ^ b)
  }

  /// The SplitMix64 output function (Stafford's Mix13): a bijective avalanche mixer.
  @inlinable @inline(__always)
  static func mix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The uniform number `(m + ½)·2⁻⁵²` in `(0, 1)` made from the top 52 bits `m` of `word`.
  ///
  /// The half-step offset keeps it away from both ends: the smallest value is `2⁻⁵³`, the
  /// largest `1 − 2⁻⁵³`, both exactly representable, so `log(u)` and `log(1 − u)` are finite.
  /// Computed without an integer conversion: the bits `0x3FF…` ∣ `m` spell `1 + m·2⁻⁵²`
  /// exactly, and subtracting `1 − 2⁻⁵³` (representable) leaves `(2m + 1)·2⁻⁵³`, which has
  /// at most 53 significant bits and so is exact as well.
  @inlinable @inline(__always)
  public static func uniform(_ word: UInt64) -> Double {
    let oneToTwo: UInt64 = 0x3FF0_0000_0000_0000 | (word >> 12)
    let shift: Double = 1 - 0x1p-53
    return Double(bitPattern: oneToTwo) - shift
  }
}

/// A sequential view of one counter-based sequence `(seed, stream)`, starting at `offset`.
///
/// Every call consumes exactly one 64-bit position of the sequence, whatever it returns, so
/// the `k`-th call after `init(seed:stream:offset:)` reads position `offset + k`. In
/// particular the `k`-th `nextGaussian()` equals element `k` of
/// `GaussianFill.fill(…, seed:, stream:, offset:)`. Position `p` is the word `p mod 2` of the
/// Philox block `p / 2`; the current block is cached, so two calls cost one Philox block.
public struct RandomStream: Sendable {
  /// The Philox key of the sequence.
  public let seed: UInt64
  /// The stream number (high half of the Philox counter).
  public let stream: UInt64
  /// The position the next call reads.
  public private(set) var position: UInt64
  /// Block index `p / 2` is below `UInt64.max`, so `.max` never names a real cached block.
  private var cachedBlock: UInt64 = .max
  private var cachedWords: (UInt64, UInt64) = (0, 0)

  /// A stream reading sequence `(seed, stream)` from position `offset` on.
  public init(seed: UInt64, stream: UInt64, offset: UInt64 = 0) {
    self.seed = seed
    self.stream = stream
    self.position = offset
  }

  /// Returns the word at the current position and advances by one.
  private mutating func nextWord() -> UInt64 {
    let block = position >> 1
    if block != cachedBlock {
      cachedWords = CounterRandom.bits(seed: seed, stream: stream, counter: block)
      cachedBlock = block
    }
    let word = position & 1 == 0 ? cachedWords.0 : cachedWords.1
    position &+= 1
    return word
  }

  /// 64 uniformly random bits.
  public mutating func nextUInt64() -> UInt64 { nextWord() }

  /// A uniform number in the open interval `(0, 1)` with 52 random bits; never 0 or 1.
  public mutating func nextUniform() -> Double { CounterRandom.uniform(nextWord()) }

  /// A standard normal number (the ziggurat method of `GaussianFill`).
  public mutating func nextGaussian() -> Double {
    let index = position
    let word = nextWord()
    return Ziggurat.shared.normal(word: word, seed: seed, stream: stream, index: index)
  }
}
