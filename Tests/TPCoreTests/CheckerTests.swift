import Foundation
import TPCore
import TPSyntax
import TPTestSupport
import Testing

/// Where a checker diagnostic points, written into the source with `⟦…⟧` markers.
struct CheckerCase: Sendable, CustomTestStringConvertible {
  var source: String
  var message: String
  var testDescription: String { message }
}

/// Expects checking `marked` to fail with a first error containing `message` at the marker.
func expectError(
  _ marked: MarkedSource, _ message: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
  do {
    let checked = try Checker.check(source: marked.text, fileName: "t.tp")
    Issue.record("accepted: \(checked.program.listing())", sourceLocation: sourceLocation)
  } catch {
    guard let first = error.items.first else {
      Issue.record("no diagnostics", sourceLocation: sourceLocation)
      return
    }
    let loc = error.file.location(of: first.range.start)
    #expect(first.message.contains(message), "\(first.message)", sourceLocation: sourceLocation)
    #expect(
      "\(loc.line):\(loc.column)" == marked.location, "\(error.render())", sourceLocation: sourceLocation)
    if let length = marked.length {
      let end = error.file.location(of: first.range.end)
      #expect(
        end.line == loc.line && end.column - loc.column == length, "\(error.render())",
        sourceLocation: sourceLocation)
    }
  }
}

/// Checks `source`, failing the test with the rendered diagnostics if it does not check.
func checked(
  _ source: String, overrides: [String: Double] = [:],
  sourceLocation: Testing.SourceLocation = #_sourceLocation
)
  -> CheckedUnit?
{
  do {
    return try Checker.check(source: source, fileName: "t.tp", overrides: overrides)
  } catch {
    Issue.record("\(error.render())", sourceLocation: sourceLocation)
    return nil
  }
}

@Suite struct CheckerTests {
  static let prelude = "width n\nmatrix W ~ N(0, 1/n)\nvector u ~ N(0, 1)\n"

  @Test(arguments: [
    CheckerCase(source: "y = ⟦x⟧ + u\nx = u", message: "'x' is used before it is defined"),
    CheckerCase(
      source: "for t in 0 ..< 2 { x[t+1] = ⟦x[t]⟧ + u }", message: "'x[0]' is used before it is defined"),
    CheckerCase(source: "x[0] = u\nx[1] = u\ny = ⟦x[2]⟧", message: "'x[2]' is used before it is defined"),
    CheckerCase(source: "h[0, 0] = u\ny = ⟦h[0]⟧", message: "'h' takes 2 indexes, found 1"),
    CheckerCase(source: "x = ⟦tanhh⟧(u)", message: "unknown function 'tanhh'; did you mean 'tanh'?"),
    CheckerCase(source: "x = ⟦sigmod⟧'(u)", message: "did you mean 'sigmoid'?"),
    CheckerCase(source: "m = mean(u)\nh = W @ ⟦m⟧", message: "needs a vector, but 'm' is a scalar"),
    CheckerCase(
      source: "for t in 0 ..< ⟦u⟧ { }", message: "a loop bound needs a scalar, but 'u' is a vector"),
    CheckerCase(source: "x = ⟦0.5 * W⟧ @ u", message: "write '0.5 * (W @ u)'"),
    CheckerCase(source: "g = ⟦u.T⟧ @ u", message: "'.T' applies to matrices only"),
    CheckerCase(source: "for t in 0 ... ⟦1.5⟧ { }", message: "a loop bound must be an integer, found 1.5"),
    CheckerCase(source: "for t in 0 ..< ⟦100001⟧ { }", message: "at most 100000 iterations"),
    CheckerCase(
      source: "for t in 0 ..< 3 {\n  ⟦y⟧ = u\n}", message: "'y' is defined again on a later loop iteration"),
    CheckerCase(source: "c = ⟦(-8) ** 0.5⟧", message: "a real power needs a positive base"),
    CheckerCase(source: "x = log(⟦u⟧)", message: "'log' is defined for scalars only"),
  ])
  func diagnosticPosition(_ c: CheckerCase) {
    expectError(MarkedSource(Self.prelude + c.source), c.message)
  }

  @Test func setOverridesAParam() throws {
    let source = Self.prelude + "param eta = 0.5\nc = 2 * eta\nout c"
    let base = try #require(checked(source))
    let set = try #require(checked(source, overrides: ["eta": 3]))
    #expect(base.parameterNames == ["eta"])
    #expect(base.program.scalars.first { $0.name == "c" }?.constantValue == 1)
    #expect(set.program.scalars.first { $0.name == "c" }?.constantValue == 6)
  }

  @Test func inclusiveLoopsUnrollTheUpperBound() throws {
    let unit = try #require(checked(Self.prelude + "x[0] = u\nfor t in 0 ... 2 { x[t+1] = W @ x[t] }\nout x"))
    #expect(unit.program.outputs.map(\.name) == ["x[0]", "x[1]", "x[2]", "x[3]"])
    let matmuls = unit.program.instructions.filter { if case .matmul = $0 { true } else { false } }
    #expect(matmuls.count == 3)
  }

  @Test func twoIndexFamiliesUnrollBothLoops() throws {
    let source = """
      width n
      matrix W[0], W[1] ~ N(0, 1/n)
      vector h[0, 0], h[0, 1] ~ N(0, 1)
      for l in 0 ..< 2 {
        for t in 0 ..< 2 { h[l+1, t] = W[l] @ tanh(h[l, t]) }
      }
      out mean(h[2, 0] * h[2, 1])
      """
    let unit = try #require(checked(source))
    #expect(unit.program.vectors.contains { $0.name == "h[2, 1]" })
    #expect(unit.program.matrices.map(\.name) == ["W[0]", "W[1]"])
  }

  @Test func derivativesOfBuiltinsAndDefs() throws {
    let source =
      Self.prelude + "def swish(z) = z * sigmoid(z)\nh = W @ u\nd = swish''(h)\ne = tanh'(h)\nout mean(d * e)"
    let unit = try #require(checked(source))
    let listing = unit.program.listing()
    #expect(listing.contains("e = 1 - tanh(h) * tanh(h)"), "\(listing)")
  }

  /// Function composition and repeated derivatives blow up exponentially; the checker stops them
  /// with a message, quickly.
  @Test(arguments: [
    "def f(z) = z * z + z\ndef g(z) = f(f(f(f(z))))\ndef k(z) = g(g(g(g(z))))\nx = k(u)",
    "x = tanh" + String(repeating: "'", count: 40) + "(u)",
    "def f(z) = sin(z)\ndef g(z) = f(f(f(f(f(f(f(f(f(f(z))))))))))\ndef k(z) = g(g(g(g(g(g(g(g(g(g(z))))))))))\n"
      + "x = k(k(k(u)))",
  ])
  func oversizedExpressionsAreRejected(_ body: String) throws {
    let start = ContinuousClock.now
    #expect(throws: Diagnostics.self) { try Checker.check(source: Self.prelude + body + "\nout mean(x)") }
    do {
      _ = try Checker.check(source: Self.prelude + body + "\nout mean(x)")
    } catch {
      #expect(error.items.first?.message.contains("expands to more than") == true, "\(error.render())")
    }
    #expect(ContinuousClock.now - start < .seconds(2))
  }

  @Test func widthOnlyProgramIsAcceptedWithAWarning() throws {
    let unit = try #require(checked("width n\n"))
    #expect(unit.warnings.map(\.message) == [Message.nothingToReport])
    #expect(unit.program.instructions.isEmpty)
  }

  @Test func unusedLayerIsAWarning() throws {
    let source = """
      width n
      layer U : 2 -> n
      layer W : n -> n
      layer V : n -> 1
      model f(xi) {
        return V @ tanh(U @ xi)
      }
      """
    let unit = try #require(checked(source))
    #expect(unit.warnings.map(\.message) == ["layer 'W' is declared but model 'f' does not use it"])
  }

  @Test func manyErrorsAreCappedWithANote() throws {
    let source = "width n\n" + String(repeating: "x = tanhh(1)\n", count: 150)
    do {
      _ = try Checker.check(source: source)
      Issue.record("accepted")
    } catch {
      #expect(error.items.count == Checker.maximumDiagnostics + 1)
      #expect(error.items.last?.severity == .note)
      #expect(error.items.last?.message == Message.tooManyErrors(Checker.maximumDiagnostics))
    }
  }
}
