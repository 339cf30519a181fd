import Foundation
import TPNumerics

/// Closed forms and independent references for the kernel-science tests, written here and
/// not taken from the library: the arc-cosine kernels and their layer recursion, exact
/// Hermite coefficients, points on spheres, a naive linear solver.
enum KernelScienceFixtures {
  /// `κ₁(ρ) = (√(1 − ρ²) + (π − arccos ρ) ρ)/π = 2·E[relu(u)relu(v)]` for a standard pair
  /// with correlation `ρ` (Cho & Saul 2009, degree-1 arc-cosine kernel, normalised so that
  /// `κ₁(1) = 1`).
  static func arcCosine1(_ rho: Double) -> Double {
    let r = min(max(rho, -1), 1)
    return ((1 - r * r).squareRoot() + (Double.pi - acos(r)) * r) / Double.pi
  }

  /// `κ₀(ρ) = (π − arccos ρ)/π = 2·E[step(u)step(v)]`.
  static func arcCosine0(_ rho: Double) -> Double {
    let r = min(max(rho, -1), 1)
    return (Double.pi - acos(r)) / Double.pi
  }

  /// The NTK of an `L`-hidden-layer ReLU MLP on the unit sphere in the NTK parametrization
  /// with `c_σ = 2` (He) weights and no biases, by the layer recursion of Jacot et al. 2018 /
  /// Arora et al. 2019 (Thm. 3.1): `Σ⁰ = Θ⁰ = ρ`, `Σˡ = κ₁(Σˡ⁻¹)`,
  /// `Θˡ = Σˡ + Θˡ⁻¹ κ₀(Σˡ⁻¹)`. `Θ(1) = L + 1`.
  static func reluNTK(_ rho: Double, hiddenLayers: Int) -> Double {
    var sigma = rho
    var theta = rho
    for _ in 0..<hiddenLayers {
      let derivative = arcCosine0(sigma)
      sigma = arcCosine1(sigma)
      theta = sigma + theta * derivative
    }
    return theta
  }

  /// `log k!`.
  static func logFactorial(_ k: Int) -> Double {
    (0...max(k, 0)).reduce(0.0) { $0 + ($1 > 1 ? log(Double($1)) : 0) }
  }

  /// `Heₘ(0) / (√(2π) √(k!))` with `Heₘ(0) = (−1)^{m/2} (m − 1)!!` for even `m` (0 for odd `m`),
  /// in logarithms (`(m − 1)!! = m! / (2^{m/2} (m/2)!)`), so finite for any degree.
  static func scaledHermiteAtZero(_ m: Int, over k: Int) -> Double {
    guard m % 2 == 0 else { return 0 }
    let logDoubleFactorial = logFactorial(m) - Double(m / 2) * log(2.0) - logFactorial(m / 2)
    let magnitude = exp(logDoubleFactorial - 0.5 * log(2 * Double.pi) - 0.5 * logFactorial(k))
    return (m / 2) % 2 == 0 ? magnitude : -magnitude
  }

  /// The normalised Hermite coefficients of relu, from `E[f Heₖ] = E[f⁽ᵏ⁾]` (Gaussian
  /// integration by parts) with `relu″ = δ`: `a₀ = 1/√(2π)`, `a₁ = ½`, and for `k ≥ 2`
  /// `aₖ = Heₖ₋₂(0) / (√(2π) √(k!))` (zero for odd `k`).
  static func reluCoefficient(_ k: Int) -> Double {
    switch k {
    case 0: return 1 / (2 * Double.pi).squareRoot()
    case 1: return 0.5
    default:
      return scaledHermiteAtZero(k - 2, over: k)
    }
  }

  /// The normalised Hermite coefficients of step `1[z > 0]`: `a₀ = ½`, and for `k ≥ 1`
  /// `aₖ = Heₖ₋₁(0)/(√(2π) √(k!))` (`step′ = δ`).
  static func stepCoefficient(_ k: Int) -> Double {
    k == 0 ? 0.5 : scaledHermiteAtZero(k - 1, over: k)
  }

  /// The normalised Hermite coefficients of erf: zero for even `k`; for `k = 2j + 1`,
  /// `E[erf · He_{2j+1}] = E[erf⁽²ʲ⁺¹⁾] = (2/√π) E[e^{−z²} He₂ⱼ]` and the generating function
  /// `E[e^{−z²} e^{tz − t²/2}] = e^{−t²/3}/√3` gives `E[e^{−z²} He₂ⱼ] = (2j)! (−1/3)ʲ / (√3 j!)`.
  static func erfCoefficient(_ k: Int) -> Double {
    guard k % 2 == 1 else { return 0 }
    let j = (k - 1) / 2
    let magnitude = exp(logFactorial(2 * j) - logFactorial(j) - 0.5 * logFactorial(k) - Double(j) * log(3.0))
    return 2 / (Double.pi * 3).squareRoot() * (j % 2 == 0 ? magnitude : -magnitude)
  }

  /// The normalised Hermite coefficients of the polynomial `Σⱼ cⱼ zʲ`, from
  /// `zʲ = Σ_{m ≡ j (2)} j! / (m! ((j−m)/2)! 2^{(j−m)/2}) Heₘ(z)` (the inverse of the explicit
  /// Hermite sum) and `aₘ = [Heₘ] · √(m!)`.
  static func polynomialCoefficients(_ c: [Double], degree: Int) -> [Double] {
    var a = [Double](repeating: 0, count: degree + 1)
    for (j, cj) in c.enumerated() where cj != 0 {
      var m = j
      while m >= 0 {
        if m <= degree {
          let half = (j - m) / 2
          let logCoefficient =
            logFactorial(j) - logFactorial(m) - logFactorial(half) - Double(half) * log(2.0)
          a[m] += cj * exp(logCoefficient + 0.5 * logFactorial(m))
        }
        m -= 2
      }
    }
    return a
  }

  /// `Heₖ(z)` from its explicit sum `k! Σ_m (−1)^m z^{k−2m} / (m! (k−2m)! 2^m)` (for small k).
  static func explicitHermite(_ k: Int, _ z: Double) -> Double {
    var s = 0.0
    for m in 0...(k / 2) {
      let term = exp(logFactorial(k) - logFactorial(m) - logFactorial(k - 2 * m) - Double(m) * log(2.0))
      s += (m % 2 == 0 ? 1 : -1) * term * pow(z, Double(k - 2 * m))
    }
    return s
  }

  /// `count` points uniform on the unit sphere in `Rᵈ` (normalised Gaussians), as rows.
  static func spherePoints(count: Int, dimension d: Int, seed: UInt64) -> [[Double]] {
    let g = GaussianFill.gaussians(count: count * d, seed: seed, stream: 11)
    return (0..<count).map { i in
      let row = Array(g[(i * d)..<((i + 1) * d)])
      let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return row.map { $0 / norm }
    }
  }

  /// The Gram matrix `κ(xᵢ·xⱼ)` of unit vectors, exactly symmetric, diagonal at `ρ = 1`.
  static func gram(_ points: [[Double]], _ kappa: (Double) -> Double) -> Matrix {
    let m = points.count
    var k = Matrix(rows: m, cols: m)
    for i in 0..<m {
      for j in 0...i {
        let rho = i == j ? 1 : zip(points[i], points[j]).reduce(0) { $0 + $1.0 * $1.1 }
        let value = kappa(rho)
        k[i, j] = value
        k[j, i] = value
      }
    }
    return k
  }

  /// `A⁻¹b` by Gaussian elimination with partial pivoting (independent of the library's
  /// Cholesky).
  static func solve(_ a: Matrix, _ b: [Double]) -> [Double] {
    let n = a.rows
    var m = (0..<n).map { a.row($0) + [b[$0]] }
    for col in 0..<n {
      let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
      m.swapAt(col, pivot)
      for r in (col + 1)..<max(col + 1, n) {
        let f = m[r][col] / m[col][col]
        for c in col...n { m[r][c] -= f * m[col][c] }
      }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
      var s = m[r][n]
      for c in (r + 1)..<max(r + 1, n) { s -= m[r][c] * x[c] }
      x[r] = s / m[r][r]
    }
    return x
  }

  /// `(1/M)·(uᵀ y)` etc.: plain dot product.
  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}
