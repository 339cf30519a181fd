import Foundation
import Testing

@testable import TPNumerics

/// The four-lane block forms equal the scalar closed forms bit for bit (the scalar forms are
/// checked against quadrature in GaussianIntegralsTests), on random covariances and the edge
/// cases: zero and negative variances, `|k12|` above `√(k11 k22)`, `ρ = ±1`, and variances
/// whose product over- or underflows; with strides 0 and 1 and counts that leave a tail.
@Suite struct GaussianIntegralBlockTests {
  static func triples() -> (a: [Double], b: [Double], c: [Double]) {
    var g = SplitMix64(seed: 7)
    func uniform() -> Double { Double(g.next() >> 11) / Double(1 << 53) }
    var a: [Double] = []
    var b: [Double] = []
    var c: [Double] = []
    for _ in 0..<997 {
      let x = 3 * uniform()
      let y = 3 * uniform()
      a.append(x)
      b.append(y)
      c.append((2 * uniform() - 1) * (x * y).squareRoot())
    }
    let edges: [(Double, Double, Double)] = [
      (0, 1, 0), (1, 0, 0.5), (-1e-17, 2, 0), (2, 2, 2), (2, 2, -2), (0.7, 0.7, 0.7), (1, 4, 2.000001),
      (1, 4, -3), (1e300, 1e300, 1e300), (1e-300, 1e-300, 1e-300), (1e-200, 1e200, 0.5), (0, 0, 0),
      (3, 5, (15.0).squareRoot()),
    ]
    for (x, y, z) in edges {
      a.append(x)
      b.append(y)
      c.append(z)
    }
    return (a, b, c)
  }

  static func block(
    _ a: [Double], _ b: [Double], _ c: [Double], stride: Int,
    _ run: (
      Int, GaussianIntegrals.Strided,
      GaussianIntegrals.Strided, GaussianIntegrals.Strided
    ) -> Void
  ) {
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeBufferPointer { pc in
          run(
            stride == 0 ? pb.count : a.count, .init(pa.baseAddress!, stride: stride),
            .init(pc.baseAddress!, stride: 1), .init(pb.baseAddress!, stride: 1))
        }
      }
    }
  }

  @Test(arguments: [0, 1])
  func blocksEqualTheScalarForms(stride: Int) {
    let (a, b, c) = Self.triples()
    let n = a.count
    var relu = [Double](repeating: .nan, count: n)
    var step = [Double](repeating: .nan, count: n)
    var stepAlone = [Double](repeating: .nan, count: n)
    var erf = [Double](repeating: .nan, count: n)
    var gauss = [Double](repeating: .nan, count: n)
    Self.block(a, b, c, stride: stride) { count, k11, k12, k22 in
      relu.withUnsafeMutableBufferPointer { r in
        step.withUnsafeMutableBufferPointer { s in
          GaussianIntegrals.evaluateArcCosine(
            count: count, k11: k11, k12: k12, k22: k22, relu: .init(scale: 1.5, out: r.baseAddress!),
            step: .init(scale: -0.25, out: s.baseAddress!))
        }
      }
      stepAlone.withUnsafeMutableBufferPointer { s in
        GaussianIntegrals.evaluateArcCosine(
          count: count, k11: k11, k12: k12, k22: k22, relu: nil, step: .init(scale: 1, out: s.baseAddress!))
      }
      erf.withUnsafeMutableBufferPointer { e in
        GaussianIntegrals.evaluateErf(
          count: count, k11: k11, k12: k12, k22: k22, into: .init(scale: 2, out: e.baseAddress!))
      }
      gauss.withUnsafeMutableBufferPointer { e in
        GaussianIntegrals.evaluateGaussianGaussian(
          count: count, k11: k11, k12: k12, k22: k22, into: .init(scale: 1, out: e.baseAddress!))
      }
    }
    for i in 0..<n {
      let x = stride == 0 ? a[0] : a[i]
      #expect(relu[i].bitPattern == (1.5 * GaussianIntegrals.reluRelu(x, c[i], b[i])).bitPattern, "relu \(i)")
      #expect(
        step[i].bitPattern == (-0.25 * GaussianIntegrals.stepStep(x, c[i], b[i])).bitPattern, "step \(i)")
      #expect(
        stepAlone[i].bitPattern == GaussianIntegrals.stepStep(x, c[i], b[i]).bitPattern, "step alone \(i)")
      #expect(erf[i].bitPattern == (2 * GaussianIntegrals.erfErf(x, c[i], b[i])).bitPattern, "erf \(i)")
      #expect(
        gauss[i].bitPattern == GaussianIntegrals.gaussianGaussian(x, c[i], b[i]).bitPattern, "gauss \(i)")
      #expect(relu[i].isFinite && step[i].isFinite && erf[i].isFinite && gauss[i].isFinite)
    }
  }

  /// Equal variances and covariance (a kernel's diagonal) give `ρ = 1` exactly: `E[step step]`
  /// is ½ and `E[relu relu]` is `k/2`, to the last bit, for variances across the range.
  @Test func diagonalIsExact() {
    var g = SplitMix64(seed: 3)
    for _ in 0..<10_000 {
      let k = Double(g.next() >> 11) / Double(1 << 53) * 10 + 1e-3
      #expect(GaussianIntegrals.stepStep(k, k, k) == 0.5, "\(k)")
      #expect(abs(GaussianIntegrals.reluRelu(k, k, k) - k / 2) <= 2 * (k / 2).ulp, "\(k)")
    }
  }
}
