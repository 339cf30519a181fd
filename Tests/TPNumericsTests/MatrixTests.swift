import TPTestSupport
import Testing

@testable import TPNumerics

@Suite struct MatrixTests {
  @Test func initializersAgree() {
    let a = Matrix([[1, 2, 3], [4, 5, 6]])
    #expect(a.rows == 2 && a.cols == 3)
    #expect(a == Matrix(rows: 2, cols: 3, elements: [1, 2, 3, 4, 5, 6]))
    #expect(a[1, 0] == 4)
    #expect(Matrix(rows: 2, cols: 2, repeating: 7).elements == [7, 7, 7, 7])
    #expect(Matrix([]).rows == 0)
    #expect(Matrix.identity(3)[1, 1] == 1 && Matrix.identity(3)[0, 1] == 0)
  }

  @Test func subscriptSetsRowMajorEntry() {
    var a = Matrix(rows: 2, cols: 3)
    a[1, 2] = 5
    #expect(a.elements == [0, 0, 0, 0, 0, 5])
  }

  @Test func transposeAndProduct() {
    let a = Matrix([[1, 2, 3], [4, 5, 6]])
    #expect(a.transposed == Matrix([[1, 4], [2, 5], [3, 6]]))
    // Hand-computed: [[1,2,3],[4,5,6]]·[[1,4],[2,5],[3,6]] = [[14, 32], [32, 77]].
    #expect(a * a.transposed == Matrix([[14, 32], [32, 77]]))
    #expect(a.multiply([1, 0, -1]) == [-2, -2])
    #expect(Matrix.identity(2) * a == a)
  }

  @Test func emptyShapes() {
    let a = Matrix(rows: 3, cols: 0)
    #expect(a * Matrix(rows: 0, cols: 2) == Matrix(rows: 3, cols: 2))
    #expect(a.multiply([]) == [0, 0, 0])
    #expect(a.transposed.rows == 0 && a.transposed.cols == 3)
  }
}
