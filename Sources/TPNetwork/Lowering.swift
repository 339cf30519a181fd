import Foundation
import TPCore
import TPSyntax

/// Whether to lower for a finite width (every term kept, with its numeric `n^e` factor) or for
/// the limit (terms with negative width exponents dropped, positive ones an instability).
public enum LoweringMode: Sendable, Hashable {
  case finite(width: Int)
  case limit
}

/// One reported number of a training trajectory and the program scalar that holds it.
public struct TrajectoryPoint: Sendable, Hashable {
  /// `f` (the model's name), `loss`, `movement` or `kernel`.
  public var observable: String
  /// The vector observed by `movement`/`kernel`.
  public var target: String?
  /// One point for `f`/`movement`, two for a kernel entry, none for the loss.
  public var points: [[Double]]
  /// The output index for models with several outputs.
  public var output: Int
  public var step: Int
  public var scalar: ScalarID
}

/// A network program lowered to a core Tensor Program.
public struct LoweredNetwork: Sendable {
  public var program: Program
  public var trajectory: [TrajectoryPoint]
  public var parametrization: ResolvedParametrization
  public var classification: Classification
  /// Update terms dropped in the limit because their width exponent is negative.
  public var dropped: [String]
}

/// Why lowering stopped.
public enum LoweringFailure: Error, Sendable {
  /// The program is malformed for lowering (exit 2).
  case program(LoweringError)
  /// Some quantity grows with the width (exit 3); the message names it and its exponent.
  case unstable(String)
  /// The output at initialization is an `O(1)` Gaussian fluctuation (`f ∝ n^{1−α}·mean`, `α < 1`):
  /// the limit is computed by the kernel engine, not by unrolling.
  case kernelRegime
  /// Unrolling would make more instructions than ``NetworkLowering/maximumInstructions``
  /// (exit 3, like any refused resource); the message gives the estimate.
  case tooLarge(String)
}

/// Lowers `network + SGD` into a core program by unrolling training (THEORY §5).
public enum NetworkLowering {
  /// The most instructions a lowering may make. Every step adds a term to every later pass, so
  /// the count grows like steps²; past this the program alone takes gigabytes.
  public static let maximumInstructions = 5_000_000

  public static func lower(_ checked: CheckedUnit, mode: LoweringMode) throws(LoweringFailure)
    -> LoweredNetwork
  {
    guard let net = checked.network, let model = net.model else {
      throw .program(LoweringError("the file declares no model"))
    }
    return try failures {
      var u = try Unroller(checked: checked, network: net, model: model, mode: mode)
      try u.run()
      return LoweredNetwork(
        program: u.core.program, trajectory: u.trajectory, parametrization: u.parametrization,
        classification: u.classification, dropped: u.dropped)
    }
  }

  /// `body`'s result, with any error it throws as a ``LoweringFailure``.
  static func failures<T>(_ body: () throws -> T) throws(LoweringFailure) -> T {
    do {
      return try body()
    } catch let e as LoweringFailure {
      throw e
    } catch let e as LoweringError {
      throw .program(e)
    } catch {
      throw .program(LoweringError("\(error)"))
    }
  }
}
