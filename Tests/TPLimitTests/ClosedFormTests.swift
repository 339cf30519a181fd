import Foundation
import TPTestSupport
import Testing

@testable import TensorPrograms

/// Independent closed forms (Cho & Saul 2009 arc-cosine kernels; Williams 1997 erf kernel),
/// written out here rather than taken from the code under test.
enum Reference {
  static func theta(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    acos(max(-1, min(1, k12 / (k11 * k22).squareRoot())))
  }
  static func reluRelu(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    let t = theta(k11, k12, k22)
    return (k11 * k22).squareRoot() / (2 * .pi) * (sin(t) + (.pi - t) * cos(t))
  }
  static func stepStep(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    (.pi - theta(k11, k12, k22)) / (2 * .pi)
  }
  static func erfErf(_ k11: Double, _ k12: Double, _ k22: Double) -> Double {
    2 / .pi * asin(2 * k12 / ((1 + 2 * k11) * (1 + 2 * k22)).squareRoot())
  }
}

struct CovarianceCase: Sendable, CustomStringConvertible {
  var k11: Double
  var k22: Double
  var rho: Double
  var k12: Double { rho * (k11 * k22).squareRoot() }
  var description: String { "k11=\(k11) k22=\(k22) ρ=\(rho)" }
}

let covarianceCases: [CovarianceCase] = [
  .init(k11: 1, k22: 1, rho: 0), .init(k11: 1, k22: 1, rho: 0.5), .init(k11: 2, k22: 0.5, rho: -0.3),
  .init(k11: 1.5, k22: 1.5, rho: 0.999), .init(k11: 0.7, k22: 2.2, rho: 0.5),
]

func limitOf(_ source: String, _ options: LimitOptions = LimitOptions()) throws -> LimitResult {
  let program = try TensorProgram(source: source)
  return try LimitInterpreter.run(program.core, options: options)
}

func pairProgram(_ c: CovarianceCase, _ integrand: String) -> String {
  """
  width n
  vector a, b ~ N([0, 0], [[\(c.k11), \(c.k12)], [\(c.k12), \(c.k22)]])
  m = mean(\(integrand))
  out m
  """
}

@Test(arguments: covarianceCases)
func closedFormPairsAreExact(_ c: CovarianceCase) throws {
  let cases: [(String, Double)] = [
    ("relu(a) * relu(b)", Reference.reluRelu(c.k11, c.k12, c.k22)),
    ("step(a) * step(b)", Reference.stepStep(c.k11, c.k12, c.k22)),
    ("erf(a) * erf(b)", Reference.erfErf(c.k11, c.k12, c.k22)),
    ("a * b", c.k12),
  ]
  for (integrand, expected) in cases {
    let r = try limitOf(pairProgram(c, integrand))
    let out = try #require(r.output("m"))
    #expect(out.method == .exact, "\(integrand) should use a closed form")
    expectClose(out.scalarValue, expected, absolute: 1e-10, "\(integrand) at \(c)")
  }
}

@Test(arguments: covarianceCases)
func tanhPairQuadratureAgreesWithMonteCarlo(_ c: CovarianceCase) throws {
  let source = pairProgram(c, "tanh(a) * tanh(b)")
  func quadrature(_ degree: Int) throws -> Double {
    let out = try #require(try limitOf(source, LimitOptions(method: .quadrature, degree: degree)).output("m"))
    #expect(out.method == .quadrature)
    return out.scalarValue
  }
  let reference = try quadrature(100)
  let mc = try #require(
    try limitOf(source, LimitOptions(method: .mc, samples: 1 << 18, replicates: 1, seed: 3)).output("m"))
  #expect(mc.method == .mc)
  expectWithinStandardErrors(mc.scalarValue, standardError: mc.standardError, of: reference, k: 4)
  // Convergence in the degree: the error against degree 100 shrinks as the degree grows.
  let errors = try [10, 20, 40, 60].map { abs(try quadrature($0) - reference) }
  for (coarse, fine) in zip(errors, errors.dropFirst()) { #expect(fine <= coarse + 1e-15, "\(errors)") }
  #expect(errors[3] < 1e-6, "degree 60 within 1e-6 of degree 100: \(errors)")
}

@Test func identicalInputsGiveASingularCovarianceThatStillWorks() throws {
  let c = CovarianceCase(k11: 1, k22: 1, rho: 1)
  let r = try limitOf(pairProgram(c, "relu(a) * relu(b)"))
  expectClose(try #require(r.output("m")).scalarValue, 0.5, absolute: 1e-12)
  let q = try limitOf(pairProgram(c, "tanh(a) * tanh(b)"), LimitOptions(method: .quadrature, degree: 60))
  let q1 = try limitOf(pairProgram(c, "tanh(a) ** 2"), LimitOptions(method: .quadrature, degree: 60))
  expectClose(
    try #require(q.output("m")).scalarValue, try #require(q1.output("m")).scalarValue, absolute: 1e-10)
}
