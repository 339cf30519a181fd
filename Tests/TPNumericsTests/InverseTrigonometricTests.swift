import Foundation
import Testing

@testable import TPNumerics

@Suite struct InverseTrigonometricTests {
  /// The error in units in the last place of the C library's correctly rounded (≤ 1 ulp) value.
  static func ulps(_ actual: Double, _ reference: Double) -> Double {
    abs(actual - reference) / max(reference.magnitude.ulp, Double.leastNormalMagnitude)
  }

  /// Arguments: a dense uniform grid of [−1, 1], the reduction boundary ±½ and its neighbours,
  /// the endpoints ±1 approached ulp by ulp and geometrically, and tiny arguments.
  static var arguments: [Double] {
    var xs: [Double] = (0...200_000).map { -1 + 2 * Double($0) / 200_000 }
    var x = 0.5
    var y = 0.5
    for _ in 0..<64 {
      xs += [x, -x, y, -y]
      x = x.nextUp
      y = y.nextDown
    }
    var one = 1.0
    for _ in 0..<64 {
      xs += [one, -one]
      one = one.nextDown
    }
    for k in 1...52 { xs += [1 - pow(2, -Double(k)), -1 + pow(2, -Double(k))] }
    for k in 1...300 { xs += [pow(10, -Double(k)), -pow(10, -Double(k))] }
    xs += [0, -0.0, Double.leastNonzeroMagnitude]
    return xs
  }

  static let functions:
    [(name: String, fast: @Sendable (Double) -> Double, library: @Sendable (Double) -> Double)] = [
      ("acos", { InverseTrigonometric.acos($0) }, { Foundation.acos($0) }),
      ("asin", { InverseTrigonometric.asin($0) }, { Foundation.asin($0) }),
    ]

  @Test(arguments: [0, 1])
  func withinTwoUlpsOfTheCLibrary(_ k: Int) {
    let f = Self.functions[k]
    var worst = 0.0
    var at = 0.0
    for x in Self.arguments {
      let e = Self.ulps(f.fast(x), f.library(x))
      if e > worst { (worst, at) = (e, x) }
    }
    #expect(worst <= 2, "\(f.name): largest error \(worst) ulp at x = \(at)")
  }

  /// Exact values at the special points, clamping outside [−1, 1], and NaN in, NaN out.
  @Test func specialValues() {
    #expect(InverseTrigonometric.acos(1) == 0)
    #expect(InverseTrigonometric.acos(-1) == Double.pi)
    #expect(InverseTrigonometric.acos(0) == Double.pi / 2)
    #expect(InverseTrigonometric.asin(1) == Double.pi / 2)
    #expect(InverseTrigonometric.asin(-1) == -Double.pi / 2)
    #expect(InverseTrigonometric.asin(0) == 0)
    #expect(InverseTrigonometric.acos(1.5) == 0 && InverseTrigonometric.acos(-7) == Double.pi)
    #expect(InverseTrigonometric.asin(2) == Double.pi / 2)
    #expect(InverseTrigonometric.acos(.nan).isNaN && InverseTrigonometric.asin(.nan).isNaN)
  }
}
