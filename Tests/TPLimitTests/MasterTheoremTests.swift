import Foundation
import TPTestSupport
import Testing

@testable import TensorPrograms

@Test func transposeThenMatrixAddsSigmaSquaredZy() throws {
  let source = """
    width n
    matrix W ~ N(0, 2/n)
    vector y ~ N(0, 1)
    g = W.T @ y
    h = W @ g
    r = mean(h * y)
    s = mean(h * h)
    out r, s
    """
  let r = try limitOf(source)
  let h = try #require(r.derivations.first { $0.vector == "h" })
  #expect(h.zdot.count == 1)
  expectClose(h.zdot[0].coefficient, 2, absolute: 1e-12)
  #expect(h.zdot[0].operand == "y")
  // Z^h = Ẑ + 2 Z^y with Var(Ẑ) = 2 E[g²] = 2·2: E[h y] = 2, E[h²] = 4 + 4 = 8.
  expectClose(try #require(r.output("r")).scalarValue, 2, absolute: 1e-12)
  expectClose(try #require(r.output("s")).scalarValue, 8, absolute: 1e-12)
  #expect(r.methodCounts[.mc] == nil && r.methodCounts[.quadrature] == nil)
}

@Test func forwardOnlyProgramsHaveNoZDot() throws {
  let r = try limitOf(
    """
    width n
    matrix W ~ N(0, 1/n)
    vector x ~ N(0, 1)
    h1 = W @ tanh(x)
    h2 = W @ tanh(h1)
    m = mean(h2 * h2)
    out m
    """)
  #expect(r.derivations.allSatisfy { $0.zdot.isEmpty })
}

/// THEORY §8: the linear one-hidden-layer μP network; the (a, b, c, d) recursion computed here.
@Test func linearMuPMatchesTheFourNumberRecursionExactly() throws {
  let eta = 0.5, xi = 1.0, y = 1.0
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/linear_mup.tp")
  let source = try String(contentsOf: url, encoding: .utf8)
  let r = try LimitInterpreter.run(
    try TensorProgram(source: source).core, options: LimitOptions(method: .exact))
  var (a, b, c, d) = (1.0, 0.0, 0.0, 1.0)
  for t in 0...10 {
    let f = (a * c + b * d) * xi
    let out = try #require(r.output("f[\(t)]"))
    expectClose(out.scalarValue, f, absolute: 1e-12, "f[\(t)]")
    #expect(out.method == .exact)
    let chi = f - y
    (a, b, c, d) = (
      a - eta * chi * xi * c, b - eta * chi * xi * d, c - eta * chi * xi * a, d - eta * chi * xi * b
    )
  }
  #expect(r.methodCounts.keys.allSatisfy { $0 == .exact }, "no sampling and no quadrature")
}

@Test func nngpOfOneReluLayerUsesTheArcCosineKernel() throws {
  let r = try limitOf(
    """
    width n
    matrix W ~ N(0, 2/n)
    vector a, b ~ N([0, 0], [[1, 0.6], [0.6, 1]])
    ha = W @ relu(a)
    hb = W @ relu(b)
    k = mean(ha * hb)
    out k
    """)
  expectClose(try #require(r.output("k")).scalarValue, 2 * Reference.reluRelu(1, 0.6, 1), absolute: 1e-12)
}

@Test func vectorLawOfAGaussianHasGaussianQuantiles() throws {
  let r = try limitOf(
    """
    width n
    matrix W ~ N(0, 3/n)
    vector x ~ N(0, 1)
    h = W @ x
    out h
    """)
  guard case .vector(let law) = try #require(r.output("h")).value else {
    Issue.record("expected a vector law")
    return
  }
  expectClose(law.mean, 0, absolute: 1e-12)
  expectClose(law.variance, 3, absolute: 1e-12)
  expectClose(law.quantiles[2], 0, absolute: 1e-9)
  expectClose(law.quantiles[4], 3.0.squareRoot() * 1.6448536269514722, absolute: 1e-8)
}

@Test func nanIsReportedNamingTheInstruction() throws {
  let program = try TensorProgram(
    source: """
      width n
      vector x ~ N(0, 1)
      m = mean(x * x)
      z = 1 / (m - m)
      out z
      """, fileName: "nan.tp")
  #expect(throws: NumericalError.self) { try LimitInterpreter.run(program.core) }
  do {
    _ = try LimitInterpreter.run(program.core)
  } catch {
    #expect(error.location == "nan.tp:4:1")
    #expect(error.message.contains("z = "))
  }
}
