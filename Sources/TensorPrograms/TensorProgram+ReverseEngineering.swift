import Foundation
import TPCore
import TPNumerics

/// `reverse f to "FILE" (kernel: ntk, accuracy: ε, degree: D, rho_max: r)`: an activation
/// whose one-hidden-layer kernel is the model's, written as a runnable program and verified
/// by computing that program's kernel (Simon, Anand & DeWeese, "Reverse Engineering the
/// Neural Tangent Kernel", ICML 2022).
///
/// Steps, all on unit vectors `x(θ) = (cos θ, sin θ, 0, …)` of the model's input space:
///
/// 1. the target `κ(ρ)`, `ρ = cos θ`, is row 0 of the model's Gram matrix at
///    ``fitAngles`` angles `θⱼ = πj/(P−1)` (so the `ρⱼ` are Chebyshev–Lobatto points), and the
///    diagonal is checked to be constant (a dot-product kernel on the sphere);
/// 2. its power series `Σ bₖ ρᵏ` (`bₖ ≥ 0`, Schoenberg) is fitted on the `ρⱼ ≤ r` and `ρ = 1`
///    by ``DotProductKernelFit`` — at the given degree, or the lowest reaching `ε` relative
///    to `max|κ|` — and turned into `aₖ = √bₖ` (NNGP) or `√(bₖ/(k+1))` (NTK) by
///    ``ReverseEngineeredActivation`` (the induced-kernel series of `hermite`);
/// 3. the program of a one-hidden-layer network with `def phi` (pre-activation variance 1:
///    input variance `d`, readout variance 1, no bias, `ntk` parametrization) is rendered,
///    parsed and its kernel computed by `tp` at ``checkAngles`` angles spread over
///    `[arccos r, π]` and at `θ = 0`, next to the target's at the same points: the largest
///    difference relative to the target's scale is the verified error, with the entries'
///    errors as its uncertainty.
extension NetworkLimit {
  /// Fit points: `P = 201` angles, so that the Gram matrix is 201 × 201.
  static let fitAngles = 201
  /// Verification points (besides `θ = 0`).
  static let checkAngles = 32
  /// Columns of the generated program's `kernel … on anchor, sphere` (besides `θ = 0`).
  static let programAngles = 16
  /// The largest degree the search tries.
  static let maximumReverseDegree = 40

  func reverseEngineer(_ r: ReverseRequest) throws(RunFailure) -> ReverseValue {
    guard let model = network.model else { throw .program("the file declares no model") }
    let d = model.inputDimension
    func point(_ theta: Double) -> [Double] {
      var x = [Double](repeating: 0, count: d)
      x[0] = cos(theta)
      x[1] = sin(theta)
      return x
    }
    func row(_ v: KernelValues) -> (values: [Double], errors: [Double], diagonal: [Double]) {
      let m = r.kernel == .ntk ? v.theta : v.k
      let e = r.kernel == .ntk ? v.thetaErrors : v.kErrors
      return (
        (0..<m.cols).map { m[0, $0] }, (0..<m.cols).map { e?[0, $0] ?? 0 }, (0..<m.rows).map { m[$0, $0] }
      )
    }
    // 1. The target on the fit grid.
    let angles = (0..<Self.fitAngles).map { Double.pi * Double($0) / Double(Self.fitAngles - 1) }
    let target = row(try kernels(angles.map(point)))
    let scale = target.values.reduce(0) { max($0, abs($1)) }
    let diagonalSpread = target.diagonal.reduce(0) { max($0, abs($1 - target.diagonal[0])) }
    let entryError = target.errors.reduce(0, max)
    guard diagonalSpread <= 1e-9 * scale + 4 * entryError else {
      throw failure(
        .invalidParameter(
          name: "kernel", value: diagonalSpread,
          requirement:
            "must be a dot-product kernel on the sphere (K(x, x) varies by this much between unit inputs)"),
        r.range)
    }
    var table: [Double: Double] = [:]
    var fitPoints: [Double] = []
    for (theta, value) in zip(angles, target.values) {
      let rho = min(1, max(-1, cos(theta)))
      guard rho <= r.rhoMax || theta == 0, table[rho] == nil else { continue }
      table[rho] = value
      fitPoints.append(rho)
    }
    // 2. The power series and the activation.
    let kind: ReverseEngineeredActivation.Target = r.kernel == .ntk ? .ntk : .nngp
    let design: ReverseEngineeredActivation
    let coefficientErrors: [Double]
    do {
      let kernel: (Double) -> Double = { table[$0] ?? .nan }
      let fit: DotProductKernelFit
      if let degree = r.degree {
        fit = try DotProductKernelFit(kernel: kernel, degree: degree, nonnegative: true, points: fitPoints)
      } else {
        fit = try DotProductKernelFit.lowestDegree(
          kernel: kernel, tolerance: r.accuracy,
          maxDegree: min(Self.maximumReverseDegree, fitPoints.count - 1),
          nonnegative: true, points: fitPoints)
      }
      design = try ReverseEngineeredActivation(fit: fit, target: kind)
      coefficientErrors = fit.errors
    } catch {
      var hint = ""
      if case .toleranceNotReached = error {
        hint =
          r.rhoMax >= 1
          ? "; a kernel with a kink at ρ = 1 (every ReLU network's) needs a very high degree there: fit ρ ≤ r only, e.g. 'rho_max: 0.9', or ask for less accuracy"
          : "; lower 'rho_max' or ask for less accuracy"
      }
      throw failure(error, r.range, hint: hint)
    }
    // 3. The program, and its kernel computed by tp.
    let low = acos(max(-1, min(1, r.rhoMax)))
    func spread(_ count: Int) -> [Double] {
      [0] + (0..<count).map { low + (Double.pi - low) * Double($0) / Double(count - 1) }
    }
    let programPoints = spread(Self.programAngles).map(point)
    let programValues = row(try kernels(programPoints)).values
    let definition: String
    do {
      definition = try design.tpDefinition(name: "phi", variable: "z")
    } catch {
      throw failure(error, r.range)
    }
    let source = ReverseProgram(
      definition: definition, design: design, request: r, programName: program.unit.file.name,
      inputDimension: d, fitPoints: fitPoints.count, anchor: programPoints[0],
      sphere: Array(zip(programPoints, programValues))
    ).text
    let checkPoints = spread(Self.checkAngles).map(point)
    let expected = row(try kernels(checkPoints))
    let shallow: TensorProgram
    do {
      shallow = try TensorProgram(source: source, fileName: r.shownOutput ?? "<reverse>")
    } catch {
      throw .numerical("the generated program does not check (a bug in tp): \(error.render())")
    }
    let realised = row(try NetworkLimit.kernelsOf(shallow, at: checkPoints, options: options))
    let checkScale = expected.values.reduce(0) { max($0, abs($1)) }
    var worst = 0.0
    var worstIndex = 0
    var uncertainty = 0.0
    for j in expected.values.indices {
      let gap = abs(realised.values[j] - expected.values[j])
      if gap > worst {
        worst = gap
        worstIndex = j
      }
      uncertainty = max(uncertainty, realised.errors[j] + expected.errors[j])
    }
    if let path = r.output {
      do {
        try source.write(toFile: path, atomically: true, encoding: .utf8)
      } catch {
        throw .program(
          NumericalError(
            "cannot write '\(r.shownOutput ?? path)': \(error.localizedDescription)", at: r.range,
            in: program.unit.file
          ).rendered(in: program.unit.file))
      }
    }
    let rel = { (x: Double) in checkScale > 0 ? x / checkScale : 0 }
    return ReverseValue(
      model: r.model, kernel: r.kernel.rawValue, hermiteCoefficients: design.hermiteCoefficients,
      kernelCoefficients: design.kernelCoefficients, kernelCoefficientErrors: coefficientErrors,
      fitError: design.relativeError, fitPoints: fitPoints.count, scale: design.scale, accuracy: r.accuracy,
      rhoMax: r.rhoMax, verifiedError: rel(worst), verifiedErrorUncertainty: rel(uncertainty),
      verifiedPoints: checkPoints.count, worstRho: cos(spread(Self.checkAngles)[worstIndex]),
      definition: definition, output: r.shownOutput,
      method: expected.errors.contains { $0 > 0 } ? .quadrature : .exact)
  }

  /// The kernels of another program (the generated one) with these options.
  static func kernelsOf(_ p: TensorProgram, at points: [[Double]], options: LimitOptions) throws(RunFailure)
    -> KernelValues
  {
    guard let net = p.network else { throw .program("the generated program declares no network") }
    return try NetworkLimit(program: p, network: net, options: options).kernels(points)
  }
}

/// The text of the program `reverse` writes: the activation, the one-hidden-layer network
/// and its kernel between `x(0)` and points `x(θ)`, whose labels are the target's values.
struct ReverseProgram {
  var definition: String
  var design: ReverseEngineeredActivation
  var request: ReverseRequest
  var programName: String
  var inputDimension: Int
  var fitPoints: Int
  var anchor: [Double]
  var sphere: [([Double], Double)]

  static func number(_ x: Double) -> String { String(format: "%.17g", x) }
  static func short(_ x: Double) -> String { String(format: "%.3g", x) }

  var text: String {
    let r = request
    let kernel = r.kernel.rawValue.uppercased()
    let range = r.rhoMax >= 1 ? "[-1, 1]" : "[-1, \(Self.short(r.rhoMax))] and ρ = 1"
    let name = (programName as NSString).lastPathComponent
    func vector(_ x: [Double]) -> String { "[" + x.map(Self.number).joined(separator: ", ") + "]" }
    var lines = [
      "# Written by `tp run \(name)` ('reverse \(r.model)'): a one-hidden-layer network whose \(kernel)",
      "# on the unit sphere of R^\(inputDimension) is that of model '\(r.model)' (Simon, Anand & DeWeese 2022).",
      "# Power series fitted on \(fitPoints) values of ρ in \(range): max error \(Self.short(design.relativeError))",
      "# of the kernel's scale \(Self.short(design.scale)) (asked: \(Self.short(r.accuracy))).",
      "# phi(z) = Σₖ aₖ hₖ(z), hₖ = Heₖ/√k!, degree \(design.degree); a =",
      "#   " + design.hermiteCoefficients.map(Self.short).joined(separator: ", "),
      definition,
      "",
      "width n",
      "layer U : \(inputDimension) -> n  (var: \(inputDimension))   # unit pre-activation variance on the sphere",
      "layer V : n -> 1",
      "model shallow(xi) {",
      "  h = U @ xi",
      "  x = phi(h)",
      "  return V @ x",
      "}",
      "parametrization ntk",
      "",
      "# x(θ) = (cos θ, sin θ, 0, …); each label is the target \(kernel) between x(0) and the point.",
      "data anchor = [ \(vector(anchor)) -> \(Self.number(sphere.first?.1 ?? 0)) ]",
      "data sphere = [",
    ]
    for (k, (x, value)) in sphere.enumerated() {
      lines.append("  \(vector(x)) -> \(Self.number(value))" + (k + 1 < sphere.count ? "," : ""))
    }
    lines += ["]", "kernel shallow on anchor, sphere", ""]
    return lines.joined(separator: "\n")
  }
}
