import Foundation
import TPCommands
import TPNumerics
import TPTestSupport
import Testing

/// Random *well-formed* programs — core Tensor Programs and networks with random options — run
/// in-process under a small work budget. Whatever they compute, `tp` must answer with an exit
/// code from the documented set (0 success, 1 usage, 2 program error, 3 numerical failure, 4
/// check failed), a
/// message on every failure, and no NaN or infinity printed as a success.
///
/// The default suite runs 100 programs; `TP_LONG_TESTS=1` runs 20,000 (the campaign reported
/// in docs/robustness.md). A failure prints the program and its command line to reproduce it.
@Suite struct ProgramFuzzTests {
  static let count = LongTests.enabled ? 20_000 : 100
  /// `TP_FUZZ_VERBOSE=1` prints the first line of every failure's message.
  static let verbose = ProcessInfo.processInfo.environment["TP_FUZZ_VERBOSE"] != nil

  @Test func randomWellFormedProgramsAnswerCleanly() throws {
    try withTemporaryDirectory { dir in
      var tally: [ExitCode: Int] = [:]
      for i in 0..<Self.count {
        var g = FuzzRandom(seed: UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 17)
        let (source, args) = g.chance(0.5) ? g.coreProgram() : g.networkProgram()
        let path = dir.appendingPathComponent("p\(i % 8).tp").path
        try Data(source.utf8).write(to: URL(fileURLWithPath: path))
        let command = args.first == "check" ? ["check", path] + args.dropFirst() : ["run", path] + args
        let r = tp(Array(command) + ["--max-work", "2e8"])
        tally[r.code, default: 0] += 1
        if Self.verbose, r.code != .success {
          print("fuzz \(i) exit \(r.code.rawValue): \(r.stderr.split(separator: "\n").first ?? "")")
        }
        let context =
          "program \(i): tp \(command.joined(separator: " "))\n\(source)\nstdout: \(r.stdout)\nstderr: \(r.stderr)"
        #expect([.success, .usage, .program, .numerical, .checkFailed].contains(r.code), "\(context)")
        if r.code == .success {
          #expect(!Self.printsNonFinite(r.stdout), "\(context)")
        } else if r.code == .checkFailed {
          // A failed check explains itself in its table (a false alarm at two seeds is allowed).
          #expect(r.stdout.contains("do not approach their limits"), "\(context)")
        } else {
          #expect(!r.stderr.isEmpty, "\(context)")
        }
        #expect(!r.stderr.contains("Fatal error"), "\(context)")
      }
      print("fuzz: \(Self.count) programs, exit codes \(tally.sorted { $0.key.rawValue < $1.key.rawValue })")
      // The generator is meant to produce mostly runnable programs: most must succeed.
      #expect(tally[.success, default: 0] * 2 > Self.count, "\(tally)")
    }
  }

  /// Whether `text` has a `nan`/`inf` token (or a JSON `null` number) where a number belongs.
  static func printsNonFinite(_ text: String) -> Bool {
    let tokens = text.split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "+") }
    return tokens.contains { ["nan", "-nan", "inf", "-inf", "+inf", "null"].contains($0.lowercased()) }
  }
}

/// Choices for the program generator, from ``SplitMix64``.
struct FuzzRandom {
  var bits: SplitMix64

  init(seed: UInt64) { bits = SplitMix64(seed: seed) }

  mutating func next() -> UInt64 { bits.next() }

  mutating func int(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.count))
  }

  mutating func uniform() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

  mutating func chance(_ p: Double) -> Bool { uniform() < p }

  mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

  mutating func number(_ lo: Double, _ hi: Double) -> String {
    String(format: "%.3g", lo + (hi - lo) * uniform())
  }

  static let activations = ["relu", "tanh", "step", "abs", "sign", "erf", "gelu", "sin", "sigmoid", "exp"]

  /// A random expression over `names` of nesting at most `depth`.
  mutating func expression(_ names: [String], depth: Int) -> String {
    if depth == 0 || chance(0.3) {
      return chance(0.15) ? number(-2, 2) : pick(names)
    }
    switch int(0...4) {
    case 0: return "\(pick(Self.activations.filter { $0 != "exp" }))(\(expression(names, depth: depth - 1)))"
    case 1: return "\(expression(names, depth: depth - 1)) + \(expression(names, depth: depth - 1))"
    case 2: return "\(expression(names, depth: depth - 1)) * \(expression(names, depth: depth - 1))"
    case 3: return "\(number(-2, 2)) * \(expression(names, depth: depth - 1))"
    default: return "(\(expression(names, depth: depth - 1)) - \(expression(names, depth: depth - 1)))"
    }
  }

  /// A random expression that reads at least one of `names` (so it is a vector).
  mutating func vectorExpression(_ names: [String], depth: Int) -> String {
    let e = expression(names, depth: depth)
    let tokens = Set(e.split { !($0.isLetter || $0.isNumber) }.map(String.init))
    return names.contains(where: tokens.contains) ? e : "\(e) + \(pick(names))"
  }

  /// A core program: 1–4 Gaussians (some correlated, some with means), matrices, MatMuls with
  /// transposes, nonlinearities, a loop, moments, scalar arithmetic and vector outputs.
  mutating func coreProgram() -> (String, [String]) {
    var lines = ["width n"]
    let k = int(1...4)
    var vectors: [String] = []
    if k >= 2 && chance(0.5) {
      let rho = number(-0.95, 0.95)
      lines.append(
        "vector a0, a1 ~ N([\(number(-1, 1)), \(number(-1, 1))], [[1, \(rho)], [\(rho), \(number(1, 2))]])")
      vectors += ["a0", "a1"]
    }
    while vectors.count < k {
      let name = "g\(vectors.count)"
      lines.append("vector \(name) ~ N(\(number(-1, 1)), \(number(0.2, 2)))")
      vectors.append(name)
    }
    lines.append("matrix W ~ N(0, \(number(0.5, 2))/n)")
    if chance(0.5) { lines.append("matrix A ~ N(0, 1/n)") }
    let hasA = lines.last!.hasPrefix("matrix A")  // safe: lines is not empty
    var names = vectors
    for j in 0..<int(1...4) {
      let name = "v\(j)"
      switch int(0...3) {
      case 0: lines.append("\(name) = W @ \(pick(names))")
      case 1: lines.append("\(name) = W.T @ \(pick(names))")
      case 2 where hasA: lines.append("\(name) = A @ \(Self.activations.randomFrom(&self))(\(pick(names)))")
      default: lines.append("\(name) = \(vectorExpression(names, depth: 3))")
      }
      names.append(name)
    }
    if chance(0.3) {
      let start = pick(names)
      lines.append("z[0] = \(start)")
      lines.append("for t in 0 ..< \(int(1...4)) { z[t+1] = tanh(W @ z[t]) + \(number(0, 1)) * \(start) }")
    }
    var scalars: [String] = []
    for j in 0..<int(1...3) {
      lines.append("m\(j) = mean(\(vectorExpression(names, depth: 3)))")
      scalars.append("m\(j)")
    }
    if chance(0.5) {
      lines.append("c = \(pick(scalars)) * \(number(-2, 2)) + \(pick(scalars))"); scalars.append("c")
    }
    var outs = scalars
    if chance(0.5) { outs.append(pick(names)) }
    lines.append("out " + outs.joined(separator: ", "))
    var args: [String] = []
    switch int(0...9) {
    case 0:
      args += ["--method", "mc", "--samples", String(int(64...4096)), "--replicates", String(int(1...3))]
    case 1: args += ["--method", "quadrature", "--degree", String(int(2...40))]
    case 2: args += ["--method", "exact"]
    case 3: args += ["--width", String(int(1...300)), "--seed", String(int(0...99))]
    case 4: args = ["check", "--widths", "16,32", "--seeds", "2", "--samples", "1024"]
    case 5: args += ["--json", "--samples", "1024", "--replicates", "2"]
    default: args += ["--samples", String(int(256...4096)), "--replicates", String(int(1...4))]
    }
    return (lines.joined(separator: "\n") + "\n", args)
  }

  /// A network: 1–3 hidden layers with random activations, a parametrization, optional biases,
  /// SGD with random rate, steps, batch and loss, observations and kernel requests.
  mutating func networkProgram() -> (String, [String]) {
    let d = int(1...3)
    let hidden = int(1...3)
    var lines = ["width n", "layer U : \(d) -> n"]
    for l in 1..<hidden { lines.append("layer W\(l) : n -> n") }
    lines.append("layer V : n -> 1")
    let parametrization = pick(["mup", "ntk", "sp", "mf"])
    var body = ["  h1 = U @ xi", "  x1 = \(pick(["relu", "tanh", "gelu", "erf", "sin"]))(h1)"]
    for l in 1..<hidden {
      body.append("  h\(l + 1) = W\(l) @ x\(l)")
      body.append("  x\(l + 1) = \(pick(["relu", "tanh", "gelu", "erf"]))(h\(l + 1))")
    }
    body.append("  return V @ x\(hidden)")
    lines +=
      ["model f(xi) {"] + body + [
        "}", "parametrization \(hidden > 1 && parametrization == "mf" ? "mup" : parametrization)",
      ]
    func point() -> String { "[" + (0..<d).map { _ in number(-1, 1) }.joined(separator: ", ") + "]" }
    let examples = int(1...4)
    let logistic = chance(0.2)
    let data = (0..<examples).map { _ in
      "\(point()) -> \(logistic ? (chance(0.5) ? "1" : "-1") : number(-1, 1))"
    }
    lines.append("data train = [ " + data.joined(separator: ", ") + " ]")
    let kernel = parametrization == "ntk" && chance(0.5)
    if !kernel || chance(0.5) {
      lines.append(
        "train f on train with sgd(lr: \(number(0.01, 1.5)), steps: \(int(1...4)), batch: \(int(1...examples)), loss: \(logistic ? "logistic" : "mse"))"
      )
      lines.append("observe f at \(point())")
      if chance(0.5) { lines.append("observe loss") }
    }
    if kernel { lines.append("kernel f at \(point()), \(point())") }
    var args: [String] = []
    switch int(0...5) {
    case 0: args += ["--width", String(int(2...128)), "--seed", String(int(0...99))]
    case 1:
      args += ["--method", "mc", "--samples", String(int(256...2048)), "--replicates", String(int(1...2))]
    default: args += ["--samples", String(int(256...2048)), "--replicates", String(int(1...3))]
    }
    return (lines.joined(separator: "\n") + "\n", args)
  }
}

extension Array where Element == String {
  /// A random element drawn with `g`.
  func randomFrom(_ g: inout FuzzRandom) -> String { g.pick(self) }
}
