import Foundation
import TensorPrograms
import Testing

/// The code of docs/library.md, run as written: the guide cannot drift from the API.
@Suite struct LibraryGuideTests {
  static let source = """
    width n
    matrix W ~ N(0, 2/n)
    vector y ~ N(0, 1)
    g = W.T @ y
    h = W @ g
    r = mean(h * y)
    out r
    """

  @Test func theGuideRunsAsWritten() throws {
    let program = try TensorProgram(source: Self.source, fileName: "transpose.tp")
    let report = try program.runLimit(LimitOptions(seed: 1))
    let r = try #require(report.outputs.first { $0.name == "r" })
    // E[h y] = σ² E[y²] = 2 exactly (THEORY: the Ż term of W Wᵀ).
    #expect(r.scalarValue == 2 && r.error == 0 && r.method == .exact)
    let finite = try program.runFinite(width: 512, seed: 3)
    #expect(finite.outputs.count == 1)
    let check = try program.check(widths: [256, 512, 1024], seeds: 4)
    #expect(check.quantities.map(\.name) == ["r"])
    #expect(check.quantities.allSatisfy { $0.widths.count == 3 })
    #expect(!TextReport.run(report).isEmpty)
    #expect(try JSONReport.string(JSONReport.FullRunDocument(report, seed: 1)).contains("\"r\""))
  }

  @Test func resultsAreReadByName() throws {
    let text = try String(contentsOfFile: Examples.path("examples/mup1_tanh.tp"), encoding: .utf8)
    let report = try TensorProgram(source: text, fileName: "mup1_tanh.tp").runLimit()
    let first = try #require(report.trajectory.first { $0.observable == "f" })
    let byStep = report.trajectory("f", at: first.points)
    #expect(
      byStep.count == report.trajectory.filter { $0.observable == "f" && $0.points == first.points }.count)
    #expect(byStep[first.step] == first)
    #expect(report.trajectory("f", at: [[12345]]).isEmpty)
    let core = try TensorProgram(source: Self.source, fileName: "transpose.tp").runLimit()
    #expect(core.outputsByName["r"]?.scalarValue == 2)
    #expect(core.outputsByName["nothing"] == nil)
    let kernels = try TensorProgram(
      source: """
        width n
        layer U : 2 -> n
        layer v : n -> 1
        model g(xi) { return v @ relu(U @ xi) }
        parametrization ntk
        kernel g at [1, 0], [0, 1]
        """, fileName: "k.tp"
    ).runLimit()
    // Pre-activations U ξ have variance |ξ|²/d = 1/2 and are independent for orthogonal
    // inputs: K(a, b) = E[relu(u)]² = (1/2)/(2π), K(a, a) = E[relu(u)²] = (1/2)/2.
    #expect(Set(kernels.kernelsByName.keys).isSuperset(of: ["nngp", "ntk"]))
    let nngp = try #require(kernels.kernelsByName["nngp"])
    #expect(abs(nngp.value(0, 1) - 1 / (4 * Double.pi)) <= 1e-12 + 4 * nngp.error(0, 1))
    #expect(abs(nngp.value(0, 0) - 0.25) <= 1e-12 + 4 * nngp.error(0, 0))
  }

  @Test func errorsAreTypedAndRendered() {
    do {
      _ = try TensorProgram(source: "width n\nvector x ~ N(0, 1)\ny = tanhh(x)\nout y\n", fileName: "bad.tp")
      Issue.record("a misspelt function must not check")
    } catch {
      #expect(error.render().contains("bad.tp:3:5: error: unknown function 'tanhh'"), "\(error.render())")
    }
  }

  @Test func limitOnANetworkNamesRunLimit() throws {
    let text = try String(contentsOfFile: Examples.path("examples/mup1_tanh.tp"), encoding: .utf8)
    let program = try TensorProgram(source: text, fileName: "mup1_tanh.tp")
    #expect(throws: NumericalError.self) { try program.limit() }
    #expect(try !program.runLimit().trajectory.isEmpty)
  }
}
