// A libFuzzer entry point for the front end: every input is parsed and checked as a `.tp`
// file (invalid UTF-8 included), with random `--set`-style overrides taken from its first
// byte. A crash, a hang (libFuzzer's -timeout) or an allocation past -rss_limit_mb is a
// finding. Built by docs/scripts/fuzz-build.sh; see docs/robustness.md.
import TPCore
import TPSyntax

@_cdecl("LLVMFuzzerTestOneInput")
public func checkerFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  let file = SourceFile(name: "fuzz.tp", bytes: bytes)
  let (unit, diagnostics) = Parser.parseRecovering(file)
  let overrides: [String: Double] = bytes.first.map { $0 & 1 == 0 ? [:] : ["L": Double($0 >> 1)] } ?? [:]
  do {
    let checked = try Checker.check(unit, overrides: overrides, priorDiagnostics: diagnostics)
    // The checked program's listing walks every instruction and expression.
    _ = checked.program.listing()
  } catch {
    _ = error.render()
  }
  return 0
}
