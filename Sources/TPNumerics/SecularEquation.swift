/// Roots of the secular equation of a symmetric rank-one update, the core of the
/// divide-and-conquer eigensolver (LAPACK `dlaed4`):
///
///     f(λ) = 1/ρ + Σⱼ zⱼ² / (dⱼ − λ) = 0,   d₀ < d₁ < … < d_{K−1}, zⱼ ≠ 0, ρ > 0,
///
/// whose `K` roots are the eigenvalues of `diag(d) + ρ·z·zᵀ` and interlace the poles:
/// `λᵢ ∈ (dᵢ, dᵢ₊₁)`, `λ_{K−1} ∈ (d_{K−1}, d_{K−1} + ρ‖z‖²]`.
///
/// Why the roots are computed relative to a pole: the eigenvectors need every difference
/// `dⱼ − λᵢ` to full *relative* accuracy, including the tiny one to the nearest pole.
/// Each root is therefore found as `λᵢ = d_o + τ` with `o` the nearer end of its interval
/// (decided by the sign of `f` at the midpoint) and `τ` the unknown; `dⱼ − λᵢ` is then
/// `(dⱼ − d_o) − τ`, one rounding of two exact inputs followed by a subtraction of a
/// number that is accurate relative to itself.
///
/// Iteration: the "middle way" of R.-C. Li ("Solving secular equations stably and
/// efficiently", LAPACK Working Note 89, 1994), as in `dlaed4`: the poles at or left of the
/// interval's left end and those at or right of its right end are each replaced by one
/// pole at the interval end, fitted to the value and slope at the current `τ`; the
/// resulting quadratic is solved exactly. This converges quadratically from the
/// frozen-coefficient initial guess. Every step is safeguarded by a bracket
/// (`f` is increasing on the interval), falling back to Newton and then to bisection, so
/// the root is always found (within 200 steps even for adversarial input).
enum SecularEquation {
  /// Root `index` of the secular equation for `count` poles `d` (strictly increasing),
  /// weights `z` (nonzero) and `rho > 0`. Writes `delta[j] = d[j] − λ` for every `j` and
  /// returns `λ`.
  static func root(
    _ index: Int, count: Int, d: UnsafePointer<Double>, z: UnsafePointer<Double>, rho: Double,
    delta: UnsafeMutablePointer<Double>
  ) -> Double {
    let k = count
    if k == 1 {
      let tau = rho * z[0] * z[0]
      delta[0] = -tau
      return d[0] + tau
    }
    let rhoInverse = 1 / rho
    let last = index == k - 1
    // The interval's two bounding poles carry the model's exact pole terms.
    let (left, right) = last ? (k - 2, k - 1) : (index, index + 1)
    var origin: Int
    var lo: Double
    var hi: Double
    if last {
      var zz = 0.0
      for j in 0..<k { zz += z[j] * z[j] }
      // f(d_{K−1} + ρ‖z‖²) ≥ 1/ρ − ‖z‖²/(ρ‖z‖²) = 0, so the root is at most that.
      (origin, lo, hi) = (k - 1, 0, rho * zz)
    } else {
      let gap = d[index + 1] - d[index]
      let mid = gap / 2
      var f = rhoInverse
      for j in 0..<k { f += z[j] * z[j] / ((d[j] - d[index]) - mid) }
      // f increases through the interval: f(mid) ≥ 0 puts the root in the left half.
      (origin, lo, hi) = f >= 0 ? (index, 0, mid) : (index + 1, mid - gap, 0)
    }
    let base = d[origin]
    for j in 0..<k { delta[j] = d[j] - base }
    var tau = initialGuess(
      left: left, right: right, count: k, delta, z, rhoInverse: rhoInverse, lo: lo, hi: hi)
    for _ in 0..<200 {
      // ψ: poles left of the root (all terms negative), φ: poles right of it.
      var psi = 0.0
      var dpsi = 0.0
      var phi = 0.0
      var dphi = 0.0
      for j in 0...left {
        let t = z[j] / (delta[j] - tau)
        psi += z[j] * t
        dpsi += t * t
      }
      for j in right..<k {
        let t = z[j] / (delta[j] - tau)
        phi += z[j] * t
        dphi += t * t
      }
      let f = rhoInverse + psi + phi
      // LAPACK's bound on the rounding error committed in evaluating f.
      let bound = 8 * (abs(psi) + abs(phi) + rhoInverse) + abs(tau) * (dpsi + dphi)
      if abs(f) <= Double.ulpOfOne * bound { break }
      if f > 0 { hi = min(hi, tau) } else { lo = max(lo, tau) }
      let next = step(tau: tau, f: f, delta[left] - tau, delta[right] - tau, dpsi, dphi, lo: lo, hi: hi)
      if next == tau || hi - lo <= 2 * Double.ulpOfOne * max(abs(lo), abs(hi)) {
        tau = next
        break
      }
      tau = next
    }
    for j in 0..<k { delta[j] -= tau }
    return base + tau
  }

  /// The frozen-coefficient guess (`dlaed4`'s start): the terms of all poles but the two
  /// bounding ones are evaluated once at the bracket's midpoint and held fixed; the
  /// remaining two-pole equation is a quadratic, solved exactly.
  static func initialGuess(
    left: Int, right: Int, count k: Int, _ delta: UnsafeMutablePointer<Double>, _ z: UnsafePointer<Double>,
    rhoInverse: Double, lo: Double, hi: Double
  ) -> Double {
    let mid = (lo + hi) / 2
    var c = rhoInverse
    for j in 0..<k where j != left && j != right { c += z[j] * z[j] / (delta[j] - mid) }
    // c + s₁/(P₁ − τ) + s₂/(P₂ − τ) = 0  ⇔  c·τ² − (c(P₁+P₂) + s₁ + s₂)·τ + (c·P₁P₂ + s₁P₂ + s₂P₁) = 0.
    let (p1, p2) = (delta[left], delta[right])
    let (s1, s2) = (z[left] * z[left], z[right] * z[right])
    let a = c * (p1 + p2) + s1 + s2
    let b = c * p1 * p2 + s1 * p2 + s2 * p1
    return quadraticRoot(c: c, a: a, b: b, in: lo, hi, near: mid) ?? mid
  }

  /// One safeguarded middle-way step from `tau` (`f` the value there, `d1`, `d2` the
  /// distances to the two bounding poles, `dpsi`, `dphi` the slopes of the left and right
  /// sums): the root of `c·η² − a·η + b = 0` in the bracket, else a Newton step, else the
  /// bracket's midpoint.
  static func step(
    tau: Double, f: Double, _ d1: Double, _ d2: Double, _ dpsi: Double, _ dphi: Double, lo: Double, hi: Double
  ) -> Double {
    // Model: f ≈ c + ψ'd₁²/(d₁ − η) + φ'd₂²/(d₂ − η), matching f and both slopes at η = 0.
    let c = f - d1 * dpsi - d2 * dphi
    let a = (d1 + d2) * f - d1 * d2 * (dpsi + dphi)
    let b = d1 * d2 * f
    if let eta = quadraticRoot(c: c, a: a, b: b, in: lo - tau, hi - tau, near: 0), eta != 0 {
      return tau + eta
    }
    let newton = tau - f / (dpsi + dphi)
    if newton > lo && newton < hi && newton != tau { return newton }
    return (lo + hi) / 2
  }

  /// The root of `c·x² − a·x + b = 0` strictly inside `(lo, hi)`, the one nearest `near`
  /// if both are; nil if neither is (or the roots are not finite). Uses the
  /// cancellation-free pair `q/c`, `b/q` with `q = (a + sign(a)·√(a² − 4bc))/2`; a
  /// slightly negative discriminant (rounding at a double root) counts as zero.
  static func quadraticRoot(c: Double, a: Double, b: Double, in lo: Double, _ hi: Double, near: Double)
    -> Double?
  {
    var first = Double.nan
    var second = Double.nan
    if c == 0 {
      if a != 0 { first = b / a }
    } else {
      let discriminant = max(a * a - 4 * b * c, 0)
      let root = discriminant.squareRoot()
      let q = a >= 0 ? (a + root) / 2 : (a - root) / 2
      first = q / c
      if q != 0 { second = b / q }
    }
    // NaN (no candidate) fails both comparisons.
    let firstInside = first.isFinite && first > lo && first < hi
    let secondInside = second.isFinite && second > lo && second < hi
    var best: Double?
    if firstInside { best = first }
    if secondInside && (!firstInside || abs(second - near) < abs(first - near)) { best = second }
    return best
  }
}
