/// Why a kernel-analysis computation (alignment, eigenstructure, eigenlearning, kernel ridge
/// regression, Hermite analysis, kernel fits, reverse engineering) refused its input or
/// failed.
///
/// Every routine of the kernel-science layer validates its input and throws one of these
/// instead of trapping or returning NaN, so that a report layer can turn it into a
/// diagnostic. `description` is a complete sentence for that diagnostic.
public enum KernelAnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The data set (kernel matrix, target, eigenvalue list, grid …) has no entries.
  case emptyData(what: String)
  /// A kernel matrix that must be square is `rows × cols`.
  case notSquare(rows: Int, cols: Int)
  /// Two inputs that must have the same length do not (`expected` and `actual` counts).
  case sizeMismatch(what: String, expected: Int, actual: Int)
  /// A NaN or infinite number in the input, or produced by a user function.
  case nonFinite(what: String)
  /// `|K_ij − K_ji|` exceeds the tolerance (relative to `max |K|`) at `(row, column)`.
  case notSymmetric(row: Int, column: Int, difference: Double)
  /// The kernel matrix is identically zero, so `‖K‖_F = 0` and nothing is defined.
  case zeroKernel
  /// The target is identically zero (after centring, if requested).
  case zeroTarget
  /// An eigenvalue is negative beyond rounding: `eigenvalue < −tolerance · largest`.
  case notPositiveSemidefinite(eigenvalue: Double, largest: Double)
  /// A scalar parameter is outside its domain; `requirement` says what is allowed.
  case invalidParameter(name: String, value: Double, requirement: String)
  /// Ridge `δ = 0` with `n ≥ r` samples, `r` the number of nonzero eigenvalues: the
  /// eigenlearning equation `Σ λᵢ/(λᵢ+κ) = n` has no root `κ > 0` (its left side is below
  /// `r ≤ n` for every `κ > 0`); the limit `κ → 0` is interpolation of every mode.
  case interpolationThreshold(samples: Int, rank: Int)
  /// An iteration did not converge within its budget.
  case noConvergence(what: String)
  /// The training kernel `K(X, X) + δI` of one draw is not positive definite in floating
  /// point (duplicate points with `δ = 0`, or `κ(K) ≈ 1/ε`).
  case singularTrainingKernel(draw: Int, detail: CholeskyError)
  /// No degree up to `degree` reached the requested accuracy; `achieved` is the best
  /// relative error found (at that degree).
  case toleranceNotReached(achieved: Double, tolerance: Double, degree: Int)
  /// A kernel coefficient that must be non-negative (a PSD dot-product kernel's power-series
  /// coefficient, Schoenberg 1942) is negative.
  case negativeCoefficient(index: Int, value: Double)

  public var description: String {
    switch self {
    case .emptyData(let what):
      return "\(what) is empty"
    case .notSquare(let rows, let cols):
      return "kernel matrix must be square, but it is \(rows) × \(cols)"
    case .sizeMismatch(let what, let expected, let actual):
      return "\(what): expected \(expected) entries, got \(actual)"
    case .nonFinite(let what):
      return "\(what) is not finite (NaN or infinite)"
    case .notSymmetric(let row, let column, let difference):
      return
        "kernel matrix is not symmetric: entries (\(row), \(column)) and (\(column), \(row)) differ by \(difference)"
    case .zeroKernel:
      return "kernel matrix is zero, so its alignment and spectrum are undefined"
    case .zeroTarget:
      return "target is zero (after centring, if requested), so its alignment and power are undefined"
    case .notPositiveSemidefinite(let eigenvalue, let largest):
      return
        "kernel is not positive semidefinite: eigenvalue \(eigenvalue) is negative beyond rounding "
        + "(largest eigenvalue \(largest))"
    case .invalidParameter(let name, let value, let requirement):
      return "\(name) = \(value) is invalid: \(requirement)"
    case .interpolationThreshold(let samples, let rank):
      return
        "with ridge 0 and \(samples) samples ≥ rank \(rank) of the kernel, the effective regularisation κ "
        + "is 0 (every nonzero mode is interpolated) and the eigenlearning estimate is singular; use a "
        + "positive ridge or fewer samples"
    case .noConvergence(let what):
      return "\(what) did not converge"
    case .singularTrainingKernel(let draw, let detail):
      return "training kernel of draw \(draw) is singular: \(detail)"
    case .toleranceNotReached(let achieved, let tolerance, let degree):
      return
        "no degree up to \(degree) reaches relative error \(tolerance); the best is \(achieved) — "
        + "the kernel may not be smooth on the requested range of ρ"
    case .negativeCoefficient(let index, let value):
      return
        "kernel coefficient b_\(index) = \(value) is negative; a positive-semidefinite dot-product kernel "
        + "has non-negative coefficients"
    }
  }
}

/// Input checks shared by the kernel-analysis routines.
enum KernelValidation {
  /// Throws unless `kernel` is non-empty, square, finite and symmetric to
  /// `symmetryTolerance · max |K|`.
  static func checkKernel(_ kernel: Matrix, symmetryTolerance: Double) throws(KernelAnalysisError) {
    guard kernel.rows > 0, kernel.cols > 0 else { throw .emptyData(what: "kernel matrix") }
    guard kernel.rows == kernel.cols else { throw .notSquare(rows: kernel.rows, cols: kernel.cols) }
    guard symmetryTolerance >= 0, symmetryTolerance.isFinite else {
      throw .invalidParameter(
        name: "symmetryTolerance", value: symmetryTolerance, requirement: "must be finite and ≥ 0")
    }
    let n = kernel.rows
    for (index, value) in kernel.elements.enumerated() where !value.isFinite {
      throw .nonFinite(what: "kernel entry (\(index / n), \(index % n))")
    }
    let bound = symmetryTolerance * kernel.maxAbsoluteEntry
    for i in 0..<n {
      for j in 0..<i {
        let difference = abs(kernel.elements[i * n + j] - kernel.elements[j * n + i])
        if difference > bound { throw .notSymmetric(row: i, column: j, difference: difference) }
      }
    }
  }

  /// Throws unless every entry of `values` is finite.
  static func checkFinite(_ values: [Double], what: String) throws(KernelAnalysisError) {
    for (index, value) in values.enumerated() where !value.isFinite {
      throw .nonFinite(what: "\(what) entry \(index)")
    }
  }
}

/// Summation with Neumaier's compensation (Higham, "Accuracy and Stability of Numerical
/// Algorithms", §4.3): the error is `≤ 2ε·Σ|xᵢ| + O(nε²)·Σ|xᵢ|`, independent of the number
/// of terms to first order, which keeps the eigenlearning sums exact to a few ulps.
struct CompensatedSum {
  private(set) var sum = 0.0
  private var compensation = 0.0

  mutating func add(_ x: Double) {
    let t = sum + x
    if abs(sum) >= abs(x) {
      compensation += (sum - t) + x
    } else {
      compensation += (x - t) + sum
    }
    sum = t
  }

  var value: Double { sum + compensation }
}
