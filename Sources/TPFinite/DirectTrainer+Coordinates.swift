import Foundation
import TPCore
import TPNetwork
import TPNumerics

/// The coordinate sizes of a finite network during training, for `tp coordcheck`: per step,
/// for every vector of the model body and for the output, the root mean square of its
/// coordinates and of their change since initialization, over the probe inputs.
public struct CoordinateTrace: Sendable, Hashable {
  /// The vectors: the model's ops in forward order (biases left out), then the output (the
  /// model's name).
  public var names: [String] = []
  /// The steps recorded (observations after `t` updates), in order.
  public var steps: [Int] = []
  /// `size[t][v]`: `√(mean over probes and coordinates of x_t²)` of vector `v` after `steps[t]`.
  public var size: [[Double]] = []
  /// `change[t][v]`: `√(mean over probes and coordinates of (x_t − x_0)²)`.
  public var change: [[Double]] = []
  /// Why the run stopped early (training diverged), with the steps before it recorded; nil when
  /// every step was recorded.
  public var failure: String?

  /// An empty trace.
  public init() {}
}

extension DirectTrainer {
  /// Trains the network of `checked` as ``run(_:options:initialPoints:)`` does and records, at
  /// every step, the RMS size of each vector of the model body and of the output at `probes`,
  /// and the RMS change since initialization. A run that diverges returns the steps recorded
  /// before it with ``CoordinateTrace/failure`` set; any other failure is thrown.
  public static func coordinates(_ checked: CheckedUnit, options: FiniteOptions, probes: [[Double]])
    throws(DirectTrainingFailure) -> CoordinateTrace
  {
    var plain = checked
    // Only the trace is wanted: observations would cost passes and could fail on their own.
    plain.network?.observations = []
    var net = try DirectNetwork(checked: plain, options: options, initialPoints: probes)
    net.probes = probes
    net.trace.names = net.traceOps.map { net.graph.displayName($0) } + [net.model.name]
    do {
      _ = try net.train()
    } catch {
      guard case .numerical(let e) = error, net.trace.steps.count >= 1 else { throw error }
      net.trace.failure = e.message
    }
    return net.trace
  }
}

extension DirectNetwork {
  /// The ops a coordinate trace reports: every op of the model body but the biases (which are
  /// weights, not activations).
  var traceOps: [Int] {
    graph.ops.indices.filter {
      if case .bias = graph.ops[$0] { return false }
      return true
    }
  }

  /// Records step `t` of the trace from the passes at the probes (those of step 0 are kept as
  /// the initial values).
  mutating func recordTrace(step t: Int, _ passes: [Pass]) {
    if t == 0 { traceInitial = passes }
    let start = traceInitial
    let ops = traceOps
    var size: [Double] = []
    var change: [Double] = []
    func rms(_ now: [[Double]], _ then: [[Double]]?) -> Double {
      var s = 0.0
      var count = 0
      for (p, v) in now.enumerated() {
        for i in v.indices {
          let d = v[i] - (then?[p][i] ?? 0)
          s += d * d
        }
        count += v.count
      }
      return count == 0 ? 0 : (s / Double(count)).squareRoot()
    }
    for k in ops {
      let now = passes.map { $0.values[k] }
      let then = start.map { $0.values[k] }
      size.append(rms(now, nil))
      change.append(rms(now, then))
    }
    let outputs = passes.map(\.outputs)
    size.append(rms(outputs, nil))
    change.append(rms(outputs, start.map(\.outputs)))
    trace.steps.append(t)
    trace.size.append(size)
    trace.change.append(change)
  }
}
