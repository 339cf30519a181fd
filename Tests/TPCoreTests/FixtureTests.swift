import Foundation
import TPCore
import TPSyntax
import TPTestSupport
import Testing

/// The malformed programs of `Fixtures/`: each must give its expected first diagnostic.
@Suite struct FixtureTests {
  static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
  static let cases = Fixtures.manifest(in: directory)

  /// Parses and checks `bytes`; returns the diagnostics (empty if the program is accepted).
  static func diagnose(_ name: String, _ bytes: [UInt8]) -> Diagnostics? {
    let file = SourceFile(name: name, bytes: bytes)
    let (unit, parsed) = Parser.parseRecovering(file)
    do {
      _ = try Checker.check(unit, overrides: [:], priorDiagnostics: parsed)
      return nil
    } catch {
      return error
    }
  }

  @Test func manifestCoversEnoughFiles() throws {
    #expect(Self.cases.count >= 45)
    // Every committed fixture is in the manifest, and every manifest entry has an input.
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter {
      $0.hasSuffix(".tp")
    }
    let listed = Set(Self.cases.map(\.file))
    #expect(Set(files).subtracting(listed).sorted() == [])
    for c in Self.cases {
      #expect(Fixtures.bytes(of: c.file, in: Self.directory) != nil, "\(c.file) is missing")
    }
    #expect(listed.count == Self.cases.count, "a file is listed twice")
  }

  @Test(arguments: cases)
  func firstDiagnostic(_ c: FixtureCase) throws {
    let bytes = try #require(Fixtures.bytes(of: c.file, in: Self.directory))
    let start = ContinuousClock.now
    let diagnostics = try #require(Self.diagnose(c.file, bytes), "\(c.file) was accepted")
    let elapsed = ContinuousClock.now - start
    let first = try #require(diagnostics.items.first)
    let location = diagnostics.file.location(of: first.range.start)
    #expect(first.severity == .error)
    #expect(first.message.contains(c.message), "\(c.file): \(first.message)")
    #expect("\(location.line):\(location.column)" == c.location, "\(c.file): \(first.message)")
    // A hang guard, not a benchmark: generous enough for a loaded debug build.
    #expect(elapsed < .seconds(20), "\(c.file) took \(elapsed)")
    // Rendering never fails and shows a caret, whatever the bytes.
    let rendered = diagnostics.render()
    #expect(rendered.hasPrefix("\(c.file):\(c.location): error: "))
    #expect(rendered.split(separator: "\n").count >= 3)
    #expect(rendered.contains("^"))
  }

  /// Expects exactly the diagnostics `expected` ("line:column message-prefix"), in source order.
  func expectDiagnostics(
    _ source: String, _ expected: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    guard let diagnostics = Self.diagnose("multi.tp", Array(source.utf8)) else {
      Issue.record("accepted", sourceLocation: sourceLocation)
      return
    }
    let found = diagnostics.items.map { d -> String in
      let l = diagnostics.file.location(of: d.range.start)
      return "\(l.line):\(l.column) \(d.message)"
    }
    #expect(found.count == expected.count, "\(found.joined(separator: "\n"))", sourceLocation: sourceLocation)
    for (f, e) in zip(found, expected) {
      #expect(f.hasPrefix(e), "\(f) ≠ \(e)", sourceLocation: sourceLocation)
    }
  }

  /// A file with many independent mistakes reports every one of them in one run.
  @Test func reportsAllIndependentErrors() {
    let source = """
      width n
      matrix W ~ N(0, 1)
      vector u ~ N(0, 1)
      vector p, q ~ N([0, 0], [[1, 2], [2, 1]])
      h = W2 @ u
      x = tanhh(u)
      y = (u + 1
      m = mean(u * u)
      k = u @ m
      z = u $ 1
      for t in 0 ..< 2.5 { }
      vector u ~ N(0, 2)
      c = 1 / 0
      out m, nothing
      """
    expectDiagnostics(
      source,
      [
        "2:17 a matrix variance must be written 'c/n'",
        "4:25 covariance is not positive semi-definite",
        "5:5 unknown name 'W2'; did you mean 'W'?",
        "6:5 unknown function 'tanhh'; did you mean 'tanh'?",
        "7:5 '(' was never closed",
        "9:5 the left operand of '@' must be a matrix",
        "10:7 unexpected character '$'",
        "11:16 a loop bound must be an integer, found 2.5",
        "12:8 'u' is already defined",
        "13:9 division by zero",
        "14:8 unknown name 'nothing'",
      ])
  }

  /// Network statements with several mistakes are all reported, without echoes.
  @Test func reportsAllNetworkErrors() {
    let source = """
      width n
      layer U : 2 -> n  (var: 2)
      layer V : n -> 1
      model f(xi) {
        x1 = tanh(U @ xi)
        return V @ x1
      }
      parametrization mupp
      data train = [ [1, 0, 1] -> 1 ]
      train f on train with sgd(lr: 0.5, step: 3, loss: hinge)
      observe f at [1, 0, 0]
      """
    expectDiagnostics(
      source,
      [
        "8:1 unknown parametrization 'mupp'; did you mean 'mup'?",
        "9:16 data set 'train' has 3-dimensional inputs but model 'f' takes 2",
        "10:36 unknown option 'step'; did you mean 'steps'?",
        "10:51 loss must be 'mse' or 'logistic'",
        "11:14 this point has 3 entries but model 'f' takes 2",
      ])
  }

  /// A failed definition is not reported again at every use.
  @Test(arguments: [
    "width n\nmatrix W ~ N(0, 1)\nvector u ~ N(0, 1)\nh = W @ u\ng = W.T @ h\nout mean(g * h)",
    "width n\nvector u ~ N(0, 1)\nx = tanhh(u)\ny = x * x\nout mean(y)",
    "width 3\nmatrix W ~ N(0, 1/n)\nvector u ~ N(0, 1)\nout mean(W @ u)",
    "width n\nvector u ~ N(0, 1)\ndef f(z) = z * u\nx = f(u)\nout mean(x)",
    "width n\nlayer U : 2 -> 3\nlayer V : n -> 1\nmodel f(xi) {\n  return V @ tanh(U @ xi)\n}\nobserve f at [1, 0]",
  ])
  func noCascades(_ source: String) throws {
    let diagnostics = try #require(Self.diagnose("cascade.tp", Array(source.utf8)))
    #expect(diagnostics.items.count == 1, "\(diagnostics.render())")
  }
}
