import Foundation
import TensorPrograms

/// A partial result of a sharded run (docs/scaling.md): one replicate of `tp run` or one shard
/// of `tp check`, self-describing enough for `tp merge` to check that partials belong
/// together and to print the unsharded result without the program file.
///
/// Numbers are JSON numbers (Swift writes the shortest decimal that reads back to the same
/// double, so values survive bit for bit); NaN and infinities are the strings `"nan"`,
/// `"inf"`, `"-inf"`.
struct PartialDocument: Codable {
  static let formatName = "tp-partial"
  static let formatVersion = 1

  /// The limit settings that decide the numbers (threads do not).
  struct Settings: Codable, Equatable {
    var method: String
    var samples: Int
    var replicates: Int
    var degree: Int
    var seed: UInt64
    var sampler: String

    init(_ o: LimitOptions) {
      sampler = o.sampler.rawValue
      method = o.method.rawValue
      samples = o.samples
      replicates = o.replicates
      degree = o.degree
      seed = o.seed
    }

    var options: LimitOptions? {
      guard let m = ExpectationMethod(rawValue: method), let s = Sampler(rawValue: sampler) else {
        return nil
      }
      var o = LimitOptions(method: m, samples: samples, replicates: replicates, degree: degree, seed: seed)
      o.sampler = s
      return o
    }
  }

  var format = formatName
  var version = formatVersion
  /// `run` or `check`.
  var kind: String
  /// The `tp` version that wrote it (merging across versions is refused: results may differ).
  var tp = TPCommands.version
  /// The program's path as given, its SHA-256 and its text.
  var program: String
  var sha256: String
  var source: String
  /// `--set` overrides.
  var overrides: [String: Double]
  var settings: Settings
  /// 1-based index of this part (the replicate, or the shard) and how many there are.
  var part: Int
  var parts: Int
  /// `run`: the replicate's raw results, one per limit computation of the run.
  var calls: [ReplicateLedger.Call]?
  /// `check`: the shard's finite runs and the limit.
  var check: CheckRuns?

  init(
    kind: String, program: String, source: [UInt8], overrides: [String: Double], settings: Settings,
    part: Int,
    parts: Int
  ) {
    self.kind = kind
    self.program = program
    self.sha256 = SHA256.hex(source)
    self.source = String(decoding: source, as: UTF8.self)
    self.overrides = overrides
    self.settings = settings
    self.part = part
    self.parts = parts
  }

  /// The document as pretty-printed JSON with sorted keys and a final newline.
  func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// Reads a partial from `bytes` (of file `path`, for messages).
  static func read(_ bytes: [UInt8], path: String) throws(CommandError) -> PartialDocument {
    struct Header: Decodable {
      var format: String?
      var version: Int?
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = Data(bytes)
    guard let header = try? decoder.decode(Header.self, from: data), header.format == formatName else {
      throw CommandError(
        "tp merge: error: \(path) is not a partial result of 'tp run --replicate' or 'tp check --shard'",
        code: .usage)
    }
    guard header.version == formatVersion else {
      throw CommandError(
        "tp merge: error: \(path) is a partial of format version \(header.version.map(String.init) ?? "?"); this tp reads version \(formatVersion)",
        code: .usage)
    }
    do {
      return try decoder.decode(PartialDocument.self, from: data)
    } catch {
      throw CommandError("tp merge: error: \(path) is a damaged partial result (\(error))", code: .usage)
    }
  }
}

extension ParsedArguments {
  /// `--NAME K/N` (1 ≤ K ≤ N ≤ `maximum`), as `(K, N)`; nil when not given.
  func part(_ name: String, maximum: Int, command: String) throws(CommandError) -> (index: Int, count: Int)? {
    guard let s = value(name) else { return nil }
    let pieces = s.split(separator: "/", omittingEmptySubsequences: false)
    guard pieces.count == 2, let k = Int(pieces[0]), let n = Int(pieces[1]), (1...maximum).contains(n),
      (1...n).contains(k)
    else {
      throw .usage("--\(name) expects K/N with 1 ≤ K ≤ N ≤ \(maximum), got '\(s)'", command: command)
    }
    return (k, n)
  }
}
