import Foundation
import TPLimit
import TPNumerics
import Testing

/// The spectral form of kernel-regime training and the factored NNGP posterior, each against an
/// independent method on small data: the dense step-by-step affine state of
/// `KernelDynamics.trajectory` (no eigendecomposition), and a posterior by Gaussian elimination
/// with partial pivoting written here.
@Suite struct SpectralDynamicsTests {
  /// A PSD `m × m` matrix `A Aᵀ / r + shift·I` from a fixed random `m × r` matrix.
  static func psd(_ m: Int, rank r: Int, shift: Double, stream: UInt64) -> Matrix {
    let z = GaussianFill.gaussians(count: m * r, seed: 0x5eed, stream: stream)
    var out = Matrix(rows: m, cols: m)
    for i in 0..<m {
      for j in 0..<m {
        var s = 0.0
        for p in 0..<r { s += z[i * r + p] * z[j * r + p] }
        out[i, j] = s / Double(r) + (i == j ? shift : 0)
      }
    }
    return out
  }

  /// `x` solving `A x = b` by Gaussian elimination with partial pivoting.
  static func solve(_ a: Matrix, _ b: [Double]) -> [Double] {
    let n = b.count
    var m = (0..<n).map { a.row($0) + [b[$0]] }
    for c in 0..<n {
      let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
      m.swapAt(c, p)
      for r in (c + 1)..<max(c + 1, n) {
        let f = m[r][c] / m[c][c]
        for k in c...n { m[r][k] -= f * m[c][k] }
      }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
      var s = m[r][n]
      for k in (r + 1)..<n { s -= m[r][k] * x[k] }
      x[r] = s / m[r][r]
    }
    return x
  }

  static func close(_ a: Double, _ b: Double, _ rel: Double) -> Bool {
    abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)
  }

  @Test(arguments: [0, 1, 7, 60])
  func spectralTrajectoryMatchesTheDenseState(step: Int) {
    let m = 14
    let train = [0, 2, 3, 5, 6, 8, 9, 11, 12]
    let observed = Array(0..<m)
    let theta = Self.psd(m, rank: 20, shift: 0.05, stream: 1)
    let k = Self.psd(m, rank: 20, shift: 0.02, stream: 2)
    let labels = [train.map { sin(Double($0)) }, train.map { 0.3 * Double($0) - 1 }]
    let lr = 1.3
    let spectral = KernelDynamics.Spectral(theta: theta, k: k, train: train, observed: observed)
    let r = spectral.moments(labels: labels, lr: lr, step: step)
    for (o, y) in labels.enumerated() {
      let dense = KernelDynamics.trajectory(
        theta: theta, train: train, labels: y, lr: lr, steps: step, batch: nil)[step]
      let (mean, variance) = dense.moments(k)
      for z in observed {
        #expect(Self.close(r.means[o][z], mean[z], 1e-10), "mean at \(z), step \(step)")
        #expect(Self.close(r.variance[z], variance[z], 1e-10), "variance at \(z), step \(step)")
      }
      // The expected mean loss from the dense state's moments at the training points.
      var loss = 0.0
      for (c, z) in train.enumerated() { loss += 0.5 * ((mean[z] - y[c]) * (mean[z] - y[c]) + variance[z]) }
      loss /= Double(train.count)
      #expect(Self.close(r.losses[o], loss, 1e-10), "loss, step \(step)")
    }
  }

  @Test func trainedLimitMatchesThePseudoInverseState() {
    let m = 12
    let train = [1, 2, 4, 5, 7, 10]
    let theta = Self.psd(m, rank: 30, shift: 0.1, stream: 3)
    let k = Self.psd(m, rank: 30, shift: 0.1, stream: 4)
    let y = train.map { cos(Double($0)) }
    let spectral = KernelDynamics.Spectral(theta: theta, k: k, train: train, observed: Array(0..<m))
    let r = spectral.moments(labels: [y], lr: 1, step: nil)
    let (mean, variance) = KernelDynamics.trained(theta: theta, train: train, labels: y).moments(k)
    for z in 0..<m {
      #expect(Self.close(r.means[0][z], mean[z], 1e-9))
      #expect(abs(r.variance[z] - variance[z]) <= 1e-10 * max(1, k[z, z]))
    }
    #expect(abs(r.losses[0]) < 1e-12)  // interpolation: the trained limit fits every label
    #expect(spectral.droppedModes == 0)
    let factored = KernelDynamics.factoredTrainedLimit(
      theta: theta, k: k, train: train, observed: Array(0..<m), labels: [y])
    #expect(factored != nil)
    for z in 0..<m {
      #expect(Self.close(factored?.means[0][z] ?? .nan, mean[z], 1e-9))
      #expect(abs((factored?.variance[z] ?? .nan) - variance[z]) <= 1e-10 * max(1, k[z, z]))
    }
  }

  @Test func factoredPosteriorMatchesADirectSolve() {
    let m = 16
    let train = Array(0..<11)
    let test = Array(11..<m)
    let k = Self.psd(m, rank: 25, shift: 0, stream: 5)
    let y = train.map { sin(0.7 * Double($0)) }
    let noise = 0.01
    var a = k.submatrix(rows: train, cols: train)
    for i in train.indices { a[i, i] += noise }
    let r = KernelDynamics.factoredPosterior(k: k, train: train, labels: y, noise: noise, test: test)
    #expect(r.diagnostic == nil)
    let alpha = Self.solve(a, y)
    for (i, z) in test.enumerated() {
      let kx = train.map { k[$0, z] }
      let mean = zip(kx, alpha).reduce(0) { $0 + $1.0 * $1.1 }
      let v = Self.solve(a, kx)
      let variance = k[z, z] - zip(kx, v).reduce(0) { $0 + $1.0 * $1.1 }
      #expect(Self.close(r.values[i].mean, mean, 1e-11))
      #expect(Self.close(r.values[i].variance, variance, 1e-10))
    }
  }

  @Test func singularGramFallsBackWithADiagnostic() {
    // Points 0 and 1 coincide: K_XX is singular with noise 0.
    var k = Self.psd(8, rank: 12, shift: 0, stream: 6)
    for j in 0..<8 {
      k[1, j] = k[0, j]
      k[j, 1] = k[j, 0]
    }
    k[1, 1] = k[0, 0]
    let train = [0, 1, 2, 3, 4]
    let y = [1.0, 1.0, -0.5, 0.2, 0.7]
    let r = KernelDynamics.factoredPosterior(k: k, train: train, labels: y, noise: 0, test: [5, 6, 7])
    #expect(r.diagnostic?.contains("noise:") == true, "\(r.diagnostic ?? "no diagnostic")")
    let pinv = KernelDynamics.posterior(k: k, train: train, labels: y, noise: 0, test: [5, 6, 7])
    for (a, b) in zip(r.values, pinv) {
      #expect(a.mean == b.mean && a.variance == b.variance)
    }
    let fixed = KernelDynamics.factoredPosterior(k: k, train: train, labels: y, noise: 1e-3, test: [5])
    #expect(fixed.diagnostic == nil)
  }
}
