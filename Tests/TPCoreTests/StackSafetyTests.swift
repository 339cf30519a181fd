import Foundation
import TPCore
import TPSyntax
import Testing

/// Deeply nested input must give a diagnostic, never a stack overflow, even when the caller runs
/// on a thread with a small stack (test runners and task pools give about 512 KiB).
@Suite struct StackSafetyTests {
  /// Runs `body` on a fresh thread with a `size`-byte stack and waits for it.
  static func onSmallStack(_ size: Int = 512 << 10, _ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      body()
      done.signal()
    }
    thread.stackSize = size
    thread.start()
    done.wait()
  }

  static func deep(_ kind: String, _ d: Int) -> String {
    let head = "width n\nmatrix W ~ N(0, 1/n)\nvector u ~ N(0, 1)\n"
    switch kind {
    case "parens":
      return head + "x = " + String(repeating: "(", count: d) + "u" + String(repeating: ")", count: d)
    case "chain": return head + "x = u" + String(repeating: " + u", count: d)
    case "minus": return head + "x = " + String(repeating: "-", count: d) + "u"
    case "power": return head + "x = u" + String(repeating: " ** u", count: d)
    case "calls":
      return head + "x = " + String(repeating: "tanh(", count: d) + "u" + String(repeating: ")", count: d)
    case "matmuls":
      return head + "x = " + String(repeating: "W @ (", count: d) + "u" + String(repeating: ")", count: d)
    case "lists":
      return head + "vector p ~ N(" + String(repeating: "[", count: d) + "0"
        + String(repeating: "]", count: d) + ", 1)"
    case "loops":
      return head + String(repeating: "for t in 0 ..< 1 {\n", count: d) + "x = u\n"
        + String(repeating: "}\n", count: d)
    case "models":
      return head + "layer U : 2 -> n\nlayer V : n -> 1\nmodel f(xi) {\n  return V @ "
        + String(repeating: "tanh(", count: d) + "U @ xi" + String(repeating: ")", count: d) + "\n}"
    case "unclosed": return head + "x = " + String(repeating: "(", count: d)
    default: return head
    }
  }

  static let kinds = [
    "parens", "chain", "minus", "power", "calls", "matmuls", "lists", "loops", "models", "unclosed",
  ]

  @Test(arguments: kinds)
  func deepInputOnASmallStack(_ kind: String) {
    for d in [Parser.maximumDepth / 2, Parser.maximumDepth - 2, Parser.maximumDepth + 1, 20_000] {
      let source = Self.deep(kind, d)
      Self.onSmallStack {
        // Everything, including freeing the trees and rendering, happens on the small stack.
        do {
          let unit = try Checker.check(source: source, fileName: "deep.tp")
          _ = unit.program.listing()
        } catch let error as Diagnostics {
          _ = error.render()
        } catch {
          Issue.record("unexpected error \(error)")
        }
      }
    }
  }

  @Test func nestingLimitIsReportedWhereItIsPassed() throws {
    let limit = Parser.maximumDepth
    #expect(throws: Never.self) {
      try Checker.check(source: Self.deep("parens", limit - 2) + "\nout mean(x)")
    }
    do {
      _ = try Checker.check(source: Self.deep("parens", limit + 5))
      Issue.record("accepted")
    } catch {
      #expect(error.items.count == 1)
      #expect(error.items[0].message.hasPrefix("nesting is too deep"))
    }
  }
}
