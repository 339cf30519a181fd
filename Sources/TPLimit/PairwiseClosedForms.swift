import Foundation
import TPCore
import TPNumerics

/// `ψ = s · f(y₀) · g(y₁)` (or `s · f(y₀) g(y₀)` in one dimension) with `f, g` among the
/// closed-form functions, evaluated exactly at any correlation: the arc-cosine kernels
/// `E[relu relu]`, `E[step step] = (π − θ)/2π`, Williams' `E[erf erf] = (2/π) asin(2c/√((1+2a)(1+2b)))`,
/// `E[e^{−u²} e^{−v²}] = ((1+2a)(1+2b) − 4c²)^{−1/2}`, `E[uv] = c`, and the other pairs of
/// ``GaussianIntegrals/expectation(_:_:_:)-(ClosedFormFunction,ClosedFormFunction,GaussianPair)``.
/// A one-dimensional integrand is the pair at correlation 1 (`a = b = c`).
struct ClosedFormPlan: Sendable {
  var scale: Double
  var f: ClosedFormFunction
  var g: ClosedFormFunction
  var dimension: Int

  init?(_ psi: CoordExpr, dimension: Int) {
    var scale = 1.0
    var factors: [(Int, ClosedFormFunction)] = []
    var stack = [psi]
    while let e = stack.popLast() {
      switch e {
      case .constant(let c): scale *= c
      case .negate(let a):
        scale = -scale
        stack.append(a)
      case .multiply(let a, let b):
        stack.append(a)
        stack.append(b)
      case .vector(let v): factors.append((v.raw, .identity))
      case .power(.vector(let v), .constant(2)):
        factors.append((v.raw, .identity))
        factors.append((v.raw, .identity))
      case .apply(let fn, .vector(let v)):
        let map: [Function: ClosedFormFunction] = [
          .relu: .relu, .step: .step, .abs: .abs, .sign: .sign, .erf: .erf,
        ]
        guard let c = map[fn] else { return nil }
        factors.append((v.raw, c))
      case .apply(.exp, .negate(.multiply(.vector(let v), .vector(let w)))) where v == w:
        factors.append((v.raw, .gaussian))
      default: return nil
      }
    }
    self.scale = scale
    self.dimension = dimension
    if dimension == 1 {
      guard factors.count <= 2 else { return nil }
      f = factors.count > 0 ? factors[0].1 : .one
      g = factors.count > 1 ? factors[1].1 : .one
    } else {
      let first = factors.filter { $0.0 == 0 }
      let second = factors.filter { $0.0 == 1 }
      guard first.count <= 1, second.count <= 1 else { return nil }
      f = first.first?.1 ?? .one
      g = second.first?.1 ?? .one
    }
  }

  /// `E[ψ]` at `(a, b, c)` (one dimension: `a` alone).
  @inline(__always)
  func value(_ a: Double, _ b: Double, _ c: Double) -> Double {
    if dimension == 1 { return scale * Self.single(f, g, a) }
    let v: Double
    switch (f, g) {
    case (.relu, .relu): v = GaussianIntegrals.reluRelu(a, c, b)
    case (.step, .step): v = GaussianIntegrals.stepStep(a, c, b)
    case (.erf, .erf): v = GaussianIntegrals.erfErf(a, c, b)
    case (.identity, .identity): v = c
    case (.one, .one): v = 1
    case (.gaussian, .gaussian): v = GaussianIntegrals.gaussianGaussian(a, c, b)
    default: v = GaussianIntegrals.expectation(f, g, GaussianPair(k11: a, k12: c, k22: b))
    }
    return scale * v
  }

  /// The degree of the arc-cosine kernel this plan is (1 for `E[relu relu]`, 0 for
  /// `E[step step]`, in two dimensions), or nil.
  var arcCosineDegree: Int? {
    guard dimension == 2 else { return nil }
    switch (f, g) {
    case (.relu, .relu): return 1
    case (.step, .step): return 0
    default: return nil
    }
  }

  /// `E[ψ]` at the `count` pairs of a block, `(a, b, c)` at `i · stride` of each column, into
  /// `v`: the same values as ``value(_:_:_:)``, with the case chosen once per block so that
  /// the arc-cosine and Williams forms run four lanes at a time
  /// (``GaussianIntegrals/evaluateArcCosine(count:k11:k12:k22:relu:step:)``) rather than a
  /// switch and a library `acos` per pair. `partner`, an arc-cosine plan of the other degree
  /// at the same covariances, is evaluated in the same pass into its own column (one `θ` for
  /// both).
  func values(
    count: Int, a: PairwiseRecipe.Column, b: PairwiseRecipe.Column, c: PairwiseRecipe.Column,
    into v: UnsafeMutablePointer<Double>,
    partner: (plan: ClosedFormPlan, v: UnsafeMutablePointer<Double>)? = nil
  ) {
    let k11 = GaussianIntegrals.Strided(a.v, stride: a.stride)
    let k12 = GaussianIntegrals.Strided(c.v, stride: c.stride)
    let k22 = GaussianIntegrals.Strided(b.v, stride: b.stride)
    let mine = GaussianIntegrals.BlockOutput(scale: scale, out: v)
    let theirs = partner.map { GaussianIntegrals.BlockOutput(scale: $0.plan.scale, out: $0.v) }
    switch (arcCosineDegree, partner?.plan.arcCosineDegree) {
    case (1, _):
      GaussianIntegrals.evaluateArcCosine(
        count: count, k11: k11, k12: k12, k22: k22, relu: mine, step: theirs)
    case (0, _):
      GaussianIntegrals.evaluateArcCosine(
        count: count, k11: k11, k12: k12, k22: k22, relu: theirs, step: mine)
    default:
      switch (dimension, f, g) {
      case (2, .erf, .erf):
        GaussianIntegrals.evaluateErf(count: count, k11: k11, k12: k12, k22: k22, into: mine)
      case (2, .gaussian, .gaussian):
        GaussianIntegrals.evaluateGaussianGaussian(count: count, k11: k11, k12: k12, k22: k22, into: mine)
      case (2, .identity, .identity):
        for i in 0..<count { v[i] = scale * c.v[i * c.stride] }
      default:
        for i in 0..<count { v[i] = value(a.v[i * a.stride], b.v[i * b.stride], c.v[i * c.stride]) }
      }
    }
  }

  /// `E[f(y) g(y)]`, `y ~ N(0, a)`: products of piecewise-linear factors reduce to one factor
  /// (`relu·relu = y² 1{y>0}`: `a/2`; `step·step = step`: `½`; `relu·step = relu`:
  /// `√(a/2π)`; `y·y`: `a`; `sign·sign = 1`), so the correlation-1 corner of the bivariate forms,
  /// where `arccos` loses half the digits, is never evaluated; other pairs use the pair at
  /// `a = b = c`.
  static func single(_ f: ClosedFormFunction, _ g: ClosedFormFunction, _ a0: Double) -> Double {
    let a = max(a0, 0)
    func mean(_ h: ClosedFormFunction) -> Double { GaussianIntegrals.expectation(h, mean: 0, variance: a) }
    if f == .one { return mean(g) }
    if g == .one { return mean(f) }
    guard a > 0 else { return f.atZero * g.atZero }
    switch (f, g) {
    case (.relu, .relu), (.identity, .relu), (.relu, .identity): return a / 2
    case (.identity, .identity), (.abs, .abs): return a
    case (.step, .step): return 0.5
    case (.sign, .sign): return 1
    case (.relu, .step), (.step, .relu), (.identity, .step), (.step, .identity): return mean(.relu)
    case (.identity, .sign), (.sign, .identity): return mean(.abs)
    case (.relu, .abs), (.abs, .relu): return a / 2
    case (.identity, .abs), (.abs, .identity), (.sign, .abs), (.abs, .sign), (.abs, .step), (.step, .abs):
      return f == .step || g == .step ? mean(.relu) : (f == .sign || g == .sign ? mean(.abs) : 0)
    case (.step, .sign), (.sign, .step): return 0.5
    case (.relu, .sign), (.sign, .relu): return mean(.relu)
    default: return GaussianIntegrals.expectation(f, g, GaussianPair(k11: a, k12: a, k22: a))
    }
  }
}

extension ClosedFormFunction {
  /// The value at 0 (what a zero-variance argument gives).
  var atZero: Double {
    switch self {
    case .one, .gaussian: return 1
    default: return 0
    }
  }
}
