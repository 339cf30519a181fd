import Foundation
import TPCommands
import TPTestSupport
import Testing

/// The shared sink of TPTestSupport, as a TPCommands output.
extension CapturingSink: OutputSink {}

/// Runs `tp` in-process with `args`; returns the exit code and both streams.
func tp(_ args: String...) -> (code: ExitCode, stdout: String, stderr: String) {
  tp(args)
}

func tp(_ args: [String]) -> (code: ExitCode, stdout: String, stderr: String) {
  let sink = CapturingSink()
  let code = TPCommands.run(args, io: sink)
  return (code, sink.stdout, sink.stderr)
}

/// A one-hidden-layer ReLU network on R² in the ntk parametrization, for tests that add data,
/// points and statements to it.
let oneHiddenReluNTK = """
  width n
  layer U : 2 -> n
  layer v : n -> 1
  model f(xi) { return v @ relu(U @ xi) }
  parametrization ntk

  """

/// Writes `text` to a new temporary `.tp` file named `PREFIX-UUID.tp`; returns its path.
func temporaryProgram(_ text: String, prefix: String) throws -> String {
  let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID()).tp")
  try text.write(to: file, atomically: true, encoding: .utf8)
  return file.path
}

/// Expects `tp run` of `text` (in a temporary file) to fail with exit 2, a message containing
/// `message` and nothing on stdout; reported at the caller's line.
func expectProgramError(
  _ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let path = try temporaryProgram(text, prefix: "bad")
  defer { try? FileManager.default.removeItem(atPath: path) }
  let r = tp("run", path)
  #expect(r.code == .program, "\(r.stderr)", sourceLocation: sourceLocation)
  #expect(r.stderr.contains(message), "\(r.stderr)", sourceLocation: sourceLocation)
  #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
}

/// True when `text` has a `file:line:col: error: ` header followed by a source line and a caret line.
func hasCompilerStyleError(_ text: String, file: String, location: String) -> Bool {
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  guard let k = lines.firstIndex(where: { $0.hasPrefix("\(file):\(location): error: ") }), k + 2 < lines.count
  else { return false }
  let caret = lines[k + 2].trimmingCharacters(in: .whitespaces)
  return caret.hasPrefix("^") && caret.allSatisfy { $0 == "^" || $0 == "~" }
}

/// Every fixture, written to a temporary folder once (the generated ones included).
enum FixtureFiles {
  static let cases = Fixtures.manifest(in: Fixtures.sourceDirectory)
  static let directory: URL? = try? Fixtures.materialize(cases, from: Fixtures.sourceDirectory)

  static func path(_ c: FixtureCase) -> String { directory!.appendingPathComponent(c.file).path }
}

@Suite struct CLITests {
  @Test(arguments: FixtureFiles.cases)
  func fixtureExitsWithCode2AndACaret(_ c: FixtureCase) throws {
    try #require(FixtureFiles.directory != nil)
    let path = FixtureFiles.path(c)
    let r = tp("explain", path)
    // A valid program whose constants are NaN or ±Inf is a numerical failure, not a mistake.
    #expect(r.code == (c.file.hasPrefix("num_") ? .numerical : .program))
    #expect(r.stdout.isEmpty)
    #expect(hasCompilerStyleError(r.stderr, file: path, location: c.location), "\(r.stderr.prefix(2000))")
    #expect(r.stderr.contains(c.message))
  }

  @Test func fixturesAreFound() {
    #expect(FixtureFiles.cases.count >= 45)
  }

  @Test func helpAndVersion() {
    let help = tp("--help")
    #expect(help.code == .success)
    #expect(help.stdout.contains("USAGE: tp COMMAND FILE"))
    for command in ["run", "check", "classify", "explain"] { #expect(help.stdout.contains(command)) }
    let version = tp("--version")
    #expect(version.code == .success)
    #expect(version.stdout.hasPrefix("tp \(TPCommands.version)"))
    let helpRun = tp("help", "run")
    #expect(helpRun.code == .success)
    #expect(helpRun.stdout.contains("USAGE: tp run FILE"))
    #expect(helpRun.stdout.contains("--set NAME=VALUE"))
    #expect(tp("explain", "--help").stdout.contains("USAGE: tp explain FILE"))
    #expect(tp("help").code == .success)
  }

  @Test func noArgumentsPrintsUsageAndExits1() {
    let r = tp([])
    #expect(r.code == .usage)
    #expect(r.stderr.contains("USAGE"))
  }

  @Test(
    arguments: [
      (["rnu", "x.tp"], "unknown command 'rnu'; did you mean 'run'?"),
      (["help", "explian"], "unknown command 'explian'; did you mean 'explain'?"),
      (["frobnicate"], "unknown command 'frobnicate'"),
      (["explain", "examples/core_tour.tp", "--jsn"], "unknown option '--jsn'"),
      (["run", "examples/core_tour.tp", "--jsn"], "unknown option '--jsn'; did you mean '--json'?"),
      (["run", "examples/core_tour.tp", "--seed"], "option '--seed' needs a value"),
      (["explain"], "missing FILE"),
      (["explain", "a.tp", "b.tp"], "expected one FILE, got 2 operands"),
      (
        ["explain", "/nonexistent/missing.tp"],
        "cannot read '/nonexistent/missing.tp': No such file or directory"
      ),
      (["explain", "/tmp"], "'/tmp' is a directory"),
      (["explain", "examples/core_tour.tp", "--set", "eta"], "--set expects NAME=VALUE"),
      (["explain", "examples/core_tour.tp", "--set", "eta=abc"], "--set expects NAME=VALUE"),
    ] as [([String], String)])
  func badCommandLinesExitWith1(_ args: [String], _ message: String) {
    let r = tp(args.map { $0.hasPrefix("examples/") ? Examples.path($0) : $0 })
    #expect(r.code == .usage, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.contains("Run 'tp"), "\(r.stderr)")
  }

  /// A device that never ends is read only up to the size limit: no hang.
  @Test func endlessInputIsRefused() throws {
    try #require(FileManager.default.fileExists(atPath: "/dev/zero"))
    let r = tp("explain", "/dev/zero")
    #expect(r.code == .program)
    #expect(r.stderr.hasPrefix("/dev/zero: error: the file is larger than 64 MiB"), "\(r.stderr)")
  }

  @Test func setOfAnUnknownParamExits1WithAHint() {
    let r = tp("explain", Examples.path("examples/core_tour.tp"), "--set", "etta=1")
    #expect(r.code == .usage)
    #expect(
      r.stderr.contains("--set etta: the program has no 'param etta'; did you mean 'eta'?"), "\(r.stderr)")
  }

  @Test func setOverridesAParamInExplain() {
    let r = tp("explain", Examples.path("examples/core_tour.tp"), "--set", "eta=3")
    #expect(r.code == .success, "\(r.stderr)")
    #expect(r.stdout.contains("eta = 3"), "\(r.stdout)")
  }

  @Test func explainPrintsTheCoreProgram() {
    let r = tp("explain", Examples.path("examples/core_tour.tp"))
    #expect(r.code == .success)
    #expect(r.stdout.contains("# MatMul") && r.stdout.contains("# Nonlin") && r.stdout.contains("# Moment"))
    #expect(r.stderr.isEmpty)
  }

  @Test func warningsGoToStderrWithoutFailing() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tp-warn-\(UUID().uuidString).tp")
    try Data("width n\n".utf8).write(to: dir)
    let r = tp("explain", dir.path)
    #expect(r.code == .success)
    #expect(r.stderr.contains(": warning: the program has no 'out'"), "\(r.stderr)")
  }

  /// The built `tp` binary, run as a subprocess on a fixture: exit 2, a caret, no crash report.
  @Test func builtBinaryReportsAFixture() throws {
    guard let binary = BuiltProducts.tp else {
      print("skipped: no built 'tp' executable next to the test bundle (looked in \(BuiltProducts.searched))")
      return
    }
    try #require(FixtureFiles.directory != nil)
    for name in ["names_misspelt_function.tp", "gen_binary.tp", "syntax_empty.tp", "gen_long_line.tp"] {
      let c = try #require(FixtureFiles.cases.first { $0.file == name })
      let r = try BuiltProducts.run(binary, ["explain", FixtureFiles.path(c)])
      #expect(r.status == 2, "\(name): \(r.stderr.prefix(500))")
      #expect(
        hasCompilerStyleError(r.stderr, file: FixtureFiles.path(c), location: c.location),
        "\(r.stderr.prefix(500))")
      for bad in ["Fatal error", "Backtrac", "Program crashed", "Stack dump", "Illegal instruction"] {
        #expect(!r.stderr.contains(bad), "\(name): \(r.stderr.prefix(2000))")
      }
    }
    let help = try BuiltProducts.run(binary, ["--version"])
    #expect(help.status == 0 && help.stdout.hasPrefix("tp "))
  }
}

/// Holds bytes read on another thread; the dispatch group orders the accesses.
final class DataBox: @unchecked Sendable {
  var data = Data()
}

/// Paths of the repository's example programs.
enum Examples {
  static let root = repositoryRoot

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Finds and runs executables built next to the test bundle.
enum BuiltProducts {
  /// Folders that may hold the build products: the test bundle's folder and its parents.
  static var searched: [String] {
    var dirs: [URL] = []
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    dirs.append(exe.deletingLastPathComponent())
    dirs.append(Bundle.main.bundleURL)
    dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
      dirs.append(b.bundleURL.deletingLastPathComponent())
    }
    var seen: Set<String> = []
    return dirs.map(\.path).filter { seen.insert($0).inserted }
  }

  /// The `tp` executable, if one was built.
  static let tp: URL? = searched.lazy.map { URL(fileURLWithPath: $0).appendingPathComponent("tp") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

  static func run(_ binary: URL, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = binary
    process.arguments = args
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain stderr on another thread while reading stdout, so a full pipe cannot block the child.
    let errBox = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outData, as: UTF8.self),
      String(decoding: errBox.data, as: UTF8.self)
    )
  }
}
