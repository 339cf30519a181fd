import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct GaussianFillTests {
  func fill(count: Int, offset: UInt64, seed: UInt64 = 77, stream: UInt64 = 5) -> [Double] {
    var out = [Double](repeating: .nan, count: count)
    out.withUnsafeMutableBufferPointer { GaussianFill.fill($0, seed: seed, stream: stream, offset: offset) }
    return out
  }

  struct Split: Sendable, CustomTestStringConvertible {
    let offset: UInt64
    let cuts: [Int]
    var testDescription: String { "offset \(offset), cuts \(cuts)" }
  }

  static let splits: [Split] = [
    Split(offset: 0, cuts: [357]), Split(offset: 1, cuts: [357]),
    Split(offset: 13, cuts: [1, 2, 3, 500, 999]),
    Split(offset: 4096, cuts: [8, 16, 17, 24]), Split(offset: .max - 400, cuts: [200, 401]),
  ]

  /// Filling [0, 1000) at once equals filling the pieces between the cuts separately.
  @Test(arguments: splits)
  func chunkIndependence(_ split: Split) {
    let whole = fill(count: 1000, offset: split.offset)
    var pieces = [Double](repeating: .nan, count: 1000)
    let bounds = [0] + split.cuts + [1000]
    pieces.withUnsafeMutableBufferPointer { buffer in
      for (lo, hi) in zip(bounds, bounds.dropFirst()) {
        GaussianFill.fill(
          UnsafeMutableBufferPointer(rebasing: buffer[lo..<hi]), seed: 77, stream: 5,
          offset: split.offset &+ UInt64(lo))
      }
    }
    #expect(whole.map(\.bitPattern) == pieces.map(\.bitPattern))
    #expect(whole.allSatisfy { $0.isFinite })
  }

  /// The SIMD and scalar fill loops produce identical bits (release builds use the first,
  /// debug builds the second).
  @Test(arguments: [0, 1, 6, 7, 8, 9] as [UInt64])
  func vectorizedAndScalarPathsAgree(_ offset: UInt64) {
    for count in [0, 1, 7, 8, 9, 17, 1000] {
      var simd = [Double](repeating: .nan, count: count)
      var scalar = [Double](repeating: .nan, count: count)
      for (vectorized, target) in [(true, 0), (false, 1)] {
        var out = [Double](repeating: .nan, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
          guard let base = buffer.baseAddress else { return }
          Ziggurat.shared.fill(base, count: count, seed: 9, stream: 2, offset: offset, vectorized: vectorized)
        }
        if target == 0 { simd = out } else { scalar = out }
      }
      #expect(simd.map(\.bitPattern) == scalar.map(\.bitPattern), "count \(count)")
    }
  }

  @Test func singleElementFillsMatchStreamAndSlices() {
    let whole = fill(count: 300, offset: 10)
    var stream = RandomStream(seed: 77, stream: 5, offset: 10)
    for k in 0..<300 {
      #expect(fill(count: 1, offset: 10 + UInt64(k))[0] == whole[k])
      #expect(stream.nextGaussian() == whole[k])
    }
  }

  @Test func momentsAndTailsMatchStandardNormal() {
    let z = TestData.normals
    let m = Double(z.count)
    // Mean 0 (SE 1/√m), E z² = 1 (SE √(2/m)), E z⁴ = 3 (SE √(96/m): Var z⁴ = 105 − 9).
    expectWithinStandardErrors(Statistics.mean(z), standardError: (1 / m).squareRoot(), of: 0)
    expectWithinStandardErrors(Statistics.mean(z.map { $0 * $0 }), standardError: (2 / m).squareRoot(), of: 1)
    expectWithinStandardErrors(
      Statistics.mean(z.map { $0 * $0 * $0 * $0 }), standardError: (96 / m).squareRoot(), of: 3)
    // Probabilities that exercise each part of the ziggurat: the body, the wedges near the
    // top layer, and the tail beyond R ≈ 3.654 (sampled by a separate method).
    for (threshold, probability) in [
      (0.1, erfc(0.1 / 2.0.squareRoot())), (1.0, erfc(1 / 2.0.squareRoot())),
      (2.5, erfc(2.5 / 2.0.squareRoot())), (3.7, erfc(3.7 / 2.0.squareRoot())),
    ] {
      let frequency = Double(z.filter { abs($0) > threshold }.count) / m
      expectWithinStandardErrors(
        frequency, standardError: (probability * (1 - probability) / m).squareRoot(), of: probability)
    }
    let positive = Double(z.filter { $0 > 0 }.count) / m
    expectWithinStandardErrors(positive, standardError: (0.25 / m).squareRoot(), of: 0.5)
  }

  @Test func consecutiveValuesAreUncorrelated() {
    let z = TestData.normals
    let pairs = z.count / 2
    var s = 0.0
    for i in 0..<pairs { s += z[2 * i] * z[2 * i + 1] }
    expectWithinStandardErrors(s / Double(pairs), standardError: (1 / Double(pairs)).squareRoot(), of: 0)
  }

  @Test func emptyFillDoesNothing() {
    var out: [Double] = []
    out.withUnsafeMutableBufferPointer { GaussianFill.fill($0, seed: 1, stream: 1, offset: 1) }
    #expect(out.isEmpty)
    #expect(GaussianFill.gaussians(count: 0, seed: 1, stream: 1).isEmpty)
  }
}
