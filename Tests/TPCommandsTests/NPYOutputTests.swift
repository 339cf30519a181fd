import Foundation
import TPCommands
import Testing

/// `tp run FILE --npy DIR`: the files written, and their entries read back by the format.
@Suite struct NPYOutputTests {
  /// The `rows × cols` float64 matrix in `.npy` bytes (version 1, little-endian, C order).
  static func readNPY(_ path: String) throws -> (rows: Int, cols: Int, values: [Double]) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    try #require(bytes.count >= 10 && Array(bytes[1..<6]) == Array("NUMPY".utf8))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"))
    let shape = try #require(header.range(of: #"\((\d+), (\d+)\)"#, options: .regularExpression))
    let dims = header[shape].dropFirst().dropLast().split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    try #require(dims.count == 2)
    let body = bytes[(10 + headerLength)...]
    try #require(body.count == 8 * dims[0] * dims[1])
    let values = stride(from: body.startIndex, to: body.endIndex, by: 8).map { i in
      Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(body[i + $1]) << (8 * UInt64($1)) })
    }
    return (dims[0], dims[1], values)
  }

  static func run(_ source: String, prefix: String) throws -> (dir: String, files: [String]) {
    let file = try temporaryProgram(source, prefix: prefix)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())").path
    let result = tp("run", file, "--npy", dir)
    #expect(result.code == .success, "\(result.stderr)")
    return (dir, try FileManager.default.contentsOfDirectory(atPath: dir).sorted())
  }

  /// A ReLU network's kernels are closed forms: two files (no error files), whose entries are
  /// the arc-cosine kernel written here: `U ξ` has covariance `ξ·ξ′/2`, so
  /// `K = s/(2π)(sin θ + (π − θ) cos θ)` with `s = |ξ||ξ′|/2`.
  @Test func exactKernelsHaveNoErrorFiles() throws {
    let points = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    let (dir, files) = try Self.run(
      oneHiddenReluNTK + "kernel f at [1, 0], [0, 1], [0.6, 0.8]\n", prefix: "npy-relu")
    #expect(files == ["nngp.npy", "ntk.npy"])
    let nngp = try Self.readNPY(dir + "/nngp.npy")
    #expect(nngp.rows == 3 && nngp.cols == 3)
    for i in 0..<3 {
      for j in 0..<3 {
        let dot = zip(points[i], points[j]).reduce(0) { $0 + $1.0 * $1.1 } / 2
        let s = (points[i].reduce(0) { $0 + $1 * $1 } / 2 * points[j].reduce(0) { $0 + $1 * $1 } / 2)
          .squareRoot()
        let rho = min(1, dot / s)
        let theta = acos(rho)
        let expected = s / (2 * .pi) * ((1 - rho * rho).squareRoot() + (.pi - theta) * rho)
        #expect(abs(nngp.values[i * 3 + j] - expected) <= 1e-15, "(\(i), \(j))")
      }
    }
  }

  /// A tanh network's kernels come from quadrature: each matrix has its error file, of the same
  /// shape, with small non-negative entries.
  @Test func quadratureKernelsHaveErrorFiles() throws {
    let source =
      oneHiddenReluNTK.replacingOccurrences(of: "relu", with: "tanh") + "kernel f at [1, 0], [0.6, 0.8]\n"
    let (dir, files) = try Self.run(source, prefix: "npy-tanh")
    #expect(files == ["nngp.npy", "nngp_error.npy", "ntk.npy", "ntk_error.npy"])
    for name in ["nngp", "ntk"] {
      let values = try Self.readNPY(dir + "/\(name).npy")
      let errors = try Self.readNPY(dir + "/\(name)_error.npy")
      #expect(values.rows == 2 && values.cols == 2 && errors.rows == 2 && errors.cols == 2)
      #expect(errors.values.allSatisfy { $0 >= 0 && $0 < 1e-8 }, "\(errors.values)")
      #expect(values.values[1] == values.values[2])
    }
  }
}
