import Foundation
import TensorPrograms

/// A hand-written command-line parser: `--name value`, `--name=value`, boolean `--flag`,
/// repeatable options, and positional arguments; `--` ends options.
public struct ParsedArguments: Sendable {
  public var positional: [String] = []
  public var values: [String: [String]] = [:]
  public var flags: Set<String> = []

  /// The last value given for `name`.
  public func value(_ name: String) -> String? { values[name]?.last }

  /// True when `--name` was given.
  public func flag(_ name: String) -> Bool { flags.contains(name) }
}

/// What options a command accepts.
public struct OptionSpec: Sendable {
  /// Options that take a value, without the leading `--`.
  public var valued: Set<String>
  /// Boolean flags, without the leading `--`.
  public var flags: Set<String>

  public init(valued: Set<String> = [], flags: Set<String> = []) {
    self.valued = valued
    self.flags = flags
  }

  /// Parses `args` against this spec; unknown options get a "did you mean" hint.
  public func parse(_ args: [String], command: String) throws(CommandError) -> ParsedArguments {
    var out = ParsedArguments()
    var i = 0
    var optionsEnded = false
    while i < args.count {
      let a = args[i]
      i += 1
      if optionsEnded || !a.hasPrefix("--") || a == "-" {
        if a.hasPrefix("-") && a.count > 1 && !optionsEnded && Double(a) == nil {
          throw .usage("unknown option '\(a)'", command: command)
        }
        out.positional.append(a)
        continue
      }
      if a == "--" {
        optionsEnded = true
        continue
      }
      var name = String(a.dropFirst(2))
      var inline: String?
      if let eq = name.firstIndex(of: "=") {
        inline = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      if flags.contains(name) {
        if inline != nil { throw .usage("option '--\(name)' takes no value", command: command) }
        out.flags.insert(name)
      } else if valued.contains(name) {
        let v: String
        if let inline {
          v = inline
        } else {
          guard i < args.count else { throw .usage("option '--\(name)' needs a value", command: command) }
          v = args[i]
          i += 1
        }
        out.values[name, default: []].append(v)
      } else {
        let hint =
          closestMatch(to: name, among: valued.union(flags), limit: 2).map { "; did you mean '--\($0)'?" }
          ?? ""
        throw .usage("unknown option '--\(name)'\(hint)", command: command)
      }
    }
    return out
  }
}

extension ParsedArguments {
  /// An integer option within `range`, or `default`.
  func integer(_ name: String, default d: Int, in range: ClosedRange<Int>, command: String)
    throws(CommandError) -> Int
  {
    guard let s = value(name) else { return d }
    // Int(_:) returns nil past Int.max, so no value overflows.
    guard let v = Int(s), range.contains(v) else {
      throw .usage(Message.integerOption(name, range, got: s), command: command)
    }
    return v
  }

  /// `--width N`: 1 … ``CommandLimits/maximumWidth``, or nil when not given.
  func width(command: String) throws(CommandError) -> Int? {
    guard value("width") != nil else { return nil }
    return try integer("width", default: 1, in: 1...CommandLimits.maximumWidth, command: command)
  }

  /// `--widths LIST`: comma-separated widths, each 1 … ``CommandLimits/maximumWidth``.
  func widths(default d: [Int], command: String) throws(CommandError) -> [Int] {
    guard let list = value("widths") else { return d }
    let parsed = list.split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    let widths = parsed.compactMap { $0 }
    guard !parsed.isEmpty, widths.count == parsed.count, widths.count <= CommandLimits.maximumWidths,
      widths.allSatisfy({ (1...CommandLimits.maximumWidth).contains($0) })
    else {
      throw .usage(Message.widthList(list), command: command)
    }
    return widths
  }

  /// `--timeout S`: seconds (a finite number in (0, 10⁷]), or nil when not given.
  func timeout(command: String) throws(CommandError) -> Double? {
    guard let s = value("timeout") else { return nil }
    guard let v = Double(s), v.isFinite, v > 0, v <= 1e7 else {
      throw .usage(Message.timeoutOption(s), command: command)
    }
    return v
  }

  /// `--seeds K` of `tp check`: 2 … ``CommandLimits/maximumSeeds`` (default 8).
  func seedCount(command: String) throws(CommandError) -> Int {
    if let s = value("seeds"), let k = Int(s), k < 2 {
      throw .usage(Message.tooFewSeeds(s), command: command)
    }
    return try integer("seeds", default: 8, in: 2...CommandLimits.maximumSeeds, command: command)
  }

  /// `--max-memory SIZE`: bytes, or a number with a binary suffix (`512M`, `8G`, `1.5T`, also
  /// `KiB`/`MiB`/`GiB`/`TiB`); the system's limit when not given.
  func memoryLimit(command: String) throws(CommandError) -> MemoryLimit {
    guard let s = value("max-memory") else { return .system() }
    guard let bytes = Self.size(s) else { throw .usage(Message.memorySize(s), command: command) }
    return .requested(bytes)
  }

  /// A size in bytes: digits (with an optional fraction) and an optional K, M, G or T suffix
  /// (powers of 1024, optionally followed by `iB` or `B`); nil for anything else, zero, or a
  /// size past `Int.max`.
  static func size(_ text: String) -> Int? {
    var s = text.trimmingCharacters(in: .whitespaces).uppercased()
    var scale = 1.0
    for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
      s.removeLast(suffix.count)
      break
    }
    if let last = s.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
      scale = Foundation.pow(1024, Double(power))
      s.removeLast()
    }
    guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
      s.filter({ $0 == "." }).count <= 1,
      let v = Double(s)
    else { return nil }
    let bytes = v * scale
    guard bytes >= 1, bytes < 9.2e18 else { return nil }
    return Int(bytes)
  }

  /// `--max-work OPS`: the most arithmetic operations a finite run (or `tp check`'s runs
  /// together) may need, as an integer or in scientific notation (`5e12`).
  func workLimit(command: String) throws(CommandError) -> Int {
    guard let s = value("max-work") else { return FiniteOptions.defaultWorkLimit }
    guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v >= 1, v < 9.2e18 else {
      throw .usage(Message.workCount(s), command: command)
    }
    return Int(v)
  }

  /// `--seed S`: a non-negative 64-bit integer (default 0).
  func seed(command: String) throws(CommandError) -> UInt64 {
    guard let s = value("seed") else { return 0 }
    guard let v = UInt64(s) else {
      throw .usage("--seed must be an integer in 0…\(UInt64.max), got '\(s)'", command: command)
    }
    return v
  }

  /// `--set NAME=VALUE` pairs.
  func overrides(command: String) throws(CommandError) -> [String: Double] {
    var out: [String: Double] = [:]
    for s in values["set"] ?? [] {
      let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]), v.isFinite else {
        throw .usage("--set expects NAME=VALUE with a finite number, got '\(s)'", command: command)
      }
      out[parts[0]] = v
    }
    return out
  }

  /// The single FILE operand.
  func file(command: String) throws(CommandError) -> String {
    guard positional.count == 1 else {
      throw .usage(
        positional.isEmpty ? "missing FILE" : "expected one FILE, got \(positional.count) operands",
        command: command)
    }
    return positional[0]
  }
}
