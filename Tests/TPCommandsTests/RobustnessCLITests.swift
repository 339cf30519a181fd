import Foundation
import TPTestSupport
import TensorPrograms
import Testing

@testable import TPCommands

#if canImport(Glibc)
  import Glibc
#endif

/// A fresh temporary folder, removed after `body`.
func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tp-robust-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  try body(dir)
}

/// The guards of issue 11 on the command line: every refusal with its exact message and exit code.
@Suite struct RobustnessCLITests {
  static let transpose = Examples.path("examples/transpose_ww.tp")
  static let mup2 = Examples.path("examples/mup2_relu.tp")
  /// A core program with vector outputs, so `tp run --plot` has densities to draw.
  static let vectors = Examples.path("examples/core_tour.tp")

  // MARK: Command-line values

  @Test(
    arguments: [
      (
        ["run", transpose, "--width", "9223372036854775807"],
        Message.integerOption("width", 1...(1 << 32), got: "9223372036854775807")
      ),
      (
        ["run", mup2, "--width", "4611686018427387904"],
        Message.integerOption("width", 1...(1 << 32), got: "4611686018427387904")
      ),
      (
        ["run", transpose, "--width", "99999999999999999999"],
        Message.integerOption("width", 1...(1 << 32), got: "99999999999999999999")
      ),
      (
        ["run", transpose, "--width", "4294967297"],
        Message.integerOption("width", 1...(1 << 32), got: "4294967297")
      ),
      (["run", transpose, "--width", "0"], Message.integerOption("width", 1...(1 << 32), got: "0")),
      (["run", transpose, "--width", "-5"], Message.integerOption("width", 1...(1 << 32), got: "-5")),
      (["run", transpose, "--width", "1e3"], Message.integerOption("width", 1...(1 << 32), got: "1e3")),
      (["check", transpose, "--widths", "256,,512"], Message.widthList("256,,512")),
      (
        ["check", transpose, "--widths", "256,9223372036854775807"],
        Message.widthList("256,9223372036854775807")
      ),
      (["check", transpose, "--widths", ""], Message.widthList("")),
      (
        ["check", transpose, "--widths", Array(repeating: "8", count: 65).joined(separator: ",")],
        Message.widthList(Array(repeating: "8", count: 65).joined(separator: ","))
      ),
      (["check", transpose, "--seeds", "1"], Message.tooFewSeeds("1")),
      (["check", transpose, "--seeds", "0"], Message.tooFewSeeds("0")),
      (["check", transpose, "--seeds", "10001"], Message.integerOption("seeds", 2...10_000, got: "10001")),
      (
        ["check", transpose, "--seeds", "18446744073709551616"],
        Message.integerOption("seeds", 2...10_000, got: "18446744073709551616")
      ),
      (
        ["run", transpose, "--samples", "99999999999999999999"],
        Message.integerOption("samples", 2...(1 << 26), got: "99999999999999999999")
      ),
      (
        ["run", transpose, "--replicates", "1025"], Message.integerOption("replicates", 1...1024, got: "1025")
      ),
      (["run", transpose, "--degree", "401"], Message.integerOption("degree", 0...400, got: "401")),
      (["run", transpose, "--max-memory", "12Q"], Message.memorySize("12Q")),
      (["run", transpose, "--max-memory", "0"], Message.memorySize("0")),
      (["run", transpose, "--max-memory", "99999999T"], Message.memorySize("99999999T")),
      (["run", transpose, "--max-memory", "-1G"], Message.memorySize("-1G")),
      (["check", transpose, "--max-work", "0"], Message.workCount("0")),
      (["check", transpose, "--max-work", "lots"], Message.workCount("lots")),
      (
        ["run", transpose, "--set", "eta=1e309"],
        "--set expects NAME=VALUE with a finite number, got 'eta=1e309'"
      ),
      (
        ["run", transpose, "--set", "eta=nan"], "--set expects NAME=VALUE with a finite number, got 'eta=nan'"
      ),
    ] as [([String], String)])
  func badValuesExitWith1(_ args: [String], _ message: String) {
    let r = tp(args)
    #expect(r.code == .usage, "\(r.stderr)")
    #expect(r.stderr.hasPrefix(message + "\nRun 'tp help"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test func memorySizes() {
    #expect(ParsedArguments.size("1073741824") == 1 << 30)
    #expect(ParsedArguments.size("512M") == 512 << 20)
    #expect(ParsedArguments.size("8G") == 8 << 30)
    #expect(ParsedArguments.size("8GiB") == 8 << 30)
    #expect(ParsedArguments.size("8gb") == 8 << 30)
    #expect(ParsedArguments.size("1.5K") == 1536)
    #expect(ParsedArguments.size("2T") == 2 << 40)
    for bad in ["", "G", "1e9", "1..5G", "8 G B", "-1", "0.1"] {
      #expect(ParsedArguments.size(bad) == nil, "\(bad)")
    }
  }

  // MARK: Memory and work budgets

  /// The repro of the issue: `--width 40000` once crashed allocating; past the limit it is refused.
  @Test func finiteRunsPastTheMemoryLimitAreRefused() {
    let r = tp("run", Self.mup2, "--width", "40000", "--max-memory", "1G")
    #expect(r.code == .numerical)
    #expect(
      r.stderr
        == "\(Self.mup2): error: training at width 40000 needs an estimated 12.0 GiB of memory"
        + " (1 hidden 40000×40000 weight matrix), more than the limit of 1.0 GiB (--max-memory);"
        + " use a smaller width or a larger --max-memory\n", "\(r.stderr)")
    let core = tp("run", Self.transpose, "--width", "3000000", "--max-memory", "64M")
    #expect(core.code == .numerical)
    #expect(
      core.stderr.hasPrefix(
        "\(Self.transpose): error: running at width 3000000 needs an estimated "), "\(core.stderr)")
    #expect(
      core.stderr.contains("of memory, more than the limit of 64.0 MiB (--max-memory)"), "\(core.stderr)")
    // By default the limit is the physical memory (or less under an rlimit).
    let big = tp("check", Self.mup2, "--widths", "4000000", "--seeds", "2")
    #expect(big.code == .numerical)
    #expect(
      big.stderr.contains("error: a run at width 4000000 needs an estimated 116.4 TiB of memory"),
      "\(big.stderr)")
    #expect(
      big.stderr.contains("raise the limit with --max-memory") || big.stderr.contains("ulimit"),
      "\(big.stderr)")
  }

  /// Under `ulimit -v` the limit is what the address-space limit leaves free (in a subprocess of
  /// the built `tp`, so the test process keeps its own limits).
  @Test func addressSpaceLimitBoundsTheRun() throws {
    guard let binary = BuiltProducts.tp else {
      print("skipped: no built 'tp' executable next to the test bundle")
      return
    }
    let script = "ulimit -v 3000000 && exec \"$0\" run \"$1\" --width 20000"
    let r = try BuiltProducts.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script, binary.path, Self.mup2])
    #expect(r.status == 3, "\(r.stderr)")
    #expect(
      r.stderr.hasPrefix(
        "\(Self.mup2): error: training at width 20000 needs an estimated 3.0 GiB of memory (1 hidden 20000×20000"
          + " weight matrix), more than the limit of "), "\(r.stderr)")
    #expect(
      r.stderr.hasSuffix(
        "(what the address-space limit 'ulimit -v' leaves free); use a smaller width or raise the process limit\n"
      ),
      "\(r.stderr)")
  }

  @Test func checkEstimatesItsTotalWork() {
    // Explicit widths: the default widths shrink as the seed count grows.
    let widths = ["--widths", "256,512,1024,2048,4096"]
    let r = tp(["check", Self.transpose, "--seeds", "10000"] + widths)
    #expect(r.code == .numerical)
    #expect(
      r.stderr
        == "\(Self.transpose): error: tp check at 5 widths (up to 4096) × 10000 seeds needs an estimated 4e+12"
        + " arithmetic operations, more than the limit of 1e+12 (about 42 minutes here); use smaller widths or"
        + " fewer seeds, or raise the limit with --max-work\n", "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let network = tp(["check", Self.mup2, "--seeds", "10000"] + widths)
    #expect(network.code == .numerical)
    #expect(network.stderr.contains("× 10000 seeds needs an estimated"), "\(network.stderr)")
    let run = tp("run", Self.transpose, "--width", "1000000", "--max-work", "1e9")
    #expect(run.code == .numerical)
    #expect(
      run.stderr
        == "\(Self.transpose): error: running at width 1000000 needs an estimated 1.8e+13 arithmetic operations,"
        + " more than the limit of 1e+09 (about 3 seconds here); use a smaller width, or raise the limit with"
        + " --max-work\n", "\(run.stderr)")
  }

  @Test func memoryLimitsAreTheSmallestOfTheirSources() {
    let system = MemoryLimit.system()
    #expect(system.bytes > 0)
    #expect(system.bytes <= Int(clamping: ProcessInfo.processInfo.physicalMemory))
    let requested = MemoryLimit.requested(1 << 20)
    #expect(requested.bytes <= 1 << 20)
    #expect(Saturating.product(Int.max, 2) == Int.max)
    #expect(Saturating.product(1 << 32, 1 << 32) == Int.max)
    #expect(Saturating.sum(Int.max, 1) == Int.max)
    #expect(Message.bytes(1536) == "1.5 KiB")
    #expect(Message.bytes(Int.max) == "more than 8 EiB")
  }

  // MARK: Input files

  /// A FIFO that nothing writes to ends with a message instead of hanging.
  @Test func aFIFOWithoutAWriterTimesOut() throws {
    try withTemporaryDirectory { dir in
      let fifo = dir.appendingPathComponent("silent.tp").path
      try #require(mkfifo(fifo, 0o600) == 0)
      let start = ContinuousClock.now
      let r = FileIO.$inputTimeout.withValue(.milliseconds(300)) { tp("run", fifo) }
      #expect(ContinuousClock.now - start < .seconds(10))
      #expect(r.code == .usage)
      #expect(r.stderr.hasPrefix(Message.inputTimedOut(fifo, .milliseconds(300))), "\(r.stderr)")
      #expect(
        Message.inputTimedOut("f.tp", .seconds(30))
          == "cannot read 'f.tp': no data arrived for 30 seconds (a pipe or FIFO that nothing writes to?)")
    }
  }

  /// A FIFO that is written to is read like a file.
  @Test func aFIFOWithAWriterIsRead() throws {
    try withTemporaryDirectory { dir in
      let fifo = dir.appendingPathComponent("piped.tp").path
      try #require(mkfifo(fifo, 0o600) == 0)
      let text = try String(contentsOfFile: Self.transpose, encoding: .utf8)
      let writer = Thread {
        let handle = FileHandle(forWritingAtPath: fifo)
        handle?.write(Data(text.utf8))
        try? handle?.close()
      }
      writer.start()
      let r = tp("explain", fifo)
      #expect(r.code == .success, "\(r.stderr)")
      #expect(r.stdout.contains("g = W.T @ y"))
    }
  }

  @Test func unreadableInputsAreErrnoStyle() throws {
    let missing = tp("run", "/nonexistent/missing.tp")
    #expect(missing.stderr.hasPrefix("cannot read '/nonexistent/missing.tp': No such file or directory\n"))
    #expect(missing.code == .usage)
  }

  // MARK: Output files

  static let quickCheck = ["--widths", "64,128", "--seeds", "2"]

  /// Refused before anything runs: exit 1, nothing on stdout, the target untouched.
  @Test func outputPathsThatMustNotBeWrittenAreRefused() throws {
    try withTemporaryDirectory { dir in
      let program = dir.appendingPathComponent("prog.tp").path
      try FileManager.default.copyItem(atPath: Self.transpose, toPath: program)
      let readOnly = dir.appendingPathComponent("ro.svg").path
      try Data("old".utf8).write(to: URL(fileURLWithPath: readOnly))
      try #require(chmod(readOnly, 0o444) == 0)
      let fifo = dir.appendingPathComponent("f.svg").path
      try #require(mkfifo(fifo, 0o600) == 0)
      let cases: [(String, String)] = [
        ("/dev/null", Message.cannotWrite("/dev/null", Message.notARegularFile)),
        (fifo, Message.cannotWrite(fifo, Message.notARegularFile)),
        (dir.path, Message.cannotWrite(dir.path, "it is a directory")),
        (program, Message.outputIsInput(program, "plot")),
        (readOnly, Message.cannotWrite(readOnly, "Permission denied")),
        (
          dir.appendingPathComponent("no/such/dir.svg").path,
          Message.cannotWrite(dir.appendingPathComponent("no/such/dir.svg").path, "No such file or directory")
        ),
      ]
      for (target, message) in cases {
        for command in [["check", program] + Self.quickCheck, ["run", program]] {
          let r = tp(command + ["--plot", target])
          #expect(r.code == .usage, "\(target): \(r.stderr)")
          #expect(r.stderr == message + "\n", "\(target)")
          #expect(r.stdout.isEmpty)
        }
      }
      #expect(try String(contentsOfFile: readOnly, encoding: .utf8) == "old")
      #expect(try String(contentsOfFile: program, encoding: .utf8).hasPrefix("# h = W"))
      // A symbolic link to the input program is the input program.
      let link = dir.appendingPathComponent("link.tp").path
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: program)
      #expect(tp(["run", program, "--plot", link]).stderr == Message.outputIsInput(link, "plot") + "\n")
    }
  }

  /// Symbolic links are followed (the link stays a link), permissions are kept, new files made.
  @Test func outputFilesAreWrittenSafely() throws {
    try withTemporaryDirectory { dir in
      let target = dir.appendingPathComponent("target.svg").path
      try Data("old".utf8).write(to: URL(fileURLWithPath: target))
      try #require(chmod(target, 0o640) == 0)
      let link = dir.appendingPathComponent("link.svg").path
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.svg")
      let r = tp(["check", Self.transpose] + Self.quickCheck + ["--plot", link])
      #expect(r.code == .success, "\(r.stderr)")
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.svg")
      #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("<svg"))
      var info = stat()
      #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o640)
      // A dangling link creates its target.
      let dangling = dir.appendingPathComponent("dangling.svg").path
      try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "made.svg")
      #expect(tp(["run", Self.vectors, "--plot", dangling]).code == .success)
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("made.svg").path))
      let fresh = dir.appendingPathComponent("fresh.svg").path
      #expect(tp(["run", Self.vectors, "--plot", fresh]).code == .success)
      #expect(try String(contentsOfFile: fresh, encoding: .utf8).hasPrefix("<svg"))
      // No temporary files are left behind.
      let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tp-") }
      #expect(left.isEmpty, "\(left)")
    }
  }

  /// A write that fails is reported after the results, which stay printed, with errno's words.
  @Test func aFailedWriteComesAfterTheResults() throws {
    try withTemporaryDirectory { dir in
      let out = dir.appendingPathComponent("out.svg").path
      let r = OutputFile.$simulatedWriteError.withValue(ENOSPC) {
        tp(["check", Self.transpose] + Self.quickCheck + ["--plot", out])
      }
      #expect(r.code == .usage)
      #expect(r.stdout.contains("n=128"), "\(r.stdout)")
      #expect(r.stderr == "tp: cannot write '\(out)': No space left on device\n", "\(r.stderr)")
      let run = OutputFile.$simulatedWriteError.withValue(EIO) { tp(["run", Self.vectors, "--plot", out]) }
      #expect(run.code == .usage)
      #expect(run.stdout.contains("in the infinite-width limit"))
      #expect(run.stderr.hasSuffix("tp: cannot write '\(out)': Input/output error\n"), "\(run.stderr)")
    }
  }

  // MARK: Numerical failures

  @Test func divergentTrainingStopsWithTheStep() throws {
    try withTemporaryDirectory { dir in
      let source = try String(contentsOfFile: Self.mup2, encoding: .utf8).replacingOccurrences(
        of: "lr: 0.5, steps: 3", with: "lr: 1e6, steps: 6")
      let path = dir.appendingPathComponent("lr.tp").path
      try Data(source.utf8).write(to: URL(fileURLWithPath: path))
      let finite = tp("run", path, "--width", "64")
      #expect(finite.code == .numerical)
      #expect(finite.stdout.isEmpty)
      #expect(
        finite.stderr.hasPrefix(
          "\(path):15:1: error: training diverged after step 1: the loss on the batch of step 2 is "),
        "\(finite.stderr)")
      #expect(
        finite.stderr.contains(
          "more than 10⁶ times its initial scale 0.5 (width 64, seed 0); lower the learning rate (lr: 1000000)\n    train f on train"
        ),
        "\(finite.stderr)")
      let limit = tp("run", path)
      #expect(limit.code == .numerical)
      #expect(limit.stdout.isEmpty)
      #expect(
        limit.stderr.hasPrefix(
          "\(path):15:1: error: training diverged in the limit: the loss after step 1 is "),
        "\(limit.stderr)")
    }
  }

  /// `steps: 10000` once unrolled into gigabytes of instructions; the count is estimated first.
  @Test func longTrainingIsRefusedBeforeUnrolling() throws {
    try withTemporaryDirectory { dir in
      let source = try String(contentsOfFile: Self.mup2, encoding: .utf8).replacingOccurrences(
        of: "steps: 3", with: "steps: 10000")
      let path = dir.appendingPathComponent("long.tp").path
      try Data(source.utf8).write(to: URL(fileURLWithPath: path))
      let r = tp("run", path)
      #expect(r.code == .numerical)
      #expect(
        r.stderr.hasPrefix(
          "\(path):15:1: error: unrolling 10000 SGD steps makes an estimated 5e+08 instructions, more than 5e+06"
            + " (every step adds a term to every later pass, so they grow like steps²); use fewer steps, a"
            + " smaller batch or fewer observed points\n    train f on train"), "\(r.stderr)")
      // The direct trainer runs the same schedule at a finite width.
      let finite = tp("run", path, "--width", "16")
      #expect(finite.code == .success, "\(finite.stderr)")
    }
  }

  /// The limit's worst case (every expectation by particles) and kernel requests are estimated
  /// before anything is sampled: 200 Gaussians × 2²⁶ particles once died allocating, a
  /// 30,000-node chain × 1024 replicates and kernels at 3000 points ran for hours.
  @Test func limitRunsAreEstimatedFirst() throws {
    try withTemporaryDirectory { dir in
      var lines = ["width n"] + (0..<200).map { "vector g\($0) ~ N(0, 1)" } + ["s[0] = tanh(g0)"]
      lines += (1..<200).map { "s[\($0)] = s[\($0 - 1)] + tanh(g\($0))" }
      lines += ["a = mean(s[199] * s[199])", "out a"]
      let bases = dir.appendingPathComponent("bases.tp").path
      try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: bases))
      let r = tp(
        "run", bases, "--samples", "67108864", "--replicates", "1", "--max-memory", "64G", "--cache-memory",
        "1G")
      #expect(r.code == .numerical)
      #expect(
        r.stderr
          == "\(bases): error: Monte Carlo over 200 Gaussians and 401 nodes with 67108864 particles × 1 replicate"
          + " could need 205.0 GiB of memory, more than the limit of 64.0 GiB; use fewer --samples (or raise"
          + " --max-memory)\n", "\(r.stderr)")
      let chain = dir.appendingPathComponent("chain.tp").path
      try Data(
        "width n\nvector u ~ N(0, 1)\nz[0] = u\nfor t in 0 ..< 30000 { z[t+1] = tanh(z[t]) + 0.1 * u }\nout z[30000]\n"
          .utf8
      ).write(to: URL(fileURLWithPath: chain))
      let c = tp("run", chain, "--method", "mc", "--replicates", "1024")
      #expect(c.code == .numerical)
      #expect(
        c.stderr
          == "\(chain): error: Monte Carlo over 1 Gaussian and 30002 nodes with 8192 particles × 1024 replicates"
          + " could need 2e+12 arithmetic operations, more than the limit of 1e+12; use fewer --samples or"
          + " --replicates (or raise --max-work)\n", "\(c.stderr)")
      let points = (0..<1000).map { "[\(Double($0 % 97) / 97), \(Double($0 % 89) / 89)]" }
      let kernel = dir.appendingPathComponent("kernel.tp").path
      try Data(
        ("width n\nlayer U : 2 -> n\nlayer W : n -> n\nlayer V : n -> 1\nmodel f(x) {\n  return V @ relu(W @ relu(U @ x))\n}\n"
          + "parametrization ntk\nkernel f at " + points.joined(separator: ", ") + "\n").utf8
      ).write(to: URL(fileURLWithPath: kernel))
      // The pairwise recipe makes 1000 points cheap in time; its matrices still need memory:
      // NNGP and NTK (exact, so no error matrices) plus one block, 3 · 1000² · 8 B = 22.9 MiB.
      let k = tp("run", kernel, "--max-memory", "10M")
      #expect(k.code == .numerical)
      #expect(
        k.stderr
          == "\(kernel): error: the kernels at 1000 points (500500 pairs) need an estimated 22.9 MiB of memory,"
          + " more than the limit of 10.0 MiB; use fewer points (or raise --max-memory)\n", "\(k.stderr)")
    }
  }

  @Test func nonFiniteConstantsExitWith3AtTheirLine() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("c.tp").path
      try Data("width n\nc = 1e308 * 10\nd = c - c\na = sqrt(-1)\nb = log(0)\nout a, b, c, d\n".utf8).write(
        to: URL(fileURLWithPath: path))
      let r = tp("run", path, "--json")
      #expect(r.code == .numerical)
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("\(path):2:5: error: '1e308 * 10' evaluates to inf"), "\(r.stderr)")
      #expect(r.stderr.contains("\(path):4:5: error: 'sqrt(-1)' evaluates to NaN"))
      #expect(r.stderr.contains("\(path):5:5: error: 'log(0)' evaluates to -inf"))
      // The same overflow reached through --set.
      let param = dir.appendingPathComponent("p.tp").path
      try Data("width n\nparam big = 1\nvector u ~ N(0, 1)\nm = mean(u * u) * big * big\nout m\n".utf8).write(
        to: URL(fileURLWithPath: param))
      for width in [[], ["--width", "16"]] {
        let atRuntime = tp(["run", param, "--set", "big=1e200"] + width)
        #expect(atRuntime.code == .numerical)
        #expect(atRuntime.stderr.hasPrefix("\(param):4:1: error: "), "\(atRuntime.stderr)")
        #expect(
          atRuntime.stderr.contains("\n    m = mean(u * u) * big * big\n    ^~~~"), "\(atRuntime.stderr)")
      }
    }
  }

  /// A NaN in a network at a finite width names the model statement where it appeared.
  @Test func networkFailuresNameTheModelStatement() throws {
    try withTemporaryDirectory { dir in
      let source = """
        width n
        layer U : 2 -> n
        layer W : n -> n
        layer V : n -> 1
        model f(xi) {
          h1 = U @ xi
          x1 = exp(exp(h1 * 30))
          h2 = W @ x1
          return V @ tanh(h2)
        }
        parametrization mup
        data train = [ [1, 0] -> 1, [0, 1] -> -1 ]
        train f on train with sgd(lr: 0.5, steps: 2)
        observe f at [1, 0]
        """
      let path = dir.appendingPathComponent("inf.tp").path
      try Data(source.utf8).write(to: URL(fileURLWithPath: path))
      let finite = tp("run", path, "--width", "64")
      #expect(finite.code == .numerical)
      #expect(
        finite.stderr
          == "\(path):7:3: error: 'x1 = exp(exp(h1 * 30))' is not finite in the forward pass at (1, 0) at"
          + " initialization (width 64, seed 0)\n      x1 = exp(exp(h1 * 30))\n      ^~~~~~~~~~~~~~~~~~~~~~\n",
        "\(finite.stderr)")
      // In the limit the interpreter's failure is named in the same terms, never by temporaries.
      let limit = tp("run", path)
      #expect(limit.code == .numerical)
      #expect(
        limit.stderr.contains("in the forward pass of 'h2 = W @ x1' at (1, 0) at initialization"),
        "\(limit.stderr)")
      #expect(!limit.stderr.contains("%"), "\(limit.stderr)")
      // A real power of a model value that can be negative is a program error at its base.
      let power = dir.appendingPathComponent("pow.tp").path
      try Data(source.replacingOccurrences(of: "exp(exp(h1 * 30))", with: "h1 ** 0.5").utf8).write(
        to: URL(fileURLWithPath: power))
      let p = tp("run", power, "--width", "64")
      #expect(p.code == .program)
      #expect(p.stderr.hasPrefix("\(power):7:8: error: " + Message.realPowerBase("h1")), "\(p.stderr)")
    }
  }
}
