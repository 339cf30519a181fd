import Foundation
import TPSyntax
import TPTestSupport
import Testing

@testable import TPCore

/// `data … = skipgram(…)` and `point … = word(…)`: diagnostics at FILE:LINE:COL with a caret.
struct SkipGramCheckerTests {
  static func model(_ v: Int) -> String {
    """
    width n
    layer U : \(v) -> n
    layer V : n -> \(v)
    model f(xi) {
      return V @ (U @ xi)
    }

    """
  }
  static let corpus = ["c.txt": "a b c\nc d\n"]

  @Test func aMissingCorpusIsReportedAtItsName() throws {
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(⟦\"nope.txt\"⟧, window: 1)\n"), files: [:],
      "cannot find the data file 'nope.txt'")
  }

  @Test func anEmptyCorpusIsReported() throws {
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(⟦\"e.txt\"⟧)\n"), files: ["e.txt": "# only\n\n"],
      "has no words")
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(⟦\"e.txt\"⟧)\n"), files: ["e.txt": "one\ntwo\n"],
      "gives no skip-gram pairs")
  }

  @Test func theVocabularyMustMatchTheModel() throws {
    try expectCSVError(
      MarkedSource(Self.model(5) + "data p = skipgram(⟦\"c.txt\"⟧, window: 1)\n"), files: Self.corpus,
      "data set 'p' has 4-dimensional inputs but model 'f' takes 5")
  }

  @Test func badOptionsAndWords() throws {
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(\"c.txt\", ⟦windw⟧: 1)\n"), files: Self.corpus,
      "unknown option 'windw'; did you mean 'window'?")
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(\"c.txt\", window: ⟦0⟧)\n"), files: Self.corpus,
      "window must be between 1 and 100")
    try expectCSVError(
      MarkedSource(Self.model(4) + "data p = skipgram(\"c.txt\")\npoint x = word(⟦\"dd\"⟧)\n"),
      files: Self.corpus,
      "'dd' is not a word of the vocabulary of 'p'; did you mean 'd'?")
    try expectCSVError(
      MarkedSource(Self.model(4) + "point x = word(⟦\"a\"⟧)\n"), files: Self.corpus,
      "needs a 'data … = skipgram(…)' statement before it")
  }

  @Test func wordsAreOneHotPointsUsableWithOptions() throws {
    let dir = try directory(with: Self.corpus)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source =
      Self.model(4) + """
        data p = skipgram("c.txt", window: 1)
        point c = word("c")
        parametrization mup
        train f on p with sgd(lr: 1, steps: 2)
        observe kernel h at c (every: 2)

        """
    let text = source.replacingOccurrences(of: "return V @ (U @ xi)", with: "h = U @ xi\n  return V @ h")
    let unit = try Checker.check(source: text, fileName: dir.appendingPathComponent("t.tp").path)
    let net = try #require(unit.network)
    #expect(net.datasets["p"]?.count == 6)
    #expect(net.observations.first?.points == [[0, 0, 1, 0]])
    #expect(net.observations.first?.every == 2)
  }
}
