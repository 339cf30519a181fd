import Foundation
import TPSyntax
import TPTestSupport
import Testing

@testable import TPCore

/// A fresh directory holding `files` (name → contents), for programs that read CSV files.
func directory(with files: [String: String]) throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tp-csv-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
  return dir
}

/// Checks `marked` as the file `t.tp` in a directory holding `files`, expecting its first error
/// to contain `message` at the marker.
func expectCSVError(
  _ marked: MarkedSource, files: [String: String], _ message: String,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let dir = try directory(with: files)
  defer { try? FileManager.default.removeItem(at: dir) }
  do {
    _ = try Checker.check(source: marked.text, fileName: dir.appendingPathComponent("t.tp").path)
    Issue.record("accepted", sourceLocation: sourceLocation)
  } catch {
    let first = try #require(error.items.first, sourceLocation: sourceLocation)
    let loc = error.file.location(of: first.range.start)
    #expect(first.message.contains(message), "\(first.message)", sourceLocation: sourceLocation)
    #expect(
      "\(loc.line):\(loc.column)" == marked.location, "\(error.render())", sourceLocation: sourceLocation)
    // Rendered like a compiler's diagnostic: FILE:LINE:COL, the line, a caret.
    #expect(
      error.render().contains("t.tp:\(loc.line):\(loc.column): error: "), sourceLocation: sourceLocation)
    #expect(error.render().contains("^"), sourceLocation: sourceLocation)
  }
}

struct CSVCase: Sendable, CustomTestStringConvertible {
  var csv: String
  var message: String
  var testDescription: String { message }
}

@Suite struct KernelAnalysisCheckerTests {
  static let model = """
    width n
    layer U : 2 -> n
    layer V : n -> 1
    model f(xi) {
      h = U @ xi
      x = relu(h)
      return V @ x
    }

    """

  @Test(arguments: [
    CSVCase(csv: "1, 2, 3\n4, 5\n", message: "pool.csv:2: this row has 2 cells but the first row has 3"),
    CSVCase(csv: "a,b,y\n1, 2, 3\n4, x5, 6\n", message: "pool.csv:3: 'x5' in column 2 ('b') is not a number"),
    CSVCase(csv: "1,2,3\n4,,6\n", message: "an empty cell in column 2 is not a number (row 2, column 2)"),
    CSVCase(csv: "1,2,3\n4,nan,6\n", message: "pool.csv:2: column 2 is 'nan'; every value must be finite"),
    CSVCase(csv: "1,2,inf\n", message: "column 3 is 'inf'; every value must be finite"),
    CSVCase(csv: "", message: "the data file 'pool.csv' has no rows"),
    CSVCase(csv: "x1,x2,target\n\n", message: "has a header but no data rows"),
    CSVCase(csv: "1\n2\n", message: "a row needs at least two columns"),
    CSVCase(csv: "1,2,3,4\n", message: "data set 'pool' has 3-dimensional inputs but model 'f' takes 2"),
  ])
  func csvDiagnosticsPointAtTheFileName(_ c: CSVCase) throws {
    try expectCSVError(
      MarkedSource(Self.model + "data pool = csv(⟦\"pool.csv\"⟧)\n"), files: ["pool.csv": c.csv], c.message)
  }

  @Test func missingFileAndDirectoryAreDiagnosed() throws {
    try expectCSVError(
      MarkedSource(Self.model + "data pool = csv(⟦\"nothere.csv\"⟧)\n"), files: [:],
      "cannot find the data file 'nothere.csv'")
    try expectCSVError(
      MarkedSource(Self.model + "data pool = csv(⟦\".\"⟧)\n"), files: [:], "'.' is a directory")
    try expectCSVError(
      MarkedSource(Self.model + "data pool = csv(⟦\"/dev/null\"⟧)\n"), files: [:], "is not a regular file")
  }

  @Test func tooManyRowsAreRefused() throws {
    let rows = String(repeating: "1,2,3\n", count: CSVData.maximumRows + 1)
    try expectCSVError(
      MarkedSource(Self.model + "data pool = csv(⟦\"big.csv\"⟧)\n"), files: ["big.csv": rows],
      "more than 100000 data rows")
  }

  @Test func unreadableFileIsDiagnosed() throws {
    let dir = try directory(with: ["p.csv": "1,2,3\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("p.csv").path
    try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: file)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file) }
    // Root can read anything; the check only means something for other users.
    guard FileHandle(forReadingAtPath: file) == nil else { return }
    do {
      _ = try Checker.check(
        source: Self.model + "data pool = csv(\"p.csv\")\n", fileName: dir.appendingPathComponent("t.tp").path
      )
      Issue.record("accepted")
    } catch {
      #expect(
        error.items.first?.message.contains("cannot read the data file 'p.csv'") == true, "\(error.render())")
    }
  }

  /// A header (a first row that is not numbers) is skipped; a `target` column is the label,
  /// else the last column; `#` lines and blank lines are ignored; CR LF line ends work.
  @Test func csvRowsBecomeExamples() throws {
    let dir = try directory(with: [
      "a.csv": "# comment\r\nx1, x2, y\r\n1, 2, 3\r\n\r\n-4.5, 5e-1, 6\r\n",
      "b.csv": "target,x1,x2\n7,1,2\n",
    ])
    defer { try? FileManager.default.removeItem(at: dir) }
    let source =
      Self.model + "data a = csv(\"a.csv\")\ndata b = csv(\"\(dir.appendingPathComponent("b.csv").path)\")\n"
    let unit = try Checker.check(source: source, fileName: dir.appendingPathComponent("t.tp").path)
    let net = try #require(unit.network)
    #expect(
      net.datasets["a"] == [Example(input: [1, 2], label: [3]), Example(input: [-4.5, 0.5], label: [6])])
    #expect(net.datasets["b"] == [Example(input: [1, 2], label: [7])])
  }

  struct StatementCase: Sendable, CustomTestStringConvertible {
    var source: String
    var message: String
    var testDescription: String { message }
  }

  static let withData = model + "data d = [ [1, 0] -> 1, [0, 1] -> -1, [0.6, 0.8] -> 0.5 ]\n"

  @Test(arguments: [
    StatementCase(source: "data p = csv(⟦pool⟧)", message: "expected a file name in double quotes"),
    StatementCase(source: "data p = csv(⟦\"⟧pool.csv)", message: "this string is never closed"),
    StatementCase(source: "alignment ⟦g⟧ on d", message: "unknown model 'g'"),
    StatementCase(source: "alignment f on ⟦dd⟧", message: "unknown data set 'dd'; did you mean 'd'?"),
    StatementCase(source: "eigen f on d (⟦tap⟧: 3)", message: "unknown option 'tap'; did you mean 'top'?"),
    StatementCase(source: "eigen f on d (top: ⟦0⟧)", message: "top must be at least 1"),
    StatementCase(
      source: "eigenlearning f on d (samples: [1, ⟦4⟧])",
      message: "4 samples cannot be drawn from data set 'd' of 3 points"),
    StatementCase(
      source: "eigenlearning f on d (samples: 2, kernel: ⟦ntq⟧)",
      message: "kernel must be 'ntk' or 'nngp'; did you mean 'ntk'?"),
    StatementCase(
      source: "eigenlearning f on d (samples: 2, ridge: ⟦-1⟧)", message: "ridge must be non-negative"),
    StatementCase(source: "⟦eigenlearning f on d (ridge: 0)⟧", message: "needs the training-set size"),
    StatementCase(
      source: "hermite ⟦relux⟧ (degree: 3)", message: "unknown function 'relux'; did you mean 'relu'?"),
    StatementCase(source: "hermite ⟦sqrt⟧", message: "is not defined on all of ℝ"),
    StatementCase(source: "hermite relu (degree: ⟦2000⟧)", message: "degree must be between 0 and 1000"),
    StatementCase(source: "def g(a, b) = a * b\nhermite ⟦g⟧", message: "needs a function of one argument"),
    StatementCase(
      source: "observe alignment ⟦h2⟧ on d",
      message: "'h2' is not a width-sized vector of the model; did you mean 'h'?"),
    StatementCase(source: "observe alignment x ⟦at⟧ d", message: "expected 'on' after the vector name"),
  ])
  func statementDiagnostics(_ c: StatementCase) {
    expectError(MarkedSource(Self.withData + c.source + "\n"), c.message)
  }

  @Test func statementsAreCarriedTyped() throws {
    let source =
      Self.withData + """
        alignment f on d
        eigen f on d (top: 2)
        eigenlearning f on d (samples: [1, 2], ridge: 1e-3, noise: 0.25, kernel: nngp, trials: 10)
        def cube(z) = z * z * z
        hermite cube (degree: 5)
        hermite tanh
        observe alignment x on d (every: 2)

        """
    let net = try #require(checked(source)?.network)
    let r = [SourceRange](net.analyses.map(\.range))
    #expect(r.count == 5)
    guard net.analyses.count == 5 else { return }
    #expect(net.analyses[0] == .alignment(model: "f", data: "d", range: r[0]))
    #expect(net.analyses[1] == .eigen(model: "f", data: "d", top: 2, range: r[1]))
    #expect(
      net.analyses[2]
        == .eigenlearning(
          EigenlearningRequest(
            model: "f", data: "d", samples: [1, 2], isSweep: true, ridge: 1e-3, noise: 0.25, kernel: .nngp,
            trials: 10, range: r[2])))
    #expect(net.analyses[3] == .hermite(function: "cube", degree: 5, range: r[3]))
    #expect(net.analyses[4] == .hermite(function: "tanh", degree: 12, range: r[4]))
    let o = try #require(net.observations.last)
    #expect(o.kind == .alignment("x", data: "d"))
    #expect(o.every == 2)
    #expect(o.points == [[1, 0], [0, 1], [0.6, 0.8]])
  }
}
