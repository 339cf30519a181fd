import Foundation
import TPLimit
import TPNumerics

/// The kernel-analysis statements in the limit run (LANGUAGE.md, "Kernel analysis").
///
/// Every statement on a data set uses the NNGP `K` and NTK `Θ` Gram matrices on the data
/// set's inputs, computed once per data set by the same kernel program as `kernel f at …`
/// (``NetworkLimit/kernels(_:)``), with each entry's estimated error. The numbers derived
/// from them carry the error those entries induce:
///
/// - alignment: the first-order bound `Σ_ij |∂A/∂K_ij| e_ij` (``FeatureAlignment``);
/// - eigenvalues, target coefficients and eigenlearning estimates: randomized first-order
///   propagation (``NetworkLimit/KernelValues/propagatedErrors(draws:base:_:)``: RMS change over 8
///   perturbed kernels `K + δK`, `δK_ij = e_ij z_ij`), eigenvectors sign-matched to the
///   unperturbed ones.
///
/// All of them are 0 when every kernel entry is exact (closed-form relu/erf kernels), up to
/// rounding, which is far below anything reported.
extension NetworkLimit {
  /// The kernels on data set `name`'s inputs, computed once per data set.
  struct DataKernels {
    var values: KernelValues
    var labels: Matrix
    var target: [Double]

    func matrix(_ kind: KernelChoice, _ v: KernelValues? = nil) -> Matrix {
      let v = v ?? values
      return kind == .ntk ? v.theta : v.k
    }

    /// The entries' errors of kernel `kind` (zeros when exact).
    func errors(_ kind: KernelChoice) -> Matrix {
      let m = matrix(kind)
      return (kind == .ntk ? values.thetaErrors : values.kErrors) ?? Matrix(rows: m.rows, cols: m.cols)
    }

    var exact: Bool { values.isExact }
  }

  func kernelAnalyses(_ report: inout RunReport) throws(RunFailure) {
    var cache: [String: DataKernels] = [:]
    func dataKernels(_ name: String) throws(RunFailure) -> DataKernels {
      if let c = cache[name] { return c }
      guard let data = network.datasets[name], !data.isEmpty else {
        throw .program("unknown data set '\(name)'")
      }
      let values = try kernels(data.map(\.input))
      let outputs = data[0].label.count
      let labels = Matrix(
        rows: data.count, cols: outputs, elements: data.flatMap { ex in (0..<outputs).map { ex.label[$0] } })
      let d = DataKernels(values: values, labels: labels, target: data.map { $0.label.first ?? 0 })
      cache[name] = d
      return d
    }
    for request in network.analyses {
      switch request {
      case .alignment(_, let data, let range):
        let d = try dataKernels(data)
        for kind in [KernelChoice.nngp, .ntk] {
          let k = d.matrix(kind)
          let a: KernelTargetAlignment
          do {
            a = try KernelTargetAlignment(kernel: k, targets: d.labels)
          } catch {
            throw failure(error, range)
          }
          var bound = 0.0
          if !d.exact {
            let rows = (0..<k.rows).map { k.row($0) }
            let e = d.errors(kind)
            let errs = (0..<e.rows).map { e.row($0) }
            let labels = (0..<d.labels.rows).map { d.labels.row($0) }
            bound = FeatureAlignment.alignment(rows, errors: errs, labels: labels)?.error ?? 0
            bound += a.roundingError
          }
          report.alignments.append(
            AlignmentValue(
              kernel: kind.rawValue, data: data, value: a.value, error: bound, method: d.values.method))
        }
      case .eigen(_, let data, let top, let range):
        let d = try dataKernels(data)
        for kind in [KernelChoice.nngp, .ntk] {
          report.eigen.append(try eigen(d, kind, data: data, top: top, range))
        }
      case .eigenlearning(let e):
        let d = try dataKernels(e.data)
        try eigenlearning(d, e, &report)
      case .hermite(let function, let degree, let range):
        report.hermite.append(try hermite(function, degree: degree, range))
      case .reverse(let r):
        let v = try reverseEngineer(r)
        // The fit's error is measured on its own points; the check points lie between them.
        if v.verifiedError > v.accuracy + v.verifiedErrorUncertainty {
          report.notes.append(
            "reverse \(v.model): the generated network's \(v.kernel) is off by \(TextReportNumber.format(v.verifiedError)) of the kernel's scale at ρ = \(TextReportNumber.format(v.worstRho)), more than the accuracy \(TextReportNumber.format(v.accuracy)) asked for; give a smaller 'accuracy' or a higher 'degree'"
          )
        }
        report.reverse.append(v)
      }
    }
  }

  /// A kernel-analysis error as a located numerical failure (exit 3).
  func failure(_ error: KernelAnalysisError, _ range: SourceRange, hint: String = "") -> RunFailure {
    .numerical(
      NumericalError(error.description + hint, at: range, in: program.unit.file).rendered(
        in: program.unit.file))
  }

  func eigen(_ d: DataKernels, _ kind: KernelChoice, data: String, top: Int?, _ range: SourceRange)
    throws(RunFailure) -> EigenValues
  {
    let base: KernelEigenstructure
    let decomposition: TargetDecomposition
    do {
      base = try KernelEigenstructure(kernel: d.matrix(kind), top: top)
      decomposition = try base.decompose(d.target)
    } catch {
      throw failure(error, range)
    }
    let count = base.modeCount
    // Eigenvectors of the perturbed kernel are matched in sign to the unperturbed ones, so the
    // changes measured are the coefficients' and not the sign convention's.
    let (valueErrors, coefficientErrors) = d.values.propagatedErrors(draws: 8) {
      (v: KernelValues) -> [(Double, Double)] in
      guard let s = try? KernelEigenstructure(kernel: d.matrix(kind, v), top: top),
        let c = try? s.targetCoefficients(d.target), s.modeCount == count
      else {
        return zip(base.eigenvalues, decomposition.coefficients).map { ($0, $1) }
      }
      return (0..<count).map { i in
        var dot = 0.0
        for r in 0..<base.populationSize {
          dot += s.eigenvectors[r, i] * base.eigenvectors[r, i]
        }
        return (s.eigenvalues[i], dot < 0 ? -c[i] : c[i])
      }
    }
    return EigenValues(
      kernel: kind.rawValue, data: data, points: base.populationSize, eigenvalues: base.eigenvalues,
      eigenvalueErrors: valueErrors, targetCoefficients: decomposition.coefficients,
      targetCoefficientErrors: coefficientErrors, cumulativePower: decomposition.cumulativePower,
      trace: base.trace, method: d.values.method)
  }

  func eigenlearning(_ d: DataKernels, _ e: EigenlearningRequest, _ report: inout RunReport)
    throws(RunFailure)
  {
    let kernel = d.matrix(e.kernel)
    func problem(_ k: Matrix) throws(KernelAnalysisError) -> EigenlearningProblem {
      try EigenlearningProblem(kernel: k, target: d.target)
    }
    let base: EigenlearningProblem
    do {
      base = try problem(kernel)
    } catch {
      throw failure(error, e.range)
    }
    for n in e.samples {
      let p: EigenlearningPrediction
      do {
        p = try base.predict(samples: n, ridge: e.ridge, noise: e.noise)
      } catch {
        // The message says what to do (a positive ridge or fewer samples).
        throw failure(error, e.range)
      }
      // Perturbed kernels: κ, test MSE, train MSE, target learnability, then each Lᵢ.
      func summary(_ q: EigenlearningPrediction) -> [(Double, Double)] {
        [(q.kappa, q.testMSE), (q.trainMSE, q.targetLearnability ?? 0)] + q.learnabilities.map { ($0, 0) }
      }
      let reference = summary(p)
      var failedDraws = 0
      let (first, second) = d.values.propagatedErrors(draws: 8) { (v: KernelValues) -> [(Double, Double)] in
        // A perturbation may push rounding-level eigenvalues below zero: they are clamped, as
        // the perturbation is a model of the entries' error, not a kernel to be validated.
        guard let s = try? KernelEigenstructure(kernel: d.matrix(e.kernel, v)),
          let c = try? s.targetCoefficients(d.target),
          let problem = try? EigenlearningProblem(
            eigenvalues: s.eigenvalues.map { max(0, $0) }, targetCoefficients: c),
          let q = try? problem.predict(samples: n, ridge: e.ridge, noise: e.noise),
          q.learnabilities.count == p.learnabilities.count
        else {
          failedDraws += 1
          return reference
        }
        return summary(q)
      }
      if failedDraws > 0 {
        report.notes.append(
          "eigenlearning with \(n) samples: \(failedDraws) of 8 perturbed kernels had no prediction (e.g. n at the rank); its errors count only the others"
        )
      }
      var experiment: KernelRegressionExperiment?
      if let trials = e.trials {
        do {
          let x = try KernelRidgeRegression.experiment(
            kernel: kernel, target: d.target, samples: n, ridge: e.ridge, noise: e.noise, draws: trials,
            seed: options.seed)
          experiment = KernelRegressionExperiment(
            trials: trials, testMSE: x.testMSE, testMSEStandardError: x.testMSEStandardError,
            trainMSE: x.trainMSE, trainMSEStandardError: x.trainMSEStandardError)
        } catch {
          var hint = ""
          if case .singularTrainingKernel = error {
            hint = "; give a positive ridge, e.g. 'ridge: 1e-8' (duplicate points make K(X, X) singular)"
          }
          throw failure(error, e.range, hint: hint)
        }
      }
      report.eigenlearning.append(
        EigenlearningValue(
          kernel: e.kernel.rawValue, data: e.data, samples: n, ridge: e.ridge, noise: e.noise, kappa: p.kappa,
          kappaError: first[0], learnabilities: p.learnabilities, learnabilitySum: p.learnabilitySum,
          targetLearnability: p.targetLearnability, targetLearnabilityError: second[1],
          overfitting: p.overfittingCoefficient, testMSE: p.testMSE, testMSEError: second[0],
          trainMSE: p.trainMSE, trainMSEError: first[1], experiment: experiment, isSweep: e.isSweep,
          method: d.values.method))
    }
  }

  /// The Hermite coefficients of a built-in activation or a one-argument `def`.
  ///
  /// Kinks and jumps (relu, abs, step, sign, also inside a `def` where their argument is
  /// affine in the `def`'s parameter) are passed to the quadrature as breakpoints, so the
  /// composite rule integrates smooth pieces; a smooth function gets Gauss–Hermite.
  func hermite(_ name: String, degree: Int, _ range: SourceRange) throws(RunFailure) -> HermiteValue {
    let f: @Sendable (Double) -> Double
    var breakpoints: [Double] = []
    let kinked: Set<Function> = [.relu, .abs, .step, .sign]
    if let builtin = Function(rawValue: name) {
      f = { builtin($0) }
      if kinked.contains(builtin) { breakpoints = [0] }
    } else if let def = program.checked.functions[name] {
      let scalars = program.checked.program.scalars
      let body = def.body
      let evaluate: @Sendable (Double) -> Double = { x in
        body.evaluate { leaf in
          switch leaf {
          case .argument: return x
          case .scalar(let s): return scalars[s.raw].constantValue ?? .nan
          default: return .nan
          }
        }
      }
      f = evaluate
      var seen: Set<Double> = []
      var stack: [CoordExpr] = [body]
      while let e = stack.popLast() {
        if case .apply(let g, let arg) = e, kinked.contains(g) {
          let at0 = arg.evaluate { leaf in
            if case .scalar(let s) = leaf { return scalars[s.raw].constantValue ?? .nan }
            return 0
          }
          let at1 = arg.evaluate { leaf in
            if case .scalar(let s) = leaf { return scalars[s.raw].constantValue ?? .nan }
            return 1
          }
          let atMinus = arg.evaluate { leaf in
            if case .scalar(let s) = leaf { return scalars[s.raw].constantValue ?? .nan }
            return -2.5
          }
          let slope = at1 - at0
          // Affine in the parameter (checked at a third point): one root.
          if slope != 0, abs(at0 - 2.5 * slope - atMinus) <= 1e-12 * (abs(at0) + abs(slope) + 1) {
            let root = -at0 / slope
            if root.isFinite, seen.insert(root).inserted { breakpoints.append(root) }
          }
        }
        switch e {
        case .negate(let a), .apply(_, let a): stack.append(a)
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
          .power(let a, let b):
          stack.append(a)
          stack.append(b)
        default: break
        }
      }
      breakpoints.sort()
    } else {
      throw .program("unknown function '\(name)'")
    }
    let expansion: HermiteExpansion
    do {
      expansion = try HermiteExpansion(of: f, degree: degree, breakpoints: breakpoints)
    } catch {
      throw failure(error, range)
    }
    let rule: String
    switch expansion.method {
    case .exact: rule = "exact"
    case .gaussHermite(let nodes): rule = "Gauss–Hermite, \(nodes) nodes (error: difference to \(nodes / 2))"
    case .piecewiseGaussLegendre(let perPiece, let pieces):
      rule =
        "composite Gauss–Legendre, \(pieces) pieces × \(perPiece) nodes split at \(breakpoints.map(TextReportNumber.format).joined(separator: ", ")) (error: difference to 20 nodes)"
    }
    return HermiteValue(
      function: name, coefficients: expansion.coefficients, errors: expansion.errors,
      secondMoment: expansion.secondMoment, secondMomentError: expansion.secondMomentError, rule: rule,
      method: .quadrature)
  }
}

/// Short number formatting for notes.
enum TextReportNumber {
  static func format(_ v: Double) -> String { String(format: "%g", v) }
}
