@_exported import TPCore
@_exported import TPNetwork
@_exported import TPSyntax

/// A checked `.tp` program: the entry point of the embedding API.
///
/// ```swift
/// let program = try TensorProgram(source: text, fileName: "mup2.tp")
/// print(program.core.listing())
/// ```
public struct TensorProgram: Sendable {
  /// The parsed file.
  public let unit: SourceUnit
  /// The checked program: core IR plus network declarations.
  public let checked: CheckedUnit

  /// Parses and checks `source`; throws ``Diagnostics`` with every error found.
  /// `overrides` replace `param` values (the CLI's `--set NAME=VALUE`).
  public init(source: String, fileName: String = "<input>", overrides: [String: Double] = [:])
    throws(Diagnostics)
  {
    try self.init(file: SourceFile(name: fileName, text: source), overrides: overrides)
  }

  /// Parses and checks a source file given as raw bytes (invalid UTF-8 is diagnosed, not fatal).
  public init(file: SourceFile, overrides: [String: Double] = [:]) throws(Diagnostics) {
    let (unit, parseDiagnostics) = Parser.parseRecovering(file)
    self.unit = unit
    self.checked = try Checker.check(unit, overrides: overrides, priorDiagnostics: parseDiagnostics)
  }

  /// A program already parsed and checked (e.g. a copy with a shorter training schedule).
  init(unit: SourceUnit, checked: CheckedUnit) {
    self.unit = unit
    self.checked = checked
  }

  /// The core program (for network files: empty until lowered).
  public var core: Program { checked.program }

  /// The network declarations, when the file declares a network.
  public var network: NetworkSpec? { checked.network }
}

extension TensorProgram {
  /// The network lowered to a core program, for the limit or a finite width.
  public func lowered(_ mode: LoweringMode) throws(LoweringFailure) -> LoweredNetwork {
    try NetworkLowering.lower(checked, mode: mode)
  }
}
