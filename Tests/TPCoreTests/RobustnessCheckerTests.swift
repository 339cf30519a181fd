import Foundation
import TPCore
import TPSyntax
import TPTestSupport
import Testing

/// Front-end guards of issue 11: line endings, recursion, real powers of vectors, non-finite
/// constants, logistic labels and oversized batches.
@Suite struct RobustnessCheckerTests {
  static let prelude = "width n\nmatrix W ~ N(0, 1/n)\nvector u ~ N(0, 1)\nh = W @ u\n"

  /// Every line-ending convention counts lines the same way, comments included.
  @Test(arguments: ["\n", "\r\n", "\r"])
  func lineEndings(_ end: String) throws {
    let lines = ["width n", "# a comment", "vector u ~ N(0, 1)", "out mean(uu)", ""]
    let source = lines.joined(separator: end)
    do {
      _ = try Checker.check(source: source, fileName: "eol.tp")
      Issue.record("accepted")
    } catch {
      let first = try #require(error.items.first)
      #expect(first.message == Message.unknownName("uu", suggestion: "u"))
      #expect(error.file.location(of: first.range.start).description == "4:10")
      #expect(error.render().contains("\n    out mean(uu)\n"), "\(error.render())")
    }
    let valid = try Checker.check(source: source.replacingOccurrences(of: "uu", with: "u"))
    #expect(valid.program.instructions.count == 1)
  }

  /// Real powers of bases the checker can show are non-negative are accepted.
  @Test(arguments: [
    "z = (h * h) ** 0.5", "z = exp(h) ** 0.5", "z = (1 + tanh(h)) ** 1.5", "z = relu(h) ** 0.5",
    "z = abs(h) ** 0.5", "z = h ** 3", "z = h ** -1", "z = (h ** 2 + 1) ** -0.5", "z = sigmoid(h) ** 0.25",
    "m = mean(h * h)\nz = h * m ** 0.5", "y = h * h\nz = y ** 0.5", "def r(x) = x ** 0.5\nz = r(h * h)",
    "z = softplus(h) ** h",
  ])
  func provablyNonNegativeBasesAreAccepted(_ body: String) {
    #expect(throws: Never.self) { try Checker.check(source: Self.prelude + body + "\nout mean(z)") }
  }

  @Test(arguments: [
    ("z = ⟦h⟧ ** 0.5", Message.realPowerBase("h")),
    ("z = ⟦tanh(h)⟧ ** 1.5", Message.realPowerBase("tanh(h)")),
    ("z = ⟦(h - 1)⟧ ** h", Message.realPowerBase("(h - 1)")),
    ("def r(x) = x ** 0.5\nz = ⟦r(h)⟧", Message.realPowerBase("h")),
  ])
  func realPowersOfPossiblyNegativeVectorsAreRefused(_ body: String, _ message: String) throws {
    expectError(MarkedSource(Self.prelude + body + "\nout mean(z)"), message)
  }

  @Test func recursionIsNamed() {
    expectError(MarkedSource("width n\ndef f(x) = ⟦f⟧(x) * 2\nout 1"), Message.recursiveFunction("f"))
  }

  /// Constants that fold to NaN or ±Inf are numerical failures at the sub-expression that made
  /// them; later uses of a failed constant stay quiet.
  @Test func nonFiniteConstantsAreNumericalFailures() throws {
    let source = "width n\nc = 1e308 * 10\nd = c - c\na = sqrt(-1)\nb = log(0)\nout a, b, c, d\n"
    do {
      _ = try Checker.check(source: source, fileName: "nan.tp")
      Issue.record("accepted")
    } catch {
      #expect(error.isNumericalFailure)
      let found = error.items.map { "\(error.file.location(of: $0.range.start)) \($0.message)" }
      #expect(
        found == [
          "2:5 " + Message.notFinite("1e308 * 10", .infinity),
          "4:5 " + Message.notFinite("sqrt(-1)", .nan),
          "5:5 " + Message.notFinite("log(0)", -.infinity),
        ])
    }
  }

  @Test(arguments: [
    ("vector u ~ N(0, 1)\nx = u * ⟦exp(1000)⟧\nout mean(x)", Message.notFinite("exp(1000)", .infinity)),
    ("param p = 1e200\ns = ⟦p * p⟧\nout s", Message.notFinite("p * p", .infinity)),
    ("def f(x) = log(x)\ns = ⟦f(0)⟧\nout s", Message.notFinite("f(0)", -.infinity)),
    ("s = ⟦sqrt'(0)⟧\nout s", Message.notFinite("sqrt'(0)", .infinity)),
  ])
  func nonFiniteConstantsInsideExpressions(_ body: String, _ message: String) throws {
    let marked = MarkedSource("width n\n" + body)
    expectError(marked, message)
    #expect(throws: Diagnostics.self) { try Checker.check(source: marked.text) }
    do { _ = try Checker.check(source: marked.text) } catch { #expect(error.isNumericalFailure) }
  }

  /// A program error next to a numerical one makes the file a program error (exit 2).
  @Test func programErrorsOutrankNumericalOnes() {
    do {
      _ = try Checker.check(source: "width n\nc = log(0)\nd = tanhh(1)\nout c, d")
      Issue.record("accepted")
    } catch {
      #expect(error.items.count == 2)
      #expect(!error.isNumericalFailure)
    }
  }

  static let network = """
    width n
    layer U : 2 -> n
    layer V : n -> 1
    model f(xi) {
      return V @ tanh(U @ xi)
    }
    parametrization mup
    data train = [ [1, 0] -> 1, [0, 1] -> -1 ]

    """

  @Test func batchLargerThanTheDataIsAWarning() throws {
    let source = Self.network + "train f on train with sgd(lr: 0.5, steps: 3, batch: 5)\nobserve loss\n"
    let unit = try Checker.check(source: source, fileName: "batch.tp")
    let warning = try #require(unit.warnings.first)
    #expect(unit.warnings.count == 1)
    #expect(warning.severity == .warning)
    #expect(warning.message == Message.batchWraps(5, examples: 2, data: "train"))
    #expect(
      "batch 5 is larger than the 2 examples of 'train'; batches take examples cyclically, so some appear more than once in a step"
        == warning.message)
    let loc = SourceFile(name: "batch.tp", text: source).location(of: warning.range.start)
    #expect(loc.description == "9:53")
    // A batch within the data set, or 'full', says nothing.
    for batch in ["2", "full"] {
      let ok = try Checker.check(
        source: Self.network + "train f on train with sgd(lr: 0.5, steps: 3, batch: \(batch))\nobserve loss\n"
      )
      #expect(ok.warnings.isEmpty)
    }
  }

  @Test func logisticLabelsMustBePlusOrMinusOne() throws {
    let ok = Self.network + "train f on train with sgd(lr: 0.5, steps: 3, loss: logistic)\nobserve loss\n"
    #expect(throws: Never.self) { try Checker.check(source: ok) }
    let mse =
      Self.network.replacingOccurrences(of: "-> -1", with: "-> 2")
      + "train f on train with sgd(lr: 0.5, steps: 3, loss: mse)\nobserve loss\n"
    #expect(throws: Never.self) { try Checker.check(source: mse) }
  }
}
