import TPCore
import TPSyntax

/// Appends declarations and instructions to a core ``Program``, folding trivial expressions.
///
/// Each instruction records ``range`` and ``origin`` as they are when it is emitted: the
/// lowering sets them to the statement being lowered and to what the instruction computes in
/// the user's terms, so a numerical failure points at the model or `observe` line and names the
/// pass, the example and the step.
struct CoreBuilder {
  var program = Program()
  var range: SourceRange
  var origin: String?

  init(widthName: String, range: SourceRange) {
    program.widthName = widthName
    self.range = range
  }

  mutating func matrix(_ name: String, variance: Double) -> MatrixID {
    program.matrices.append(MatrixInfo(name: name, variance: variance, range: range))
    return MatrixID(program.matrices.count - 1)
  }

  /// An initial vector with iid `N(0, variance)` coordinates, independent of all others.
  mutating func initial(_ name: String, variance: Double) -> VectorID {
    let id = newVector(name)
    program.initialGroups.append(InitialGroup(vectors: [id], mean: [0], covariance: [variance]))
    return id
  }

  mutating func newVector(_ name: String) -> VectorID {
    program.vectors.append(VectorInfo(name: name, isTemporary: false, range: range))
    return VectorID(program.vectors.count - 1)
  }

  /// A vector equal to `e` (no instruction when `e` already is a vector).
  mutating func vector(_ name: String, _ e: CoordExpr) -> VectorID {
    if case .vector(let v) = e { return v }
    let id = newVector(name)
    emit(.nonlin(dest: id, e))
    return id
  }

  mutating func matmul(_ name: String, _ m: MatrixID, transposed: Bool, _ x: VectorID) -> VectorID {
    let id = newVector(name)
    emit(.matmul(dest: id, matrix: m, transposed: transposed, operand: x))
    return id
  }

  /// `mean(e)` as a scalar leaf.
  mutating func moment(_ name: String, _ e: CoordExpr) -> CoordExpr {
    let id = newScalar(name, nil)
    emit(.moment(dest: id, e))
    return .scalar(id)
  }

  /// A named scalar equal to `e` (constants stay constants).
  mutating func scalar(_ name: String, _ e: CoordExpr) -> ScalarID {
    if case .scalar(let s) = e, program.scalars[s.raw].name.hasPrefix("%") {
      program.scalars[s.raw].name = name
      return s
    }
    let id = newScalar(name, e.constantValue)
    if e.constantValue == nil { emit(.scalar(dest: id, e)) }
    return id
  }

  mutating func newScalar(_ name: String, _ value: Double?) -> ScalarID {
    program.scalars.append(
      ScalarInfo(name: name, isTemporary: name.hasPrefix("%"), range: range, constantValue: value))
    return ScalarID(program.scalars.count - 1)
  }

  mutating func emit(_ inst: Instruction) {
    program.instructions.append(inst)
    program.instructionRanges.append(range)
    program.instructionOrigins.append(origin)
  }
}
