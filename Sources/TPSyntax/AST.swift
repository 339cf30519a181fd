/// Binary operators of the expression language, loosest-binding first in ``BinaryOperator/precedence``.
public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
  case add = "+", subtract = "-", multiply = "*", divide = "/", power = "**", matmul = "@"

  /// Binding strength: `+ -` < `* / @` < `**` (right-associative).
  public var precedence: Int {
    switch self {
    case .add, .subtract: return 1
    case .multiply, .divide, .matmul: return 2
    case .power: return 4
    }
  }
}

/// An expression with its source range.
public struct Expr: Sendable, Hashable {
  public indirect enum Kind: Sendable, Hashable {
    case number(Double)
    case name(String)
    /// `x[t+1]`, `h[l, t]`.
    case indexed(String, [Expr])
    case negate(Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `f(args)`; `primes` counts derivative marks, as in `swish'(h)`.
    case call(String, primes: Int, [Expr])
    /// `W.T` or `W[l].T`.
    case transpose(Expr)
    /// `[a, b, c]`.
    case list([Expr])
  }

  public var kind: Kind
  public var range: SourceRange

  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// The left side of an assignment or a declared name: `x` or `x[t+1]`.
public struct Target: Sendable, Hashable {
  public var name: String
  public var indices: [Expr]
  public var range: SourceRange

  public init(name: String, indices: [Expr], range: SourceRange) {
    self.name = name
    self.indices = indices
    self.range = range
  }
}

/// A `key: value` option such as `var: 2` or `loss: mse`.
public struct Option: Sendable, Hashable {
  public var key: String
  public var keyRange: SourceRange
  public var value: Expr

  public init(key: String, keyRange: SourceRange, value: Expr) {
    self.key = key
    self.keyRange = keyRange
    self.value = value
  }
}

/// A layer dimension: a positive integer or the width name.
public struct Dimension: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case integer(Int)
    case width(String)
  }

  public var kind: Kind
  public var range: SourceRange

  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// `a = -0.5` inside an `abc { … }` entry.
public struct ABCAssignment: Sendable, Hashable {
  public var key: String
  public var value: Expr
  public var range: SourceRange

  public init(key: String, value: Expr, range: SourceRange) {
    self.key = key
    self.value = value
    self.range = range
  }
}

/// One `name: a = …, b = …` entry (or the global `c = …`) of an `abc { … }` block.
public struct ABCEntry: Sendable, Hashable {
  /// The layer name, or nil for the global learning-rate exponent entry `c = …`.
  public var layer: String?
  public var layerRange: SourceRange
  public var assignments: [ABCAssignment]

  public init(layer: String?, layerRange: SourceRange, assignments: [ABCAssignment]) {
    self.layer = layer
    self.layerRange = layerRange
    self.assignments = assignments
  }
}

/// One `input -> label` example of a `data` statement.
public struct DataExample: Sendable, Hashable {
  public var input: Expr
  public var label: Expr

  public init(input: Expr, label: Expr) {
    self.input = input
    self.label = label
  }
}

/// A statement of a `.tp` file.
public struct Stmt: Sendable, Hashable {
  public indirect enum Kind: Sendable, Hashable {
    /// `width n`
    case width(String)
    /// `param eta = 0.5`
    case param(String, Expr)
    /// `x = expr`, `x[t+1] = expr`
    case assign(Target, Expr)
    /// `matrix A, B ~ N(mean, variance)`
    case matrix([Target], mean: Expr, variance: Expr)
    /// `vector p, q ~ N(mean, covariance)`
    case vector([Target], mean: Expr, covariance: Expr)
    /// `def f(a, b) = expr`
    case def(String, params: [String], body: Expr)
    /// `for t in lo ..< hi { … }` (`...` for an inclusive upper bound)
    case forLoop(variable: String, lower: Expr, upper: Expr, inclusive: Bool, body: [Stmt])
    /// `out a, b`
    case out([Expr])
    /// `show h`
    case show([Expr])
    /// `layer U : 2 -> n (var: 2)`, or one member `W[l]` of a layer family (declared by
    /// `layer W[l] : n -> n for l in 1 ..< L`, which the parser wraps in a ``forLoop``).
    case layer(Target, input: Dimension, output: Dimension, options: [Option])
    /// `bias b : n (var: 0.1)`, or one member `b[l]` of a bias family.
    case bias(Target, Dimension, options: [Option])
    /// `model f(xi) { … return e }`
    case model(String, params: [String], body: [Stmt])
    /// `return e` (inside a model)
    case returnValue(Expr)
    /// `parametrization mup` (a preset name)
    case parametrization(String)
    /// `parametrization abc { … }`
    case abcParametrization([ABCEntry])
    /// `data train = [ [1, 0] -> 1, … ]`
    case data(String, [DataExample])
    /// `point a = [1, 0]`: a named input, usable wherever a point is (`observe f at a`).
    case point(String, Expr)
    /// `data pool = csv("pool.csv")`: examples read from a CSV file (path relative to the program).
    case dataFile(String, path: String, pathRange: SourceRange)
    /// `data pairs = skipgram("corpus.txt", window: 2)`: one-hot skip-gram pairs of a corpus.
    case dataSkipGram(String, path: String, pathRange: SourceRange, options: [Option])
    /// `point w = word("apple")`: the one-hot vector of a word of the last skip-gram vocabulary.
    case pointWord(String, word: String, wordRange: SourceRange)
    /// A kernel-analysis statement (LANGUAGE.md, "Kernel analysis"): `alignment f on d`,
    /// `eigen f on d (top: 20)`, `eigenlearning f on d (samples: 30, …)`, `hermite relu (degree: 12)`,
    /// `reverse f to "shallow.tp" (kernel: ntk, …)`.
    case kernelAnalysis(KernelAnalysisSyntax)
    /// `observe alignment x2 on train`: the feature-kernel alignment of a model vector per step.
    case observeAlignment(
      target: String, targetRange: SourceRange, data: String, dataRange: SourceRange, options: [Option])
    /// `train f on train with sgd(lr: 1, …)`
    case train(model: String, data: String, optimizer: String, options: [Option])
    /// `observe KIND [target] [at points] [(options)]`; KIND is f's name, `loss`, `movement`, `kernel`.
    case observe(kind: String, target: String?, points: [Expr], options: [Option])
    /// `kernel f at points`
    case kernel(model: String, points: [Expr])
    /// `kernel f on train` (the Gram matrices on a data set's inputs) or `kernel f on train, test`
    /// (the cross-kernels between two data sets' inputs): the data set names and their ranges.
    case kernelOn(model: String, data: [String], dataRanges: [SourceRange])
    /// `posterior f on data at points (noise: σ²)`
    case posterior(model: String, data: String, points: [Expr], options: [Option])
  }

  public var kind: Kind
  public var range: SourceRange

  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// A kernel-analysis statement: its keyword, the model (or, for `hermite`, the function) it
/// is about, the data set after `on` (none for `hermite`) and its options.
public struct KernelAnalysisSyntax: Sendable, Hashable {
  /// `alignment`, `eigen`, `eigenlearning`, `hermite` or `reverse`.
  public var keyword: String
  public var subject: String
  public var subjectRange: SourceRange
  public var data: String?
  public var dataRange: SourceRange?
  public var options: [Option]
  /// `reverse f to "FILE"`: the file to write, as written, and its range.
  public var path: String?
  public var pathRange: SourceRange?

  public init(
    keyword: String, subject: String, subjectRange: SourceRange, data: String?, dataRange: SourceRange?,
    options: [Option], path: String? = nil, pathRange: SourceRange? = nil
  ) {
    self.keyword = keyword
    self.subject = subject
    self.subjectRange = subjectRange
    self.data = data
    self.dataRange = dataRange
    self.options = options
    self.path = path
    self.pathRange = pathRange
  }
}

/// A parsed file: its statements in order.
public struct SourceUnit: Sendable {
  public var file: SourceFile
  public var statements: [Stmt]
  /// Names defined by statements the parser had to drop (see ``Parser/parseRecovering(_:)``).
  public var recoveredNames: Set<String> = []
  /// Keywords of statements the parser had to drop (`width` when `width 3` failed, …).
  public var droppedKeywords: Set<String> = []

  public init(file: SourceFile, statements: [Stmt]) {
    self.file = file
    self.statements = statements
  }
}
