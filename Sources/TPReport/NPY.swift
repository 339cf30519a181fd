/// NumPy's `.npy` format, version 1.0, for a float64 matrix: the magic `\x93NUMPY`, the version
/// bytes `1, 0`, the header length as a little-endian `UInt16`, the header — the Python dict
/// literal `{'descr': '<f8', 'fortran_order': False, 'shape': (rows, cols), }` padded with
/// spaces and a final newline so that magic, version, length and header fill a multiple of 64
/// bytes — then the entries in row-major order as little-endian IEEE 754 doubles.
public enum NPY {
  /// The `.npy` bytes of the `rows × cols` matrix whose row-major entries are `elements`.
  public static func float64(rows: Int, cols: Int, elements: [Double]) -> [UInt8] {
    precondition(elements.count == rows * cols, "element count does not match the shape")
    var out = header(rows: rows, cols: cols)
    append(elements, to: &out)
    return out
  }

  /// The `.npy` bytes of the matrix whose rows are `matrixRows` (each of length `cols`), built
  /// in the one buffer ``header(rows:cols:)`` reserves, without first flattening the rows.
  public static func float64(matrixRows: [[Double]], cols: Int) -> [UInt8] {
    precondition(matrixRows.allSatisfy { $0.count == cols }, "rows of unequal length")
    var out = header(rows: matrixRows.count, cols: cols)
    for row in matrixRows { append(row, to: &out) }
    return out
  }

  /// Magic, version, header length and the padded header of a `rows × cols` float64 matrix.
  static func header(rows: Int, cols: Int) -> [UInt8] {
    var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(cols)), }".utf8)
    let unpadded = 10 + header.count + 1
    header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64)
    header.append(0x0A)
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    out.reserveCapacity(10 + header.count + 8 * rows * cols)
    out.append(UInt8(header.count & 0xFF))
    out.append(UInt8(header.count >> 8))
    out += header
    return out
  }

  /// Appends `elements` as little-endian IEEE 754 doubles.
  static func append(_ elements: [Double], to out: inout [UInt8]) {
    if 1.littleEndian == 1 {
      // The host's doubles already are the file's bytes: one copy.
      elements.withUnsafeBytes { out.append(contentsOf: $0) }
    } else {
      for x in elements {
        let bits = x.bitPattern.littleEndian
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
      }
    }
  }
}
