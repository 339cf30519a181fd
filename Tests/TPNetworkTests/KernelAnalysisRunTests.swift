import Foundation
import TPTestSupport
import Testing

@testable import TPCommands
@testable import TensorPrograms

/// End-to-end kernel analysis (`alignment`, `eigen`, `eigenlearning`, `hermite`,
/// `observe alignment`): every expected value is computed here, from the layer recursion
/// `ntkRecursion` (arc-cosine kernels, Cho & Saul 2009; Williams 1997 for erf), closed-form
/// Hermite coefficients, and spectral identities that hold whatever the eigenvectors.
@Suite struct KernelAnalysisRunTests {
  /// `M` random points in R³ and labels `y = x₁ − x₂x₃ + 0.3`.
  static func data(_ m: Int, seed: UInt64 = 11) -> [(x: [Double], y: Double)] {
    var g = SplitMix(seed: seed)
    return (0..<m).map { _ in
      let x = (0..<3).map { _ in Double(Int(g.next() % 2000)) / 1000 - 1 }
      return (x, x[0] - x[1] * x[2] + 0.3)
    }
  }

  static func source(_ data: [(x: [Double], y: Double)], activation: String = "relu", _ statements: String)
    -> String
  {
    let examples = data.map { "[" + $0.x.map { String($0) }.joined(separator: ", ") + "] -> \($0.y)" }
    return """
      width n
      layer U : 3 -> n  (var: 1.7)
      layer V : n -> 1  (var: 0.8)
      bias b : n  (var: 0.1)
      model f(xi) {
        h = U @ xi + b
        x = \(activation)(h)
        return V @ x
      }
      parametrization ntk
      data d = [ \(examples.joined(separator: ", ")) ]
      \(statements)

      """
  }

  /// NNGP and NTK Gram matrices by the recursion.
  static func grams(_ data: [(x: [Double], y: Double)], activation: String = "relu") -> (
    k: [[Double]], t: [[Double]]
  ) {
    let r = data.map { a in
      data.map { b in
        ntkRecursion(
          activation, a.x, b.x, inputVar: 1.7, hiddenVar: 1, readoutVar: 0.8, biasVar: 0.1, hidden: 1)
      }
    }
    return (r.map { $0.map(\.nngp) }, r.map { $0.map(\.ntk) })
  }

  static func alignment(_ k: [[Double]], _ y: [Double]) -> Double {
    var num = 0.0
    var fro = 0.0
    for i in k.indices {
      for j in k.indices {
        num += y[i] * k[i][j] * y[j]
        fro += k[i][j] * k[i][j]
      }
    }
    return num / (fro.squareRoot() * y.reduce(0) { $0 + $1 * $1 })
  }

  /// Kernel entries agree with the recursion to rounding for the NNGP, and to ~1e-9 relative
  /// for the NTK (the library's `E[step(u) step(v)]` near `ρ = 1`; see NTKRecursionTests,
  /// which allow 1e-7): hence the tolerances.
  static let ntkTolerance = 1e-8

  @Test func alignmentEqualsTheRecursionsGram() throws {
    let data = Self.data(12)
    let report = try TensorProgram(source: Self.source(data, "alignment f on d")).runLimit()
    let (k, t) = Self.grams(data)
    let y = data.map(\.y)
    #expect(report.alignments.map(\.kernel) == ["nngp", "ntk"])
    for (a, gram) in zip(report.alignments, [k, t]) {
      let expected = Self.alignment(gram, y)
      let tolerance = a.kernel == "ntk" ? Self.ntkTolerance : 1e-12
      #expect(abs(a.value - expected) <= tolerance * abs(expected), "\(a.kernel): \(a.value) vs \(expected)")
      #expect(a.method == .exact)
      #expect(a.error == 0)
    }
  }

  /// For eigenvalues `λᵢ` of `K/M` and coefficients `vᵢ = uᵢᵀy/√M`:
  /// `Σλᵢ = tr K/M`, `Σλᵢ² = ‖K‖²_F/M²`, `Σvᵢ² = ‖y‖²/M`, `Σλᵢvᵢ² = yᵀKy/M²`.
  @Test func eigenstructureSatisfiesTheSpectralIdentities() throws {
    let data = Self.data(15)
    let m = Double(data.count)
    let report = try TensorProgram(source: Self.source(data, "eigen f on d\neigen f on d (top: 3)"))
      .runLimit()
    let (k, t) = Self.grams(data)
    let y = data.map(\.y)
    #expect(report.eigen.count == 4)
    for (e, gram) in zip(report.eigen.prefix(2), [k, t]) {
      #expect(e.eigenvalues.count == data.count)
      #expect(zip(e.eigenvalues, e.eigenvalues.dropFirst()).allSatisfy { $0 >= $1 })
      var trace = 0.0
      var fro = 0.0
      var quad = 0.0
      for i in gram.indices {
        trace += gram[i][i]
        for j in gram.indices {
          fro += gram[i][j] * gram[i][j]
          quad += y[i] * gram[i][j] * y[j]
        }
      }
      let v = e.targetCoefficients
      let tolerance = e.kernel == "ntk" ? Self.ntkTolerance : 1e-11
      func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * max(abs(b), 1e-300) }
      #expect(close(e.eigenvalues.reduce(0, +), trace / m))
      #expect(close(e.eigenvalues.reduce(0) { $0 + $1 * $1 }, fro / (m * m)))
      #expect(close(v.reduce(0) { $0 + $1 * $1 }, y.reduce(0) { $0 + $1 * $1 } / m))
      #expect(close(zip(e.eigenvalues, v).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }, quad / (m * m)))
      #expect(abs((e.cumulativePower.last ?? 0) - 1) <= 1e-12)
      #expect(e.eigenvalueErrors.allSatisfy { $0 == 0 })
    }
    // top: 3 keeps the three largest, with the same coefficients.
    for (full, top) in zip(report.eigen.prefix(2), report.eigen.suffix(2)) {
      #expect(top.eigenvalues.count == 3)
      for i in 0..<3 {
        #expect(abs(top.eigenvalues[i] - full.eigenvalues[i]) <= 1e-14 * full.eigenvalues[0])
        #expect(abs(top.targetCoefficients[i] - full.targetCoefficients[i]) <= 1e-9)
      }
    }
  }

  /// At δ = 0, `Σᵢ Lᵢ = n` (the conservation law); κ solves `Σ λᵢ/(λᵢ+κ) + δ/κ = n`; the test
  /// and train MSE follow from `E₀ = n/(n − Σ Lᵢ²)`, recomputed from the `eigen` statement's
  /// spectrum.
  @Test func eigenlearningObeysTheConservationLawAndItsEquations() throws {
    let data = Self.data(20)
    let statements = """
      eigen f on d
      eigenlearning f on d (samples: [2, 5, 9], ridge: 0)
      eigenlearning f on d (samples: 6, ridge: 0.01, noise: 0.05)
      """
    let report = try TensorProgram(source: Self.source(data, statements)).runLimit()
    let spectrum = try #require(report.eigen.first { $0.kernel == "ntk" })
    #expect(report.eigenlearning.count == 4)
    for p in report.eigenlearning {
      let n = Double(p.samples)
      let lambda = spectrum.eigenvalues
      let v = spectrum.targetCoefficients
      let l = lambda.map { max(0, $0) / (max(0, $0) + p.kappa) }
      let residual = l.reduce(0, +) + p.ridge / p.kappa - n
      #expect(abs(residual) <= 1e-10 * n, "κ equation residual \(residual)")
      if p.ridge == 0 {
        #expect(abs(p.learnabilities.reduce(0, +) - n) <= 1e-10, "Σ L = \(p.learnabilities.reduce(0, +))")
        #expect(abs(p.learnabilitySum - n) <= 1e-10)
        #expect(p.trainMSE == 0)
      }
      let e0 = n / (n - l.reduce(0) { $0 + $1 * $1 })
      let unlearned = zip(l, v).reduce(0) { $0 + (1 - $1.0) * (1 - $1.0) * $1.1 * $1.1 }
      let test = e0 * (unlearned + p.noise)
      #expect(abs(p.testMSE - test) <= 1e-8 * test, "\(p.testMSE) vs \(test)")
      let train = (p.ridge / (n * p.kappa)) * (p.ridge / (n * p.kappa)) * test
      #expect(abs(p.trainMSE - train) <= 1e-8 * max(train, 1e-300))
      #expect(p.kappaError == 0 && p.testMSEError == 0)
    }
    #expect(report.eigenlearning.map(\.isSweep) == [true, true, true, false])
  }

  /// Too many samples at δ = 0 (n at the rank) is a numerical failure that says what to do.
  @Test func interpolationThresholdIsExplained() throws {
    // Two copies of each point: rank ≤ 3 of 6 points.
    let base = Self.data(3)
    let data = base + base
    let program = try TensorProgram(source: Self.source(data, "eigenlearning f on d (samples: 5, ridge: 0)"))
    #expect {
      _ = try program.runLimit()
    } throws: { error in
      "\(error)".contains("ridge")
    }
  }

  /// relu: `a₀ = 1/√(2π)`, `a₁ = 1/2`, `a_k = (−1)^{k/2+1} (k−3)!! / √(2π k!)` for even
  /// `k ≥ 2`, 0 for odd `k ≥ 3`. A `def` polynomial `z³ − 2z + 1/2 = √6 h₃ + h₁ + ½ h₀`
  /// is exact. `relu(z − 1)`: `a₀ = φ(1) − Q(1)`, `a₁ = Q(1)` with the kink at 1 as a breakpoint.
  @Test func hermiteCoefficientsEqualClosedForms() throws {
    let source = """
      width n
      def p(z) = z * z * z - 2 * z + 0.5
      def shifted(z) = relu(z - 1)
      hermite relu (degree: 10)
      hermite p (degree: 6)
      hermite shifted (degree: 1)

      """
    let report = try TensorProgram(source: source).runLimit()
    #expect(report.hermite.map(\.function) == ["relu", "p", "shifted"])
    let relu = report.hermite[0]
    func doubleFactorial(_ k: Int) -> Double { k <= 1 ? 1 : Double(k) * doubleFactorial(k - 2) }
    func factorial(_ k: Int) -> Double { k <= 1 ? 1 : Double(k) * factorial(k - 1) }
    for k in 0...10 {
      let expected: Double
      switch k {
      case 0: expected = 1 / (2 * Double.pi).squareRoot()
      case 1: expected = 0.5
      case _ where k % 2 == 1: expected = 0
      default:
        expected =
          (k / 2 % 2 == 0 ? -1.0 : 1.0) * doubleFactorial(k - 3) / (2 * Double.pi * factorial(k)).squareRoot()
      }
      #expect(abs(relu.coefficients[k] - expected) <= max(3 * relu.errors[k], 1e-13), "a\(k)")
      #expect(relu.errors[k] < 1e-10)
    }
    let p = report.hermite[1]
    let exact = [0.5, 1, 0, 6.0.squareRoot(), 0, 0, 0]
    for k in 0...6 { #expect(abs(p.coefficients[k] - exact[k]) <= 1e-10, "p a\(k) = \(p.coefficients[k])") }
    let s = report.hermite[2]
    let pdf1 = exp(-0.5) / (2 * Double.pi).squareRoot()
    let q1 = 0.5 * erfc(1 / 2.0.squareRoot())
    #expect(abs(s.coefficients[0] - (pdf1 - q1)) <= max(3 * s.errors[0], 1e-12))
    #expect(abs(s.coefficients[1] - q1) <= max(3 * s.errors[1], 1e-12))
    #expect(s.rule.contains("split at 1"), "\(s.rule)")
    // The induced one-hidden-layer kernels on the sphere: relu's NNGP series Σ aₖ² ρᵏ and NTK
    // series Σ (k+1) aₖ² ρᵏ summed at ρ = 0.3 against the arc-cosine forms (Cho & Saul 2009),
    // up to the truncated power E[φ²] − Σ aₖ² times 0.3¹¹ (and (k+1) ≤ 12 times that).
    let rho = 0.3
    let theta = acos(rho)
    let k1 = (sin(theta) + (Double.pi - theta) * rho) / (2 * Double.pi)
    let k0 = (Double.pi - theta) / (2 * Double.pi)
    let nngpSum = relu.nngpSeries.enumerated().reduce(0) { $0 + $1.element * pow(rho, Double($1.offset)) }
    let ntkSum = relu.ntkSeries.enumerated().reduce(0) { $0 + $1.element * pow(rho, Double($1.offset)) }
    let tail = (relu.secondMoment - relu.coefficients.reduce(0) { $0 + $1 * $1 }) * pow(rho, 11)
    #expect(abs(nngpSum - k1) <= tail + 1e-12, "\(nngpSum) vs \(k1)")
    #expect(abs(ntkSum - (k1 + rho * k0)) <= 20 * tail + 1e-12, "\(ntkSum) vs \(k1 + rho * k0)")
  }

  /// In the NTK limit the feature kernel does not move: `observe alignment` is the alignment of
  /// `E[relu(h(a)) relu(h(b))]` at every step.
  @Test func featureAlignmentStaysPutInTheKernelRegime() throws {
    let data = Self.data(6)
    let statements = """
      train f on d with sgd(lr: 0.5, steps: 3, batch: full, loss: mse)
      observe alignment x on d
      """
    let report = try TensorProgram(source: Self.source(data, statements)).runLimit()
    let values = report.trajectory.filter { $0.observable == "alignment" }
    #expect(values.map(\.step) == [0, 1, 2, 3])
    let f = data.map { a in
      data.map { b in
        ntkRecursion("relu", a.x, b.x, inputVar: 1.7, hiddenVar: 1, readoutVar: 1, biasVar: 0.1, hidden: 1)
          .nngp
      }
    }
    let expected = Self.alignment(f, data.map(\.y))
    for v in values { #expect(abs(v.value - expected) <= 1e-12, "\(v.value) vs \(expected)") }
  }

  /// In μP the features learn: the alignment starts at the closed-form value of the erf
  /// network's second-layer feature kernel (within its stated error) and rises.
  @Test func featureAlignmentRisesInMuP() throws {
    let source = """
      width n
      layer U : 2 -> n
      layer W : n -> n
      layer V : n -> 1
      model f(xi) {
        h1 = U @ xi
        x1 = erf(h1)
        h2 = W @ x1
        x2 = erf(h2)
        return V @ x2
      }
      parametrization mup
      data d = [ [1, 0] -> 1, [0.6, 0.8] -> -1, [-0.5, 0.5] -> 0.5, [0, -1] -> -0.5 ]
      train f on d with sgd(lr: 1.0, steps: 4, batch: full, loss: mse)
      observe alignment x2 on d

      """
    let report = try TensorProgram(source: source).runLimit(LimitOptions(samples: 4096, replicates: 4))
    let values = report.trajectory.filter { $0.observable == "alignment" }
    #expect(values.count == 5)
    let points: [[Double]] = [[1, 0], [0.6, 0.8], [-0.5, 0.5], [0, -1]]
    let f = points.map { a in
      points.map { b in
        ntkRecursion("erf", a, b, inputVar: 1, hiddenVar: 1, readoutVar: 1, biasVar: 0, hidden: 2).nngp
      }
    }
    let expected = Self.alignment(f, [1, -1, 0.5, -0.5])
    let first = try #require(values.first)
    #expect(
      abs(first.value - expected) <= 3 * first.error + 1e-9, "\(first.value) ± \(first.error) vs \(expected)")
    #expect(values.allSatisfy { $0.value.isFinite })
    #expect(values.last!.value > first.value, "\(values.map(\.value))")
  }

  /// Bad CSV files are program errors (exit 2) located at the file name, naming the row; a
  /// file over 64 MiB is refused without being read.
  @Test(arguments: [
    ("1,2,3,4\n5,6\n", "bad.csv:2: this row has 2 cells but the first row has 4"),
    ("", "has no rows"),
    ("1,2,3,4\n1,two,3,4\n", "'two' in column 2 is not a number (row 2, column 2)"),
    ("1,2,3,nan\n", "column 4 is 'nan'"),
    ("huge", "at most 64 MiB"),
  ])
  func badCSVFilesExitTwo(_ contents: String, _ message: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tp-bad-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("bad.csv")
    if contents == "huge" {
      FileManager.default.createFile(atPath: csv.path, contents: nil)
      let handle = try FileHandle(forWritingTo: csv)
      try handle.truncate(atOffset: UInt64(65 << 20))  // sparse: no 65 MiB written
      try handle.close()
    } else {
      try Data(contents.utf8).write(to: csv)
    }
    let source = Self.source(Self.data(3), "alignment f on pool").replacingOccurrences(
      of: "data d = [", with: "data pool = csv(\"bad.csv\")\ndata d = [")
    let file = dir.appendingPathComponent("p.tp")
    try Data(source.utf8).write(to: file)
    let sink = CapturingSink()
    let code = TPCommands.run(["run", file.path], io: sink)
    #expect(code == .program, "\(sink.stderr)")
    #expect(sink.stderr.contains("p.tp:11:17: error: "), "\(sink.stderr)")
    #expect(sink.stderr.contains(message), "\(sink.stderr)")
  }

  /// The same data from a CSV file (with a header) and inline give the same analyses; the
  /// JSON report carries the contract's keys, and `--plot` draws the learning curve.
  @Test func csvDataJSONKeysAndLearningCurvePlot() throws {
    let data = Self.data(10)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tp-ks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv =
      "a,b,c,y\n" + data.map { ($0.x + [$0.y]).map { String($0) }.joined(separator: ",") + "\n" }.joined()
    try Data(csv.utf8).write(to: dir.appendingPathComponent("pool.csv"))
    let statements = """
      alignment f on pool
      eigen f on pool (top: 4)
      eigenlearning f on pool (samples: [2, 4, 8], ridge: 1e-3, trials: 20)
      hermite erf (degree: 3)
      """
    var source = Self.source(data, statements).replacingOccurrences(
      of: "data d = [", with: "data pool = csv(\"pool.csv\")\ndata d = [")
    source = source.replacingOccurrences(of: "data d = [", with: "data dd = [")
    let file = dir.appendingPathComponent("k.tp")
    try Data(source.utf8).write(to: file)
    let svg = dir.appendingPathComponent("lc.svg").path
    let sink = CapturingSink()
    let code = TPCommands.run(["run", file.path, "--json", "--plot", svg], io: sink)
    let r = (code: code, stdout: sink.stdout, stderr: sink.stderr)
    #expect(r.code == .success, "\(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let alignment = try #require(object["alignment"] as? [[String: Any]])
    #expect(alignment.count == 2)
    let (k, _) = Self.grams(data)
    let nngp = try #require(alignment.first { $0["kernel"] as? String == "nngp" })
    let expected = Self.alignment(k, data.map(\.y))
    #expect(abs((nngp["value"] as? Double ?? .nan) - expected) <= 1e-12)
    for key in ["kernel", "value", "error"] { #expect(nngp[key] != nil, "alignment.\(key)") }
    let eigen = try #require((object["eigen"] as? [[String: Any]])?.first)
    for key in ["kernel", "eigenvalues", "target_coefficients"] { #expect(eigen[key] != nil, "eigen.\(key)") }
    let el = try #require(object["eigenlearning"] as? [[String: Any]])
    #expect(el.count == 3)
    for key in [
      "kernel", "samples", "ridge", "noise", "kappa", "learnabilities", "target_learnability", "test_mse",
      "train_mse",
    ] {
      #expect(el[0][key] != nil, "eigenlearning.\(key)")
    }
    #expect((el[0]["krr"] as? [String: Any])?["trials"] as? Int == 20)
    let hermite = try #require((object["hermite"] as? [[String: Any]])?.first)
    for key in ["function", "coefficients", "errors"] { #expect(hermite[key] != nil, "hermite.\(key)") }
    // erf: a₁ = E[erf′(z)] = (2/√π)/√3.
    let a = try #require(hermite["coefficients"] as? [Double])
    #expect(abs(a[1] - 2 / (3 * Double.pi).squareRoot()) <= 1e-12)
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(text.hasPrefix("<?xml") || text.contains("<svg"))
    #expect(text.contains("eigenlearning: predicted test MSE"))
    #expect(text.contains("kernel regression, 20 draws"))
  }
}

extension CapturingSink: OutputSink {}
