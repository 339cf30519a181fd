import Foundation

/// Collects what a `tp` command writes, for in-process tests of `TPCommands.run`. It has the
/// shape of `TPCommands.OutputSink`; a test target that imports TPCommands adds the conformance
/// (`extension CapturingSink: OutputSink {}`), so this module needs no dependencies.
public final class CapturingSink: @unchecked Sendable {
  // @unchecked: the buffers are only touched under `lock`.
  private let lock = NSLock()
  private var outText = ""
  private var errText = ""

  public init() {}

  public func out(_ text: String) { lock.withLock { outText += text } }
  public func err(_ text: String) { lock.withLock { errText += text } }

  public var stdout: String { lock.withLock { outText } }
  public var stderr: String { lock.withLock { errText } }
}
