/// NumPy's `.npy` format, version 1.0, for a float64 matrix: the magic `\x93NUMPY`, the version
/// bytes `1, 0`, the header length as a little-endian `UInt16`, the header — the Python dict
/// literal `{'descr': '<f8', 'fortran_order': False, 'shape': (rows, cols), }` padded with
/// spaces and a final newline so that magic, version, length and header fill a multiple of 64
/// bytes — then the entries in row-major order as little-endian IEEE 754 doubles.
public enum NPY {
  /// The `.npy` bytes of the `rows × cols` matrix whose row-major entries are `elements`.
  public static func float64(rows: Int, cols: Int, elements: [Double]) -> [UInt8] {
    let (head, entries) = float64Pieces(rows: rows, cols: cols, elements: elements)
    var out = head
    out.reserveCapacity(head.count + 8 * entries.count)
    entries.withUnsafeBytes { out.append(contentsOf: $0) }
    return out
  }

  /// The same file as two pieces to write one after the other, so that a writer copies no
  /// entry: the header bytes, and the entries as doubles whose in-memory bytes are the file's
  /// (`elements` itself on a little-endian host, byte-swapped copies on a big-endian one).
  public static func float64Pieces(rows: Int, cols: Int, elements: [Double]) -> (
    header: [UInt8], entries: [Double]
  ) {
    precondition(elements.count == rows * cols, "element count does not match the shape")
    let entries =
      1.littleEndian == 1 ? elements : elements.map { Double(bitPattern: $0.bitPattern.littleEndian) }
    return (header(rows: rows, cols: cols), entries)
  }

  /// Magic, version, header length and the padded header of a `rows × cols` float64 matrix.
  static func header(rows: Int, cols: Int) -> [UInt8] {
    var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(cols)), }".utf8)
    let unpadded = 10 + header.count + 1
    header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64)
    header.append(0x0A)
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    out.append(UInt8(header.count & 0xFF))
    out.append(UInt8(header.count >> 8))
    out += header
    return out
  }
}
