import Foundation
import TPCore
import TPNumerics

/// `ψ(y₀, y₁) = s · f(y₀) · g(y₁)` with `f`, `g` built from analytic functions (`tanh`, `erf`,
/// `sigmoid`, `gelu`, `softplus`, `sin`, `cos`, `exp`, polynomials): the two-dimensional
/// integrands that Mehler's formula evaluates as a power series in the correlation
/// (``MehlerSide``). `first` and `second` are expressions in `.vector(VectorID(0))` alone.
struct SeparableIntegrand: Sendable, Hashable {
  var scale: Double
  var first: CoordExpr
  var second: CoordExpr

  /// The factorization of `psi`, or nil when a factor reads both arguments, is not analytic
  /// (kinks and jumps make the Hermite coefficients decay slowly), or a side is constant.
  init?(_ psi: CoordExpr) {
    var scale = 1.0
    var f: [CoordExpr] = []
    var g: [CoordExpr] = []
    var stack = [psi]
    while let e = stack.popLast() {
      switch e {
      case .multiply(let a, let b):
        stack.append(a)
        stack.append(b)
      case .negate(let a):
        scale = -scale
        stack.append(a)
      default:
        let reads = Set(e.vectors.map(\.raw))
        if reads.isEmpty {
          scale *= e.evaluate { _ in 0 }
          continue
        }
        guard Self.isAnalytic(e), reads.count == 1 else { return nil }
        if reads.contains(0) {
          f.append(e)
        } else {
          g.append(
            e.substituting { leaf in
              if case .vector(let v) = leaf, v.raw == 1 { return .vector(VectorID(0)) }
              return nil
            })
        }
      }
    }
    guard let f0 = f.first, let g0 = g.first, scale.isFinite else { return nil }
    self.scale = scale
    first = f.dropFirst().reduce(f0) { $0 * $1 }
    second = g.dropFirst().reduce(g0) { $0 * $1 }
  }

  /// Whether `e` is an entire or strip-analytic function of its argument with at most
  /// exponential growth: built-ins without kinks or jumps, sums, products, quotients by
  /// constants and non-negative integer powers.
  static func isAnalytic(_ e: CoordExpr) -> Bool {
    switch e {
    case .constant, .vector: return true
    case .scalar, .argument: return false
    case .negate(let a): return isAnalytic(a)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b):
      return isAnalytic(a) && isAnalytic(b)
    case .divide(let a, let b): return !b.involvesVectors && isAnalytic(a)
    case .power(let a, .constant(let k)): return k >= 0 && k == k.rounded() && isAnalytic(a)
    case .power: return false
    case .apply(let f, let a):
      return analyticFunctions.contains(f) && isAnalytic(a)
    }
  }

  /// The built-ins analytic on a strip around the real line, with at most exponential growth.
  static let analyticFunctions: Set<Function> = [
    .tanh, .erf, .sigmoid, .gelu, .softplus, .sin, .cos, .exp, .identity,
  ]
}

/// A separable integrand's series plan: the factorization, and the trapezoidal plan for the
/// pairs where the series would not reach the accuracy (and for one-point registers).
struct MehlerPlan: Sendable {
  var separable: SeparableIntegrand
  var fallback: QuadraturePlan
}

/// Mehler's formula for one factor of a separable integrand at every point: the normalized
/// Hermite coefficients `A_k(q) = E[f(√q z) h_k(z)]`, `h_k = He_k/√k!`, `k = 0 … K`, of
/// `u ↦ f(u)` under `u ~ N(0, q)`, with what bounds the series' error.
///
/// For `(u, v) ~ N(0, [[a, c], [c, b]])` and `ρ = c/√(ab)`, Mehler's formula gives
/// `E[f(u) g(v)] = Σ_k A_k^f(a) A_k^g(b) ρᵏ` (O'Donnell, *Analysis of Boolean Functions* §11.2;
/// Daniely, Frostig & Singer 2016 use it for dual activations), so a pair costs one polynomial
/// in `ρ` once each point's coefficients are known. By Cauchy–Schwarz the truncation after `K`
/// terms is at most `|ρ|^{K+1} √(T^f T^g)` with the tails `T = E[f²] − Σ_{k≤K} A_k²`.
///
/// The coefficients are computed for all points at once by the trapezoidal rule in `z` on
/// `|z| ≤ 12.5` with spacing `h = min(0.1, π/(20 + 23√q_max))`: `A = F · H` with
/// `F_{pm} = f(√q_p z_m)` and `H_{mk} = w_m h_k(z_m)` (one matrix product). The spacing keeps the
/// aliasing error `exp(−(2π/h − √(2K+1)) d/√q)` of a function analytic in `|Im u| < d` (tanh:
/// `d = π/2`) below `e^{−36}` for `K ≤ 200`; the range drops at most `e^{−12.5²/4} < 1.2·10⁻¹⁷`
/// relative, because `|h_k(z)| e^{−z²/4} ≤ 1.0865` for every `k` (Cramér's inequality). The
/// error of each coefficient is estimated as `|T_h − T_{2h}|` against the nested rule on every
/// other node (an upper bound when the rules converge geometrically), plus the range and
/// rounding terms.
struct MehlerSide: Sendable {
  /// Points (1 for a variance common to all points).
  var count: Int
  /// `K`: coefficients `0 … K` per point.
  var maxDegree: Int
  /// `A_k` of point `p` at `p · (K + 1) + k`.
  var coefficients: [Double]
  /// `A_k` of point `p` at `k · count + p` (the layout the pair loop streams).
  var byDegree: [Double]
  /// `T_p(K′)`, a bound on `Σ_{k>K′} A_k²`, at `p · (K + 1) + K′`.
  var tails: [Double]
  /// Per point, a bound on each coefficient's error.
  var error: [Double]
  /// Per point, `Σ_{k≤K} |A_k|`.
  var absoluteSum: [Double]
  /// Per point, `√E[f(u)²]`, `√E[f′(u)²]` and `√E[f″(u)²]` (for the propagation of the
  /// variances' errors by Price's theorem).
  var norm: [Double]
  var slope: [Double]
  var curvature: [Double]

  /// Largest `|z|` of the rule.
  static let range = 12.5

  /// The coefficients of `f` (an expression in `.vector(VectorID(0))`) at the variances
  /// `variances` (one per point), up to degree `maxDegree`.
  init(_ f: CoordExpr, variances: [Double], maxDegree: Int, threads: Int) {
    let leaf = CoordExpr.vector(VectorID(0))
    let df = f.derivative(withRespectTo: leaf)
    let ddf = df.derivative(withRespectTo: leaf)
    let n = variances.count
    let k1 = maxDegree + 1
    count = n
    self.maxDegree = maxDegree
    let qMax = variances.reduce(0) { max($0, $1) }
    let h = min(0.1, Double.pi / (20 + 23 * qMax.squareRoot()))
    var half = Int((Self.range / h).rounded(.up))
    half += half % 2
    // Nodes z = j h, j = −half … half: the even j first (the rule of spacing 2h), then the odd.
    let z =
      stride(from: -half, through: half, by: 2).map { Double($0) * h }
      + stride(from: -half + 1, through: half - 1, by: 2).map { Double($0) * h }
    let m = z.count
    let evens = half + 1
    let w = z.map { h * exp(-0.5 * $0 * $0) / (2 * Double.pi).squareRoot() }
    var table = [Double](repeating: 0, count: m * k1)
    for (i, zi) in z.enumerated() {
      var previous = 0.0
      var current = 1.0
      for k in 0..<k1 {
        table[i * k1 + k] = w[i] * current
        let next = (zi * current - Double(k).squareRoot() * previous) / Double(k + 1).squareRoot()
        previous = current
        current = next
      }
    }
    // F, the fine rule's E[f²], the coarse rule's E[f′²], E[f″²] and E[f²], per point.
    var values = [Double](repeating: 0, count: n * m)
    var moments = [Double](repeating: 0, count: 4 * n)
    let tapes = [f, df, ddf].map { UnivariateTape($0) }
    values.withUnsafeMutableBufferPointer { vb in
      moments.withUnsafeMutableBufferPointer { mb in
        let shared = UnsafeShared((vb.baseAddress!, mb.baseAddress!))  // safe: n, m ≥ 1
        Parallel.forEachChunk(count: n, chunkSize: 16, threads: threads) { chunk in
          let scratch = UnsafeMutablePointer<Double>.allocate(
            capacity: m * (1 + tapes.map(\.tape.slotCount).max()!))  // safe: three tapes
          defer { scratch.deallocate() }
          for p in chunk {
            let s = max(variances[p], 0).squareRoot()
            for i in 0..<m { scratch[i] = s * z[i] }
            var sums = [0.0, 0.0, 0.0, 0.0]
            // f on every node; f′ and f″ (whose norms only scale the propagated input errors)
            // by the coarse rule on the even nodes.
            for (t, tape) in tapes.enumerated() {
              let nodes = t == 0 ? m : evens
              let out = tape.evaluate(scratch, count: nodes, scratch: scratch + m)
              if t == 0 {
                for i in 0..<m { shared.value.0[p * m + i] = out.value(i) }
              }
              for i in 0..<nodes {
                let y = out.value(i)
                let wy2 = (t == 0 ? 1 : 2) * w[i] * y * y
                sums[t] += wy2
                if t == 0, i < evens { sums[3] += 2 * wy2 }
              }
            }
            for t in 0..<4 { shared.value.1[4 * p + t] = sums[t] }
          }
        }
      }
    }
    var fine = [Double](repeating: 0, count: n * k1)
    var coarse = [Double](repeating: 0, count: n * k1)
    values.withUnsafeBufferPointer { vb in
      table.withUnsafeBufferPointer { tb in
        fine.withUnsafeMutableBufferPointer { fb in
          Dense.multiply(m: n, n: k1, k: m, vb, lda: m, tb, ldb: k1, into: fb, ldc: k1, threads: threads)
        }
        coarse.withUnsafeMutableBufferPointer { cb in
          Dense.multiply(
            m: n, n: k1, k: evens, alpha: 2, vb, lda: m, tb, ldb: k1, into: cb, ldc: k1, threads: threads)
        }
      }
    }
    // Range: the dropped |z| > Z costs at most |f(edge)| · 1.0865 · 2Φ(−Z)·e^{Z²/4}-ish; bounded
    // by |f(±√q Z)| · 1.0865 · (2/Z) e^{−Z²/4}/√(2π) (f not growing faster beyond the edge).
    let edgeFactor =
      1.0865 * (2 / Self.range) * exp(-Self.range * Self.range / 4) / (2 * Double.pi).squareRoot()
    coefficients = fine
    tails = [Double](repeating: 0, count: n * k1)
    error = [Double](repeating: 0, count: n)
    absoluteSum = [Double](repeating: 0, count: n)
    norm = [Double](repeating: 0, count: n)
    slope = [Double](repeating: 0, count: n)
    curvature = [Double](repeating: 0, count: n)
    for p in 0..<n {
      let e2 = moments[4 * p]
      var worst = 0.0
      var sum = 0.0
      for k in 0..<k1 {
        worst = max(worst, Swift.abs(fine[p * k1 + k] - coarse[p * k1 + k]))
        sum += Swift.abs(fine[p * k1 + k])
      }
      let edge = (Swift.abs(values[p * m]) + Swift.abs(values[p * m + evens - 1])) * edgeFactor
      let eps = worst + edge + 1e-15 * e2.squareRoot()
      error[p] = eps
      absoluteSum[p] = sum
      norm[p] = e2.squareRoot()
      slope[p] = moments[4 * p + 1].squareRoot()
      curvature[p] = moments[4 * p + 2].squareRoot()
      // T(K′) = E[f²] − Σ_{k≤K′} A_k², plus E[f²]'s own error (fine against coarse), the
      // coefficients' (2 ε Σ|A_k|) and rounding ((K′ + 2) ulp of E[f²] per step, four times).
      let e2Error = Swift.abs(e2 - moments[4 * p + 3]) + edge * edge
      var partial = 0.0
      var absolute = 0.0
      for k in 0..<k1 {
        let a = fine[p * k1 + k]
        partial += a * a
        absolute += Swift.abs(a)
        let rounding = 4 * Double(k + 2) * Double.ulpOfOne * e2
        tails[p * k1 + k] =
          max(e2 - partial, 0) + e2Error + 2 * eps * absolute + Double(k + 1) * eps * eps
          + rounding
      }
    }
    var transposed = [Double](repeating: 0, count: n * k1)
    for p in 0..<n { for k in 0..<k1 { transposed[k * n + p] = fine[p * k1 + k] } }
    byDegree = transposed
  }
}

/// A one-input tape evaluated over a buffer (the factor of a separable integrand and its
/// derivatives at the nodes of one point).
struct UnivariateTape: Sendable {
  var tape: Tape

  init(_ e: CoordExpr) { tape = Tape(e, scalars: [], writesOutput: true) }

  /// The tape's values: a buffer, or a constant.
  struct Output {
    var buffer: UnsafeMutablePointer<Double>?
    var constant: Double
    @inline(__always) func value(_ i: Int) -> Double { buffer?[i] ?? constant }
  }

  /// `e` at the `count` inputs `y`; `scratch` holds `tape.slotCount · count` doubles.
  func evaluate(_ y: UnsafeMutablePointer<Double>, count: Int, scratch: UnsafeMutablePointer<Double>)
    -> Output
  {
    if case .constant(let v) = tape.result { return Output(buffer: nil, constant: v) }
    return withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Double>.self, capacity: tape.slotCount) {
      slots in
      for k in 0..<tape.slotCount { slots[k] = k < tape.inputs.count ? y : scratch + k * count }
      // safe: slotCount ≥ 1
      tape.evaluate(count: count, slots: UnsafePointer(slots.baseAddress!))
      guard case .slot(let k) = tape.result else { return Output(buffer: nil, constant: 0) }
      return Output(buffer: slots[k], constant: 0)
    }
  }
}

/// One two-point register's series: both factors' coefficients at every point and the degree
/// used, with where each side's variance comes from.
struct MehlerPair: Sendable {
  var scale: Double
  var sides: [MehlerSide]
  /// Per side, the point its variance depends on: 1 for `x₀` (the block's row `p`), 2 for `x₁`
  /// (the block's columns), 0 for neither (one value for all points).
  var dependence: [UInt8]
  /// `K` used for this register (at most each side's `maxDegree`).
  var degree: Int
  /// Per side and point `p`, at `p · 6`: the coefficient error `ε`, `Σ|A_k|`, `‖f‖`, `‖f′‖`,
  /// `‖f″‖` and `√T(K)`.
  var summaries: [[Double]]
  /// Per side, `√T_p(k)` at `p · (K + 1) + k` (`K` the side's `maxDegree`).
  var rootTails: [[Double]]
  /// Per side and degree `k ≤ degree`, `max_p √T_p(k) / ‖f‖_p`: the varying side's worst
  /// relative tail, for the degree of a block.
  var relativeTails: [[Double]]

  /// Series terms tried at most.
  static let maxDegree = 128
  /// The per-pair target: truncation at most `relativeTolerance · ‖f‖ ‖g‖` (`‖f‖ = √E[f²]`);
  /// pairs whose bound is larger fall back to the trapezoidal rule.
  static let relativeTolerance = 1e-12
  /// The correlation at which the degree is chosen (pairs beyond it are usually still within
  /// the tolerance: the bound uses their own `|ρ|` and tails).
  static let designCorrelation = 0.95

  init(scale: Double, sides: [MehlerSide], dependence: [UInt8]) {
    self.scale = scale
    self.sides = sides
    self.dependence = dependence
    let k = Self.degree(sides[0], sides[1])
    degree = k
    if MehlerDebug.on { MehlerDebug.log("mehler degree \(k) points \(sides[0].count) \(sides[1].count)\n") }
    var summaries: [[Double]] = []
    for s in sides {
      var m = [Double](repeating: 0, count: 6 * s.count)
      for p in 0..<s.count {
        m[6 * p] = s.error[p]
        m[6 * p + 1] = s.absoluteSum[p]
        m[6 * p + 2] = s.norm[p]
        m[6 * p + 3] = s.slope[p]
        m[6 * p + 4] = s.curvature[p]
        m[6 * p + 5] = s.tails[p * (s.maxDegree + 1) + k].squareRoot()
      }
      summaries.append(m)
    }
    self.summaries = summaries
    rootTails = sides.map { $0.tails.map { $0.squareRoot() } }
    relativeTails = zip(sides, rootTails).map { s, roots in
      (0...k).map { d in
        (0..<s.count).reduce(0.0) { m, p in
          s.norm[p] > 0 ? max(m, roots[p * (s.maxDegree + 1) + d] / s.norm[p]) : m
        }
      }
    }
  }

  /// The smallest degree whose bound at ``designCorrelation`` meets the tolerance for every
  /// point, or the largest available.
  static func degree(_ s0: MehlerSide, _ s1: MehlerSide) -> Int {
    let cap = min(s0.maxDegree, s1.maxDegree)
    let n0 = s0.norm.max() ?? 0
    let n1 = s1.norm.max() ?? 0
    var t0 = [Double](repeating: 0, count: cap + 1)
    var t1 = [Double](repeating: 0, count: cap + 1)
    for p in 0..<s0.count { for k in 0...cap { t0[k] = max(t0[k], s0.tails[p * (s0.maxDegree + 1) + k]) } }
    for p in 0..<s1.count { for k in 0...cap { t1[k] = max(t1[k], s1.tails[p * (s1.maxDegree + 1) + k]) } }
    let target = 0.1 * relativeTolerance * n0 * n1
    for k in 0...cap where pow(designCorrelation, Double(k + 1)) * (t0[k] * t1[k]).squareRoot() <= target {
      return k
    }
    return cap
  }

  /// Each side's point index at `(p, q)`.
  @inline(__always)
  func index(_ side: Int, _ p: Int, _ q: Int) -> Int {
    switch dependence[side] {
    case 1: return p
    case 2: return q
    default: return 0
    }
  }

  /// The correlation `c/√(ab)`, clamped to `[−1, 1]` (0 for a zero variance).
  @inline(__always)
  static func correlation(_ a: Double, _ b: Double, _ c: Double) -> Double {
    let ab = a * b
    guard ab > 0 else { return 0 }
    return min(max(c / ab.squareRoot(), -1), 1)
  }

  /// `xⁿ` by repeated squaring.
  @inline(__always)
  static func power(_ x: Double, _ n: Int) -> Double {
    var result = 1.0
    var base = x
    var e = n
    while e > 0 {
      if e & 1 == 1 { result *= base }
      base *= base
      e >>= 1
    }
    return result
  }

  /// `E[ψ]` at the points `i0`, `i1` of the two sides and correlation `rho`, by Horner's rule.
  func value(_ i0: Int, _ i1: Int, _ rho: Double) -> Double {
    let k0 = sides[0].maxDegree + 1
    let k1 = sides[1].maxDegree + 1
    var s = 0.0
    sides[0].coefficients.withUnsafeBufferPointer { a in
      sides[1].coefficients.withUnsafeBufferPointer { b in
        for k in stride(from: degree, through: 0, by: -1) { s = s * rho + a[i0 * k0 + k] * b[i1 * k1 + k] }
      }
    }
    return scale * s
  }

  /// The error bound at the points `i0`, `i1` for correlation `rho` and inputs `(a, b, c)`
  /// with errors `(ea, eb, ec)`, or nil when the truncation exceeds the tolerance (the pair
  /// falls back): truncation `|ρ|^{K+1} √(T₀ T₁)`, the coefficients' errors
  /// `ε₀ Σ|A¹| + ε₁ Σ|A⁰| + (K+1) ε₀ε₁` (`t0`, `t1` are `√T(K)`), and the inputs' errors by Price's theorem,
  /// `∂E/∂c = E[f′(u) g′(v)]`, `∂E/∂a = ½ E[f″(u) g(v)]`, each bounded by Cauchy–Schwarz:
  /// `‖f′‖‖g′‖ e_c + ½(‖f″‖‖g‖ e_a + ‖f‖‖g″‖ e_b)`.
  @inline(__always)
  static func error(
    _ s0: UnsafePointer<Double>, _ s1: UnsafePointer<Double>, tails t0: Double, _ t1: Double, degree: Int,
    scale: Double, _ rho: Double, _ ea: Double, _ eb: Double, _ ec: Double
  ) -> Double? {
    let truncation = power(Swift.abs(rho), degree + 1) * t0 * t1
    guard truncation <= relativeTolerance * s0[2] * s1[2] || truncation < 1e-300 else { return nil }
    var bound = truncation + s0[0] * s1[1] + s1[0] * s0[1] + Double(degree + 1) * s0[0] * s1[0]
    if ea > 0 || eb > 0 || ec > 0 {
      bound += s0[3] * s1[3] * ec + 0.5 * (s0[4] * s1[2] * ea + s0[2] * s1[4] * eb)
    }
    return Swift.abs(scale) * bound
  }

  /// The register on the block `(p, q₀ ..< q₀ + count)` into `v`, `e`, from its inputs'
  /// columns; `rho` is scratch for `count` doubles. When exactly one side's variance varies
  /// along the block, the polynomial runs over the block at once (Horner in `k`, the block
  /// innermost over contiguous coefficients of degree `k`); otherwise pair by pair. Pairs whose
  /// truncation bound misses the tolerance take `fallback(i)`.
  func evaluateBlock(
    p: Int, q0: Int, count: Int, a: PairwiseRecipe.Column, b: PairwiseRecipe.Column,
    c: PairwiseRecipe.Column, v: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
    rho: UnsafeMutablePointer<Double>, fallback: (Int) -> (Double, Double)
  ) {
    for i in 0..<count { rho[i] = Self.correlation(a.v[i * a.stride], b.v[i * b.stride], c.v[i * c.stride]) }
    let varying = dependence.firstIndex(of: 2)
    var blockDegree = degree
    if let vary = varying, dependence[1 - vary] != 2 {
      let fixed = 1 - vary
      let fs = sides[fixed]
      let vs = sides[vary]
      let point = index(fixed, p, 0)
      let row = point * (fs.maxDegree + 1)
      // The block's degree: the smallest k with max|ρ|^{k+1} · (√T_p(k)/‖f‖_p) · max_q (√T_q(k)/‖g‖_q)
      // within half the tolerance, so that no pair of the block needs more.
      var rhoMax = 0.0
      for i in 0..<count { rhoMax = max(rhoMax, Swift.abs(rho[i])) }
      let fixedNorm = fs.norm[point]
      var power = rhoMax
      var k = 0
      while k < degree {
        let fixedTail = fixedNorm > 0 ? rootTails[fixed][row + k] / fixedNorm : 0
        if power * fixedTail * relativeTails[vary][k] <= 0.5 * Self.relativeTolerance { break }
        power *= rhoMax
        k += 1
      }
      blockDegree = k
      for i in 0..<count { v[i] = 0 }
      fs.coefficients.withUnsafeBufferPointer { fc in
        vs.byDegree.withUnsafeBufferPointer { vt in
          // safe: both sides hold at least one point
          let f = fc.baseAddress! + row
          for k in stride(from: blockDegree, through: 0, by: -1) {
            let ak = f[k]
            let column = vt.baseAddress! + k * vs.count + q0
            for i in 0..<count { v[i] = v[i] * rho[i] + ak * column[i] }
          }
        }
      }
      for i in 0..<count { v[i] *= scale }
    } else {
      for i in 0..<count { v[i] = value(index(0, p, q0 + i), index(1, p, q0 + i), rho[i]) }
    }
    let l0 = sides[0].maxDegree + 1
    let l1 = sides[1].maxDegree + 1
    summaries[0].withUnsafeBufferPointer { m0 in
      summaries[1].withUnsafeBufferPointer { m1 in
        rootTails[0].withUnsafeBufferPointer { r0 in
          rootTails[1].withUnsafeBufferPointer { r1 in
            for i in 0..<count {
              let i0 = index(0, p, q0 + i)
              let i1 = index(1, p, q0 + i)
              // safe: both sides hold at least one point
              let s0 = m0.baseAddress! + 6 * i0
              let s1 = m1.baseAddress! + 6 * i1
              if let bound = Self.error(
                s0, s1, tails: r0[i0 * l0 + blockDegree], r1[i1 * l1 + blockDegree],
                degree: blockDegree, scale: scale, rho[i], a.e[i * a.stride], b.e[i * b.stride],
                c.e[i * c.stride])
              {
                e[i] = bound
              } else {
                if MehlerDebug.on {
                  MehlerDebug.log(
                    "mehler fallback K \(blockDegree) rho \(rho[i]) t0 \(s0[5]) t1 \(s1[5]) n \(s0[2]) \(s1[2])\n"
                  )
                }
                (v[i], e[i]) = fallback(i)
              }
            }
          }
        }
      }
    }
  }
}

extension PairwiseRecipe {
  /// A factor at one register's variances: factors shared by several expectations (and the two
  /// sides of a symmetric one) are expanded once.
  private struct SideKey: Hashable {
    var factor: CoordExpr
    var variances: [Double]
  }

  /// Per register, the series of a two-point separable expectation whose variances each
  /// depend on at most one point (nil for every other register): each factor's coefficients
  /// at every point, from the one-point registers' `pointValues`.
  func mehlerPairs(plans: [Plan], pointValues: [[Double]], threads: Int) -> [MehlerPair?] {
    var cache: [SideKey: MehlerSide] = [:]
    var pairs = [MehlerPair?](repeating: nil, count: ops.count)
    for r in ops.indices where dependence[r] == 3 {
      guard case .series(let plan) = plans[r], case .expectation(let g) = ops[r] else { continue }
      let sources = [g.variance0, g.variance1]
      let deps = sources.map { dependence[$0] }
      guard deps.allSatisfy({ $0 != 3 }) else { continue }
      var sides: [MehlerSide] = []
      for (factor, source) in zip([plan.separable.first, plan.separable.second], sources) {
        let key = SideKey(factor: factor, variances: pointValues[source])
        if let side = cache[key] {
          sides.append(side)
        } else {
          let side = MehlerSide(
            factor, variances: key.variances, maxDegree: MehlerPair.maxDegree, threads: threads)
          cache[key] = side
          sides.append(side)
        }
      }
      pairs[r] = MehlerPair(scale: plan.separable.scale, sides: sides, dependence: deps)
    }
    return pairs
  }
}

/// `TP_MEHLER_DEBUG=1` in the environment logs each register's chosen degree and every pair
/// that falls back to the trapezoidal rule on stderr (a diagnostic for benchmarks).
enum MehlerDebug {
  static let on = ProcessInfo.processInfo.environment["TP_MEHLER_DEBUG"] != nil
  static func log(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
