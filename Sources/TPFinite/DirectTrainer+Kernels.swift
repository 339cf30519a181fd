import Foundation
import TPCore
import TPNetwork
import TPNumerics

/// The empirical NNGP and NTK Gram matrices of one finite network at initialization.
public struct EmpiricalKernels: Sendable, Hashable {
  /// `K̂(p, q) = mean over outputs j of f_j(p) f_j(q)`.
  public var nngp: [[Double]]
  /// `Θ̂(p, q) = mean over outputs j of n^{-c} Σ_l ⟨∂f_j(p)/∂w_l, ∂f_j(q)/∂w_l⟩` over the
  /// trainable weights `w_l` (THEORY §5), so that one SGD step of rate `η` on the mean loss
  /// over a batch `B` moves the outputs by `−(η/|B|) Θ̂ χ` to first order.
  public var ntk: [[Double]]
  /// `E_V[K̂(p, q)]`: the NNGP averaged over the readout weights given the rest (independent
  /// at initialization), `mean_j σ_V² n^{-2(a+b)_V}·(x(p)·x(q))` for the readout's operand `x`.
  /// It has the same expectation over networks as ``nngp`` but fluctuates like `n^{-1/2}`
  /// instead of `O(1)`, and its seed means are close to normal: what `tp check` compares.
  public var readoutAveragedNNGP: [[Double]]
}

extension DirectTrainer {
  /// The empirical kernels at `points` of the network of `checked` at `options.width`, drawn
  /// with `options.seed`, **in the `ntk` parametrization** with the declared variances (what a
  /// `kernel` statement means, docs/language.md), whatever the file's parametrization and
  /// training. The gradients come from the trainer's own backward pass (one per point and
  /// output), not from the lowering.
  public static func kernels(_ checked: CheckedUnit, options: FiniteOptions, points: [[Double]])
    throws(DirectTrainingFailure) -> EmpiricalKernels
  {
    var ntk = checked
    ntk.network?.parametrization = .preset("ntk")
    ntk.network?.training = nil
    ntk.network?.observations = []
    ntk.network?.kernels = []
    let net = try DirectNetwork(checked: ntk, options: options, initialPoints: points)
    return net.kernels(points)
  }
}

extension DirectNetwork {
  /// The gradients of output `j` at one point (``backward(_:chi:xi:into:)`` with `χ = e_j`) and
  /// the readout's operand there.
  struct OutputGradient {
    var grads: Gradients
    var readoutOperand: [Double]
  }

  /// ``EmpiricalKernels`` at `points` with the current weights.
  func kernels(_ points: [[Double]]) -> EmpiricalKernels {
    let k = readoutWeights.count
    let passes = points.map(forward)
    let gradients: [[OutputGradient]] = zip(points, passes).map { p, pass in
      (0..<k).map { j in
        var g = Gradients()
        var chi = [Double](repeating: 0, count: k)
        chi[j] = 1
        backward(pass, chi: chi, xi: p, into: &g)
        return OutputGradient(grads: g, readoutOperand: pass.values[graph.readoutOperand])
      }
    }
    let m = points.count
    var nngp = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
    var theta = nngp
    var averaged = nngp
    let mV = layerMultiplier[graph.readout] ?? 0
    let layerOrder = network.layers.map(\.name)
    let biasOrder = network.biases.map(\.name)
    for a in 0..<m {
      for b in a..<m {
        var kSum = 0.0
        var tSum = 0.0
        for j in 0..<k {
          kSum += passes[a].outputs[j] * passes[b].outputs[j]
          let ga = gradients[a][j]
          let gb = gradients[b][j]
          // Readout row j: ∂f_j/∂V_j = x.
          var t = mV * mV * Self.dot(ga.readoutOperand, gb.readoutOperand)
          // Layers and biases are summed in declaration order (not the dictionaries' order,
          // which is seeded per process), so the kernel is the same bits in every run.
          for w in layerOrder {
            guard let terms = ga.grads.hidden[w] else { continue }
            let other = gb.grads.hidden[w] ?? []
            let mw = layerMultiplier[w] ?? 0
            // ⟨Σ_u dh_u ⊗ x_u, Σ_v dh′_v ⊗ x′_v⟩ = Σ_{u,v} (dh_u·dh′_v)(x_u·x′_v).
            for (dh, x) in terms {
              for (dh2, x2) in other { t += mw * mw * Self.dot(dh, dh2) * Self.dot(x, x2) }
            }
          }
          for u in layerOrder {
            guard let columns = ga.grads.input[u] else { continue }
            let other = gb.grads.input[u] ?? [:]
            let mu = layerMultiplier[u] ?? 0
            for c in columns.keys.sorted() {
              if let column = columns[c], let o = other[c] { t += mu * mu * Self.dot(column, o) }
            }
          }
          for name in biasOrder {
            guard let g = ga.grads.bias[name] else { continue }
            let mb = biasMultiplier[name] ?? 0
            if let g2 = gb.grads.bias[name] { t += mb * mb * Self.dot(g, g2) }
          }
          tSum += learningRateScale * t
        }
        // E[v²] of the trainable readout: the variance the weights were drawn with.
        averaged[a][b] =
          readoutVariance * mV * mV
          * Self.dot(passes[a].values[graph.readoutOperand], passes[b].values[graph.readoutOperand])
        averaged[b][a] = averaged[a][b]
        nngp[a][b] = kSum / Double(max(k, 1))
        nngp[b][a] = nngp[a][b]
        theta[a][b] = tSum / Double(max(k, 1))
        theta[b][a] = theta[a][b]
      }
    }
    return EmpiricalKernels(nngp: nngp, ntk: theta, readoutAveragedNNGP: averaged)
  }
}
