import Foundation

/// One tick of an axis: its value, whether it is major (a labelled step or a decade), and its
/// label when it has one.
struct Tick: Sendable, Hashable {
  var value: Double
  var major: Bool
  var label: String?
}

/// A mapped axis: its scale, its domain (data units) and its ticks.
///
/// Linear axes pad the data range by 5 % on each side (none below a ``PlotAxis/startsAtZero``
/// zero) and place ticks at multiples of a "nice" step `m·10^e`, `m ∈ {1, 2, 5}` (Heckbert,
/// "Nice numbers for graph labels", Graphics Gems, 1990), labelled with exactly the decimals
/// the step needs. Log axes pad by 4 % of the decades spanned (at least 0.02 of a decade;
/// 0.15 around a single value)
/// and, when that range holds fewer than two ticks `m·10^k` (`m ∈ 1…9`), extend outwards to
/// the nearest ones; they put major
/// ticks at decades (labelled `10⁻²`) and minor ticks at 2…9 times them; with fewer than two
/// decades in view the minor ticks at 2 and 5 (or all of them) are labelled too (`2×10⁻³`).
/// Labels are thinned (a smaller tick count, every 2nd/5th/… decade) until they are at most
/// `maxLabels` and no two overlap.
struct Axis: Sendable {
  var scale: AxisScale
  var lo: Double
  var hi: Double
  var ticks: [Tick]

  /// The position of `v` as a fraction of the axis length, 0 at `lo`, 1 at `hi` (may be
  /// outside [0, 1]; NaN for values a log axis cannot show).
  func fraction(_ v: Double) -> Double {
    switch scale {
    case .linear: return (v - lo) / (hi - lo)
    case .log:
      guard v > 0 else { return .nan }
      return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
    }
  }

  /// True when `v` can be placed on this axis (finite, and positive on a log axis).
  func canShow(_ v: Double) -> Bool { Axis.canShow(v, scale) }

  static func canShow(_ v: Double, _ scale: AxisScale) -> Bool {
    switch scale {
    case .linear: return v.isFinite && abs(v) <= 1e300
    case .log: return v.isFinite && v >= 1e-300 && v <= 1e300
    }
  }

  /// How labels are measured for the thinning rule: their extent along the axis.
  enum Orientation { case horizontal, vertical }

  /// An axis for `values` (only those it can show are used; there must be at least one) of
  /// `length` pixels.
  static func make(
    _ spec: PlotAxis, values: [Double], length: Double, orientation: Orientation, maxLabels: Int
  ) -> Axis {
    let shown = values.filter { canShow($0, spec.scale) }
    switch spec.scale {
    case .linear:
      let (lo, hi) = linearDomain(shown, startsAtZero: spec.startsAtZero)
      return Axis(
        scale: .linear, lo: lo, hi: hi,
        ticks: linearTicks(lo: lo, hi: hi, length: length, orientation: orientation, maxLabels: maxLabels))
    case .log:
      let (lo, hi) = logDomain(shown)
      return Axis(
        scale: .log, lo: lo, hi: hi,
        ticks: logTicks(lo: lo, hi: hi, length: length, orientation: orientation, maxLabels: maxLabels))
    }
  }

  // MARK: - Domains

  /// The padded range of `values` (finite); (0, 1) when there are none.
  static func linearDomain(_ values: [Double], startsAtZero: Bool) -> (Double, Double) {
    guard var lo = values.min(), var hi = values.max() else { return (0, 1) }
    if startsAtZero {
      lo = min(lo, 0)
      hi = max(hi, 0)
    }
    if hi - lo <= 0 || !(hi - lo).isFinite {
      let pad = lo == 0 ? 1 : abs(lo) * 0.1
      return startsAtZero && lo == 0 ? (0, pad) : (lo - pad, hi + pad)
    }
    let pad = 0.05 * (hi - lo)
    let low = startsAtZero && lo == 0 ? 0 : lo - pad
    let high = startsAtZero && hi == 0 ? 0 : hi + pad
    return (low, high)
  }

  /// The padded range of positive `values`, extended outwards to `m·10^k`; (1, 10) when there
  /// are none.
  static func logDomain(_ values: [Double]) -> (Double, Double) {
    guard let lo = values.min(), let hi = values.max(), lo > 0 else { return (1, 10) }
    let (a, b) = (log10(lo), log10(hi))
    // A single value gets ±0.15 of a decade, so that it sits in the middle.
    let pad = b - a < 1e-9 ? 0.15 : max(0.04 * (b - a), 0.02)
    // Within what ``canShow(_:_:)`` accepts, so that logarithms stay finite.
    let (low, high) = (pow(10, max(-300, a - pad)), pow(10, min(300, b + pad)))
    // Keep the padded range when it holds two ticks; otherwise widen it to the ticks around it.
    let first = ceilToMinor(low)
    if first < high, nextMinor(first) <= high * (1 + 1e-12) { return (low, high) }
    return (floorToMinor(low), ceilToMinor(high))
  }

  /// The tick `m·10^k` after `v = m·10^k` (`m ∈ 1…9`).
  static func nextMinor(_ v: Double) -> Double { ceilToMinor(v * (1 + 1e-9)) }

  /// `m·10^k` for integers `m`, `k` without the rounding of `m * pow(10, k)` for negative `k`.
  static func scaled(_ m: Double, _ k: Int) -> Double {
    k >= 0 ? m * pow(10, Double(k)) : m / pow(10, Double(-k))
  }

  /// The largest `m·10^k ≤ v`, `m ∈ 1…9`.
  static func floorToMinor(_ v: Double) -> Double {
    let k = Int(floor(log10(v)))
    var m = floor(v / scaled(1, k) * (1 + 1e-12))
    while m > 1, scaled(m, k) > v * (1 + 1e-12) { m -= 1 }
    return scaled(max(1, min(9, m)), k)
  }

  /// The smallest `m·10^k ≥ v`, `m ∈ 1…10`.
  static func ceilToMinor(_ v: Double) -> Double {
    let k = Int(floor(log10(v)))
    var m = ceil(v / scaled(1, k) * (1 - 1e-12))
    while m < 10, scaled(m, k) < v * (1 - 1e-12) { m += 1 }
    return scaled(max(1, min(10, m)), k)
  }

  // MARK: - Linear ticks

  /// Heckbert's nice number near `x > 0`: 1, 2, 5 or 10 times a power of ten, as (m, e);
  /// rounded to the nearest when `round`, else the smallest not below `x`.
  static func niceNumber(_ x: Double, round: Bool) -> (m: Int, e: Int) {
    let e = Int(floor(log10(x)))
    let f = x / scaled(1, e)
    let m: Int
    if round {
      m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
    } else {
      m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
    }
    return m == 10 ? (1, e + 1) : (m, e)
  }

  /// The multiples of a nice step inside [`lo`, `hi`] for about `target` ticks, with their
  /// labels; empty when the step cannot be represented. The step is Heckbert's rounded nice
  /// number for `span / (target − 1)` (he first rounds the span up to a nice number too,
  /// which can halve the tick count; the callers instead try each target in turn).
  static func heckbert(lo: Double, hi: Double, target: Int) -> [Tick] {
    let span = hi - lo
    guard span > 0, span.isFinite, target >= 2 else { return [] }
    let (m, e) = niceNumber(span / Double(target - 1), round: true)
    let step = scaled(Double(m), e)
    let first = ceil(lo / step - 1e-9)
    let last = floor(hi / step + 1e-9)
    guard first.isFinite, last.isFinite, abs(first) < 1e15, abs(last) < 1e15, last - first < 1000 else {
      return []
    }
    let values = stride(from: first, through: last, by: 1).map { scaled($0 * Double(m), e) }
    let labels = linearLabels(values, stepExponent: e)
    return zip(values, labels).map { Tick(value: $0 == 0 ? 0 : $0, major: true, label: $1) }
  }

  /// Labels of ticks at multiples of a step `m·10^e`: fixed-point with `max(0, −e)` decimals,
  /// or `a×10ᵏ` when the largest magnitude is at least 10⁵ or below 10⁻³; "−" for minus.
  static func linearLabels(_ values: [Double], stepExponent e: Int) -> [String] {
    let largest = values.map(abs).max() ?? 0
    if largest >= 1e5 || (largest > 0 && largest < 1e-3) {
      let k = Int(floor(log10(largest)))
      let decimals = min(15, max(0, k - e))
      return values.map { v in
        if v == 0 { return "0" }
        let mantissa = String(format: "%.\(decimals)f", v / scaled(1, k))
        return minus(mantissa) + "×10" + superscript(k)
      }
    }
    let decimals = min(15, max(0, -e))
    return values.map { minus(String(format: "%.\(decimals)f", $0)) }
  }

  static func linearTicks(
    lo: Double, hi: Double, length: Double, orientation: Orientation, maxLabels: Int
  ) -> [Tick] {
    for target in stride(from: max(2, maxLabels), through: 2, by: -1) {
      let ticks = heckbert(lo: lo, hi: hi, target: target)
      if ticks.count >= 2, ticks.count <= maxLabels,
        labelsFit(ticks, lo: lo, hi: hi, scale: .linear, length: length, orientation: orientation)
      {
        return ticks
      }
    }
    // No step fits: label the ends only, to the precision their difference needs.
    let span = hi - lo
    let e = span > 0 && span.isFinite ? Int(floor(log10(span))) - 1 : 0
    let labels = linearLabels([lo, hi], stepExponent: e)
    let ends = [
      Tick(value: lo, major: true, label: labels[0]), Tick(value: hi, major: true, label: labels[1]),
    ]
    if labelsFit(ends, lo: lo, hi: hi, scale: .linear, length: length, orientation: orientation) {
      return ends
    }
    return [ends[0], Tick(value: hi, major: true, label: nil)]
  }

  // MARK: - Log ticks

  static func logTicks(
    lo: Double, hi: Double, length: Double, orientation: Orientation, maxLabels: Int
  ) -> [Tick] {
    let kLo = Int(floor(log10(lo) + 1e-9))
    let kHi = Int(floor(log10(hi) + 1e-9))
    let decadesSpanned = Double(kHi - kLo + 1)
    // Minor ticks only when decades are at least 24 px apart, and never more than ~2000.
    let pixelsPerDecade = length / max(1e-9, log10(hi) - log10(lo))
    let withMinors = pixelsPerDecade >= 24 && decadesSpanned <= 200
    var all: [(value: Double, m: Int, k: Int)] = []
    for k in kLo...max(kLo, kHi) {
      for m in withMinors ? Array(1...9) : [1] {
        let v = scaled(Double(m), k)
        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { all.append((v, m, k)) }
      }
    }
    guard !all.isEmpty else { return [] }
    let decades = all.filter { $0.m == 1 }
    var candidates: [Set<Int>] = []  // indices into `all` to label
    if decades.count >= 2 {
      for step in [1, 2, 3, 5, 10, 20, 25, 50, 100] {
        candidates.append(Set(all.indices.filter { all[$0].m == 1 && all[$0].k % step == 0 }))
      }
    }
    candidates.append(Set(all.indices.filter { [1, 2, 5].contains(all[$0].m) }))
    candidates.append(Set(all.indices.filter { [1, 5].contains(all[$0].m) }))
    candidates.append(Set(all.indices))
    let ends: Set<Int> = [0, all.count - 1]
    candidates.append(ends)
    func ticks(labelling chosen: Set<Int>) -> [Tick] {
      all.enumerated().map { i, t in
        Tick(
          value: t.value, major: t.m == 1 || chosen.contains(i),
          label: chosen.contains(i) ? logLabel(m: t.m, k: t.k) : nil)
      }
    }
    for chosen in candidates where chosen.count >= 2 && chosen.count <= maxLabels {
      let t = ticks(labelling: chosen)
      if labelsFit(t, lo: lo, hi: hi, scale: .log, length: length, orientation: orientation) { return t }
    }
    return ticks(labelling: [0])
  }

  /// `10ᵏ` for a decade, `m×10ᵏ` otherwise.
  static func logLabel(m: Int, k: Int) -> String {
    (m == 1 ? "" : "\(m)×") + "10" + superscript(k)
  }

  /// `k` in superscript digits, with a superscript minus.
  static func superscript(_ k: Int) -> String {
    let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    return (k < 0 ? "⁻" : "")
      + String(String(k.magnitude).compactMap { c in c.wholeNumberValue.map { digits[$0] } })
  }

  /// ASCII hyphen-minus replaced by the minus sign; "−0", "−0.00" become unsigned.
  static func minus(_ s: String) -> String {
    guard s.hasPrefix("-") else { return s }
    let rest = s.dropFirst()
    if rest.allSatisfy({ $0 == "0" || $0 == "." }) { return String(rest) }
    return "−" + rest
  }

  // MARK: - Fitting

  /// The horizontal gap kept between neighbouring x labels, and the vertical one between y labels.
  static let horizontalLabelGap = 8.0
  static let verticalLabelGap = 3.0

  /// True when the labelled ticks, placed along an axis of `length` pixels, keep the gaps.
  static func labelsFit(
    _ ticks: [Tick], lo: Double, hi: Double, scale: AxisScale, length: Double, orientation: Orientation
  ) -> Bool {
    let axis = Axis(scale: scale, lo: lo, hi: hi, ticks: ticks)
    var spans: [(Double, Double)] = []
    for t in ticks {
      guard let label = t.label else { continue }
      let p = axis.fraction(t.value) * length
      switch orientation {
      case .horizontal:
        let w = TextMetrics.width(label, size: PlotTheme.tickSize)
        spans.append((p - w / 2, p + w / 2))
      case .vertical:
        let h = TextMetrics.lineHeight(PlotTheme.tickSize)
        spans.append((p - h / 2, p + h / 2))
      }
    }
    spans.sort { $0.0 < $1.0 }
    let gap = orientation == .horizontal ? horizontalLabelGap : verticalLabelGap
    for i in spans.indices.dropFirst() where spans[i].0 < spans[i - 1].1 + gap { return false }
    return true
  }
}
