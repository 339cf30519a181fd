import Foundation
import TPTestSupport
import TensorPrograms
import Testing

/// Random mutations of the example programs, with a fixed seed: the front end must never crash
/// or hang, whatever it is given. A crash ends the test process, so reaching the end is the
/// check; each input must also be handled in under a second (a hang guard, not a benchmark).
@Suite struct FuzzTests {
  static let chunks = 10
  /// 10 × 1,000 inputs by default; `TP_FUZZ_INPUTS` (per chunk) and `TP_FUZZ_SEED` run longer or
  /// different campaigns without editing the test.
  static let inputsPerChunk = ProcessInfo.processInfo.environment["TP_FUZZ_INPUTS"].flatMap(Int.init) ?? 1_000
  static let seed = ProcessInfo.processInfo.environment["TP_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_0000

  /// The example programs, sorted by name so the inputs do not depend on directory order.
  static let corpus: [[UInt8]] = {
    let dir = Examples.root.appendingPathComponent("examples")
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter {
      $0.hasSuffix(".tp")
    }
    return names.sorted().compactMap {
      FileManager.default.contents(atPath: dir.appendingPathComponent($0).path)
    }
    .map { [UInt8]($0) }
  }()

  @Test func corpusIsThere() {
    #expect(Self.corpus.count >= 10)
  }

  @Test(arguments: 0..<chunks)
  func mutatedExamplesNeverCrashOrHang(_ chunk: Int) throws {
    try #require(!Self.corpus.isEmpty)
    var rng = SplitMix64(seed: Self.seed &+ UInt64(chunk) &* 0x1_0000)
    var accepted = 0
    var slowest = Duration.zero
    for k in 0..<Self.inputsPerChunk {
      let input = Mutator.mutate(&rng, Self.corpus)
      let start = ContinuousClock.now
      do {
        let program = try TensorProgram(file: SourceFile(name: "fuzz-\(chunk)-\(k).tp", bytes: input))
        _ = program.core.listing()
        accepted += 1
      } catch {
        // Every rejection renders as a compiler diagnostic with a caret.
        let text = error.render()
        #expect(text.contains(": error: ") && text.contains("^"), "input \(chunk)-\(k)")
      }
      let elapsed = ContinuousClock.now - start
      slowest = max(slowest, elapsed)
      if elapsed > .seconds(1) {
        Issue.record(
          "input \(chunk)-\(k) took \(elapsed): \(String(decoding: input.prefix(300), as: UTF8.self))")
      }
    }
    print("fuzz chunk \(chunk): \(Self.inputsPerChunk) inputs, \(accepted) accepted, slowest \(slowest)")
  }
}

/// Mutations of source bytes: bit flips, interesting bytes, token deletions and duplications,
/// truncations, line shuffles and splices of two programs. One to three are stacked per input.
enum Mutator {
  static let interesting: [UInt8] =
    Array("()[]{};,'.*@+-/=~:#\n 0919e".utf8) + [0x00, 0xFF, 0xC3, 0xE2, 0x80, 0x09, 0x0D]

  static func mutate(_ rng: inout SplitMix64, _ corpus: [[UInt8]]) -> [UInt8] {
    var bytes = corpus[rng.below(corpus.count)]
    for _ in 0...rng.below(3) { bytes = mutateOnce(&rng, bytes, corpus) }
    return bytes
  }

  static func mutateOnce(_ rng: inout SplitMix64, _ b: [UInt8], _ corpus: [[UInt8]]) -> [UInt8] {
    var b = b
    if b.isEmpty { return corpus[rng.below(corpus.count)] }
    switch rng.below(10) {
    case 0:  // flip bits
      for _ in 0...rng.below(4) { b[rng.below(b.count)] ^= UInt8(1 << rng.below(8)) }
    case 1:  // replace bytes by interesting ones
      for _ in 0...rng.below(4) { b[rng.below(b.count)] = interesting[rng.below(interesting.count)] }
    case 2:  // insert an interesting byte
      b.insert(interesting[rng.below(interesting.count)], at: rng.below(b.count + 1))
    case 3, 4:  // delete one to three tokens
      var tokens = tokenize(b)
      let i = rng.below(tokens.count)
      tokens.removeSubrange(i..<min(tokens.count, i + 1 + rng.below(3)))
      b = Array(tokens.joined())
    case 5:  // duplicate a token run, sometimes many times (deep nesting, long chains)
      var tokens = tokenize(b)
      let i = rng.below(tokens.count)
      let run = Array(tokens[i..<min(tokens.count, i + 1 + rng.below(4))])
      let times = rng.below(4) == 0 ? 1 + rng.below(300) : 1
      tokens.insert(contentsOf: Array(repeating: run, count: times).joined(), at: i)
      b = Array(tokens.joined())
    case 6:  // truncate
      b = Array(b.prefix(rng.below(b.count + 1)))
    case 7:  // splice: a prefix of this program and a suffix of another
      let other = corpus[rng.below(corpus.count)]
      b = Array(b.prefix(rng.below(b.count + 1)) + other.suffix(rng.below(other.count + 1)))
    case 8:  // duplicate, delete or swap lines
      var lines = b.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
      let i = rng.below(lines.count)
      let j = rng.below(lines.count)
      switch rng.below(3) {
      case 0: lines.insert(lines[i], at: j)
      case 1: lines.remove(at: i)
      default: lines.swapAt(i, j)
      }
      b = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    default:  // insert a line of another program
      let other = corpus[rng.below(corpus.count)].split(separator: UInt8(ascii: "\n")).map(Array.init)
      var lines = b.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
      if let line = other.isEmpty ? nil : other[rng.below(other.count)] {
        lines.insert(line, at: rng.below(lines.count + 1))
      }
      b = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }
    return b
  }

  /// Crude tokens for mutation: runs of name characters, runs of spaces, or single other bytes.
  static func tokenize(_ b: [UInt8]) -> [[UInt8]] {
    func kind(_ c: UInt8) -> Int {
      if (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 { return 0 }
      if c == 32 || c == 9 { return 1 }
      return 2
    }
    var tokens: [[UInt8]] = []
    var i = 0
    while i < b.count {
      var j = i + 1
      if kind(b[i]) != 2 { while j < b.count, kind(b[j]) == kind(b[i]) { j += 1 } }
      tokens.append(Array(b[i..<j]))
      i = j
    }
    return tokens
  }
}
