import Foundation
import TPTestSupport
import TensorPrograms
import Testing

/// Every kind of instruction: a correlated initial group, `W` and `Wᵀ`, two matrices, scalars
/// inside Nonlin expressions, shared sub-expressions; width 1000 is no multiple of any chunk size.
let mixedSource = """
  width n
  param c = 0.7
  matrix W ~ N(0, 2/n)
  matrix A ~ N(0, 1/n)
  vector p, q ~ N([0, 0.5], [[1, 0.3], [0.3, 2]])
  g = W.T @ tanh(p)
  h = W @ g + q
  k = A @ relu(h)
  m = mean(h * k)
  x = tanh(k) * m + c * sigmoid(h) ** 3 - tanh'(h)
  s = mean(x * x)
  out m, s, x
  """

func run(
  _ program: Program, width: Int = 1000, seed: UInt64 = 7, threads: Int, storage: MatrixStorage = .automatic
)
  throws -> FiniteRun
{
  try FiniteExecutor.run(
    program, options: FiniteOptions(width: width, seed: seed, threads: threads, matrixStorage: storage))
}

/// Coordinatewise work only, at a width of several tape chunks (4096 coordinates each), so the
/// chunked Nonlin, Moment reduction and initial sampling are split across threads.
let coordinatewiseSource = """
  width n
  vector p, q ~ N([0, 0.5], [[1, 0.3], [0.3, 2]])
  m = mean(p * q)
  x = tanh(p) * m + sigmoid(q) ** 3
  s = mean(x * x)
  out m, s, x
  """

@Test func resultsAreBitIdenticalForAnyThreadCount() throws {
  let matrices = try coreProgram(mixedSource)
  let coordinatewise = try coreProgram(coordinatewiseSource)
  for (program, width, storage) in [
    (matrices, 1000, MatrixStorage.automatic), (matrices, 1000, .cached),
    (coordinatewise, 20_000, .automatic),
  ] {
    let one = try run(program, width: width, threads: 1, storage: storage)
    for threads in [2, 5] {
      let many = try run(program, width: width, threads: threads, storage: storage)
      #expect(
        one.scalars.map(\.bitPattern) == many.scalars.map(\.bitPattern), "scalars, \(storage), \(threads)")
      #expect(one.vectors == many.vectors, "output vectors, \(storage), \(threads) threads")
      #expect(one.outputs == many.outputs, "outputs, \(storage), \(threads) threads")
    }
  }
}

@Test func regeneratedAndCachedMatricesAgree() throws {
  let program = try coreProgram(mixedSource)
  // At n = 600 the two transposed products group their sums differently (chunks of 19 and 20
  // rows; at n = 1000 they happen to coincide and agree bit for bit).
  let regenerated = try run(program, width: 600, threads: 2, storage: .regenerated)
  let cached = try run(program, width: 600, threads: 2, storage: .cached)
  #expect(regenerated.matrixStorage == [.regenerated, .regenerated])
  #expect(cached.matrixStorage == [.cached, .cached])
  for name in ["m", "s"] {
    let a = try #require(regenerated.output(name)).scalarValue
    let b = try #require(cached.output(name)).scalarValue
    expectClose(a, b, relative: 1e-12, "output \(name)")
  }
  let x = try #require(program.outputs.first { $0.name == "x" })
  guard case .vector(let id) = x.value else { Issue.record("x is not a vector"); return }
  let difference = relativeDifference(try #require(regenerated.vectors[id]), try #require(cached.vectors[id]))
  print("regenerated vs cached: max relative difference of x = \(difference)")
  #expect(difference <= 1e-12)
}

@Test func automaticStorageCachesMatricesUsedMoreThanTwice() throws {
  let program = try coreProgram(
    """
    width n
    matrix W ~ N(0, 1/n)
    matrix A ~ N(0, 1/n)
    vector x ~ N(0, 1)
    a = W @ x
    b = W.T @ a
    c = W @ b + A @ x
    m = mean(c * c)
    out m
    """)
  let auto = try run(program, width: 300, threads: 2)
  #expect(auto.matrixStorage == [.cached, .regenerated])
  let forced = try run(program, width: 300, threads: 2, storage: .regenerated)
  expectClose(auto.scalars.last!, forced.scalars.last!, relative: 1e-12)
}

@Test func differentSeedsGiveDifferentResults() throws {
  let program = try coreProgram(mixedSource)
  let a = try run(program, seed: 1, threads: 2)
  let b = try run(program, seed: 2, threads: 2)
  let again = try run(program, seed: 1, threads: 2)
  #expect(a.outputs == again.outputs)
  for name in ["m", "s"] {
    #expect(try #require(a.output(name)).scalarValue != (try #require(b.output(name)).scalarValue))
  }
  #expect(a.vectors != b.vectors)
}

@Test func theTapeAgreesWithTheExpressionTree() throws {
  let program = try coreProgram(
    """
    width n
    param c = 0.7
    def swish(z) = z * sigmoid(z)
    vector u, v ~ N([0.1, -0.2], [[1, 0.5], [0.5, 1.5]])
    s = mean(u * v)
    y = tanh'(u) * v + c * sigmoid(u - v) ** 3 - s * abs(v) / (1 + u * u) + swish'(v) * exp(-u * u) + gelu(u) - erf(v) ** 2
    out u, v, y
    """)
  let result = try run(program, width: 5000, threads: 2)
  guard case .nonlin(let dest, let expression)? = program.instructions.last else {
    Issue.record("the last instruction is not the Nonlin for y")
    return
  }
  let values = try #require(result.vectors[dest])
  var worst = 0.0
  for i in stride(from: 0, to: 5000, by: 7) {
    let expected = expression.evaluate { leaf in
      switch leaf {
      case .vector(let v): return result.vectors[v]![i]
      case .scalar(let s): return result.scalars[s.raw]
      default: return .nan
      }
    }
    worst = max(worst, abs(values[i] - expected) / max(abs(expected), 1e-300))
  }
  #expect(worst <= 1e-13, "largest relative difference \(worst)")
}

@Test func initialGroupsHaveTheDeclaredMeanAndCovariance() throws {
  let program = try coreProgram(
    """
    width n
    vector p, q, r ~ N([1, -2, 0], [[1, 0.5, 1], [0.5, 2, 0.5], [1, 0.5, 1]])
    mp = mean(p)
    mq = mean(q)
    cpq = mean((p - 1) * (q + 2))
    dpr = mean((p - r - 1) ** 2)
    vq = mean((q + 2) ** 2)
    out mp, mq, cpq, dpr, vq
    """)
  let result = try run(program, width: 200_000, threads: 2)
  // Standard errors at n = 200 000 are about 0.003 for these moments.
  expectClose(result.output("mp")!.scalarValue, 1, absolute: 0.02)
  expectClose(result.output("mq")!.scalarValue, -2, absolute: 0.02)
  expectClose(result.output("cpq")!.scalarValue, 0.5, absolute: 0.03)
  expectClose(result.output("vq")!.scalarValue, 2, absolute: 0.04)
  // r equals p − 1 exactly in law (a singular covariance): the difference is 0 to rounding.
  expectClose(result.output("dpr")!.scalarValue, 0, absolute: 1e-20)
}

@Test func theEmpiricalLawUsesPopulationMomentsAndInterpolatedQuantiles() {
  let law = VectorLaw(empiricalOf: [5, 1, 4, 2, 3])
  #expect(law.mean == 3)
  #expect(law.variance == 2)
  #expect(law.quantiles == [1.2, 2, 3, 4, 4.8])
}

@Test func theMemoryGuardRefusesHugeWidthsBeforeAllocating() throws {
  let program = try coreProgram(
    """
    width n
    matrix W ~ N(0, 1/n)
    vector x ~ N(0, 1)
    a = W @ x
    b = W @ a
    c = W @ b
    m = mean(c * c)
    out m
    """)
  let error = #expect(throws: NumericalError.self) {
    try FiniteExecutor.run(program, options: FiniteOptions(width: 10_000_000))
  }
  let message = error?.message ?? ""
  #expect(message.contains("GiB"), "\(message)")
  #expect(message.contains("10000000"), "\(message)")
}

@Test func nanIsReportedWithTheInstructionThatProducedIt() throws {
  let program = try coreProgram(
    """
    width n
    vector x ~ N(0, 1)
    z = 2 * x
    y = x / (x - x)
    out y
    """, fileName: "nan.tp")
  let error = #expect(throws: NumericalError.self) {
    try FiniteExecutor.run(program, options: FiniteOptions(width: 100))
  }
  let k = try #require(error?.instruction)
  guard case .nonlin(let dest, _) = program.instructions[k] else {
    Issue.record("instruction \(k) is not a Nonlin")
    return
  }
  #expect(program.name(dest) == "y")
  #expect(error?.message.contains("NaN") == true)
  #expect(error?.message.contains("y = x / (x - x)") == true, "\(error?.message ?? "")")
  #expect(error?.location == "nan.tp:4:1", "\(error?.location ?? "")")
}

@Test func aWidthBelowOneIsAnError() throws {
  let program = try coreProgram("width n\nvector x ~ N(0, 1)\nm = mean(x)\nout m")
  #expect(throws: NumericalError.self) { try FiniteExecutor.run(program, options: FiniteOptions(width: 0)) }
  let one = try FiniteExecutor.run(program, options: FiniteOptions(width: 1))
  #expect(one.scalars.allSatisfy { $0.isFinite })
}
