import Foundation

/// The catalogue of semantic-analysis messages, one member per message, so tests can name them.
public enum Message {
  public static func unknownName(_ n: String, suggestion: String?) -> String {
    "unknown name '\(n)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
  }
  public static func unknownFunction(_ n: String, suggestion: String?) -> String {
    "unknown function '\(n)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
  }
  public static func redefinition(_ n: String) -> String { "'\(n)' is already defined" }
  public static func redefinitionInLoop(_ n: String) -> String {
    "'\(n)' is defined again on a later loop iteration; index it, as in '\(n)[t]'"
  }
  public static func usedBeforeDefinition(_ n: String) -> String { "'\(n)' is used before it is defined" }
  public static let widthMissing = "the program must declare its width first, as in 'width n'"
  public static func varianceForm(_ width: String) -> String {
    "a matrix variance must be written 'c/\(width)' with a positive constant c, as in '2/\(width)'"
  }
  public static func vectorWhereScalar(_ text: String, _ context: String) -> String {
    "\(context) needs a scalar, but '\(text)' is a vector"
  }
  public static func scalarWhereVector(_ text: String, _ context: String) -> String {
    "\(context) needs a vector, but '\(text)' is a scalar"
  }
  public static let matmulLeft = "the left operand of '@' must be a matrix (a declared matrix or 'W.T')"
  public static func matrixMisuse(_ n: String) -> String {
    "matrix '\(n)' can only be used on the left of '@'"
  }
  public static func notConstant(_ context: String) -> String { "\(context) must be a constant" }
  public static func notInteger(_ context: String, _ v: Double) -> String {
    "\(context) must be an integer, found \(Program.format(v))"
  }
  public static func covarianceNotSymmetric(_ i: Int, _ j: Int, _ a: Double, _ b: Double) -> String {
    "covariance is not symmetric: entry [\(i)][\(j)] is \(Program.format(a)) but [\(j)][\(i)] is \(Program.format(b))"
  }
  public static let covarianceNotPSD = "covariance is not positive semi-definite"
  public static let nothingToReport =
    "the program has no 'out', 'show' or network statements, so it computes nothing to report"
  public static func expressionTooLarge(_ what: String) -> String {
    "\(what) expands to more than \(ExpressionLimits.maximumNodes) nodes or \(ExpressionLimits.maximumHeight) levels;"
      + " split it into several statements"
  }
  public static func tooManyErrors(_ shown: Int) -> String {
    "too many errors; only the first \(shown) are shown"
  }
  /// A compile-time value that is NaN or ±Inf (a numerical failure, exit code 3).
  public static func notFinite(_ text: String, _ v: Double) -> String {
    let value = v.isNaN ? "NaN (not a number)" : (v > 0 ? "inf" : "-inf")
    return "'\(text)' evaluates to \(value); every value of a program must be finite"
  }
  public static func recursiveFunction(_ f: String) -> String {
    "'\(f)' calls itself; a function cannot be recursive (calls are expanded where they are written)"
  }
  public static func realPowerBase(_ base: String) -> String {
    "a real power needs a non-negative base, but '\(base)' can be negative;"
      + " write 'abs(\(base)) ** p' or 'relu(\(base)) ** p', or use an integer power"
  }
  public static func logisticLabel(_ v: Double) -> String {
    "the logistic loss needs labels -1 or 1, but this label is \(Program.format(v))"
  }
  public static func batchWraps(_ batch: Int, examples: Int, data: String) -> String {
    "batch \(batch) is larger than the \(examples) example\(examples == 1 ? "" : "s") of '\(data)';"
      + " batches take examples cyclically, so some appear more than once in a step"
  }
  public static func arity(_ f: String, expected: Int, found: Int) -> String {
    "'\(f)' takes \(expected) argument\(expected == 1 ? "" : "s"), found \(found)"
  }
}

extension Message {
  /// `1536` → "1.5 KiB"; binary units, one decimal.
  public static func bytes(_ b: Int) -> String {
    if b == Int.max { return "more than 8 EiB" }
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(b)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(b) bytes" : String(format: "%.1f", value) + " " + units[unit]
  }

  /// A count of operations in scientific notation: "4.5e+12".
  public static func count(_ n: Int) -> String {
    n < 1_000_000 ? String(n) : String(format: "%.2g", Double(n))
  }

  /// A rough duration for `operations` at about 4·10⁸ operations per second (what a finite run
  /// of random products reaches on two cores): "about 40 minutes".
  public static func duration(_ operations: Int) -> String {
    let seconds = Double(operations) / 4e8
    if seconds < 120 { return "about \(Int(seconds.rounded())) seconds" }
    if seconds < 7200 { return "about \(Int((seconds / 60).rounded())) minutes" }
    return "about \(Int((seconds / 3600).rounded())) hours"
  }
}
