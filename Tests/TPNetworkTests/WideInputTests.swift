import Foundation
import TPTestSupport
import TensorPrograms
import Testing

/// A network whose input layer has 200,000 columns: the lowerings build its pre-activation
/// `Σ_k ξ_k U[:, k]` as a balanced sum, so lowering and every walk of the lowered program work
/// on the default stack and on a 512 KiB thread (expressions of 10⁶ leaves are tested in
/// `LargeExpressionTests`; this is the same path through the network lowering).
@Suite struct WideInputTests {
  static let columns = 200_000

  static let program: TensorProgram? = {
    let point = "[" + Array(repeating: "0.001", count: columns).joined(separator: ", ") + "]"
    let source = """
      width n
      layer U : \(columns) -> n
      layer V : n -> 1
      model f(xi) {
        h = U @ xi
        return V @ tanh(h)
      }
      parametrization mup
      observe f at \(point)
      """
    return try? TensorProgram(source: source, fileName: "wide.tp")
  }()

  /// Runs `body` on a thread with a 512 KiB stack and waits for it.
  static func onSmallStack(_ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      body()
      done.signal()
    }
    thread.stackSize = 512 << 10
    thread.start()
    done.wait()
  }

  static func lowerAndWalk(_ p: TensorProgram) {
    do {
      let lowered = try p.lowered(.limit)
      var tallest = 0
      for inst in lowered.program.instructions {
        switch inst {
        case .nonlin(_, let e), .moment(_, let e), .scalar(_, let e): tallest = max(tallest, e.height)
        case .matmul: break
        }
      }
      #expect(lowered.program.vectors.count > columns)
      #expect(tallest <= CoordExpr.sumRun + 20, "an expression \(tallest) levels deep")
      let kernel = try NetworkLowering.kernelProgram(
        p.checked, points: [Array(repeating: 0.001, count: columns)])
      #expect(kernel.program.instructions.count > 1)
      let finite = try p.runFinite(width: 2, seed: 1, lowered: true)
      #expect(finite.trajectory.allSatisfy { $0.value.isFinite })
    } catch {
      Issue.record("\(error)")
    }
  }

  @Test func wideInputOnTheDefaultStack() throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let p = try #require(Self.program)
    Self.lowerAndWalk(p)
  }

  @Test func wideInputOnASmallStack() throws {
    LargeMemoryTests.begin()
    defer { LargeMemoryTests.end() }
    let p = try #require(Self.program)
    Self.onSmallStack { Self.lowerAndWalk(p) }
  }
}
