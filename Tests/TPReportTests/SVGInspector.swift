import Foundation
import Testing

@testable import TPReport

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// An SVG document read back with an XML parser (so it must be well-formed): every element
/// with its enclosing groups, and every `<text>` with its runs and its box recomputed from
/// the attributes by ``TextMetrics`` (independently of the renderer's own record).
final class SVGInspector: NSObject, XMLParserDelegate {
  struct Element {
    var name: String
    var attributes: [String: String]
    /// Attributes of the enclosing `<g>` elements, outermost first.
    var groups: [[String: String]]

    func inside(_ cls: String, _ key: String? = nil, _ value: String? = nil) -> Bool {
      groups.contains { g in
        (g["class"]?.split(separator: " ").contains { $0 == cls } ?? false)
          && (key == nil || g[key!] == value)  // safe: key checked for nil
      }
    }
    var panel: Int? { groups.first { $0["class"] == "panel" }?["data-panel"].flatMap { Int($0) } }
    var classes: [Substring] { attributes["class"]?.split(separator: " ") ?? [] }
  }

  struct Text {
    var element: Element
    var runs: [TextRun]
    var box: PlotRect
    var content: String { runs.map(\.text).joined() }
    var role: String { element.attributes["class"] ?? "" }
  }

  private(set) var width = 0.0
  private(set) var height = 0.0
  private(set) var elements: [Element] = []
  private(set) var texts: [Text] = []
  /// `<title>` contents with the groups around them.
  private(set) var titles: [(text: String, groups: [[String: String]])] = []

  private var groupStack: [[String: String]] = []
  private var openText: (Element, [TextRun], size: Double)?
  private var inTitle: String?
  private var failure: Error?

  init(_ svg: String) throws {
    super.init()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = self
    if !parser.parse() {
      throw parser.parserError ?? failure ?? CocoaError(.fileReadCorruptFile)
    }
    if let failure { throw failure }
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    let element = Element(name: name, attributes: attributes, groups: groupStack)
    elements.append(element)
    switch name {
    case "svg":
      width = Double(attributes["width"] ?? "") ?? 0
      height = Double(attributes["height"] ?? "") ?? 0
    case "g": groupStack.append(attributes)
    case "text":
      openText = (element, [TextRun("")], Double(attributes["font-size"] ?? "") ?? 11)
    case "tspan":
      guard var t = openText else { return }
      let size = Double(attributes["font-size"] ?? "") ?? t.size
      let style: TextRun.Style =
        attributes["font-weight"] == "bold" ? .bold : size < t.size ? .superscript : .plain
      t.1.append(TextRun("", style, gap: (Double(attributes["dx"] ?? "") ?? 0) / t.size))
      openText = t
    case "title": inTitle = ""
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inTitle != nil { inTitle! += string }  // safe: checked
    guard var t = openText else { return }
    t.1[t.1.count - 1].text += string
    openText = t
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?)
  {
    switch name {
    case "g": groupStack.removeLast()
    case "tspan":
      openText?.1.append(TextRun(""))
    case "text":
      guard let (element, runs, size) = openText else { return }
      let a = element.attributes
      let kept = runs.filter { !$0.text.isEmpty || $0.gap != 0 }
      let anchor = TextAnchor(rawValue: a["text-anchor"] ?? "start") ?? .start
      let box = TextMetrics.box(
        kept, x: Double(a["x"] ?? "") ?? .nan, y: Double(a["y"] ?? "") ?? .nan, size: size, anchor: anchor,
        rotated: a["transform"]?.hasPrefix("rotate(-90 ") ?? false)
      texts.append(Text(element: element, runs: kept, box: box))
      openText = nil
    case "title":
      titles.append((inTitle ?? "", groupStack))
      inTitle = nil
    default: break
    }
  }

  // MARK: - Queries

  func elements(named name: String, inPanel panel: Int) -> [Element] {
    elements.filter { $0.name == name && $0.panel == panel }
  }

  /// The paths drawn for series `k` of `panel`, by class (`line`, `markers`, `errorbars`).
  func seriesPaths(panel: Int, series k: Int) -> [String: Int] {
    var counts: [String: Int] = [:]
    for e in elements where e.name == "path" && e.panel == panel && e.inside("series", "data-series", "\(k)")
    {
      counts[e.attributes["class"] ?? "", default: 0] += 1
    }
    return counts
  }

  /// The series numbers of the legend entries of `panel`, in document order.
  func legendEntries(panel: Int) -> [Int] {
    elements.filter { $0.name == "g" && $0.panel == panel && $0.attributes["class"] == "legend-entry" }
      .compactMap { Int($0.attributes["data-series"] ?? "") }
  }

  /// Tooltips of legend entries of `panel`.
  func legendTooltips(panel: Int) -> [String] {
    titles.filter { t in
      t.groups.last?["class"] == "legend-entry"
        && t.groups.first { $0["class"] == "panel" }?["data-panel"] == "\(panel)"
    }.map(\.text)
  }

  func texts(role: String) -> [Text] { texts.filter { $0.role == role } }

  var panelCount: Int { elements.filter { $0.name == "g" && $0.attributes["class"] == "panel" }.count }

  /// Pairs of text boxes that overlap.
  func overlaps() -> [(Text, Text)] {
    var found: [(Text, Text)] = []
    let sorted = texts.sorted { $0.box.minX < $1.box.minX }
    for i in sorted.indices {
      for j in (i + 1)..<sorted.count {
        if sorted[j].box.minX >= sorted[i].box.maxX { break }
        if sorted[i].box.intersects(sorted[j].box) { found.append((sorted[i], sorted[j])) }
      }
    }
    return found
  }

  /// Texts whose boxes leave the canvas.
  func outside() -> [Text] {
    let canvas = PlotRect(x: 0, y: 0, width: width, height: height)
    return texts.filter { !canvas.contains($0.box) }
  }
}

/// The number a tick label shows: `0.25`, `−3`, `10⁻²`, `2×10³`, `2.5×10⁶`; nil if it is not one.
func tickValue(_ label: String) -> Double? {
  let superscripts: [Character: Character] = [
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
    "⁻": "-",
  ]
  let s = label.replacingOccurrences(of: "−", with: "-")
  func power(_ p: Substring) -> Double? {
    guard p.hasPrefix("10") else { return nil }
    let e = String(p.dropFirst(2).map { superscripts[$0] ?? "?" })
    return Int(e).map { pow(10, Double($0)) }
  }
  if let times = s.firstIndex(of: "×") {
    guard let m = Double(s[..<times]), let p = power(s[s.index(after: times)...]) else { return nil }
    return m * p
  }
  if s.hasPrefix("10"), s.count > 2, let p = power(s[...]),
    s.dropFirst(2).allSatisfy({ superscripts[$0] != nil })
  {
    return p
  }
  return Double(s)
}

/// Decimals after the point in a plain label ("0.05" → 2).
func decimals(_ label: String) -> Int {
  guard let dot = label.firstIndex(of: ".") else { return 0 }
  return label.distance(from: dot, to: label.endIndex) - 1
}
