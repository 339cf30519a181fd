import Foundation

/// Random small core programs with an independent reference: for the calibration of the
/// planner's error estimates (docs/theory.md, "How honest the errors are").
///
/// A case has 1–4 base Gaussians `g1…gd` with random means and covariance (sometimes singular:
/// a repeated variable), and one of three shapes:
///
/// 0. `m = mean(ψ(g))`;
/// 1. `h = W @ a(g)`, `m = mean(ψ(g, h))`;
/// 2. `h = W @ a(g)`, `k = W.T @ b(g, h)`, `m = mean(ψ(g, h, k))`,
///
/// with `ψ`, `a`, `b` random sums, products and compositions of relu, step, abs, sign, tanh,
/// erf, gelu and sin. The reference is a Monte Carlo written here, with its own sampler and
/// evaluator, and the master theorem for these two shapes worked by hand: `Z^h` is a Gaussian
/// of variance `σ² E[a²]` independent of `g`; `Z^k = Ẑ + σ² E[∂b/∂h] a(g)` with `Ẑ` a Gaussian
/// of variance `σ² E[b²]` independent of everything, and `E[∂b/∂h] = E[h b]/Var(h)` (Stein's
/// lemma, since `h` is independent of `g`).
struct CalibrationCase: CustomStringConvertible {
  indirect enum Expr {
    case variable(Int)
    case constant(Double)
    case add(Expr, Expr)
    case multiply(Expr, Expr)
    case apply(String, Expr)

    func text(_ names: [String]) -> String {
      switch self {
      case .variable(let i): return names[i]
      case .constant(let c): return CalibrationCase.format(c)
      case .add(let a, let b): return "(\(a.text(names)) + \(b.text(names)))"
      case .multiply(let a, let b): return "(\(a.text(names)) * \(b.text(names)))"
      case .apply(let f, let a): return "\(f)(\(a.text(names)))"
      }
    }

    func evaluate(_ v: [Double]) -> Double {
      switch self {
      case .variable(let i): return v[i]
      case .constant(let c): return c
      case .add(let a, let b): return a.evaluate(v) + b.evaluate(v)
      case .multiply(let a, let b): return a.evaluate(v) * b.evaluate(v)
      case .apply(let f, let a):
        let x = a.evaluate(v)
        switch f {
        case "relu": return max(0, x)
        case "step": return x > 0 ? 1 : 0
        case "abs": return Swift.abs(x)
        case "sign": return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case "tanh": return Foundation.tanh(x)
        case "erf": return Foundation.erf(x)
        case "gelu": return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        default: return Foundation.sin(x)
        }
      }
    }

    var involvesVariable: Bool {
      switch self {
      case .variable: return true
      case .constant: return false
      case .add(let a, let b), .multiply(let a, let b): return a.involvesVariable || b.involvesVariable
      case .apply(_, let a): return a.involvesVariable
      }
    }

    /// The family of its outermost function (for the report's table), or "polynomial".
    var family: String {
      var found: [String] = []
      func walk(_ e: Expr) {
        switch e {
        case .apply(let f, let a):
          found.append(f)
          walk(a)
        case .add(let a, let b), .multiply(let a, let b):
          walk(a)
          walk(b)
        default: break
        }
      }
      walk(self)
      if found.contains(where: { ["step", "sign"].contains($0) }) { return "jumps (step, sign)" }
      if found.contains(where: { ["relu", "abs"].contains($0) }) { return "kinks (relu, abs)" }
      return found.isEmpty ? "polynomial" : "smooth (tanh, erf, gelu, sin)"
    }
  }

  var index: Int
  var shape: Int
  var dimension: Int
  var means: [Double]
  var covariance: [[Double]]
  var sigma2: Double
  var a: Expr
  var b: Expr
  var psi: Expr

  var names: [String] { (1...dimension).map { "g\($0)" } + ["h", "k"] }

  var description: String { "case \(index): shape \(shape), \(dimension) Gaussians, ψ = \(psi.text(names))" }

  static func format(_ x: Double) -> String { String(format: "%.4f", x) }

  /// The `.tp` source.
  var source: String {
    let n = names
    let gs = (0..<dimension).map { n[$0] }.joined(separator: ", ")
    let mean = "[" + means.map(Self.format).joined(separator: ", ") + "]"
    let cov =
      "[" + covariance.map { "[" + $0.map(Self.format).joined(separator: ", ") + "]" }.joined(separator: ", ")
      + "]"
    var lines = [
      "width n",
      dimension == 1
        ? "vector g1 ~ N(\(Self.format(means[0])), \(Self.format(covariance[0][0])))"
        : "vector \(gs) ~ N(\(mean), \(cov))",
    ]
    if shape >= 1 {
      lines.append("matrix W ~ N(0, \(Self.format(sigma2))/n)")
      lines.append("h = W @ \(a.text(n))")
    }
    if shape == 2 { lines.append("k = W.T @ \(b.text(n))") }
    lines.append("m = mean(\(psi.text(n)))")
    lines.append("out m")
    return lines.joined(separator: "\n") + "\n"
  }

  /// A random case; numbers are rounded to the 4 decimals the source prints, so the program
  /// and the reference describe the same law.
  static func random(_ index: Int, seed: UInt64) -> CalibrationCase {
    var rng = ReferenceRandom(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    func round(_ x: Double) -> Double { Double(format(x))! }  // safe: format prints a number
    let d = 1 + Int(rng.uniform() * 4) % 4
    let means = (0..<d).map { _ in round(2 * rng.uniform() - 1) }
    let factor = (0..<d).map { _ in (0..<d).map { _ in 0.7 * rng.gaussian() } }
    var cov = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for i in 0..<d {
      for j in 0..<d {
        cov[i][j] = round((0..<d).reduce(0) { $0 + factor[i][$1] * factor[j][$1] } + (i == j ? 0.05 : 0))
      }
    }
    if d >= 2 && rng.uniform() < 0.15 {
      // A repeated variable: g_d = g_1, a singular covariance.
      for j in 0..<d {
        cov[d - 1][j] = cov[0][j]
        cov[j][d - 1] = cov[j][0]
      }
      cov[d - 1][d - 1] = cov[0][0]
      cov[0][d - 1] = cov[0][0]
      cov[d - 1][0] = cov[0][0]
    }
    let shape = Int(rng.uniform() * 3) % 3
    func leaf(_ vars: Int) -> Expr {
      let r = rng.uniform()
      if r < 0.15 { return .constant(round(2 * rng.uniform() - 1)) }
      let v = Int(rng.uniform() * Double(vars)) % vars
      if r < 0.35 { return .add(.variable(v), .constant(round(rng.uniform() - 0.5))) }
      return .variable(v)
    }
    let functions = ["relu", "step", "abs", "sign", "tanh", "erf", "gelu", "sin"]
    func expression(_ vars: Int, depth: Int) -> Expr {
      let r = rng.uniform()
      if depth == 0 || r < 0.25 { return leaf(vars) }
      if r < 0.6 {
        let f = functions[Int(rng.uniform() * Double(functions.count)) % functions.count]
        return .apply(f, expression(vars, depth: depth - 1))
      }
      if r < 0.8 { return .add(expression(vars, depth: depth - 1), expression(vars, depth: depth - 1)) }
      return .multiply(expression(vars, depth: depth - 1), expression(vars, depth: depth - 1))
    }
    // Variables: g's, then h (index d), then k (index d + 1). Each expression reads some
    // variable (a MatMul needs a vector; a constant mean is trivial).
    func vectorExpression(_ vars: Int, depth: Int) -> Expr {
      let e = expression(vars, depth: depth)
      return e.involvesVariable ? e : .add(.variable(vars - 1), e)
    }
    let a = vectorExpression(d, depth: 2)
    let b = vectorExpression(d + 1, depth: 2)
    let psiVars = d + (shape == 0 ? 0 : shape == 1 ? 1 : 2)
    let psi = vectorExpression(psiVars, depth: 3)
    return CalibrationCase(
      index: index, shape: shape, dimension: d, means: means, covariance: cov,
      sigma2: round(0.5 + 1.5 * rng.uniform()),
      a: a, b: b, psi: psi)
  }

  /// The reference mean of `ψ` and its error: `repetitions` independent Monte Carlo estimates
  /// of `samples` points each (a fresh sampler per repetition: the constants `E[a²]`, `E[h b]`
  /// and `E[b²]` of the shapes are estimated on half the points, `ψ` on the other half), their
  /// mean, and the larger of the standard error from the repetitions' spread (which includes
  /// the constants' error) and from the pooled sample variance of `ψ` (stable where the
  /// spread of a few repetitions is small by chance).
  func reference(samples: Int, repetitions: Int = 4, seed: UInt64) -> (value: Double, error: Double) {
    var estimates: [Double] = []
    var squares = 0.0
    var count = 0
    let chol = Self.cholesky(covariance)
    for r in 0..<repetitions {
      var rng = ReferenceRandom(seed: seed &+ UInt64(r) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(index))
      func gaussians() -> [Double] {
        let z = (0..<dimension).map { _ in rng.gaussian() }
        return (0..<dimension).map { i in means[i] + (0...i).reduce(0) { $0 + chol[i][$1] * z[$1] } }
      }
      let half = samples / 2
      // Constants of the master theorem, on the first half.
      var aa = 0.0
      for _ in 0..<half {
        let x = a.evaluate(gaussians())
        aa += x * x
      }
      let varH = sigma2 * aa / Double(half)
      var hb = 0.0
      var bb = 0.0
      if shape == 2 {
        for _ in 0..<half {
          var v = gaussians()
          v.append(varH.squareRoot() * rng.gaussian())
          let y = b.evaluate(v)
          hb += v[dimension] * y
          bb += y * y
        }
      }
      let dbdh = varH > 0 ? hb / Double(half) / varH : 0
      let varK = sigma2 * bb / Double(half)
      // ψ on the second half.
      var total = 0.0
      var totalSquares = 0.0
      for _ in 0..<half {
        var v = gaussians()
        if shape >= 1 { v.append(varH.squareRoot() * rng.gaussian()) }
        if shape == 2 { v.append(varK.squareRoot() * rng.gaussian() + sigma2 * dbdh * a.evaluate(v)) }
        let y = psi.evaluate(v)
        total += y
        totalSquares += y * y
      }
      let mean = total / Double(half)
      estimates.append(mean)
      squares += totalSquares - Double(half) * mean * mean
      count += half
    }
    let m = estimates.reduce(0, +) / Double(estimates.count)
    let ss = estimates.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    let spread = (ss / Double(estimates.count - 1) / Double(estimates.count)).squareRoot()
    let within = (max(0, squares) / Double(max(1, count - estimates.count)) / Double(count)).squareRoot()
    return (m, max(spread, within))
  }

  /// A lower-triangular `L` with `L Lᵀ = S` for PSD `S`; columns of zero pivots stay 0.
  static func cholesky(_ s: [[Double]]) -> [[Double]] {
    let d = s.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for j in 0..<d {
      var diag = s[j][j]
      for k in 0..<j { diag -= l[j][k] * l[j][k] }
      let pivot = diag > 1e-12 * max(1, s[j][j]) ? diag.squareRoot() : 0
      l[j][j] = pivot
      for i in (j + 1)..<max(j + 1, d) {
        var v = s[i][j]
        for k in 0..<j { v -= l[i][k] * l[j][k] }
        l[i][j] = pivot > 0 ? v / pivot : 0
      }
    }
    return l
  }
}

/// SplitMix64 and Box–Muller: the reference's own random numbers (the library's are Philox).
struct ReferenceRandom {
  var state: UInt64
  var spare: Double?

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

  mutating func gaussian() -> Double {
    if let s = spare {
      spare = nil
      return s
    }
    let r = (-2 * log(uniform())).squareRoot()
    let t = 2 * Double.pi * uniform()
    spare = r * sin(t)
    return r * cos(t)
  }
}
