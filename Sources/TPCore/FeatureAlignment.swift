import Foundation

/// `observe alignment x on d`: the kernel–target alignment of a hidden layer's feature kernel
/// with the labels of a data set, at every observed step.
///
/// With `F_ij = mean(x(ξᵢ) x(ξⱼ))` the feature kernel on the `M` inputs of `d` and `Y` the
/// `M × c` label matrix,
///
///     A(F, Y) = tr(YᵀFY) / (‖F‖_F ‖Y‖_F²)
///
/// (Cristianini, Shawe-Taylor, Elisseeff & Kandola, "On kernel–target alignment", NIPS 2001,
/// with `K₂ = YYᵀ`; summed over outputs like `KernelTargetAlignment`). Feature learning
/// moves `F` towards the targets, so `A` rises during training in the μP limit and stays at
/// its initial value in the NTK limit.
///
/// In the limit, the network lowering computes `A` as one scalar of the core program from
/// the `M(M+1)/2` moments `F_ij`, so its error is that of the whole formula: for Monte Carlo
/// the spread of `A` over independent replicates, in which the entries' correlated errors
/// largely cancel (`A` is scale-free). The direct finite-width trainer records the entries
/// `F_ij`, `i ≤ j` (row-major over the upper triangle), as trajectory values of observable
/// ``kernelObservable`` with target `"x on d"`, and ``fold(_:datasets:)`` replaces each
/// step's entries by one value of observable `alignment`.
///
/// **Error of ``alignment(_:errors:labels:)``.** First order in the entries' errors `e_ij`,
/// as a bound (not a root sum of squares, so correlated errors are covered, conservatively):
/// `|δA| ≤ Σ_ij |∂A/∂F_ij| e_ij` with `∂A/∂F_ij = (YYᵀ)_ij/(‖F‖_F ‖Y‖²) − A F_ij/‖F‖_F²`.
/// The `alignment` statement uses it for the NNGP and NTK, whose entries carry errors.
public enum FeatureAlignment {
  /// The observable name of the feature-kernel entries before folding.
  public static let kernelObservable = "alignment-kernel"

  /// The target of the recorded entries: the vector and the data set.
  public static func entryTarget(_ vector: String, data: String) -> String { "\(vector) on \(data)" }

  /// The alignment of the symmetric `M × M` kernel `f` with the labels `labels[i]` (each of
  /// `c` entries), and its first-order error bound from the entries' errors `errors`. Nil when
  /// the kernel or the labels are all zero.
  public static func alignment(_ f: [[Double]], errors: [[Double]], labels: [[Double]]) -> (
    value: Double, error: Double
  )? {
    let m = f.count
    guard m > 0, labels.count == m else { return nil }
    let c = labels[0].count
    var frobenius2 = 0.0
    for row in f { for v in row { frobenius2 += v * v } }
    var norm2 = 0.0
    for y in labels { for v in y { norm2 += v * v } }
    guard frobenius2 > 0, norm2 > 0 else { return nil }
    let frobenius = frobenius2.squareRoot()
    // (YYᵀ)_ij
    func outer(_ i: Int, _ j: Int) -> Double {
      var s = 0.0
      for k in 0..<c { s += labels[i][k] * labels[j][k] }
      return s
    }
    var numerator = 0.0
    for i in 0..<m { for j in 0..<m { numerator += outer(i, j) * f[i][j] } }
    let a = numerator / (frobenius * norm2)
    var bound = 0.0
    for i in 0..<m {
      for j in 0..<m where errors[i][j] > 0 {
        let g = outer(i, j) / (frobenius * norm2) - a * f[i][j] / frobenius2
        bound += abs(g) * errors[i][j]
      }
    }
    return (a, bound)
  }

  /// Replaces the recorded feature-kernel entries of every `observe alignment` by one
  /// alignment value per step (and output row), keeping every other value in place. The
  /// entries' points are the data set's inputs in data order, so the `k`-th entry of a step
  /// is the `k`-th pair `(i, j)`, `i ≤ j`.
  public static func fold(_ trajectory: [TrajectoryValue], datasets: [String: [Example]]) -> [TrajectoryValue]
  {
    struct Group {
      var index: Int
      var vector: String
      var data: String
      var step: Int?
      var entries: [TrajectoryValue] = []
    }
    var out: [TrajectoryValue?] = []
    var groups: [Group] = []
    var open: [String: Int] = [:]  // "target|step" → group
    for t in trajectory {
      guard t.observable == kernelObservable, let target = t.target else {
        out.append(t)
        continue
      }
      let key = "\(target)|\(t.step.map(String.init) ?? "inf")"
      if let g = open[key] {
        groups[g].entries.append(t)
        continue
      }
      let parts = target.components(separatedBy: " on ")
      open[key] = groups.count
      groups.append(
        Group(
          index: out.count, vector: parts.first ?? target, data: parts.count > 1 ? parts[1] : "",
          step: t.step,
          entries: [t]))
      out.append(nil)
    }
    for g in groups {
      let data = datasets[g.data] ?? []
      let m = data.count
      var value = Double.nan
      var error = 0.0
      let method = g.entries.map(\.method).max { rank($0) < rank($1) } ?? .exact
      if m > 0, g.entries.count == m * (m + 1) / 2 {
        var f = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        var e = f
        var k = 0
        for i in 0..<m {
          for j in i..<m {
            f[i][j] = g.entries[k].value
            f[j][i] = f[i][j]
            e[i][j] = g.entries[k].error
            e[j][i] = e[i][j]
            k += 1
          }
        }
        if let a = alignment(f, errors: e, labels: data.map(\.label)) {
          value = a.value
          error = a.error
        }
      }
      out[g.index] = TrajectoryValue(
        observable: "alignment", target: g.vector, points: [], step: g.step, value: value, error: error,
        method: method)
    }
    return out.compactMap { $0 }
  }

  static func rank(_ m: Method) -> Int {
    switch m {
    case .exact: return 0
    case .quadrature: return 1
    case .mc: return 2
    case .finite: return 3
    }
  }
}
