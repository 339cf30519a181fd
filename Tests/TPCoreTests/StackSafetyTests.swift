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

/// Expressions with 200,000 leaves, as lowerings build them (one term per input column,
/// example or training step), on the default stack and on a 512 KiB thread: every walk is
/// iterative or recurses once per level of a balanced tree. (A walk that recursed once per
/// leaf would need 200,000 frames, over 10 MB of stack, and crash on the small thread.)
@Suite struct LargeExpressionTests {
  static let leaves = 200_000

  /// `Σ_k c_k v_k` over `leaves` distinct vectors and a scalar, as a balanced sum.
  static func wideSum() -> CoordExpr {
    CoordExpr.sum(
      (0..<leaves).map { k in
        .constant(Double(k % 7) + 1) * .vector(VectorID(k)) + (k == 0 ? .scalar(ScalarID(0)) : 0)
      })
  }

  /// Built once for both stacks (building is not what is tested).
  static let shared = wideSum()

  static func exercise(compilingATape: Bool) {
    let e = shared
    #expect(e.height <= CoordExpr.sumRun + 2 + 20)
    #expect(e.vectors.count == leaves)
    #expect(e.scalars == [ScalarID(0)])
    #expect(e.nodeCount > 3 * leaves - 10)
    var visited = 0
    e.visitLeaves { _ in visited += 1 }
    // `1 * v` folds to `v`: one leaf for every seventh term, two for the others, and the scalar.
    #expect(visited == (0..<leaves).reduce(1) { $0 + ($1 % 7 == 0 ? 1 : 2) })
    // Substitution, evaluation and differentiation.
    let bound = e.substituting { leaf in
      if case .scalar = leaf { return .constant(0.5) }
      return nil
    }
    let value = bound.evaluate { _ in 1 }
    #expect(value == 0.5 + Double((0..<leaves).reduce(0) { $0 + $1 % 7 + 1 }))
    #expect(
      e.derivative(withRespectTo: .vector(VectorID(leaves - 1))).constantValue == Double((leaves - 1) % 7 + 1)
    )
    #expect(e.derivative(withRespectTo: .scalar(ScalarID(0))).constantValue == 1)
    // Rendering, hashing, equality, a compiled tape, and freeing the trees.
    let text = e.rendered { leaf in if case .vector(let v) = leaf { return "v\(v.raw)" } else { return "s" } }
    #expect(text.hasPrefix("v0 + s + 2 * v1"))
    #expect(e == wideSum())
    #expect(Set([e, bound]).count == 2)
    if compilingATape {
      let tape = Tape(bound, scalars: [0.5], writesOutput: false)
      #expect(tape.inputs.count == leaves)
      #expect(tape.ops.count < 3 * leaves)
    }
  }

  @Test func wideSumOnTheDefaultStack() { Self.exercise(compilingATape: false) }

  @Test func wideSumOnASmallStack() {
    StackSafetyTests.onSmallStack { Self.exercise(compilingATape: true) }
  }

  @Test func sumIsALeftChainWhenShort() {
    let v = (0..<3).map { CoordExpr.vector(VectorID($0)) }
    #expect(CoordExpr.sum(v) == (v[0] + v[1]) + v[2])
    #expect(CoordExpr.sum([]) == 0)
    #expect(CoordExpr.sum([0, v[0], 0]) == v[0])
    let many = (0..<1000).map { CoordExpr.vector(VectorID($0)) }
    #expect(CoordExpr.sum(many).height <= CoordExpr.sumRun + 8)
  }

  /// Unrolled loops make long chains of instructions, not deep expressions: checking and
  /// listing them works on a small stack.
  @Test func longUnrolledChainOnASmallStack() {
    let source = """
      width n
      vector u ~ N(0, 1)
      z[0] = u
      for t in 0 ..< 20000 { z[t+1] = 0.5 * z[t] + 0.5 * u }
      out mean(z[20000] * z[20000])
      """
    StackSafetyTests.onSmallStack {
      do {
        let unit = try Checker.check(source: source, fileName: "chain.tp")
        #expect(unit.program.instructions.count == 20_002)
        #expect(unit.program.listing().count > 20_000)
      } catch let error as Diagnostics {
        Issue.record("rejected: \(error.render())")
      } catch {
        Issue.record("unexpected error \(error)")
      }
    }
  }
}
