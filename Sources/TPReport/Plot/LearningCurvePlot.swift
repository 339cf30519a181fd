import TPCore

/// The learning-curve figure of `tp run --plot` for `eigenlearning … (samples: [n₁, n₂, …])`.
///
/// One log–log panel per statement's kernel and data set: the predicted test MSE against
/// the number of samples `n` (Simon, Dickens, Karkada & DeWeese, "The Eigenlearning
/// Framework", TMLR 2023, eq. for `E = E₀ Σ (1 − Lᵢ)² vᵢ² + E₀ ε²`), the predicted train MSE
/// when the ridge is positive and the train MSE reaches a thousandth of the test MSE, and, when `trials:` was given, the test MSE of actual kernel
/// ridge regression averaged over random training draws with ±1 standard-error bars.
enum LearningCurvePlot {
  static func figure(_ values: [EigenlearningValue], title: String) -> Figure {
    var order: [String] = []
    var groups: [String: [EigenlearningValue]] = [:]
    for v in values where v.isSweep {
      let key =
        "\(v.kernel) on \(v.data), ridge \(TextReport.number(v.ridge)), noise \(TextReport.number(v.noise))"
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(v)
    }
    let panels = order.map { key -> PlotPanel in
      let vs = groups[key]!.sorted { $0.samples < $1.samples }  // safe: key came from groups
      var series = [
        PlotSeries(
          name: "eigenlearning: predicted test MSE",
          points: vs.map { PlotPoint(x: Double($0.samples), y: $0.testMSE, yError: $0.testMSEError) },
          style: 0)
      ]
      // The train MSE is shown when it is on the test MSE's scale (a tiny ridge interpolates:
      // a train MSE of 1e-7 would only squash the curves that matter).
      let smallestTest = vs.map(\.testMSE).filter { $0 > 0 }.min() ?? 0
      if vs.contains(where: { $0.ridge > 0 }), (vs.map(\.trainMSE).max() ?? 0) >= 1e-3 * smallestTest {
        series.append(
          PlotSeries(
            name: "eigenlearning: predicted train MSE",
            points: vs.map { PlotPoint(x: Double($0.samples), y: $0.trainMSE, yError: $0.trainMSEError) },
            style: 1))
      }
      let measured = vs.compactMap { v in v.experiment.map { (v.samples, $0) } }
      if !measured.isEmpty {
        series.append(
          PlotSeries(
            name: "kernel regression, \(measured[0].1.trials) draws",
            points: measured.map {
              PlotPoint(x: Double($0.0), y: $0.1.testMSE, yError: $0.1.testMSEStandardError)
            }, style: 2))
      }
      return PlotPanel(
        title: key, x: PlotAxis("training samples n", scale: .log), y: PlotAxis("MSE", scale: .log),
        series: series, marks: .linesAndMarkers, dodge: true)
    }
    return Figure(
      title: title, panels: panels,
      caption:
        "Error bars: ±1 standard error over the random training draws. Test MSE is the population MSE over the data set (treated as the population), including the label noise ε². Predictions from the kernel's eigenvalues and the target's coefficients on its eigenfunctions."
    )
  }
}

extension SVGPlot {
  /// The learning-curve figure of `eigenlearning` sweeps (``LearningCurvePlot``).
  public static func learningCurveFigure(_ values: [EigenlearningValue], title: String) -> Figure {
    LearningCurvePlot.figure(values, title: title)
  }

  /// ``learningCurveFigure(_:title:)`` as SVG; throws when no statement swept `samples`.
  public static func learningCurves(_ values: [EigenlearningValue], title: String) throws(PlotError) -> String
  {
    guard values.contains(where: \.isSweep) else {
      throw .nothingToPlot("no eigenlearning statement gives a list of sample counts")
    }
    return try svg(learningCurveFigure(values, title: title))
  }
}
