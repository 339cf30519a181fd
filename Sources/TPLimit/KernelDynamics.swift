import TPCore
import TPNumerics

/// Training in the kernel regime (THEORY §6): the output is a Gaussian process at init with kernel
/// `K`, and gradient descent on the mean squared loss moves it linearly with the NTK `Θ`.
///
/// Over a set of points `Z` (training points and observation points), `f_t(Z) = A_t g + b_t`
/// with `g = f_0(Z) ~ N(0, K_ZZ)`; each step is `f ← f − (η/B) Θ_{Z,S} (f(S) − y_S)` for the batch `S`.
public enum KernelDynamics {
  /// The affine map `f = A g + b` from the initial outputs `g`.
  public struct State: Sendable {
    public var a: Matrix
    public var b: [Double]

    /// Mean `b` and variance `diag(A K Aᵀ)` of every entry.
    public func moments(_ k: Matrix) -> (mean: [Double], variance: [Double]) {
      let ak = a * k
      var variance = [Double](repeating: 0, count: b.count)
      for i in 0..<b.count {
        var s = 0.0
        for j in 0..<a.cols { s += ak[i, j] * a[i, j] }
        variance[i] = max(0, s)
      }
      return (b, variance)
    }
  }

  /// The state after each of `steps` SGD steps (index 0 is the initialization).
  /// - Parameters:
  ///   - theta: the NTK over all points `Z`.
  ///   - train: indices into `Z` of the training examples, in data order, with their labels.
  ///   - batch: examples per step, taken cyclically; nil for the full batch.
  public static func trajectory(
    theta: Matrix, train: [Int], labels: [Double], lr: Double, steps: Int, batch: Int?
  )
    -> [State]
  {
    let m = theta.rows
    var state = State(a: .identity(m), b: [Double](repeating: 0, count: m))
    var out = [state]
    let bsize = batch ?? train.count
    for t in 0..<steps {
      let chosen = (0..<bsize).map { (t * bsize + $0) % train.count }
      var next = state
      for c in chosen {
        let s = train[c]
        // residual r = f(s) − y = A[s,:] g + b[s] − y
        let scale = lr / Double(bsize)
        for z in 0..<m {
          let k = scale * theta[z, s]
          if k == 0 { continue }
          for j in 0..<m { next.a[z, j] -= k * state.a[s, j] }
          next.b[z] -= k * (state.b[s] - labels[c])
        }
      }
      state = next
      out.append(state)
    }
    return out
  }

  /// The fully trained limit `f_∞(z) = f_0(z) − Θ_zX Θ_XX⁺ (f_0(X) − Y)` (kernel regression with
  /// the NTK), with `Θ_XX⁺` the spectral pseudo-inverse so that ill-conditioning is cut off, not amplified.
  public static func trained(theta: Matrix, train: [Int], labels: [Double]) -> State {
    let m = theta.rows
    let n = train.count
    var txx = Matrix(rows: n, cols: n, repeating: 0)
    for i in 0..<n { for j in 0..<n { txx[i, j] = theta[train[i], train[j]] } }
    let inv = pseudoInverse(txx)
    var state = State(a: .identity(m), b: [Double](repeating: 0, count: m))
    for z in 0..<m {
      // w = Θ_zX Θ_XX⁺
      var w = [Double](repeating: 0, count: n)
      for j in 0..<n {
        var s = 0.0
        for i in 0..<n { s += theta[z, train[i]] * inv[i, j] }
        w[j] = s
      }
      for j in 0..<n {
        state.a[z, train[j]] -= w[j]
        state.b[z] += w[j] * labels[j]
      }
    }
    return state
  }

  /// The NNGP posterior at `test` given noisy observations `y = f(X) + ε`, `ε ~ N(0, noise)`:
  /// mean `K_xX (K_XX + noise I)⁺ Y`, variance `K_xx − K_xX (K_XX + noise I)⁺ K_Xx`.
  public static func posterior(k: Matrix, train: [Int], labels: [Double], noise: Double, test: [Int])
    -> [(mean: Double, variance: Double)]
  {
    let n = train.count
    var kxx = Matrix(rows: n, cols: n, repeating: 0)
    for i in 0..<n { for j in 0..<n { kxx[i, j] = k[train[i], train[j]] + (i == j ? noise : 0) } }
    let inv = pseudoInverse(kxx)
    // W = (K_XX + noise I)⁺ K_Xt by one matrix product; column z gives the mean Σᵢ wᵢ yᵢ and the
    // explained variance Σᵢ wᵢ K_{xᵢ z}.
    let kXt = k.submatrix(rows: train, cols: test)
    let w = inv * kXt
    let p = test.count
    return test.indices.map { z in
      var mean = 0.0
      var reduction = 0.0
      for j in 0..<n {
        mean += w.elements[j * p + z] * labels[j]
        reduction += w.elements[j * p + z] * kXt.elements[j * p + z]
      }
      return (mean, max(0, k[test[z], test[z]] - reduction))
    }
  }
}
