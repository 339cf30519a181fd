/// A skip-gram data set read from a text corpus by `data NAME = skipgram("FILE", window: w)`
/// (Mikolov, Chen, Corrado & Dean, "Efficient Estimation of Word Representations in Vector
/// Space", 2013; the infinite-width version is Yang & Hu, "Feature Learning in Infinite-Width
/// Neural Networks", ICML 2021, §"Word2Vec").
///
/// Format (docs/language.md): UTF-8 text, one sentence per line, words separated by spaces or
/// tabs; blank lines and lines starting with `#` are skipped. The vocabulary is the distinct
/// words in order of first appearance (word `i` is the one-hot vector `e_i` of `R^V`). Every
/// occurrence of a word at position `p` of a sentence gives the examples `e_center → e_context`
/// for the words at positions `p − w … p + w` of the same sentence other than `p` (in that
/// order); pairs never cross a line end.
///
/// The examples are stored densely (`V` entries per input and per label), so the file is
/// refused when `pairs × V` exceeds ``maximumEntries``.
public struct SkipGramData: Sendable, Equatable {
  /// The distinct words in order of first appearance.
  public var vocabulary: [String]
  /// The `(center, context)` word indices of every example, in corpus order.
  public var pairs: [(center: Int, context: Int)]

  public static func == (a: SkipGramData, b: SkipGramData) -> Bool {
    a.vocabulary == b.vocabulary && a.pairs.elementsEqual(b.pairs) { $0 == $1 }
  }

  /// The most window size accepted.
  public static let maximumWindow = 100
  /// The most `pairs × V` entries held (each example is a one-hot input and a one-hot label).
  public static let maximumEntries = 20_000_000

  /// The examples: one-hot center → one-hot context, `V`-dimensional each.
  public var examples: [Example] {
    let v = vocabulary.count
    func oneHot(_ i: Int) -> [Double] {
      var e = [Double](repeating: 0, count: v)
      e[i] = 1
      return e
    }
    return pairs.map { Example(input: oneHot($0.center), label: oneHot($0.context)) }
  }

  /// The one-hot vector of `word`, or nil when it is not in the vocabulary.
  public func oneHot(_ word: String) -> [Double]? {
    guard let i = vocabulary.firstIndex(of: word) else { return nil }
    var e = [Double](repeating: 0, count: vocabulary.count)
    e[i] = 1
    return e
  }

  /// Reads the corpus at `path` (already resolved); `shown` is how messages name it.
  public static func load(path: String, shown: String, window: Int) throws(CSVData.Failure) -> SkipGramData {
    try parse(
      CSVData.readFile(path: path, shown: shown, kind: "a corpus text file"), shown: shown, window: window)
  }

  /// Parses corpus text (see the type's documentation).
  public static func parse(_ bytes: [UInt8], shown: String, window: Int) throws(CSVData.Failure)
    -> SkipGramData
  {
    if bytes.contains(0) { throw CSVData.Failure("'\(shown)' contains a NUL byte; a corpus must be text") }
    var index: [String: Int] = [:]
    var vocabulary: [String] = []
    var pairs: [(center: Int, context: Int)] = []
    let text = String(
      decoding: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes, as: UTF8.self)
    for line in text.split(
      omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { word -> Int in
        let w = String(word)
        if let i = index[w] { return i }
        index[w] = vocabulary.count
        vocabulary.append(w)
        return vocabulary.count - 1
      }
      for (p, center) in words.enumerated() {
        for q in max(0, p - window)...min(words.count - 1, p + window) where q != p {
          pairs.append((center, words[q]))
        }
      }
    }
    if vocabulary.isEmpty { throw CSVData.Failure("the corpus '\(shown)' has no words") }
    if pairs.isEmpty {
      throw CSVData.Failure(
        "the corpus '\(shown)' gives no skip-gram pairs: every sentence (line) has a single word")
    }
    if Saturating.product(pairs.count, vocabulary.count) > maximumEntries {
      throw CSVData.Failure(
        "the corpus '\(shown)' gives \(pairs.count) pairs over \(vocabulary.count) words; the one-hot examples would hold more than \(maximumEntries) entries (use a shorter corpus or a smaller window)"
      )
    }
    return SkipGramData(vocabulary: vocabulary, pairs: pairs)
  }
}
