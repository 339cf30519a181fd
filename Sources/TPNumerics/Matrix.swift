import Foundation

/// A dense real matrix stored row-major: entry `(i, j)` lives at `elements[i * cols + j]`.
///
/// A plain value type (copy-on-write through its array) for the small and medium matrices
/// of the numerics layer — covariances, Gram matrices, factors. The hot kernels (`Dense`)
/// take unsafe buffers instead, so that no copy-on-write check sits inside their loops.
/// Shapes with zero rows or columns are allowed (a rank-0 Cholesky factor is `n × 0`).
public struct Matrix: Sendable, Equatable {
  /// Number of rows, `≥ 0`.
  public let rows: Int
  /// Number of columns, `≥ 0`.
  public let cols: Int
  /// The entries in row-major order; always `rows * cols` long.
  public var elements: [Double]

  /// A `rows × cols` matrix with every entry equal to `value`.
  public init(rows: Int, cols: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.cols = cols
    self.elements = Array(repeating: value, count: rows * cols)
  }

  /// A `rows × cols` matrix from row-major `elements`; `elements.count` must be `rows * cols`.
  public init(rows: Int, cols: Int, elements: [Double]) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    precondition(elements.count == rows * cols, "element count does not match the shape")
    self.rows = rows
    self.cols = cols
    self.elements = elements
  }

  /// A matrix from a list of rows, which must all have the same length; `[]` gives `0 × 0`.
  public init(_ rows: [[Double]]) {
    let cols = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == cols }, "rows of a matrix must have equal lengths")
    self.init(rows: rows.count, cols: cols, elements: rows.flatMap { $0 })
  }

  /// The `n × n` identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, cols: n)
    for i in 0..<n { m[i, i] = 1 }
    return m
  }

  /// The square matrix `diag(values)`.
  public static func diagonal(_ values: [Double]) -> Matrix {
    var m = Matrix(rows: values.count, cols: values.count)
    for (i, v) in values.enumerated() { m[i, i] = v }
    return m
  }

  /// Entry `(i, j)`, for `0 ≤ i < rows` and `0 ≤ j < cols`.
  public subscript(i: Int, j: Int) -> Double {
    get {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "matrix index out of range")
      return elements[i * cols + j]
    }
    set {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "matrix index out of range")
      elements[i * cols + j] = newValue
    }
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] {
    Array(elements[(i * cols)..<((i + 1) * cols)])
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Double] {
    (0..<rows).map { elements[$0 * cols + j] }
  }

  /// The transpose `Aᵀ` (`cols × rows`).
  public var transposed: Matrix {
    var t = Matrix(rows: cols, cols: rows)
    for i in 0..<rows {
      for j in 0..<cols { t.elements[j * rows + i] = elements[i * cols + j] }
    }
    return t
  }

  /// `max_ij |a_ij|`, or 0 for an empty matrix. NaN entries do not count.
  public var maxAbsoluteEntry: Double {
    elements.reduce(0) { max($0, abs($1)) }
  }

  /// The matrix product `A·B`; requires `a.cols == b.rows`.
  ///
  /// Runs `Dense.multiply` (blocked, SIMD, parallel for large shapes); each entry is the
  /// running sum `Σ_k a_ik·b_kj` in increasing `k`, exactly what the plain i–k–j loop
  /// computes, so small and large products alike are bit-identical to that loop.
  public static func * (a: Matrix, b: Matrix) -> Matrix {
    product(a, b)
  }

  /// `op(A)·op(B)` with `op(X) = Xᵀ` where requested, without forming the transpose:
  /// `A·B`, `Aᵀ·B`, `A·Bᵀ` or `Aᵀ·Bᵀ`. The inner dimensions must agree. Each entry is the
  /// in-order running sum over the inner index (see `Dense.multiply`), for every `threads`.
  public static func product(
    _ a: Matrix, _ b: Matrix, transposingFirst: Bool = false, transposingSecond: Bool = false,
    threads: Int = Parallel.defaultThreads
  ) -> Matrix {
    let (m, k) = transposingFirst ? (a.cols, a.rows) : (a.rows, a.cols)
    let (kb, n) = transposingSecond ? (b.cols, b.rows) : (b.rows, b.cols)
    precondition(k == kb, "matrix product shape mismatch")
    var c = Matrix(rows: m, cols: n)
    a.elements.withUnsafeBufferPointer { pa in
      b.elements.withUnsafeBufferPointer { pb in
        c.elements.withUnsafeMutableBufferPointer { pc in
          Dense.multiply(
            m: m, n: n, k: k, pa, lda: max(a.cols, 1), transposeA: transposingFirst, pb, ldb: max(b.cols, 1),
            transposeB: transposingSecond, into: pc, ldc: max(n, 1), threads: threads)
        }
      }
    }
    return c
  }

  /// The Gram matrix `A·Aᵀ` (`rows × rows`, exactly symmetric): the lower triangle by
  /// `Dense.symmetricRankUpdate` (half the work of a general product), mirrored.
  public func gram(threads: Int = Parallel.defaultThreads) -> Matrix {
    let n = rows
    var c = Matrix(rows: n, cols: n)
    elements.withUnsafeBufferPointer { pa in
      c.elements.withUnsafeMutableBufferPointer { pc in
        Dense.symmetricRankUpdate(
          n: n, k: cols, pa, lda: max(cols, 1), intoLowerOf: pc, ldc: max(n, 1), threads: threads)
        for i in 0..<n {
          for j in 0..<i { pc[j * n + i] = pc[i * n + j] }
        }
      }
    }
    return c
  }

  /// The entrywise sum `A + B` of two matrices of the same shape.
  public static func + (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.cols == b.cols, "matrix sum shape mismatch")
    return Matrix(rows: a.rows, cols: a.cols, elements: zip(a.elements, b.elements).map { $0 + $1 })
  }

  /// The entrywise difference `A − B` of two matrices of the same shape.
  public static func - (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.cols == b.cols, "matrix difference shape mismatch")
    return Matrix(rows: a.rows, cols: a.cols, elements: zip(a.elements, b.elements).map { $0 - $1 })
  }

  /// The scaled matrix `s·A`.
  public static func * (s: Double, a: Matrix) -> Matrix {
    Matrix(rows: a.rows, cols: a.cols, elements: a.elements.map { s * $0 })
  }

  /// The matrix–vector product `A·v`; requires `v.count == cols`. A plain serial loop for
  /// small matrices; `Dense.matvec` is the blocked, parallel kernel for large ones.
  public func multiply(_ v: [Double]) -> [Double] {
    precondition(v.count == cols, "matrix–vector shape mismatch")
    var y = [Double](repeating: 0, count: rows)
    elements.withUnsafeBufferPointer { pa in
      for i in 0..<rows {
        var s = 0.0
        for j in 0..<cols { s += pa[i * cols + j] * v[j] }
        y[i] = s
      }
    }
    return y
  }
}
