import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct DenseTests {
  struct Shape: Sendable, CustomTestStringConvertible {
    let rows: Int
    let cols: Int
    var testDescription: String { "\(rows)×\(cols)" }
  }

  /// Shapes hitting every path: remainders of the 4-row and 8-column blocking, a single
  /// row or column, empty dimensions, and sizes large enough for several parallel chunks.
  static let shapes: [Shape] = [
    Shape(rows: 1, cols: 1), Shape(rows: 3, cols: 7), Shape(rows: 4, cols: 8), Shape(rows: 5, cols: 9),
    Shape(rows: 17, cols: 33), Shape(rows: 1, cols: 100), Shape(rows: 100, cols: 1), Shape(rows: 0, cols: 5),
    Shape(rows: 5, cols: 0), Shape(rows: 301, cols: 257), Shape(rows: 2000, cols: 45),
  ]

  /// The plain double loop, as the reference.
  func naive(_ a: [Double], rows: Int, cols: Int, _ x: [Double], transposed: Bool) -> [Double] {
    if transposed {
      return (0..<cols).map { j in (0..<rows).reduce(0.0) { $0 + a[$1 * cols + j] * x[$1] } }
    }
    return (0..<rows).map { i in (0..<cols).reduce(0.0) { $0 + a[i * cols + $1] * x[$1] } }
  }

  func run(
    _ a: [Double], rows: Int, cols: Int, _ x: [Double], transposed: Bool, threads: Int,
    vectorized: Bool? = nil
  ) -> [Double] {
    var y = [Double](repeating: .nan, count: transposed ? cols : rows)
    a.withUnsafeBufferPointer { pa in
      x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
          switch (transposed, vectorized) {
          case (true, nil): Dense.matvecTransposed(pa, rows: rows, cols: cols, px, into: py, threads: threads)
          case (false, nil): Dense.matvec(pa, rows: rows, cols: cols, px, into: py, threads: threads)
          case (true, let v?):
            Dense.matvecTransposed(pa, rows: rows, cols: cols, px, into: py, threads: threads, vectorized: v)
          case (false, let v?):
            Dense.matvec(pa, rows: rows, cols: cols, px, into: py, threads: threads, vectorized: v)
          }
        }
      }
    }
    return y
  }

  @Test(arguments: shapes, [false, true])
  func matchesNaiveLoopAndIsThreadIndependent(_ shape: Shape, transposed: Bool) {
    let (rows, cols) = (shape.rows, shape.cols)
    let a = GaussianFill.gaussians(count: rows * cols, seed: 8, stream: 0)
    let x = GaussianFill.gaussians(count: transposed ? rows : cols, seed: 8, stream: 1)
    let expected = naive(a, rows: rows, cols: cols, x, transposed: transposed)
    let one = run(a, rows: rows, cols: cols, x, transposed: transposed, threads: 1)
    // Each entry is a dot product; compare against the scale Σ|a||x| so cancellation
    // cannot make a correct answer look wrong.
    let length = transposed ? rows : cols
    for i in 0..<expected.count {
      let scale = (0..<length).reduce(0.0) { s, k in
        s + abs(transposed ? a[k * cols + i] * x[k] : a[i * cols + k] * x[k])
      }
      expectClose(one[i], expected[i], absolute: 1e-12 * scale)
    }
    for threads in [2, 3] {
      let other = run(a, rows: rows, cols: cols, x, transposed: transposed, threads: threads)
      #expect(other.map(\.bitPattern) == one.map(\.bitPattern), "threads \(threads)")
    }
    // The SIMD and scalar kernels (release and debug builds) agree bit for bit.
    for vectorized in [true, false] {
      let other = run(
        a, rows: rows, cols: cols, x, transposed: transposed, threads: 2, vectorized: vectorized)
      #expect(other.map(\.bitPattern) == one.map(\.bitPattern), "vectorized \(vectorized)")
    }
  }

  @Test func chunkingDependsOnShapeOnly() {
    #expect(Dense.matvecChunkRows(rows: 8192, cols: 8192) % 4 == 0)
    #expect(Dense.transposedChunkRows(rows: 10, cols: 10) == 10)
    #expect(Dense.transposedChunkRows(rows: 8192, cols: 8192) == 256)
  }
}
