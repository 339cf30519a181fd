import Foundation
import TPTestSupport
import Testing

@testable import TensorPrograms

/// Independent one-dimensional references, written here: `Φ` from `erfc`, the conditional
/// expectations of the kink functions of a normal, and a composite Gauss–Legendre integral
/// (nodes by Newton on the Legendre recurrence, written again here) split at a given point.
enum Independent {
  static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
  static func density(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

  /// `E[g(N(m, s²))]` for the kink functions and the identity.
  static func conditional(_ g: String, _ m: Double, _ s: Double) -> Double {
    if s == 0 {
      switch g {
      case "relu": return max(0, m)
      case "step": return m > 0 ? 1 : 0
      case "abs": return Swift.abs(m)
      case "sign": return m > 0 ? 1 : (m < 0 ? -1 : 0)
      default: return m
      }
    }
    let z = m / s
    switch g {
    case "relu": return m * phi(z) + s * density(z)
    case "step": return phi(z)
    case "abs": return m * (2 * phi(z) - 1) + 2 * s * density(z)
    case "sign": return 2 * phi(z) - 1
    default: return m
    }
  }

  static func apply(_ f: String, _ x: Double) -> Double {
    switch f {
    case "relu": return max(0, x)
    case "step": return x > 0 ? 1 : 0
    case "abs": return Swift.abs(x)
    case "sign": return x > 0 ? 1 : (x < 0 ? -1 : 0)
    default: return x
    }
  }

  /// 20-node Gauss–Legendre on [−1, 1].
  static let legendre: (nodes: [Double], weights: [Double]) = {
    let m = 20
    var xs: [Double] = []
    var ws: [Double] = []
    for i in 0..<m {
      var x = cos(Double.pi * (Double(i) + 0.75) / (Double(m) + 0.5))
      var dp = 1.0
      for _ in 0..<60 {
        var p0 = 1.0
        var p1 = x
        for k in 1..<m {
          let p2 = (Double(2 * k + 1) * x * p1 - Double(k) * p0) / Double(k + 1)
          p0 = p1
          p1 = p2
        }
        dp = Double(m) * (x * p1 - p0) / (x * x - 1)
        x -= p1 / dp
      }
      xs.append(x)
      ws.append(2 / ((1 - x * x) * dp * dp))
    }
    return (xs, ws)
  }()

  /// `∫_{−12}^{12} h(u) φ(u) du` by 200 panels of 20-node Gauss–Legendre, with `splits` as
  /// extra panel edges (the kinks and jumps of `h`).
  static func gaussianIntegral(split: Double?, also more: [Double] = [], _ h: (Double) -> Double) -> Double {
    var edges = (0...200).map { -12 + 24 * Double($0) / 200 }
    for s in [split].compactMap({ $0 }) + more where s > -12 && s < 12 { edges.append(s) }
    edges.sort()
    var total = 0.0
    for p in 0..<(edges.count - 1) {
      let (a, b) = (edges[p], edges[p + 1])
      guard b > a else { continue }
      for (x, w) in zip(legendre.nodes, legendre.weights) {
        let u = (a + b) / 2 + (b - a) / 2 * x
        total += w * (b - a) / 2 * h(u) * density(u)
      }
    }
    return total
  }

  /// `E[f(X) g(Y)]` for `(X, Y)` normal: `∫ φ(u) f(μx + σx u) E[g(Y) | X] du`.
  static func pair(
    _ f: String, _ g: String, mx: Double, my: Double, vx: Double, vy: Double, rho: Double
  ) -> Double {
    let sx = vx.squareRoot()
    let sy = vy.squareRoot()
    if sx == 0 {
      return apply(f, mx) * conditional(g, my, sy)
    }
    let residual = sy * (max(0, 1 - rho * rho)).squareRoot()
    // With |ρ| = 1, g's kink is a point of u too.
    let second = residual == 0 && rho != 0 && sy > 0 ? [-my / (rho * sy)] : []
    return gaussianIntegral(split: -mx / sx, also: second) { u in
      apply(f, mx + sx * u) * conditional(g, my + rho * sy * u, residual)
    }
  }
}

struct PairCase: Sendable, CustomTestStringConvertible {
  var mx: Double
  var my: Double
  var vx: Double
  var vy: Double
  var rho: Double
  var testDescription: String { "μ=(\(mx), \(my)) var=(\(vx), \(vy)) ρ=\(rho)" }
}

/// 24 means and covariances: correlations ±0.999 and ±1, zero variance on one side and both,
/// large means next to small variances.
let pairCases: [PairCase] = [
  .init(mx: 0.3, my: -0.2, vx: 1, vy: 1, rho: 0), .init(mx: 0.3, my: -0.2, vx: 1, vy: 1, rho: 0.5),
  .init(mx: -0.7, my: 0.4, vx: 2, vy: 0.5, rho: -0.3), .init(mx: 1.2, my: 0.1, vx: 0.5, vy: 1.5, rho: 0.8),
  .init(mx: 0.2, my: 0.2, vx: 1, vy: 1, rho: 0.999), .init(mx: -0.4, my: 0.6, vx: 1, vy: 2, rho: -0.999),
  .init(mx: 0.5, my: -0.5, vx: 1, vy: 1, rho: 1), .init(mx: 0.5, my: 0.3, vx: 2, vy: 0.5, rho: -1),
  .init(mx: 0.2, my: 0.2, vx: 1, vy: 1, rho: 1), .init(mx: 0.7, my: -0.1, vx: 0, vy: 1, rho: 0),
  .init(mx: -0.3, my: 0.8, vx: 1.3, vy: 0, rho: 0), .init(mx: 0.4, my: -0.6, vx: 0, vy: 0, rho: 0),
  .init(mx: 3, my: -2.5, vx: 0.25, vy: 0.36, rho: 0.4), .init(mx: -4, my: 0.1, vx: 1, vy: 1, rho: 0.2),
  .init(mx: 0, my: 0, vx: 1, vy: 1, rho: 0.3), .init(mx: 0, my: 0, vx: 2, vy: 0.7, rho: -0.6),
  .init(mx: 0.05, my: -0.05, vx: 4, vy: 0.1, rho: 0.95), .init(mx: -1.5, my: -1.5, vx: 1, vy: 1, rho: -0.5),
  .init(mx: 2, my: 2, vx: 1, vy: 1, rho: 0.7), .init(mx: 0.9, my: -0.9, vx: 0.3, vy: 3, rho: -0.9),
  .init(mx: -0.2, my: 1.1, vx: 1.7, vy: 0.8, rho: 0.1), .init(mx: 0.6, my: 0.6, vx: 0.01, vy: 1, rho: 0.5),
  .init(mx: 1e-3, my: 2e-3, vx: 1, vy: 1, rho: -0.2), .init(mx: -0.8, my: 0.3, vx: 1, vy: 0.2, rho: 0.999),
]

func vectorPairProgram(_ c: PairCase, _ integrand: String) -> String {
  let k12 = c.rho * (c.vx * c.vy).squareRoot()
  return """
    width n
    vector x, y ~ N([\(c.mx), \(c.my)], [[\(c.vx), \(k12)], [\(k12), \(c.vy)]])
    m = mean(\(integrand))
    out m
    """
}

/// The non-centred closed forms, reached through the planner, against the independent
/// one-dimensional integrals above, to 1e-10.
@Test(arguments: pairCases)
func nonCentredKinksAreExact(_ c: PairCase) throws {
  let functions = ["relu", "step", "abs", "sign", "identity"]
  for f in functions {
    for g in functions {
      let integrand = "\(f == "identity" ? "x" : "\(f)(x)") * \(g == "identity" ? "y" : "\(g)(y)")"
      let r = try limitOf(vectorPairProgram(c, integrand))
      let out = try #require(r.output("m"))
      let expected = Independent.pair(f, g, mx: c.mx, my: c.my, vx: c.vx, vy: c.vy, rho: c.rho)
      #expect(out.method == .exact, "\(integrand): \(out.method)")
      expectClose(
        out.scalarValue, expected, absolute: 1e-10, relative: 1e-10, "\(integrand) at \(c.testDescription)")
    }
  }
}

/// The issue's program: `Φ(0.3)` and `P(y > 0, z > 0)` exactly (they were 7 % off on a grid).
@Test func stepsAreIntegratedExactly() throws {
  let source = """
    width n
    vector x ~ N(0.3, 1)
    vector y, z ~ N([0.2, -0.1], [[1, 0.5], [0.5, 1]])
    a = mean(step(x))
    b = mean(step(y) * step(z))
    out a, b
    """
  let r = try limitOf(source)
  let a = try #require(r.output("a"))
  let b = try #require(r.output("b"))
  expectClose(a.scalarValue, Independent.phi(0.3), absolute: 1e-12)
  let orthant = Independent.gaussianIntegral(split: -0.2) { u in
    u + 0.2 > 0 ? Independent.phi((-0.1 + 0.5 * u) / (0.75).squareRoot()) : 0
  }
  expectClose(b.scalarValue, orthant, absolute: 1e-10)
  #expect(a.error <= 1e-9 && b.error <= 1e-9)
  #expect(r.integratorCounts[.gaussHermite] == nil, "no Gauss–Hermite grid across a jump")
}

/// Kinks at affine arguments next to smooth factors go to the piecewise rule, with a small
/// error estimate that covers the true error; kinks that move with training go to Monte Carlo.
@Test func kinksNeverMeetAGaussHermiteGrid() throws {
  let source = """
    width n
    vector x, y ~ N([0.3, -0.2], [[1, 0.4], [0.4, 2]])
    a = mean(relu(x) * tanh(y))
    b = mean(step(x - 0.5) * sin(x + y))
    out a, b
    """
  let r = try limitOf(source)
  #expect(r.integratorCounts[.gaussHermite] == nil)
  #expect((r.integratorCounts[.piecewise] ?? 0) >= 2)
  // References: ∫ φ(u) relu(x) E[tanh(y) | x] du with the inner expectation by the same
  // composite rule over the conditional normal (the split is the kink).
  let sx = 1.0
  let sy = 2.0.squareRoot()
  let rho = 0.4 / (sx * sy)
  let residual = sy * (1 - rho * rho).squareRoot()
  let a = Independent.gaussianIntegral(split: -0.3) { u in
    let x = 0.3 + u
    let m = -0.2 + rho * sy * u
    return max(0, x) * Independent.gaussianIntegral(split: nil) { v in tanh(m + residual * v) }
  }
  let b = Independent.gaussianIntegral(split: 0.2) { u in
    let x = 0.3 + u
    let m = -0.2 + rho * sy * u
    return (x - 0.5 > 0 ? 1 : 0) * Independent.gaussianIntegral(split: nil) { v in sin(x + m + residual * v) }
  }
  let ra = try #require(r.output("a"))
  let rb = try #require(r.output("b"))
  expectClose(ra.scalarValue, a, absolute: 1e-9)
  expectClose(rb.scalarValue, b, absolute: 1e-9)
  #expect(abs(ra.scalarValue - a) <= max(ra.error, 1e-12) * 10)
  #expect(abs(rb.scalarValue - b) <= max(rb.error, 1e-12) * 10)
  #expect(ra.error < 1e-7 && rb.error < 1e-7)
}

/// Quantiles of non-Gaussian laws from the exact CDF: the median of tanh(x) is 0 (it was
/// −0.155 from weighted grid nodes), quartiles ±tanh(0.67449); relu(x) has an atom at 0.
@Test func quantilesOfNonGaussianLaws() throws {
  let source = """
    width n
    vector x ~ N(0, 1)
    t = tanh(x)
    r = relu(x)
    q = x * x
    out t, r, q
    """
  let r = try limitOf(source)
  let z = reportedQuantiles.map(normalQuantileForTests)
  func law(_ name: String) throws -> VectorLaw {
    guard case .vector(let l) = try #require(r.output(name)).value else { throw TestFailure("not a law") }
    return l
  }
  let t = try law("t")
  let rl = try law("r")
  let q = try law("q")
  for (i, p) in reportedQuantiles.enumerated() {
    expectClose(t.quantiles[i], tanh(z[i]), absolute: 1e-3, "tanh q\(p)")
    expectClose(rl.quantiles[i], max(0, z[i]), absolute: 1e-3, "relu q\(p)")
    // P(x² ≤ t) = 2Φ(√t) − 1 = p  ⇒  t = Φ⁻¹((1 + p)/2)².
    let chi = normalQuantileForTests((1 + p) / 2)
    expectClose(q.quantiles[i], chi * chi, absolute: 1e-3, "x² q\(p)")
    #expect(t.quantileErrors[i] < 1e-3 && q.quantileErrors[i] < 1e-3)
  }
}

/// Point masses are reported apart from the density, with an error that covers the exact mass:
/// `P(relu(x) = 0) = Φ(−μ/σ)`, `P(step(x − 1) = 1) = Φ((μ − 1)/σ)`; the density of relu's
/// continuous part near 0 is the Gaussian's, not a spike.
@Test func atomsOfLawsAreReportedApart() throws {
  let r = try limitOf("width n\nvector x ~ N(0.3, 1)\ny = relu(x)\ns = step(x - 1)\nout y, s\n")
  func law(_ name: String) throws -> VectorLaw {
    guard case .vector(let l) = try #require(r.output(name)).value else { throw TestFailure("not a law") }
    return l
  }
  let phi = { (x: Double) in 0.5 * erfc(-x / 2.0.squareRoot()) }
  let y = try law("y")
  #expect(y.atoms.count == 1)
  let zero = try #require(y.atoms.first)
  #expect(zero[0] == 0)
  #expect(abs(zero[1] - phi(-0.3)) <= zero[2] && zero[2] < 1e-3, "\(zero) vs \(phi(-0.3))")
  let s = try law("s")
  #expect(s.atoms.map { $0[0] } == [0, 1])
  for a in s.atoms {
    let exact = a[0] == 1 ? phi(-0.7) : phi(0.7)
    #expect(abs(a[1] - exact) <= a[2] && a[2] < 1e-3, "\(a) vs \(exact)")
  }
  // The continuous part of relu(x) just right of 0 has the density φ(0.3) = 0.381.
  let curve = try #require(r.densities["y"])
  let near = try #require(curve.first { $0[0] > 0.05 })
  let gaussian = exp(-0.5 * (near[0] - 0.3) * (near[0] - 0.3)) / (2 * Double.pi).squareRoot()
  #expect(abs(near[1] - gaussian) < 0.01, "\(near) vs \(gaussian)")
  #expect(curve.allSatisfy { $0[1] < 1 }, "no spike")
  #expect(r.densities["s"]?.isEmpty ?? true, "a law of atoms only has no density")
}

struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

/// `Φ⁻¹(p)` by bisection on `erfc` (independent of the library's rational approximation).
func normalQuantileForTests(_ p: Double) -> Double {
  var lo = -40.0
  var hi = 40.0
  for _ in 0..<200 {
    let mid = (lo + hi) / 2
    if Independent.phi(mid) < p { lo = mid } else { hi = mid }
  }
  return (lo + hi) / 2
}

/// A forced quadrature that cannot fit is a numerical failure naming the grid's size.
@Test func forcedQuadratureBeyondTheBudgetIsRefused() throws {
  let source = """
    width n
    vector a, b, c, d, e, f ~ N(0, 1)
    m = mean(tanh(a + b) * tanh(c + d) * tanh(e + f) * tanh(a - c) * tanh(b - e) * tanh(d - f))
    out m
    """
  let program = try TensorProgram(source: source)
  do {
    _ = try program.runLimit(LimitOptions(method: .quadrature, degree: 400))
    Issue.record("expected a refusal")
  } catch {
    guard case .numerical(let message) = error else {
      Issue.record("expected a numerical failure, got \(error)")
      return
    }
    #expect(message.contains("400^6"), "\(message)")
    #expect(message.contains("budget"), "\(message)")
  }
}
