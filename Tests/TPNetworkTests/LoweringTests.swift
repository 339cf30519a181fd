import Testing

@testable import TensorPrograms

let trainedMLP = """
  data train = [ [1, 0] -> 1, [0, 1] -> -1 ]
  train f on train with sgd(lr: 0.5, steps: 2, batch: 1, loss: mse)
  observe f at [1, 0]
  """

@Test func muPLowersWithNoDroppedTerms() throws {
  let p = try TensorProgram(source: mlp(hidden: 2, "mup") + trainedMLP)
  let lowered = try p.lowered(.limit)
  #expect(lowered.dropped.isEmpty)
  #expect(lowered.trajectory.map(\.step) == [0, 1, 2])
  // The second hidden layer's backward pass needs W.T, so the program has transposed MatMuls.
  #expect(
    lowered.program.instructions.contains {
      if case .matmul(_, _, true, _) = $0 { return true } else { return false }
    })
}

@Test func ntkLimitIsRoutedToTheKernelEngine() throws {
  let p = try TensorProgram(source: mlp(hidden: 2, "ntk") + trainedMLP)
  #expect {
    _ = try p.lowered(.limit)
  } throws: { error in
    if case .kernelRegime = error as? LoweringFailure { return true }
    return false
  }
  // At finite width every term is kept.
  let finite = try p.lowered(.finite(width: 64))
  #expect(finite.dropped.isEmpty)
}

/// SP-like exponents with a readout scaled so f(0) stays O(1): the first update is what blows up.
@Test func standardParametrizationIsUnstableInTheLimit() throws {
  let p = try TensorProgram(
    source: mlp(hidden: 2, "abc { U: a = 0, b = 0; W0: a = 0, b = 0.5; V: a = 0, b = 1; c = 0 }") + trainedMLP
  )
  do {
    _ = try p.lowered(.limit)
    Issue.record("expected an instability")
  } catch {
    guard case .unstable(let message) = error else {
      Issue.record("unexpected \(error)")
      return
    }
    // Readout a = 0, c = 0: the readout update moves f by n^{1 − c − 2a} = n^1 (hand-derived).
    #expect(message == "the readout update of V grows like n^1")
  }
}
