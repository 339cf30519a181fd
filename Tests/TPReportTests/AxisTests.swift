import Foundation
import Testing

@testable import TPReport

@Suite struct AxisTests {
  @Test func niceNumbersAreOneTwoFiveTimesAPowerOfTen() {
    #expect(Axis.niceNumber(0.0472343, round: true) == (5, -2))
    #expect(Axis.niceNumber(0.0472343, round: false) == (5, -2))
    #expect(Axis.niceNumber(0.013, round: true) == (1, -2))
    #expect(Axis.niceNumber(0.021, round: false) == (5, -2))
    #expect(Axis.niceNumber(7.2, round: true) == (1, 1))
    #expect(Axis.niceNumber(2.9, round: true) == (2, 0))
  }

  static let linearRanges: [(Double, Double)] = [
    (0, 1), (0, 0.0472343), (0.0290676, 0.0472343), (-3.3, 3.3), (1e6, 5e6), (0.00012, 0.00047),
    (99.99, 100.01),
    (-1e-12, 1e-12), (1, 1), (0, 0), (-7, -7), (-1e300, 1e300), (3, 1e15),
  ]

  @Test(arguments: linearRanges)
  func linearTickLabelsAreRoundAndFit(_ range: (Double, Double)) {
    for (length, orientation) in [(300.0, Axis.Orientation.horizontal), (200, .vertical), (480, .horizontal)]
    {
      let axis = Axis.make(
        PlotAxis("x"), values: [range.0, range.1], length: length, orientation: orientation, maxLabels: 8)
      let labels = axis.ticks.compactMap(\.label)
      #expect(axis.lo < axis.hi)
      #expect(labels.count >= 2 && labels.count <= 8, "\(range): \(labels)")
      #expect(roundLabels(labels), "\(range): \(labels)")
      #expect(!labels.contains { $0.hasPrefix("-") || $0 == "−0" }, "\(labels)")
      #expect(
        Axis.labelsFit(
          axis.ticks, lo: axis.lo, hi: axis.hi, scale: .linear, length: length, orientation: orientation))
      for t in axis.ticks {
        #expect(t.value >= axis.lo - 1e-9 * abs(axis.lo) && t.value <= axis.hi + 1e-9 * abs(axis.hi))
        if let label = t.label, let v = tickValue(label) {
          #expect(abs(v - t.value) <= 1e-9 * max(abs(t.value), axis.hi - axis.lo), "\(label) vs \(t.value)")
        }
      }
    }
  }

  @Test func theReportedUnroundLabelsAreGone() {
    let axis = Axis.make(
      PlotAxis("RMS error"), values: [0.0290676, 0.0472343], length: 200, orientation: .vertical, maxLabels: 6
    )
    let labels = axis.ticks.compactMap(\.label)
    #expect(labels == ["0.030", "0.035", "0.040", "0.045"], "\(labels)")
  }

  @Test func densityAxesStartAtZero() {
    let axis = Axis.make(
      PlotAxis("density", startsAtZero: true), values: [0.0001, 0.39894], length: 200, orientation: .vertical,
      maxLabels: 6)
    #expect(axis.lo == 0)
    #expect(axis.ticks.first?.value == 0)
    #expect(axis.ticks.first?.label == "0.0")
  }

  static let logRanges: [(Double, Double)] = [
    (1e-3, 1e2), (0.011, 0.019), (3.1e-3, 3.9e-3), (1024, 16384), (128, 1024), (5, 5), (1e-300, 1e300),
    (0.9, 1.1),
    (2, 3),
  ]

  @Test(arguments: logRanges)
  func logTickLabelsArePowersOfTenOrTheirMultiples(_ range: (Double, Double)) {
    for (length, orientation) in [(300.0, Axis.Orientation.horizontal), (200, .vertical)] {
      let axis = Axis.make(
        PlotAxis("x", scale: .log), values: [range.0, range.1], length: length, orientation: orientation,
        maxLabels: 8)
      let labels = axis.ticks.compactMap(\.label)
      #expect(axis.lo > 0 && axis.lo < axis.hi)
      #expect(axis.lo <= range.0 && axis.hi >= range.1)
      #expect(labels.count >= 2 && labels.count <= 8, "\(range): \(labels)")
      #expect(labels.allSatisfy { $0.contains("10") && !$0.contains(".") }, "\(labels)")
      #expect(roundLabels(labels), "\(range): \(labels)")
      #expect(
        Axis.labelsFit(
          axis.ticks, lo: axis.lo, hi: axis.hi, scale: .log, length: length, orientation: orientation))
      // Decades are major; minor ticks sit at 2…9 times a decade.
      for t in axis.ticks {
        let k = floor(log10(t.value) + 1e-9)
        let m = (t.value / pow(10, k)).rounded()
        #expect(t.major == (m == 1) || t.label != nil)
      }
    }
  }

  @Test func logLabelsUseSuperscripts() {
    #expect(Axis.logLabel(m: 1, k: -2) == "10⁻²")
    #expect(Axis.logLabel(m: 1, k: 3) == "10³")
    #expect(Axis.logLabel(m: 2, k: -13) == "2×10⁻¹³")
    #expect(Axis.logLabel(m: 5, k: 0) == "5×10⁰")
    #expect(tickValue("2×10⁻¹³") == 2e-13)
    #expect(Axis.superscript(-120) == "⁻¹²⁰")
  }

  @Test func widthsAxisIsLabelledAtDecades() {
    let axis = Axis.make(
      PlotAxis("width n", scale: .log), values: [1024, 2048, 4096, 8192, 16384], length: 300,
      orientation: .horizontal, maxLabels: 6)
    #expect(axis.ticks.compactMap(\.label) == ["10³", "10⁴"])
    #expect(axis.ticks.contains { !$0.major })
  }
}
