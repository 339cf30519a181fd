import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct CounterRandomTests {
  struct KnownAnswer: Sendable, CustomTestStringConvertible {
    let counter: (UInt32, UInt32, UInt32, UInt32)
    let key: (UInt32, UInt32)
    let expected: (UInt32, UInt32, UInt32, UInt32)
    let testDescription: String
  }

  /// Random123's kat_vectors for philox4x32 with 10 rounds.
  static let knownAnswers: [KnownAnswer] = [
    KnownAnswer(
      counter: (0, 0, 0, 0), key: (0, 0), expected: (0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8),
      testDescription: "zeros"),
    KnownAnswer(
      counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff),
      expected: (0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd), testDescription: "ones"),
    KnownAnswer(
      counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0),
      expected: (0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1), testDescription: "digits of pi"),
  ]

  @Test(arguments: knownAnswers)
  func philoxMatchesRandom123(_ k: KnownAnswer) {
    let c = k.counter
    let x = CounterRandom.philox4x32(c.0, c.1, c.2, c.3, key: k.key.0, k.key.1)
    #expect(x == k.expected)
    // The SIMD lanes variant agrees with the scalar one in every lane.
    let lanes = CounterRandom.philox4x32(
      lanes: SIMD4(repeating: UInt64(c.0)), SIMD4(repeating: UInt64(c.1)), SIMD4(repeating: UInt64(c.2)),
      SIMD4(repeating: UInt64(c.3)), key: k.key.0, k.key.1)
    for l in 0..<4 {
      #expect(lanes.0[l] == UInt64(k.expected.0) && lanes.1[l] == UInt64(k.expected.1))
      #expect(lanes.2[l] == UInt64(k.expected.2) && lanes.3[l] == UInt64(k.expected.3))
    }
  }

  @Test func bitsPackPhiloxWordsAsDocumented() {
    let (a, b) = CounterRandom.bits(
      seed: 0x299f_31d0_a409_3822, stream: 0x0370_7344_1319_8a2e, counter: 0x85a3_08d3_243f_6a88)
    #expect(a == 0x94fd_cceb_d16c_fe09)
    #expect(b == 0x2412_6ea1_5001_e420)
  }

  @Test func uniformStaysInsideOpenInterval() {
    let smallest = CounterRandom.uniform(0)
    let largest = CounterRandom.uniform(.max)
    #expect(smallest == 0x1p-53)
    #expect(largest == 1 - 0x1p-53)
    #expect(largest < 1 && smallest > 0)
    // Same value as the integer formula (m + ½)·2⁻⁵².
    for word: UInt64 in [1 << 12, 0xDEAD_BEEF_0000_1234, 0x8000_0000_0000_0000] {
      #expect(CounterRandom.uniform(word) == (Double(word >> 12) + 0.5) * 0x1p-52)
    }
  }

  @Test func seedMixHasNoCollisionsAndIsNotSymmetric() {
    var seen = Set<UInt64>()
    for a: UInt64 in 0..<100 {
      for b: UInt64 in 0..<100 { seen.insert(CounterRandom.seedMix(a, b)) }
    }
    #expect(seen.count == 10_000)
    #expect(CounterRandom.seedMix(1, 2) != CounterRandom.seedMix(2, 1))
    #expect(GaussianFill.seedMix(7, 9) == CounterRandom.seedMix(7, 9))
    // Avalanche: flipping one input bit flips about half the output bits.
    var flipped = 0
    for bit in 0..<64 {
      flipped +=
        (CounterRandom.seedMix(12345, 0) ^ CounterRandom.seedMix(12345 ^ (1 << UInt64(bit)), 0))
        .nonzeroBitCount
    }
    #expect(abs(Double(flipped) / 64 - 32) < 4)
  }

  @Test func streamReadsConsecutiveWordsOfBlocks() {
    var s = RandomStream(seed: 11, stream: 4, offset: 3)
    let block1 = CounterRandom.bits(seed: 11, stream: 4, counter: 1)
    let block2 = CounterRandom.bits(seed: 11, stream: 4, counter: 2)
    #expect(s.nextUInt64() == block1.1)
    #expect(s.nextUInt64() == block2.0)
    #expect(s.nextUniform() == CounterRandom.uniform(block2.1))
    #expect(s.position == 6)
  }

  @Test func uniformsLookUniform() {
    var s = RandomStream(seed: 3, stream: 0)
    let n = 200_000
    var values = [Double]()
    values.reserveCapacity(n)
    for _ in 0..<n { values.append(s.nextUniform()) }
    // Mean ½ with SE √(1/12/n); the fraction below 0.1 is 0.1 with SE √(0.09/n).
    expectWithinStandardErrors(
      Statistics.mean(values), standardError: (1.0 / 12 / Double(n)).squareRoot(), of: 0.5)
    let below = Double(values.filter { $0 < 0.1 }.count) / Double(n)
    expectWithinStandardErrors(below, standardError: (0.09 / Double(n)).squareRoot(), of: 0.1)
  }

  @Test func differentStreamsAndSeedsDiffer() {
    let a = GaussianFill.gaussians(count: 8, seed: 1, stream: 0)
    #expect(a != GaussianFill.gaussians(count: 8, seed: 1, stream: 1))
    #expect(a != GaussianFill.gaussians(count: 8, seed: 2, stream: 0))
    #expect(a == GaussianFill.gaussians(count: 8, seed: 1, stream: 0))
  }
}
