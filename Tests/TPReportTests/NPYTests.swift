import Foundation
import Testing

@testable import TPReport

/// The `.npy` bytes of a 2 × 3 matrix read back by the format's specification, written out
/// here: magic and version 1.0, a little-endian header length, a dict header padded with
/// spaces to a multiple of 64 bytes ending in a newline, then the row-major little-endian
/// doubles.
@Test func npyFloat64MatrixFollowsTheFormat() throws {
  let elements: [Double] = [1, -2.5, .pi, 0, 1e-300, -0.0]
  let bytes = NPY.float64(rows: 2, cols: 3, elements: elements)
  #expect(Array(bytes[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
  #expect(bytes[6] == 1 && bytes[7] == 0)
  let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
  #expect((10 + headerLength) % 64 == 0)
  let header = try #require(String(bytes: bytes[10..<(10 + headerLength)], encoding: .ascii))
  #expect(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"))
  #expect(header.hasSuffix("\n"))
  let data = Array(bytes[(10 + headerLength)...])
  #expect(data.count == 8 * elements.count)
  for (i, x) in elements.enumerated() {
    var bits: UInt64 = 0
    for k in 0..<8 { bits |= UInt64(data[8 * i + k]) << (8 * UInt64(k)) }
    #expect(Double(bitPattern: bits).bitPattern == x.bitPattern)
  }
}
