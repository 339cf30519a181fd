import Foundation
import TensorPrograms
import Testing

/// Widths at the edge of `Int` give refusals, never overflow traps, in every finite engine.
@Suite struct ResourceGuardTests {
  static let core = """
    width n
    matrix W ~ N(0, 1/n)
    vector x ~ N(0, 1)
    h = W @ x
    g = W.T @ h
    m = mean(g * h)
    out m
    """

  static let network = """
    width n
    layer U : 2 -> n
    layer W : n -> n
    layer V : n -> 1
    model f(xi) {
      return V @ tanh(W @ tanh(U @ xi))
    }
    parametrization mup
    data train = [ [1, 0] -> 1 ]
    train f on train with sgd(lr: 0.5, steps: 2)
    observe f at [1, 0]
    """

  static let hugeWidths = [Int.max, Int.max - 1, 1 << 62, 4_611_686_018_427_387_904, 3_037_000_500, 1 << 32]

  @Test(arguments: hugeWidths)
  func executorRefusesHugeWidths(_ width: Int) throws {
    let program = try coreProgram(Self.core)
    let error = #expect(throws: NumericalError.self) {
      try FiniteExecutor.run(program, options: FiniteOptions(width: width))
    }
    #expect(error?.message.contains("running at width \(width) needs ") == true, "\(error?.message ?? "")")
    let estimate = FiniteExecutor.estimate(program, options: FiniteOptions(width: width))
    #expect(estimate.bytes > MemoryLimit.system().bytes)
  }

  @Test(arguments: hugeWidths)
  func trainerRefusesHugeWidths(_ width: Int) throws {
    let program = try TensorProgram(source: Self.network)
    let error = #expect(throws: DirectTrainingFailure.self) {
      try DirectTrainer.run(program.checked, options: FiniteOptions(width: width))
    }
    guard case .numerical(let e)? = error else {
      Issue.record("not a numerical failure: \(String(describing: error))")
      return
    }
    #expect(e.message.hasPrefix("training at width \(width) needs "), "\(e.message)")
  }

  @Test func samplerRefusesHugeWidths() throws {
    let program = try coreProgram(Self.core)
    #expect(throws: NumericalError.self) {
      try FiniteExecutor.sampleDeclarations(program, options: FiniteOptions(width: Int.max))
    }
  }

  /// The estimate of a direct run counts the hidden matrix once (it is scaled in place and
  /// updated without a copy), plus what is proportional to n.
  @Test func trainerMemoryEstimateIsAboutTheWeights() throws {
    let program = try TensorProgram(source: Self.network)
    let n = 20_000
    let e = try DirectTrainer.estimate(program.checked, options: FiniteOptions(width: n))
    let matrix = 8 * n * n
    #expect(e.bytes >= matrix && e.bytes < matrix + matrix / 10, "\(e.bytes)")
    #expect(e.multiplyAdds > 4 * n * n)
  }

  @Test func workLimitRefusesBeforeRunning() throws {
    let program = try coreProgram(Self.core)
    var options = FiniteOptions(width: 4096)
    options.workLimit = 1_000
    let start = ContinuousClock.now
    let error = #expect(throws: NumericalError.self) { try FiniteExecutor.run(program, options: options) }
    #expect(ContinuousClock.now - start < .seconds(1))
    #expect(error?.message.contains("arithmetic operations, more than the limit of 1000") == true)
  }

  /// The public `check` refuses one seed (a standard error needs two) and absurd sweeps.
  @Test func checkGuards() throws {
    let program = try TensorProgram(source: Self.core)
    #expect(throws: RunFailure.self) { try program.check(widths: [64], seeds: 1) }
    let error = #expect(throws: RunFailure.self) {
      try program.check(widths: [1 << 20], seeds: 100, budget: ResourceBudget(work: 1_000_000))
    }
    #expect(error?.description.contains("tp check at 1 width (up to 1048576) × 100 seeds needs") == true)
  }

  /// A long unrolled chain of instructions (not a deep expression) runs at a finite width.
  @Test func longUnrolledChainRuns() throws {
    let program = try coreProgram(
      "width n\nvector u ~ N(0, 1)\nz[0] = u\nfor t in 0 ..< 20000 { z[t+1] = 0.5 * z[t] + 0.5 * u }\n"
        + "m = mean(z[20000] * u)\nout m")
    let run = try FiniteExecutor.run(program, options: FiniteOptions(width: 64, threads: 1))
    #expect(run.outputs[0].scalarValue.isFinite)
  }
}
