import Foundation
import Testing

@_exported import struct TPNumerics.SplitMix64

/// One malformed program and the first diagnostic it must produce, from `Fixtures/expected.tsv`.
public struct FixtureCase: Sendable, Hashable, CustomTestStringConvertible {
  /// File name inside the fixture folder; names starting with `gen_` are generated (see ``Fixtures/generated``).
  public var file: String
  public var line: Int
  public var column: Int
  /// A substring of the expected message.
  public var message: String

  public var testDescription: String { "\(file) → \(line):\(column) \(message)" }
  /// `line:column`, as diagnostics print it.
  public var location: String { "\(line):\(column)" }
}

/// The malformed programs of `Tests/TPCoreTests/Fixtures`.
///
/// The manifest `expected.tsv` has one case a line: `file<TAB>line<TAB>column<TAB>message`;
/// `#` starts a comment line. Inputs too large or too binary to keep in git are generated here,
/// deterministically, and named `gen_…` in the manifest.
public enum Fixtures {
  /// The fixture folder in the source tree, for targets that cannot reach TPCoreTests' bundle
  /// and for runs of the built `tp` binary.
  public static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("TPCoreTests/Fixtures")

  /// Reads the manifest in `directory`; an unreadable manifest gives no cases (a separate test
  /// checks the count, so that shows as a failure, not as silence).
  public static func manifest(in directory: URL) -> [FixtureCase] {
    guard
      let text = try? String(contentsOf: directory.appendingPathComponent("expected.tsv"), encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").compactMap { row in
      if row.hasPrefix("#") || row.allSatisfy(\.isWhitespace) { return nil }
      let f = row.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
      guard f.count == 4, let line = Int(f[1]), let column = Int(f[2]) else { return nil }
      return FixtureCase(file: f[0], line: line, column: column, message: f[3])
    }
  }

  /// The bytes of fixture `name`: generated, or read from `directory`.
  public static func bytes(of name: String, in directory: URL) -> [UInt8]? {
    if let make = generated[name] { return make() }
    return FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map {
      [UInt8]($0)
    }
  }

  /// Inputs built at run time rather than committed.
  public static let generated: [String: @Sendable () -> [UInt8]] = [
    // Classic Mac OS line endings (a lone CR): lines must count, so the error is on line 3.
    "gen_cr_line_endings.tp": { Array("width n\rvector u ~ N(0, 1)\rout mean(uu)\r".utf8) },
    // An ELF header (its eighth byte is NUL) followed by random bytes: what running `tp` on a
    // compiled program by mistake looks like.
    "gen_binary.tp": {
      var rng = SplitMix64(seed: 0x7e57)
      return [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00]
        + (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    },
    // Random bytes without NUL: invalid UTF-8 and control characters everywhere.
    "gen_garbage.tp": {
      var rng = SplitMix64(seed: 0x6a7b)
      return (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next() % 255 + 1) }
    },
    // A 1 MB line: a million spaces of indentation, then an unknown function.
    "gen_long_line.tp": {
      Array("width n\nvector u ~ N(0, 1)\n".utf8) + [UInt8](repeating: 0x20, count: 1_000_000)
        + Array("x = tanhh(u)\nout mean(x)\n".utf8)
    },
    // A 1 MB expression on one line: far past the nesting limit.
    "gen_long_expression.tp": {
      Array("width n\nvector u ~ N(0, 1)\nx = u".utf8) + Array(String(repeating: " + u", count: 250_000).utf8)
        + Array("\nout mean(x)\n".utf8)
    },
    // A 1 MB comment line is fine; the error is on the line after it.
    "gen_long_comment.tp": {
      Array("width n\n# ".utf8) + [UInt8](repeating: UInt8(ascii: "c"), count: 1_000_000)
        + Array("\nvector u ~ N(0, 1)\nout mean(uu)\n".utf8)
    },
  ]

  /// Writes every case's input to a fresh temporary folder (generated ones included) and returns it.
  public static func materialize(_ cases: [FixtureCase], from directory: URL) throws -> URL {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tp-fixtures-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    for c in cases {
      guard let bytes = bytes(of: c.file, in: directory) else { continue }
      try Data(bytes).write(to: out.appendingPathComponent(c.file))
    }
    return out
  }
}
