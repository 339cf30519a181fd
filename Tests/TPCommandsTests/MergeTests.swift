import Foundation
import TPTestSupport
import Testing

@testable import TPCommands

/// Sharded runs (docs/scaling.md): the merge of every shard prints what one process prints.
@Suite struct MergeTests {
  /// A fresh temporary folder.
  static func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tp-merge-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Runs `args` with `--replicate k/r` (or `--shard k/r`) for every k, writes each partial to a
  /// file and returns the paths.
  static func shards(_ args: [String], option: String, count: Int, in dir: URL) throws -> [String] {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var paths: [String] = []
    for k in 1...count {
      let r = tp(args + ["--\(option)", "\(k)/\(count)"])
      #expect(r.code == .success, "\(r.stderr)")
      let path = dir.appendingPathComponent("part-\(k).json").path
      try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    return paths
  }

  static let coreSource = """
    width n
    matrix W ~ N(0, 1/n)
    vector x ~ N(0, 1)
    g = W.T @ tanh(x)
    h = W @ relu(g)
    m = mean(tanh(h) * sin(g) * x)
    out m
    v = tanh(h) * x
    show v
    """

  /// A network trained by SGD (Monte Carlo through its `Ż` coefficients) and a core program:
  /// merging 4 replicates gives the 4-replicate run's text and JSON bit for bit.
  @Test(arguments: ["network", "core", "rqmc"])
  func mergeOfReplicatesEqualsTheFullRun(_ which: String) throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    var file = example("mup2_tanh.tp")
    var args = ["--samples", "512", "--seed", "7", "--set", "steps=2"]
    if which == "rqmc" { args += ["--sampler", "rqmc"] }
    if which == "core" {
      file = dir.appendingPathComponent("core.tp").path
      try Self.coreSource.write(toFile: file, atomically: true, encoding: .utf8)
      args = ["--samples", "1024", "--seed", "7", "--method", "mc"]
    }
    let full = tp(["run", file, "--replicates", "4", "--json"] + args)
    #expect(full.code == .success, "\(full.stderr)")
    let fullText = tp(["run", file, "--replicates", "4"] + args)
    let parts = try Self.shards(["run", file] + args, option: "replicate", count: 4, in: dir)
    let merged = tp(["merge", "--json"] + parts.reversed())
    #expect(merged.code == .success, "\(merged.stderr)")
    #expect(merged.stdout == full.stdout)
    #expect(full.stdout.contains("\"method\" : \"mc\""))
    let mergedText = tp(["merge"] + parts)
    #expect(mergedText.stdout == fullText.stdout)
    #expect(mergedText.stderr == fullText.stderr)
  }

  /// A program without Monte Carlo: every replicate is the same deterministic run.
  @Test func mergeOfADeterministicRunEqualsTheFullRun() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = example("nngp_relu.tp")
    let full = tp(["run", file, "--replicates", "2", "--json"])
    let parts = try Self.shards(["run", file], option: "replicate", count: 2, in: dir)
    let merged = tp(["merge", "--json"] + parts)
    #expect(merged.code == .success, "\(merged.stderr)")
    #expect(merged.stdout == full.stdout)
  }

  /// Three shards of a check, merged, give the unsharded check's report.
  @Test func mergeOfCheckShardsEqualsTheFullCheck() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("core.tp").path
    try Self.coreSource.write(toFile: file, atomically: true, encoding: .utf8)
    let args = [
      "check", file, "--widths", "64,128", "--seeds", "4", "--samples", "1024", "--replicates", "2",
    ]
    let full = tp(args + ["--json"])
    let parts = try Self.shards(args, option: "shard", count: 3, in: dir)
    let merged = tp(["merge", "--json"] + parts)
    #expect(merged.code == full.code, "\(merged.stderr)")
    #expect(merged.stdout == full.stdout)
    #expect(merged.stdout.contains("\"widths\""))
  }

  /// Partials that do not belong together are refused with exit 1 and a reason.
  @Test func mismatchedPartialsAreRefused() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("core.tp").path
    try Self.coreSource.write(toFile: file, atomically: true, encoding: .utf8)
    let args = ["run", file, "--method", "mc", "--samples", "512"]
    let parts = try Self.shards(args, option: "replicate", count: 3, in: dir)

    let missing = tp(["merge", parts[0], parts[2]])
    #expect(missing.code == .usage)
    #expect(missing.stderr.contains("replicate 2 of 3 missing"), "\(missing.stderr)")

    let twice = tp(["merge", parts[0], parts[1], parts[1], parts[2]])
    #expect(twice.code == .usage)
    #expect(twice.stderr.contains("appears twice"), "\(twice.stderr)")

    let other = dir.appendingPathComponent("other.json").path
    try tp(args + ["--seed", "1", "--replicate", "2/3"]).stdout.write(
      toFile: other, atomically: true, encoding: .utf8)
    let settings = tp(["merge", parts[0], other, parts[2]])
    #expect(settings.code == .usage)
    #expect(settings.stderr.contains("different settings"), "\(settings.stderr)")

    try (Self.coreSource + "\nshow h\n").write(toFile: file, atomically: true, encoding: .utf8)
    let edited = dir.appendingPathComponent("edited.json").path
    try tp(args + ["--replicate", "2/3"]).stdout.write(toFile: edited, atomically: true, encoding: .utf8)
    let program = tp(["merge", parts[0], edited, parts[2]])
    #expect(program.code == .usage)
    #expect(program.stderr.contains("different programs"), "\(program.stderr)")

    let check = try Self.shards(
      ["check", file, "--widths", "32", "--seeds", "2", "--samples", "512"], option: "shard", count: 2,
      in: dir.appendingPathComponent("check"))
    let mixed = tp(["merge", parts[0], check[1]])
    #expect(mixed.code == .usage)

    let junk = dir.appendingPathComponent("junk.json").path
    try "{\"a\": 1}".write(toFile: junk, atomically: true, encoding: .utf8)
    let notPartial = tp(["merge", junk])
    #expect(notPartial.code == .usage)
    #expect(notPartial.stderr.contains("not a partial result"), "\(notPartial.stderr)")

    #expect(tp(["run", file, "--replicate", "4/3"]).code == .usage)
    #expect(tp(["run", file, "--replicate", "1/3", "--replicates", "4"]).code == .usage)
    #expect(tp(["run", file, "--replicate", "1/3", "--width", "8"]).code == .usage)
  }

  /// FIPS 180-4 known answers (NIST's examples).
  @Test func sha256KnownAnswers() {
    #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }
}
