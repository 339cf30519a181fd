import Foundation

/// A data set read from a CSV file by `data NAME = csv("FILE")`.
///
/// Format (documented in docs/language.md): one example per row, cells separated by commas
/// (spaces and tabs around a cell are ignored); the last column is the target and every
/// other column is the input, unless a header names a column `target`, which is then the
/// target. A header is optional: a first row with a cell that does not parse as a number is
/// a header and is skipped. Blank lines and lines starting with `#` are ignored. Every data
/// row must have as many cells as the first row, and every cell must be a finite number.
///
/// Limits, so that a wrong file fails fast instead of exhausting memory: at most
/// ``maximumBytes`` bytes and ``maximumRows`` rows.
public struct CSVData: Sendable, Equatable {
  /// The examples in file order: inputs, and one-entry labels.
  public var examples: [Example]
  /// The header's cells, if the file has a header.
  public var header: [String]?

  /// Files larger than this are refused (64 MiB).
  public static let maximumBytes = 64 << 20
  /// Files with more data rows than this are refused.
  public static let maximumRows = 100_000

  /// Why a CSV file was refused: a complete sentence for the diagnostic at the `csv(…)` call.
  public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
  }

  /// The path of `path` as used: itself when absolute, else relative to the directory of the
  /// program file `programFile` (the current directory when that has none).
  public static func resolve(_ path: String, relativeTo programFile: String) -> String {
    if path.hasPrefix("/") { return path }
    let directory = (programFile as NSString).deletingLastPathComponent
    if directory.isEmpty || programFile.hasPrefix("<") { return path }
    return (directory as NSString).appendingPathComponent(path)
  }

  /// Reads and parses the file at `path` (already resolved); `shown` is how messages name it.
  public static func load(path: String, shown: String) throws(Failure) -> CSVData {
    try parse(readFile(path: path, shown: shown, kind: "a CSV file"), shown: shown)
  }

  /// The bytes of the regular file at `path` (at most ``maximumBytes``); `kind` names what
  /// was expected ("a CSV file", "a corpus text file") in the messages.
  public static func readFile(path: String, shown: String, kind: String) throws(Failure) -> [UInt8] {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw Failure("cannot find the data file '\(shown)' (looked for \(path))")
    }
    if isDirectory.boolValue { throw Failure("'\(shown)' is a directory, not \(kind)") }
    let attributes = try? manager.attributesOfItem(atPath: path)
    // A device or a FIFO could block or never end: only regular files are read.
    if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
      throw Failure("'\(shown)' is not a regular file (a device, FIFO or socket); give \(kind)")
    }
    if let size = attributes?[.size] as? NSNumber, size.intValue > maximumBytes {
      throw Failure(
        "the data file '\(shown)' has \(size.intValue) bytes; at most 64 MiB (\(maximumBytes) bytes) are read"
      )
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw Failure("cannot read the data file '\(shown)' (permission denied or not a regular file)")
    }
    defer { try? handle.close() }
    let data: Data
    do {
      data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
    } catch {
      throw Failure("cannot read the data file '\(shown)': \(error.localizedDescription)")
    }
    if data.count > maximumBytes {
      throw Failure("the data file '\(shown)' is larger than 64 MiB (\(maximumBytes) bytes)")
    }
    return Array(data)
  }

  /// Parses CSV text (see the type's documentation); `shown` names the file in messages.
  public static func parse(_ bytes: [UInt8], shown: String) throws(Failure) -> CSVData {
    if bytes.contains(0) { throw Failure("'\(shown)' contains a NUL byte; a CSV file must be text") }
    var start = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    var header: [String]?
    var targetColumn: Int?
    var columns: Int?
    var examples: [Example] = []
    var line = 0
    var p = start
    while p < bytes.count {
      var end = p
      while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
      line += 1
      let row = bytes[p..<end]
      // CR LF is one line end; a lone CR also ends a line.
      p = end + 1
      if end < bytes.count, bytes[end] == UInt8(ascii: "\r"), end + 1 < bytes.count,
        bytes[end + 1] == UInt8(ascii: "\n")
      {
        p += 1
      }
      let text = String(decoding: row, as: UTF8.self).trimmingCharacters(in: .whitespaces)
      if text.isEmpty || text.hasPrefix("#") { continue }
      let cells = text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      if let expected = columns, cells.count != expected {
        throw Failure(
          "\(shown):\(line): this row has \(cells.count) cell\(cells.count == 1 ? "" : "s") but the first row has \(expected)"
        )
      }
      let values = cells.map { Double($0) }
      if columns == nil {
        columns = cells.count
        if values.contains(where: { $0 == nil }) {
          header = cells
          if let t = cells.firstIndex(where: { $0.lowercased() == "target" }) { targetColumn = t }
          continue
        }
      }
      if examples.count >= maximumRows {
        throw Failure("'\(shown)' has more than \(maximumRows) data rows; at most \(maximumRows) are read")
      }
      var numbers: [Double] = []
      numbers.reserveCapacity(cells.count)
      for (c, v) in values.enumerated() {
        let name = header.map { " ('\($0[c])')" } ?? ""
        guard let v else {
          let cell = cells[c].isEmpty ? "an empty cell" : "'\(cells[c].prefix(40))'"
          throw Failure(
            "\(shown):\(line): \(cell) in column \(c + 1)\(name) is not a number (row \(line), column \(c + 1))"
          )
        }
        guard v.isFinite else {
          throw Failure(
            "\(shown):\(line): column \(c + 1)\(name) is '\(cells[c])'; every value must be finite (row \(line), column \(c + 1))"
          )
        }
        numbers.append(v)
      }
      guard numbers.count >= 2 else {
        throw Failure(
          "\(shown):\(line): a row needs at least two columns (the inputs, then the target), found \(numbers.count)"
        )
      }
      let t = targetColumn ?? numbers.count - 1
      var input = numbers
      let label = input.remove(at: t)
      examples.append(Example(input: input, label: [label]))
    }
    if examples.isEmpty {
      throw Failure(
        header == nil
          ? "the data file '\(shown)' has no rows" : "the data file '\(shown)' has a header but no data rows")
    }
    return CSVData(examples: examples, header: header)
  }
}
