import TPCore

/// SVG figures: the plots of `tp check --plot` and `tp run --plot`, and any ``Figure``.
///
/// Every function returns a complete standalone SVG document, or throws
/// ``PlotError/nothingToPlot(_:)`` when no panel has a point its axes can show (an empty
/// report, only NaN values, only values ≤ 0 on log axes) instead of writing an empty figure.
public enum SVGPlot {
  /// `figure` as an SVG document.
  public static func svg(_ figure: Figure) throws(PlotError) -> String {
    try FigureRenderer.render(figure).document(title: figure.title)
  }

  /// The figure of `tp check --plot`: for each observable family (a name without its step,
  /// such as `f at (1, 0)` or `loss`; the outputs of a core program form one family), a
  /// log–log panel of the RMS error over seeds against the width, one series per step (the
  /// same step styled alike in every panel; more than 10 steps are split over panels), error
  /// bars of ±1 standard error of the RMS error (delta method), an `∝ n^−1/2` guide, and
  /// failing quantities in red marked FAIL.
  public static func checkFigure(_ report: CheckReport) -> Figure { CheckPlot.figure(report) }

  /// ``checkFigure(_:)`` as SVG.
  public static func check(_ report: CheckReport) throws(PlotError) -> String {
    guard !report.quantities.isEmpty else { throw .nothingToPlot("the check compared no quantities") }
    return try svg(checkFigure(report))
  }

  /// The figure of `tp check --plot-values`: per observable family, the seed means ± 1 SE
  /// against the width (log x) for up to four steps, each with its limit as a dashed line.
  public static func checkValues(_ report: CheckReport) throws(PlotError) -> String {
    guard !report.quantities.isEmpty else { throw .nothingToPlot("the check compared no quantities") }
    return try svg(CheckPlot.valuesFigure(report))
  }

  /// The figure of `tp run --plot`: one panel per vector output (in name order) with the
  /// density of its coordinate law as a line, the y axis from 0. `densities` maps names to
  /// `[x, p(x)]` pairs (``RunReport/densities``).
  public static func densityFigure(_ densities: [String: [[Double]]], title: String) -> Figure {
    DensityPlot.figure(densities, title: title)
  }

  /// ``densityFigure(_:title:)`` as SVG.
  public static func densities(_ densities: [String: [[Double]]], title: String) throws(PlotError) -> String {
    guard !densities.isEmpty else { throw .nothingToPlot("the program has no vector outputs with a density") }
    return try svg(densityFigure(densities, title: title))
  }
}
