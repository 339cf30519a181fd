/// Source text with the expected position of a diagnostic marked inside it.
///
/// `⟦` marks where the diagnostic must start and an optional `⟧` where its range ends:
///
/// ```swift
/// let m = MarkedSource("width n\nx = ⟦tanhh⟧(1)")
/// // m.text == "width n\nx = tanhh(1)", m.line == 2, m.column == 5, m.length == 5
/// ```
///
/// Lines and columns are 1-based and count Unicode scalars, as diagnostics do.
public struct MarkedSource: Sendable, CustomStringConvertible {
  /// The source with the markers removed.
  public let text: String
  /// Line and column of `⟦`.
  public let line: Int
  public let column: Int
  /// Scalars between `⟦` and `⟧`, or nil without a `⟧`.
  public let length: Int?

  public init(_ marked: String) {
    var text = String.UnicodeScalarView()
    var line = 1
    var column = 1
    var start: (line: Int, column: Int)?
    var startIndex = 0
    var length: Int?
    var count = 0
    for scalar in marked.unicodeScalars {
      switch scalar {
      case "⟦":
        precondition(start == nil, "MarkedSource: two '⟦' markers in \(marked)")
        start = (line, column)
        startIndex = count
      case "⟧":
        precondition(start != nil, "MarkedSource: '⟧' before '⟦' in \(marked)")
        length = count - startIndex
      default:
        text.append(scalar)
        count += 1
        if scalar == "\n" {
          line += 1
          column = 1
        } else {
          column += 1
        }
      }
    }
    precondition(start != nil, "MarkedSource: no '⟦' marker in \(marked)")
    self.text = String(text)
    self.line = start!.line
    self.column = start!.column
    self.length = length
  }

  /// `line:column`, as diagnostics print it.
  public var location: String { "\(line):\(column)" }

  public var description: String { text }
}
