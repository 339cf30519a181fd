import Foundation

/// The figure of `tp run --plot`: the density of each vector output's coordinate law.
enum DensityPlot {
  /// `densities` maps a vector output's name to its curve, `[x, p(x)]` pairs (entries with
  /// fewer than two numbers are skipped). One panel per output, in name order (numbers in names compared as numbers); a curve of a
  /// single point (a point mass) is drawn as a stem of height 1.
  static func figure(_ densities: [String: [[Double]]], title: String) -> Figure {
    // Numbers inside names in numeric order: z[2] before z[10].
    let names = densities.keys.sorted {
      let order = $0.compare($1, options: [.numeric])
      return order == .orderedSame ? $0 < $1 : order == .orderedAscending
    }
    let panels = names.map { name in
      let pairs = (densities[name] ?? []).filter { $0.count >= 2 }
      // A density is not negative: rounding noise below 0 would move the axis off 0.
      var points = pairs.map { PlotPoint(x: $0[0], y: $0[1] < 0 ? 0 : $0[1]) }
      var panelTitle = name
      if points.count == 1, let x = points.first?.x {
        points = [PlotPoint(x: x, y: 0), PlotPoint(x: x, y: 1)]
        panelTitle += " (point mass at \(TextReport.number(x)))"
      }
      return PlotPanel(
        title: panelTitle, x: PlotAxis("coordinate value"), y: PlotAxis("density", startsAtZero: true),
        series: [PlotSeries(name: name, points: points)], marks: .lines, showsLegend: false)
    }
    return Figure(title: title, panels: panels)
  }
}
