// An application that embeds TensorPrograms: docs/library.md, as one runnable program.
//
//     swift run -c release -Xswiftc -enable-testing Embed
//
// It parses a network, computes its infinite-width limit, reads the trajectory and the kernels
// by name, trains the same network at a finite width, checks the limit against finite widths,
// and shows how a bad program is reported. Exit code 0 when all of it went as expected.
import Foundation
import TensorPrograms

let source = """
  width n
  layer U : 2 -> n
  layer W : n -> n
  layer v : n -> 1
  model f(xi) {
    h = relu(U @ xi)
    return v @ relu(W @ h)
  }
  parametrization mup
  point a = [1, 0]
  data train = [ a -> 1, [0, 1] -> -1 ]
  train f on train with sgd(lr: 0.5, steps: 3)
  observe f at a
  observe loss
  """

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("Embed: \(message)\n".utf8))
  exit(1)
}

// Parsing and checking: every error of the file at once, as `Diagnostics`.
let program: TensorProgram
do {
  program = try TensorProgram(source: source, fileName: "embedded.tp")
} catch {
  fail(error.render())
}

do {
  // The limit: one entry point for core programs and networks.
  let limit = try program.runLimit(LimitOptions(seed: 1))
  print("regime:", limit.regime?.name ?? "none")
  let f = limit.trajectory("f", at: [[1, 0]])
  for step in f.keys.compactMap({ $0 }).sorted() {
    let v = f[step]!  // safe: a key of f
    print("f_\(step)(a) = \(v.value) ± \(v.error) (\(v.method))")
  }
  guard let loss = limit.trajectory("loss")[3] else { fail("no loss after 3 steps") }
  print("loss after 3 steps:", loss.value, "±", loss.error)

  // A finite network trained directly (independently of the lowering), and the check.
  let finite = try program.runFinite(width: 1024, seed: 2)
  guard let finiteLoss = finite.trajectory("loss")[3] else { fail("no finite loss") }
  print("at width 1024:", finiteLoss.value)
  let check = try program.check(widths: [256, 512, 1024], seeds: 4)
  print("tp check:", check.passed ? "the finite widths approach the limit" : "MISMATCH")

  // Kernels: the NNGP and NTK matrices by name, each entry with its error.
  let kernels = try TensorProgram(
    source: """
      width n
      layer U : 2 -> n
      layer v : n -> 1
      model g(xi) { return v @ relu(U @ xi) }
      parametrization ntk
      kernel g at [1, 0], [0.6, 0.8]
      """, fileName: "kernels.tp"
  ).runLimit()
  guard let ntk = kernels.kernelsByName["ntk"] else { fail("no NTK") }
  print("NTK(a, b) =", ntk.value(0, 1), "±", ntk.error(0, 1))
  guard check.passed else { exit(4) }
} catch {
  // RunFailure (.program, .numerical, .unsupported) and Diagnostics describe themselves as `tp` does.
  fail("\(error)")
}

// A bad program: the diagnostics are values, rendered as `tp` prints them.
do {
  _ = try TensorProgram(source: "width n\nvector x ~ N(0, 1)\ny = tanhh(x)\nout y\n", fileName: "bad.tp")
  fail("a misspelt function was accepted")
} catch {
  print(error.render())
}
