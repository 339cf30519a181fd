import Foundation
import Testing

/// Depth as a loop: layer families, `for` loops and reassignment in a model body.
@Suite struct ModelLoopTests {
  static func write(_ text: String) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("loop-\(UUID()).tp")
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }

  static let tail = """
    parametrization mup
    data train = [ [1, 0] -> 1, [0.6, 0.8] -> -1 ]
    train f on train with sgd(lr: 0.5, steps: 2, batch: 1, loss: mse)
    observe f at [1, 0], [-0.5, 0.5]
    observe movement x at [1, 0]
    kernel f at [1, 0], [0.6, 0.8], [-0.5, 0.5]

    """

  /// A `hidden`-layer tanh MLP written with a layer family and a loop.
  static func looped(_ hidden: Int) -> String {
    """
    width n
    param L = \(hidden + 1)
    layer U : 2 -> n
    layer W[l] : n -> n for l in 1 ..< L
    layer V : n -> 1
    model f(xi) {
      x = tanh(U @ xi)
      for l in 1 ..< L {
        x = tanh(W[l] @ x)
      }
      return V @ x
    }

    """ + tail
  }

  /// The same network written out by hand, with names of its own.
  static func handWritten(_ hidden: Int) -> String {
    var s = "width n\nlayer U : 2 -> n\n"
    for l in 1...hidden { s += "layer A\(l) : n -> n\n" }
    s += "layer V : n -> 1\n"
    s += "model f(xi) {\n  h0 = tanh(U @ xi)\n"
    for l in 1...hidden {
      s += "  \(l == hidden ? "x" : "h\(l)") = tanh(A\(l) @ h\(l - 1))\n"
    }
    s += "  return V @ x\n}\n"
    return s + tail
  }

  /// The JSON of a run with the program's name removed: what must agree bit for bit. JSON
  /// prints each double as its shortest round-trip decimal, so equal text is equal bits.
  static func numbers(_ path: String, _ options: [String]) throws -> String {
    let r = tp(["run", path, "--json"] + options)
    #expect(r.code == .success, "\(r.stderr)")
    var object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    object["program"] = nil
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  @Test func tenLayersInALoopEqualTheNetworkWrittenOutBitForBit() throws {
    let loop = try Self.write(Self.looped(10))
    let hand = try Self.write(Self.handWritten(10))
    defer { for p in [loop, hand] { try? FileManager.default.removeItem(atPath: p) } }
    for options in [
      ["--width", "96", "--seed", "3"],
      ["--method", "mc", "--samples", "2048", "--replicates", "2"],
    ] {
      let a = try Self.numbers(loop, options)
      let b = try Self.numbers(hand, options)
      #expect(a == b, "\(options)")
      #expect(a.contains("\"trajectory\""))
    }
  }

  @Test func setChangesTheDepth() throws {
    let loop = try Self.write(Self.looped(3))
    let hand = try Self.write(Self.handWritten(5))
    defer { for p in [loop, hand] { try? FileManager.default.removeItem(atPath: p) } }
    let options = ["--width", "64"]
    #expect(try Self.numbers(loop, options + ["--set", "L=6"]) == Self.numbers(hand, options))
    #expect(try Self.numbers(loop, options) != Self.numbers(hand, options))
  }

  @Test func familyMembersAreObservableByIndexAndTakeFamilyExponents() throws {
    let program = """
      width n
      layer U : 2 -> n
      layer W[l] : n -> n for l in 1 ... 2
      layer V : n -> 1
      model f(xi) {
        x[0] = relu(U @ xi)
        for l in 1 ... 2 {
          x[l] = relu(W[l] @ x[l - 1])
        }
        return V @ x[2]
      }
      parametrization abc { U: a = -0.5, b = 0.5; W: a = 0, b = 0.5; V: a = 0.5, b = 0.5; c = 0 }
      data train = [ [1, 0] -> 1 ]
      train f on train with sgd(lr: 0.5, steps: 1, batch: 1, loss: mse)
      observe movement x[1] at [1, 0]

      """
    let path = try Self.write(program)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("classify", path)
    #expect(r.code == .success, "\(r.stderr)")
    // Hand-worked (THEORY §classification): r = min(a_V+b_V, 2a_V+c) + c − 1 + min_l [2a_l + 1{l=1}]
    // = min(1, 1) + 0 − 1 + min(2·(−½) + 1, 0, 0) = 0, and both members of W take the family's
    // a = 0, b = ½.
    for line in [
      "W[1] (hidden): a = 0, b = 1/2", "W[2] (hidden): a = 0, b = 1/2", "r = 0", "regime: feature-learning",
    ] {
      #expect(r.stdout.contains(line), "\(line) missing from \(r.stdout)")
    }
    let run = tp("run", path, "--width", "64")
    #expect(run.code == .success, "\(run.stderr)")
    #expect(run.stdout.contains("x[1]"), "\(run.stdout)")
  }

  @Test(arguments: [
    (
      "model f(xi) {\n  x = relu(U @ xi)\n  x = relu(W[1] @ x)\n  return V @ x\n}\n", "'x' is already defined"
    ),
    (
      "model f(xi) {\n  x = relu(U @ xi)\n  for l in 1 ..< 3 {\n    return V @ x\n  }\n}\n",
      "'return' cannot be inside a loop"
    ),
    (
      "model f(xi) {\n  x = relu(U @ xi)\n  for l in 1 ..< 4 {\n    x = relu(W[l] @ x)\n  }\n  return V @ x\n}\n",
      "unknown layer 'W[3]'"
    ),
    (
      "model f(xi) {\n  x = relu(U @ xi)\n  for l in 0 ..< 1000000 {\n    x = relu(W[1] @ x)\n  }\n  return V @ x\n}\n",
      "at most 100000 iterations"
    ),
  ])
  func badLoopsAreDiagnosed(_ model: String, _ message: String) throws {
    let path = try Self.write(
      "width n\nlayer U : 2 -> n\nlayer W[l] : n -> n for l in 1 ... 2\nlayer V : n -> 1\n" + model
        + "parametrization mup\nkernel f at [1, 0]\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path)
    #expect(r.code == .program, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.contains(":"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test func aFamilyNeedsAnIndex() throws {
    let path = try Self.write("width n\nlayer W : n -> n for l in 1 ..< 3\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = tp("run", path)
    #expect(r.code == .program)
    #expect(r.stderr.contains("needs an index, as in 'W[l]'"), "\(r.stderr)")
  }

  /// NNGP and NTK of `x_l = x_{l−1} + α W_l relu(x_{l−1})`, `α = 1/√L`, NTK parametrization, by
  /// the recursion written here: `K_l = K_{l−1} + α² E[φφ]`, `Θ_l = Θ_{l−1}(1 + α² E[φ′φ′]) + α² E[φφ]`
  /// (the branch weights are fresh and centred, so cross terms vanish), `K_0 = Θ_0 = ξ·ξ′/d`, and
  /// the readout adds `K_L`; `E` are the arc-cosine expectations (Cho & Saul 2009).
  static func residualKernels(_ a: [Double], _ b: [Double], depth: Int) -> (nngp: Double, ntk: Double) {
    func dot(_ x: [Double], _ y: [Double]) -> Double {
      zip(x, y).map { $0 * $1 }.reduce(0, +) / Double(x.count)
    }
    var (kaa, kbb, kab) = (dot(a, a), dot(b, b), dot(a, b))
    var (taa, tbb, tab) = (kaa, kbb, kab)
    let alpha2 = 1 / Double(depth)
    func relu(_ q1: Double, _ q2: Double, _ c: Double) -> (phi: Double, step: Double) {
      let theta = acos(max(-1, min(1, c / (q1 * q2).squareRoot())))
      return (
        (q1 * q2).squareRoot() / (2 * .pi) * (sin(theta) + (.pi - theta) * cos(theta)),
        (.pi - theta) / (2 * .pi)
      )
    }
    for _ in 0..<depth {
      let (eaa, daa) = relu(kaa, kaa, kaa)
      let (ebb, dbb) = relu(kbb, kbb, kbb)
      let (eab, dab) = relu(kaa, kbb, kab)
      (taa, tbb, tab) = (
        taa * (1 + alpha2 * daa) + alpha2 * eaa, tbb * (1 + alpha2 * dbb) + alpha2 * ebb,
        tab * (1 + alpha2 * dab) + alpha2 * eab
      )
      (kaa, kbb, kab) = (kaa + alpha2 * eaa, kbb + alpha2 * ebb, kab + alpha2 * eab)
    }
    return (kab, tab + kab)
  }

  @Test(arguments: [4, 16]) func residualDepthScalingEqualsTheRecursion(_ depth: Int) throws {
    let r = tp("run", example("residual_depth.tp"), "--json", "--set", "L=\(depth)")
    #expect(r.code == .success, "\(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let kernels = try #require(object["kernels"] as? [[String: Any]])
    let points: [[Double]] = [[1, 0], [0.6, 0.8]]
    for kernel in kernels {
      let name = try #require(kernel["name"] as? String)
      let matrix = try #require(kernel["matrix"] as? [[Double]])
      for i in 0..<2 {
        for j in 0..<2 {
          let expected = Self.residualKernels(points[i], points[j], depth: depth)
          let e = name == "nngp" ? expected.nngp : expected.ntk
          #expect(abs(matrix[i][j] - e) <= 1e-12 * abs(e), "\(name)[\(i)][\(j)] \(matrix[i][j]) vs \(e)")
        }
      }
    }
  }

  /// Deep `mf` is μP moved by the abc symmetry `(a, b, c) → (a + ½, b − ½, c − 1)`, which leaves
  /// every effective weight and update unchanged: the same numbers in the limit and at a finite
  /// width, up to rounding.
  @Test func deepMeanFieldEqualsMuP() throws {
    let source = Self.looped(3).replacingOccurrences(of: "parametrization mup", with: "")
    var values: [String: [Double]] = [:]
    for preset in ["mup", "mf"] {
      let path = try Self.write(source + "parametrization \(preset)\n")
      defer { try? FileManager.default.removeItem(atPath: path) }
      for (mode, options) in [
        ("limit", ["--method", "mc", "--samples", "4096", "--replicates", "2"]),
        ("finite", ["--width", "128"]),
      ] {
        let r = tp(["run", path, "--json"] + options)
        #expect(r.code == .success, "\(preset) \(mode): \(r.stderr)")
        let object = try #require(
          try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let trajectory = try #require(object["trajectory"] as? [[String: Any]])
        values[preset + mode] = trajectory.compactMap { $0["value"] as? Double }
      }
    }
    for mode in ["limit", "finite"] {
      let a = try #require(values["mup" + mode])
      let b = try #require(values["mf" + mode])
      #expect(a.count == b.count && a.count > 4)
      for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-9 * max(1, abs(x)), "\(mode): \(x) vs \(y)") }
    }
  }

  /// The depth factor `1/√L` of a residual branch does not enter the width exponents: each
  /// branch matrix is a hidden layer with `a + b = ½`, so a residual network classifies as its
  /// parametrization does for an MLP — kernel (r = ½) under ntk, feature learning (r = 0) under
  /// μP — at every depth.
  @Test(arguments: [("ntk", "regime: kernel", "r = 1/2"), ("mup", "regime: feature-learning", "r = 0")])
  func depthScaledResidualNetworksClassifyByTheirParametrization(
    _ preset: String, _ regime: String, _ r: String
  ) throws {
    let text = try String(contentsOfFile: example("residual_depth.tp"), encoding: .utf8)
    let path = try Self.write(
      text.replacingOccurrences(of: "parametrization ntk", with: "parametrization \(preset)"))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for depth in [2, 32] {
      let c = tp("classify", path, "--set", "L=\(depth)")
      #expect(c.code == .success, "\(c.stderr)")
      #expect(c.stdout.contains(regime) && c.stdout.contains(r), "\(c.stdout)")
      #expect(c.stdout.contains("W[\(depth)] (hidden)"), "\(c.stdout)")
    }
  }
}
