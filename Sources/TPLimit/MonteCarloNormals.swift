import Foundation

/// Addressable standard normals for the particle set: value `k` of stream `s` depends only on
/// `(seed, s, k)` (a SplitMix64 hash of the counter, then Box–Muller on a pair), so particles
/// do not depend on the order in which bases are sampled or on thread count.
enum MonteCarloNormals {
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// `count` standard normals of stream `stream`.
  static func normals(count: Int, seed: UInt64, stream: UInt64) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    let key = mix(seed ^ mix(stream &+ 0x632B_E59B_D9B4_E019))
    var k = 0
    while k < count {
      let pair = UInt64(k / 2)
      let a = mix(key ^ (pair &* 2))
      let b = mix(key ^ (pair &* 2 &+ 1))
      let u1 = (Double(a >> 11) + 0.5) * 0x1.0p-53
      let u2 = Double(b >> 11) * 0x1.0p-53
      let r = (-2 * log(u1)).squareRoot()
      out[k] = r * cos(2 * .pi * u2)
      if k + 1 < count { out[k + 1] = r * sin(2 * .pi * u2) }
      k += 2
    }
    return out
  }
}
