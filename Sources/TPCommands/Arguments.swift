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
    guard let v = Int(s), range.contains(v) else {
      throw .usage(
        "--\(name) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(s)'",
        command: command)
    }
    return v
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
