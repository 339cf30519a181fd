/// A half-open range of UTF-8 byte offsets `[start, end)` into a ``SourceFile``.
public struct SourceRange: Sendable, Hashable {
  /// Offset of the first byte.
  public var start: Int
  /// Offset one past the last byte.
  public var end: Int

  /// Creates a range; `end` is clamped to be at least `start`.
  public init(_ start: Int, _ end: Int) {
    self.start = start
    self.end = max(start, end)
  }

  /// The smallest range covering both `self` and `other`.
  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(min(start, other.start), max(end, other.end))
  }
}

/// A 1-based line and column (in Unicode scalars) in a source file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var description: String { "\(line):\(column)" }
}

/// The text of one `.tp` file, with line starts precomputed so that offsets convert to
/// line:column only when a diagnostic is printed.
public struct SourceFile: Sendable {
  /// The name shown in diagnostics (usually the path given on the command line).
  public let name: String
  /// The raw bytes; invalid UTF-8 is kept so offsets stay exact.
  public let bytes: [UInt8]
  /// Byte offsets at which each line starts; `lineStarts[0] == 0`. Lines end at LF, CR LF or a
  /// lone CR.
  public let lineStarts: [Int]

  /// Creates a source file from text.
  public init(name: String, text: String) {
    self.init(name: name, bytes: Array(text.utf8))
  }

  /// Creates a source file from raw bytes (which need not be valid UTF-8).
  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
    // A line ends at LF, at CR LF, or at a lone CR (classic Mac OS files).
    var starts = [0]
    bytes.withUnsafeBufferPointer { b in
      for i in b.indices {
        if b[i] == UInt8(ascii: "\n")
          || (b[i] == UInt8(ascii: "\r") && (i + 1 == b.count || b[i + 1] != UInt8(ascii: "\n")))
        {
          starts.append(i + 1)
        }
      }
    }
    self.lineStarts = starts
  }

  /// The line index (0-based) containing `offset`, by binary search over line starts.
  func lineIndex(of offset: Int) -> Int {
    var lo = 0
    var hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// The 1-based line and column of `offset`; columns count Unicode scalars, not bytes.
  public func location(of offset: Int) -> SourceLocation {
    let clamped = min(max(0, offset), bytes.count)
    let line = lineIndex(of: clamped)
    var column = scalarCount(lineStarts[line]..<clamped) + 1
    // A leading byte-order mark is invisible in editors, so it takes no column.
    if line == 0, clamped >= 3, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { column -= 1 }
    return SourceLocation(line: line + 1, column: column)
  }

  /// The number of Unicode scalars in the byte range: every byte that is not a UTF-8
  /// continuation byte starts one (an invalid byte counts as one, as it decodes to U+FFFD).
  public func scalarCount(_ range: Range<Int>) -> Int {
    let lo = min(max(0, range.lowerBound), bytes.count)
    let hi = min(max(lo, range.upperBound), bytes.count)
    return bytes.withUnsafeBufferPointer { b in
      var n = 0
      for i in lo..<hi where b[i] & 0xC0 != 0x80 { n += 1 }
      return n
    }
  }

  /// The offset `count` scalars after (or, when negative, before) `offset`, staying in `bounds`.
  public func advance(_ offset: Int, by count: Int, within bounds: Range<Int>) -> Int {
    var p = min(max(offset, bounds.lowerBound), bounds.upperBound)
    var left = abs(count)
    while left > 0 {
      if count > 0 {
        guard p < bounds.upperBound else { break }
        p += 1
        while p < bounds.upperBound, bytes[p] & 0xC0 == 0x80 { p += 1 }
      } else {
        guard p > bounds.lowerBound else { break }
        p -= 1
        while p > bounds.lowerBound, bytes[p] & 0xC0 == 0x80 { p -= 1 }
      }
      left -= 1
    }
    return p
  }

  /// Byte offsets of the 1-based line `line`: its first byte and the end of its text, without the
  /// line break (and, on line 1, without a byte-order mark).
  public func lineBounds(_ line: Int) -> (start: Int, end: Int) {
    guard line >= 1, line <= lineStarts.count else { return (bytes.count, bytes.count) }
    var start = lineStarts[line - 1]
    if line == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    var end = line < lineStarts.count ? lineStarts[line] : bytes.count
    end = max(start, end)
    if end > start, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return (start, end)
  }

  /// The text of the 1-based line `line`, without its newline, with invalid bytes repaired.
  public func lineText(_ line: Int) -> String {
    let (start, end) = lineBounds(line)
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }

  /// The source text covered by `range`.
  public func text(_ range: SourceRange) -> String {
    let s = min(max(0, range.start), bytes.count)
    let e = min(max(s, range.end), bytes.count)
    return String(decoding: bytes[s..<e], as: UTF8.self)
  }
}
