import Foundation

/// A coordinatewise expression compiled to straight-line operations over chunk-long arrays.
///
/// The tape is the "compiled" form of a `Nonlin` or `Moment` body (ARCHITECTURE.md, "Making it
/// fast"): every node of the expression becomes one operation that runs a tight loop over a
/// chunk of coordinates, reading and writing whole arrays (struct-of-arrays), so there is no tree
/// walk and no closure call per coordinate. Scalars are bound to their values when the tape is
/// compiled, so they are immediates like constants.
///
/// Slots: `0 ..< inputs.count` are the input vectors (read only), then `registerCount` scratch
/// registers of one chunk each, then one output slot (``outputSlot``) when the tape was compiled
/// to write its result into a destination vector. Repeated sub-expressions (common in symbolic
/// derivatives such as `1 - tanh(h) * tanh(h)`) are computed once; a register is reused as soon
/// as its last reader has run.
public struct Tape: Sendable {
  public enum Operand: Sendable, Hashable {
    case slot(Int)
    case constant(Double)
  }

  public enum Unary: Sendable, Hashable {
    case negate
    case function(Function)
  }

  public enum Binary: Sendable, Hashable {
    case add, subtract, multiply, divide, power
  }

  public enum Op: Sendable, Hashable {
    case unary(Unary, dest: Int, Operand)
    case binary(Binary, dest: Int, Operand, Operand)
  }

  /// The vectors read, bound to slots `0 ..< inputs.count`.
  public let inputs: [VectorID]
  /// Number of scratch registers, each one chunk long.
  public let registerCount: Int
  public let ops: [Op]
  /// Where the value ends up: an input slot, a register, ``outputSlot``, or a constant.
  public let result: Operand

  /// The slot of the destination vector (meaningful when compiled with `writesOutput`).
  public var outputSlot: Int { inputs.count + registerCount }

  /// Slots a chunk evaluation needs pointers for.
  public var slotCount: Int { inputs.count + registerCount + 1 }

  /// Compiles `expression`, replacing every scalar leaf by its value in `scalars`.
  ///
  /// With `writesOutput`, the last operation writes into ``outputSlot`` (when the expression is
  /// a bare leaf, ``result`` is that leaf and the caller copies or fills it).
  public init(_ expression: CoordExpr, scalars: [Double], writesOutput: Bool) {
    let bound = expression.substituting { leaf in
      if case .scalar(let s) = leaf { return .constant(scalars[s.raw]) }
      return nil
    }
    var compiler = TapeCompiler(inputs: bound.vectors)
    let result = compiler.compile(bound, root: writesOutput)
    // The output slot sits after the registers, whose count is known only now.
    let outputSlot = compiler.inputs.count + compiler.registerCount
    func relocate(_ o: Operand) -> Operand {
      if case .slot(TapeCompiler.outputMarker) = o { return .slot(outputSlot) }
      return o
    }
    self.inputs = compiler.inputs
    self.registerCount = compiler.registerCount
    self.ops = compiler.ops.map { op in
      switch op {
      case .unary(let u, let d, let a):
        return .unary(u, dest: d == TapeCompiler.outputMarker ? outputSlot : d, a)
      case .binary(let b, let d, let x, let y):
        return .binary(b, dest: d == TapeCompiler.outputMarker ? outputSlot : d, x, y)
      }
    }
    self.result = relocate(result)
  }

  /// Runs every operation on one chunk of `count` coordinates. `slots[i]` points at the chunk's
  /// first coordinate of slot `i` (inputs at their offset, registers, and the output).
  public func evaluate(count: Int, slots: UnsafePointer<UnsafeMutablePointer<Double>>) {
    for op in ops {
      switch op {
      case .unary(let u, let d, let a): TapeKernels.unary(u, a, into: slots[d], count: count, slots: slots)
      case .binary(let b, let d, let x, let y):
        TapeKernels.binary(b, x, y, into: slots[d], count: count, slots: slots)
      }
    }
  }
}

/// Builds a tape bottom-up with common-subexpression sharing and register reuse.
private struct TapeCompiler {
  /// A placeholder destination for the root operation, relocated once registers are counted.
  static let outputMarker = -1

  let inputs: [VectorID]
  var registerCount = 0
  var ops: [Tape.Op] = []
  /// Remaining readers of each computed sub-expression (a node's parents that are computed).
  var readers: [CoordExpr: Int] = [:]
  var computed: [CoordExpr: Tape.Operand] = [:]
  var freeRegisters: [Int] = []

  init(inputs: [VectorID]) { self.inputs = inputs }

  mutating func compile(_ e: CoordExpr, root: Bool) -> Tape.Operand {
    countReaders(e)
    return operand(e, root: root)
  }

  /// Counts, for every inner node, how many computed parents read it: a node seen again is
  /// shared, so its children are not counted a second time.
  mutating func countReaders(_ e: CoordExpr) {
    switch e {
    case .constant, .vector, .scalar, .argument: return
    default: break
    }
    readers[e, default: 0] += 1
    guard readers[e] == 1 else { return }
    switch e {
    case .negate(let a), .apply(_, let a): countReaders(a)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
      .power(let a, let b):
      countReaders(a)
      countReaders(b)
    case .constant, .vector, .scalar, .argument: break
    }
  }

  func register(_ o: Tape.Operand) -> Int? {
    if case .slot(let s) = o, s >= inputs.count { return s }
    return nil
  }

  /// Marks one read of `e` (whose value is `o`) as done, freeing its register after the last.
  mutating func release(_ e: CoordExpr, _ o: Tape.Operand) {
    guard let count = readers[e] else { return }
    readers[e] = count - 1
    if count == 1, let r = register(o) { freeRegisters.append(r) }
  }

  mutating func destination(root: Bool) -> Int {
    if root { return Self.outputMarker }
    if let r = freeRegisters.popLast() { return r }
    registerCount += 1
    return inputs.count + registerCount - 1
  }

  mutating func operand(_ e: CoordExpr, root: Bool = false) -> Tape.Operand {
    if let done = computed[e] { return done }
    let result: Tape.Operand
    switch e {
    case .constant(let v): return .constant(v)
    case .vector(let v):
      guard let i = inputs.firstIndex(of: v) else { preconditionFailure("tape input \(v) not collected") }
      return .slot(i)
    case .scalar, .argument:
      preconditionFailure("scalar leaves are bound and arguments expanded before compiling a tape")
    case .negate(let a): result = unary(.negate, a, root: root)
    case .apply(let f, let a): result = unary(.function(f), a, root: root)
    case .add(let a, let b): result = binary(.add, a, b, root: root)
    case .subtract(let a, let b): result = binary(.subtract, a, b, root: root)
    case .multiply(let a, let b): result = binary(.multiply, a, b, root: root)
    case .divide(let a, let b): result = binary(.divide, a, b, root: root)
    case .power(let a, let b):
      // `a ** 2` as `a * a`: both are correctly rounded, so the value is the same, and much cheaper.
      result = b.constantValue == 2 ? binary(.multiply, a, a, root: root) : binary(.power, a, b, root: root)
    }
    computed[e] = result
    return result
  }

  mutating func unary(_ u: Tape.Unary, _ a: CoordExpr, root: Bool) -> Tape.Operand {
    let x = operand(a)
    if case .constant(let c) = x {
      release(a, x)
      return .constant(TapeKernels.apply(u, c))
    }
    release(a, x)
    let d = destination(root: root)
    ops.append(.unary(u, dest: d, x))
    return .slot(d)
  }

  mutating func binary(_ b: Tape.Binary, _ l: CoordExpr, _ r: CoordExpr, root: Bool) -> Tape.Operand {
    let x = operand(l)
    let y = operand(r)
    release(l, x)
    release(r, y)
    if case .constant(let p) = x, case .constant(let q) = y {
      return .constant(TapeKernels.apply(b, p, q))
    }
    let d = destination(root: root)
    ops.append(.binary(b, dest: d, x, y))
    return .slot(d)
  }
}

extension Tape {
  /// Evaluates the tape over `count` points in fixed chunks of `chunkSize`, chunks spread over
  /// up to `threads` threads with `DispatchQueue.concurrentPerform`. Chunk boundaries depend only
  /// on `count` and `chunkSize`, so results never depend on the thread count.
  ///
  /// `inputs[i]` holds the values of ``inputs``[i] at every point; `output`, when given, receives
  /// the result. `body(chunk, range, values)` sees the chunk's index, its points and a pointer to
  /// its values (the output, a register or an input); it may run concurrently for different chunks.
  public func forEachChunk(
    count: Int, inputs: [UnsafePointer<Double>], output: UnsafeMutablePointer<Double>?, chunkSize: Int,
    threads: Int, _ body: @escaping @Sendable (Int, Range<Int>, UnsafePointer<Double>) -> Void
  ) {
    guard count > 0 else { return }
    let chunks = (count - 1) / chunkSize + 1
    let shared = UnsafeShared((inputs, output, self))
    let work: @Sendable (Int) -> Void = { chunk in
      let (inputs, output, tape) = shared.value
      let range = (chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize)
      let n = range.count
      // Registers, plus one spare standing in for the output slot when there is none.
      let registers = UnsafeMutablePointer<Double>.allocate(capacity: (tape.registerCount + 1) * n)
      defer { registers.deallocate() }
      var slots = inputs.map { UnsafeMutablePointer(mutating: $0) + range.lowerBound }
      for r in 0...tape.registerCount { slots.append(registers + r * n) }
      if let output { slots[tape.outputSlot] = output + range.lowerBound }
      slots.withUnsafeBufferPointer { s in
        guard let base = s.baseAddress else { return }
        tape.evaluate(count: n, slots: base)
        switch tape.result {
        case .slot(let result): body(chunk, range, s[result])
        case .constant(let c):
          let tmp = registers
          tmp.update(repeating: c, count: n)
          body(chunk, range, tmp)
        }
      }
    }
    if threads <= 1 || chunks == 1 {
      for c in 0..<chunks { work(c) }
    } else {
      // Hand out chunks from a shared counter so at most `threads` workers run at once.
      let next = UnsafeShared(UnsafeMutablePointer<Int>.allocate(capacity: 1))
      next.value.initialize(to: 0)
      let lock = NSLock()
      DispatchQueue.concurrentPerform(iterations: min(threads, chunks)) { _ in
        while true {
          lock.lock()
          let c = next.value.pointee
          next.value.pointee += 1
          lock.unlock()
          if c >= chunks { return }
          work(c)
        }
      }
      next.value.deallocate()
    }
  }
}
