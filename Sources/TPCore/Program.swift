import TPSyntax

/// An initial `n × n` matrix with iid entries `N(0, σ²/n)`.
public struct MatrixInfo: Sendable, Hashable {
  public init(name: String, variance: Double, range: SourceRange) {
    self.name = name
    self.variance = variance
    self.range = range
  }

  public var name: String
  /// `σ²` in `N(0, σ²/n)`.
  public var variance: Double
  public var range: SourceRange
}

/// A vector of the program (coordinates indexed by `1…n`).
public struct VectorInfo: Sendable, Hashable {
  public init(name: String, isTemporary: Bool, range: SourceRange) {
    self.name = name
    self.isTemporary = isTemporary
    self.range = range
  }

  /// The user's name (`x[3]` for family members), or `%k` for a compiler temporary.
  public var name: String
  public var isTemporary: Bool
  public var range: SourceRange
}

/// A scalar of the program.
public struct ScalarInfo: Sendable, Hashable {
  public init(name: String, isTemporary: Bool, range: SourceRange, constantValue: Double?) {
    self.name = name
    self.isTemporary = isTemporary
    self.range = range
    self.constantValue = constantValue
  }

  public var name: String
  public var isTemporary: Bool
  public var range: SourceRange
  /// The value when it is known at compile time (constants and `param`s).
  public var constantValue: Double?
}

/// Initial vectors declared together: coordinates iid over `i`, jointly `N(mean, covariance)` across the group.
/// Different groups are independent.
public struct InitialGroup: Sendable, Hashable {
  public init(vectors: [VectorID], mean: [Double], covariance: [Double]) {
    self.vectors = vectors
    self.mean = mean
    self.covariance = covariance
  }

  public var vectors: [VectorID]
  public var mean: [Double]
  /// Row-major `k × k` covariance, symmetric positive semi-definite.
  public var covariance: [Double]

  /// `covariance[i, j]`.
  public func covariance(_ i: Int, _ j: Int) -> Double { covariance[i * vectors.count + j] }
}

/// One instruction of a Tensor Program (THEORY §2).
public enum Instruction: Sendable, Hashable {
  /// `dest = W x` or, when `transposed`, `dest = Wᵀ x`.
  case matmul(dest: VectorID, matrix: MatrixID, transposed: Bool, operand: VectorID)
  /// `dest_i = ψ(x¹_i, …; θ)` coordinatewise.
  case nonlin(dest: VectorID, CoordExpr)
  /// `dest = (1/n) Σ_i ψ(x¹_i, …; θ)`.
  case moment(dest: ScalarID, CoordExpr)
  /// `dest = formula(θ…)` with scalars only.
  case scalar(dest: ScalarID, CoordExpr)
}

/// A requested output: `out name` or `show name`.
public struct OutputItem: Sendable, Hashable {
  public init(name: String, value: Value, isShow: Bool) {
    self.name = name
    self.value = value
    self.isShow = isShow
  }

  public enum Value: Sendable, Hashable {
    case scalar(ScalarID)
    case vector(VectorID)
  }

  public var name: String
  public var value: Value
  /// True for `show` (print the coordinate law) rather than `out`.
  public var isShow: Bool
}

/// A typed, unrolled, SSA Tensor Program: the core IR every engine consumes.
public struct Program: Sendable {
  /// The symbolic width's name (`n`).
  public var widthName: String = "n"
  public var matrices: [MatrixInfo] = []
  public var vectors: [VectorInfo] = []
  public var scalars: [ScalarInfo] = []
  public var initialGroups: [InitialGroup] = []
  public var instructions: [Instruction] = []
  public var outputs: [OutputItem] = []
  /// Where each instruction came from, parallel to ``instructions`` (for error messages).
  public var instructionRanges: [SourceRange] = []
  /// For a program lowered from a network: what each instruction computes in the user's terms
  /// ("the forward pass of 'h2 = W @ x1' on example 1 at step 0"), parallel to
  /// ``instructions``, so a numerical failure names a layer, a step and an observable rather
  /// than compiler temporaries. Empty (or nil entries) for a core program's own instructions.
  public var instructionOrigins: [String?] = []
  /// The source file, for rendering locations in numerical errors.
  public var file: SourceFile?

  public init() {}

  public func name(_ v: VectorID) -> String { vectors[v.raw].name }
  public func name(_ s: ScalarID) -> String { scalars[s.raw].name }
  public func name(_ m: MatrixID) -> String { matrices[m.raw].name }

  /// The instruction that defines each vector (nil for initial vectors).
  public var vectorDefinitions: [Int?] {
    var defs = [Int?](repeating: nil, count: vectors.count)
    for (k, inst) in instructions.enumerated() {
      switch inst {
      case .matmul(let d, _, _, _), .nonlin(let d, _): defs[d.raw] = k
      default: break
      }
    }
    return defs
  }

  /// A human-readable location for instruction `k`: `file:line:col` when known.
  public func location(ofInstruction k: Int) -> String {
    guard let file, k < instructionRanges.count else { return "instruction \(k)" }
    let loc = file.location(of: instructionRanges[k].start)
    return "\(file.name):\(loc.line):\(loc.column)"
  }
}
