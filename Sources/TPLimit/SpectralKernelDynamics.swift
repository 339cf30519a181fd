import Foundation
import TPNumerics

extension KernelDynamics {
  /// Full-batch gradient descent in the kernel regime in spectral form (THEORY §6): the cost
  /// of a data set of `n` training and `p` observed points is one eigendecomposition and a few
  /// products, `O(n³ + p·n²)`, plus `O(p·n²)` per reported step — instead of the
  /// `O(steps · m³)` of the dense affine state of ``trajectory(theta:train:labels:lr:steps:batch:)``.
  ///
  /// With the mean loss `(1/2n) Σ (f(x) − y)²` a step is `f ← f − (η/n) Θ_{·X} (f(X) − y)`, so
  /// on the training inputs the residual `r_t = f_t(X) − y` obeys `r_t = (I − ηΘ_XX/n)^t r_0`.
  /// With `Θ_XX = U Λ Uᵀ` and, per eigenvalue, the gain
  ///
  ///     g_t(λ) = Σ_{s<t} (η/n)(1 − ηλ/n)^s = (1 − (1 − ηλ/n)^t) / λ      (tη/n at λ = 0),
  ///
  /// every point `z` follows `f_t(z) = f_0(z) − Θ_zX U G_t Uᵀ (f_0(X) − y)`, `G_t = diag(g_t)`.
  /// The fully trained limit (`steps: inf`) is `g_∞(λ) = 1/λ` above the pseudo-inverse cutoff
  /// `10⁻¹⁰ · max|λ|` and 0 below it — exactly ``trained(theta:train:labels:)``. With `f_0 ~ GP(0, K)`
  /// and `B = Θ_ZX U`, `K̃ = K_ZX U`, `C = Uᵀ K_XX U`:
  ///
  ///     mean_t(z) = (B G_t Uᵀ y)_z
  ///     var_t(z)  = K_zz − 2 (B G_t K̃ᵀ)_zz + (B G_t C G_t Bᵀ)_zz
  ///
  /// and the expected mean loss on the training set, with `d_t = 1 − λ g_t = (1 − ηλ/n)^t`,
  /// is `(1/2n) Σ_j d_j² ((Uᵀy)_j² + C_jj)` (the trace of the residual's second moment in the
  /// eigenbasis). Source: Jacot, Gabriel & Hongler, "Neural Tangent Kernel" (2018), §5;
  /// Lee et al., "Wide neural networks of any depth evolve as linear models" (2019), eqs. 9–11.
  public struct Spectral: Sendable {
    /// Eigenvalues of `Θ_XX`, ascending.
    public let eigenvalues: [Double]
    /// `10⁻¹⁰ · max|λ|`: eigenvalues at or below it are zero for the trained limit.
    public let cutoff: Double
    let u: Matrix
    let b: Matrix
    let kXX: Matrix
    let kOX: Matrix
    let kDiagonal: [Double]
    /// `C_jj = u_jᵀ K_XX u_j`, for the loss; empty when not asked for.
    let cDiagonal: [Double]

    /// Prepares the dynamics of the training points `train` (indices into the kernels'
    /// points) for the observed points `observed` (indices too; training points may be among
    /// them). `theta` and `k` are the NTK and NNGP on all points. `loss` asks for the diagonal
    /// of `C` (one more `n³` product), which only the expected loss needs.
    public init(
      theta: Matrix, k: Matrix, train: [Int], observed: [Int], loss: Bool = true,
      threads: Int = Parallel.defaultThreads
    ) {
      let eigen = SymmetricEigen(theta.submatrix(rows: train, cols: train), threads: threads)
      eigenvalues = eigen.values
      cutoff = 1e-10 * eigen.values.reduce(0) { max($0, abs($1)) }
      u = eigen.vectors
      b = Matrix.product(theta.submatrix(rows: observed, cols: train), u, threads: threads)
      kXX = k.submatrix(rows: train, cols: train)
      kOX = k.submatrix(rows: observed, cols: train)
      kDiagonal = observed.map { k[$0, $0] }
      let n = train.count
      var diagonal: [Double] = []
      if loss {
        let kU = Matrix.product(kXX, eigen.vectors, threads: threads)
        diagonal = [Double](repeating: 0, count: n)
        for i in 0..<n {
          for j in 0..<n { diagonal[j] += eigen.vectors.elements[i * n + j] * kU.elements[i * n + j] }
        }
      }
      cDiagonal = diagonal
    }

    /// Eigenvalues of `Θ_XX` at or below ``cutoff``, which the trained limit drops.
    public var droppedModes: Int { eigenvalues.filter { abs($0) <= cutoff }.count }

    /// The gains `g_t(λ_j)` after `step` steps of learning rate `lr` (nil: the trained limit).
    /// `(1 − (1 − x)^t)/λ` with `x = ηλ/n` is `−expm1(t·log1p(−x))/λ` for `x < 1`, which keeps
    /// its digits when `x` is tiny.
    public func gains(step: Int?, lr: Double) -> [Double] {
      let n = Double(eigenvalues.count)
      guard let t = step else { return eigenvalues.map { abs($0) > cutoff ? 1 / $0 : 0 } }
      let steps = Double(t)
      return eigenvalues.map { lambda in
        if lambda == 0 { return steps * lr / n }
        let x = lr * lambda / n
        if x < 1 { return -Foundation.expm1(steps * Foundation.log1p(-x)) / lambda }
        return (1 - Foundation.pow(1 - x, steps)) / lambda
      }
    }

    /// Means (one array per label vector, over the observed points), the shared variance and the
    /// expected mean loss per label vector (NaN without `loss` at init), after `step` steps (nil:
    /// the trained limit). With the weights `W = B G_t Uᵀ` (`p × n`, row `z` is the vector `w`
    /// with `f_t(z) = f_0(z) − w·(f_0(X) − y)`): mean `W y`, variance
    /// `K_zz − 2 (W K_Xz) + (W K_XX Wᵀ)_zz` — two `p·n²` products per step.
    public func moments(labels: [[Double]], lr: Double, step: Int?, threads: Int = Parallel.defaultThreads)
      -> (means: [[Double]], variance: [Double], losses: [Double])
    {
      let g = gains(step: step, lr: lr)
      let (p, n) = (b.rows, b.cols)
      var bg = b
      bg.elements.withUnsafeMutableBufferPointer { e in
        for z in 0..<p { for j in 0..<n { e[z * n + j] *= g[j] } }
      }
      let w = Matrix.product(bg, u, transposingSecond: true, threads: threads)
      let kw = Matrix.product(w, kXX, threads: threads)
      var variance = [Double](repeating: 0, count: p)
      w.elements.withUnsafeBufferPointer { we in
        kw.elements.withUnsafeBufferPointer { qe in
          kOX.elements.withUnsafeBufferPointer { ke in
            for z in 0..<p {
              var cross = 0.0
              var quad = 0.0
              for j in 0..<n {
                cross += we[z * n + j] * ke[z * n + j]
                quad += we[z * n + j] * qe[z * n + j]
              }
              variance[z] = max(0, kDiagonal[z] - 2 * cross + quad)
            }
          }
        }
      }
      var means: [[Double]] = []
      var losses: [Double] = []
      let ut = u.transposed
      for y in labels {
        means.append(w.multiply(y))
        guard cDiagonal.count == n else {
          losses.append(.nan)
          continue
        }
        let uy = ut.multiply(y)
        var loss = 0.0
        for j in 0..<n {
          let d = 1 - eigenvalues[j] * g[j]
          loss += d * d * (uy[j] * uy[j] + cDiagonal[j])
        }
        losses.append(loss / Double(2 * max(1, n)))
      }
      return (means, variance, losses)
    }
  }

  /// The fully trained limit by a Cholesky solve instead of the eigendecomposition (`n³/3` flops
  /// instead of ~`9n³`), when `Θ_XX` is well-conditioned — condition estimate at most
  /// ``choleskyConditionLimit``, so that no eigenvalue is under the pseudo-inverse's cutoff and
  /// the result is that of ``Spectral`` with `step: nil`; nil otherwise. With
  /// `V = Θ_XX⁻¹ Θ_XO` (`n × p`): means `Vᵀ y`, variance `K_zz − 2 (Vᵀ K_XO)_zz + (Vᵀ K_XX V)_zz`.
  /// The trained limit then interpolates: its expected training loss is exactly 0.
  public static func factoredTrainedLimit(
    theta: Matrix, k: Matrix, train: [Int], observed: [Int], labels: [[Double]],
    threads: Int = Parallel.defaultThreads
  ) -> (means: [[Double]], variance: [Double])? {
    guard let chol = try? Cholesky(theta.submatrix(rows: train, cols: train), threads: threads),
      chol.conditionEstimate(threads: threads) <= choleskyConditionLimit
    else { return nil }
    let v = chol.solve(theta.submatrix(rows: train, cols: observed), threads: threads)
    let kXO = k.submatrix(rows: train, cols: observed)
    let kv = Matrix.product(k.submatrix(rows: train, cols: train), v, threads: threads)
    let (n, p) = (train.count, observed.count)
    var cross = [Double](repeating: 0, count: p)
    var quad = [Double](repeating: 0, count: p)
    for i in 0..<n {
      for z in 0..<p {
        cross[z] += v.elements[i * p + z] * kXO.elements[i * p + z]
        quad[z] += v.elements[i * p + z] * kv.elements[i * p + z]
      }
    }
    let variance = (0..<p).map { max(0, k[observed[$0], observed[$0]] - 2 * cross[$0] + quad[$0]) }
    let vt = v.transposed
    return (labels.map { vt.multiply($0) }, variance)
  }

  /// Condition numbers above which the posterior's Cholesky solve gives way to the
  /// pseudo-inverse: `κ₁` estimates at most `10⁹` guarantee `κ₂ ≤ 3·10⁹` (Hager–Higham's
  /// estimate is within a factor 3 below `κ₁ ≥ κ₂`), so no eigenvalue falls under the
  /// pseudo-inverse's cutoff of `10⁻¹⁰ λ_max` and both give the same posterior.
  public static let choleskyConditionLimit = 1e9

  /// The NNGP posterior at `test` (indices into `k`'s points) given `y = f(X) + ε`,
  /// `ε ~ N(0, noise)`: mean `K_tX A⁻¹ y`, variance `K_tt − ‖L⁻¹ K_Xt‖²` with
  /// `A = K_XX + noise I = L Lᵀ` (blocked Cholesky, `n³/3 + n²·p` flops; Rasmussen & Williams,
  /// "Gaussian Processes for Machine Learning", Alg. 2.1). When `A` is singular or
  /// ill-conditioned (Cholesky fails, or the condition estimate exceeds
  /// ``choleskyConditionLimit``) the pseudo-inverse is used instead, as ``posterior(k:train:labels:noise:test:)``
  /// always did, and `diagnostic` says so and names the noise that would make `A` well-conditioned.
  public static func factoredPosterior(
    k: Matrix, train: [Int], labels: [Double], noise: Double, test: [Int],
    threads: Int = Parallel.defaultThreads
  ) -> (values: [(mean: Double, variance: Double)], diagnostic: String?) {
    var a = k.submatrix(rows: train, cols: train)
    for i in train.indices { a[i, i] += noise }
    let kXt = k.submatrix(rows: train, cols: test)
    let n = train.count
    var reason: String
    var suggestion: Double
    do throws(CholeskyError) {
      let chol = try Cholesky(a, threads: threads)
      let kappa = chol.conditionEstimate(threads: threads)
      if kappa <= choleskyConditionLimit {
        let alpha = chol.solve(labels)
        let mean = kXt.transposed.multiply(alpha)
        let v = chol.solveLower(kXt, threads: threads)
        var reduction = [Double](repeating: 0, count: test.count)
        v.elements.withUnsafeBufferPointer { e in
          for i in 0..<n {
            for z in test.indices { reduction[z] += e[i * test.count + z] * e[i * test.count + z] }
          }
        }
        let values = test.indices.map { z in (mean[z], max(0, k[test[z], test[z]] - reduction[z])) }
        return (values, nil)
      }
      reason = "ill-conditioned (condition number ~\(String(format: "%.1e", kappa)))"
      suggestion = chol.matrixOneNorm / choleskyConditionLimit
    } catch {
      reason =
        "singular to working precision (Cholesky pivot \(error.pivot) of \(n) is \(String(format: "%.2e", error.value)))"
      let norm = (0..<n).reduce(0.0) { m, i in max(m, (0..<n).reduce(0.0) { $0 + abs(a[i, $1]) }) }
      suggestion = max(error.suggestedNoise, norm / choleskyConditionLimit)
    }
    let values = posterior(k: k, train: train, labels: labels, noise: noise, test: test)
    let diagnostic =
      "the NNGP Gram matrix of the \(n) training inputs plus noise (\(noise)) is \(reason):"
      + " the posterior uses its pseudo-inverse (eigenvalues below 1e-10 of the largest dropped);"
      + " noise: \(String(format: "%.1e", suggestion)) or more would make it well-conditioned"
    return (values, diagnostic)
  }
}

extension Matrix {
  /// The submatrix of the given rows and columns (indices in any order, repeats allowed).
  public func submatrix(rows r: [Int], cols c: [Int]) -> Matrix {
    var out = Matrix(rows: r.count, cols: c.count)
    elements.withUnsafeBufferPointer { e in
      out.elements.withUnsafeMutableBufferPointer { o in
        for (i, row) in r.enumerated() {
          for (j, col) in c.enumerated() { o[i * c.count + j] = e[row * cols + col] }
        }
      }
    }
    return out
  }
}
