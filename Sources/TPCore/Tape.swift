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
///
/// The expression is first interned into a DAG of small nodes (an operation and the ids of its
/// operands), so equal sub-expressions get one id by hashing a few integers rather than whole
/// subtrees: compiling is linear in the size of the tree, whatever its shape. Constant operands
/// fold as they are interned. The DAG is then emitted in post-order (left operand first), each
/// node once; a register is freed after its last reader.
private struct TapeCompiler {
  /// A placeholder destination for the root operation, relocated once registers are counted.
  static let outputMarker = -1

  /// One interned node: an input slot, a constant (by bit pattern) or an operation on node ids.
  enum Node: Hashable {
    case input(Int)
    case constant(UInt64)
    case unary(Tape.Unary, Int)
    case binary(Tape.Binary, Int, Int)
  }

  let inputs: [VectorID]
  var registerCount = 0
  var ops: [Tape.Op] = []
  var nodes: [Node] = []
  var ids: [Node: Int] = [:]
  var freeRegisters: [Int] = []
  /// The scratch register each emitted node writes, by node id (−1 before it is emitted, or for
  /// the output slot).
  var registers: [Int] = []

  init(inputs: [VectorID]) { self.inputs = inputs }

  mutating func intern(_ node: Node) -> Int {
    if let id = ids[node] { return id }
    nodes.append(node)
    ids[node] = nodes.count - 1
    return nodes.count - 1
  }

  func constantValue(_ id: Int) -> Double? {
    if case .constant(let bits) = nodes[id] { return Double(bitPattern: bits) }
    return nil
  }

  mutating func constant(_ v: Double) -> Int { intern(.constant(v.bitPattern)) }

  /// Interns `e` bottom-up (iteratively) and returns the id of its root.
  mutating func internTree(_ e: CoordExpr) -> Int {
    ids.reserveCapacity(2 * inputs.count + 16)
    var slots: [VectorID: Int] = [:]
    slots.reserveCapacity(inputs.count)
    for (i, v) in inputs.enumerated() { slots[v] = i }
    return e.fold(
      leaf: { leaf -> Int in
        switch leaf {
        case .constant(let v): return constant(v)
        case .vector(let v):
          guard let i = slots[v] else { preconditionFailure("tape input \(v) not collected") }
          return intern(.input(i))
        default:
          preconditionFailure("scalar leaves are bound and arguments expanded before compiling a tape")
        }
      },
      node: { e, a, b -> Int in
        switch e {
        case .negate: return unary(.negate, a)
        case .apply(let f, _): return unary(.function(f), a)
        case .add: return binary(.add, a, b ?? a)
        case .subtract: return binary(.subtract, a, b ?? a)
        case .multiply: return binary(.multiply, a, b ?? a)
        case .divide: return binary(.divide, a, b ?? a)
        case .power:
          // `a ** 2` as `a * a`: both are correctly rounded, so the value is the same, and much cheaper.
          let p = b ?? a
          return constantValue(p) == 2 ? binary(.multiply, a, a) : binary(.power, a, p)
        case .constant, .vector, .scalar, .argument: return a
        }
      })
  }

  mutating func unary(_ u: Tape.Unary, _ a: Int) -> Int {
    if let c = constantValue(a) { return constant(TapeKernels.apply(u, c)) }
    return intern(.unary(u, a))
  }

  mutating func binary(_ op: Tape.Binary, _ a: Int, _ b: Int) -> Int {
    if let p = constantValue(a), let q = constantValue(b) { return constant(TapeKernels.apply(op, p, q)) }
    return intern(.binary(op, a, b))
  }

  /// The operands of node `id` that are operations (inputs and constants need no register).
  func innerOperands(_ id: Int) -> [Int] {
    switch nodes[id] {
    case .input, .constant: return []
    case .unary(_, let a): return isInner(a) ? [a] : []
    case .binary(_, let a, let b): return [a, b].filter(isInner)
    }
  }

  func isInner(_ id: Int) -> Bool {
    switch nodes[id] {
    case .input, .constant: return false
    case .unary, .binary: return true
    }
  }

  mutating func compile(_ e: CoordExpr, root writesOutput: Bool) -> Tape.Operand {
    let root = internTree(e)
    switch nodes[root] {
    case .input(let i): return .slot(i)
    case .constant(let bits): return .constant(Double(bitPattern: bits))
    case .unary, .binary: break
    }
    // Readers of every node reachable from the root: one per operand position of each parent.
    var readers = [Int](repeating: 0, count: nodes.count)
    var seen = [Bool](repeating: false, count: nodes.count)
    var stack = [root]
    seen[root] = true
    while let id = stack.popLast() {
      for c in innerOperands(id) {
        readers[c] += 1
        if !seen[c] {
          seen[c] = true
          stack.append(c)
        }
      }
    }
    registers = [Int](repeating: -1, count: nodes.count)
    // Post-order emission, left operand first, each node once.
    var computed = [Tape.Operand?](repeating: nil, count: nodes.count)
    func operand(_ id: Int) -> Tape.Operand {
      switch nodes[id] {
      case .input(let i): return .slot(i)
      case .constant(let bits): return .constant(Double(bitPattern: bits))
      case .unary, .binary: return computed[id]!  // safe: operands are emitted before their readers
      }
    }
    var work: [(Int, Bool)] = [(root, false)]
    while let (id, expanded) = work.popLast() {
      if computed[id] != nil { continue }
      let inner = innerOperands(id)
      if !expanded {
        work.append((id, true))
        for c in inner.reversed() where computed[c] == nil { work.append((c, false)) }
        continue
      }
      let dest: Int
      switch nodes[id] {
      case .unary(let u, let a):
        let x = operand(a)
        release(a, &readers)
        dest = destination(root: writesOutput && id == root)
        ops.append(.unary(u, dest: dest, x))
      case .binary(let op, let a, let b):
        let x = operand(a)
        let y = operand(b)
        release(a, &readers)
        release(b, &readers)
        dest = destination(root: writesOutput && id == root)
        ops.append(.binary(op, dest: dest, x, y))
      case .input, .constant: continue
      }
      registers[id] = dest
      computed[id] = .slot(dest)
    }
    return computed[root]!  // safe: the root was emitted last
  }

  /// Marks one read of node `id` as done, freeing its register after the last.
  mutating func release(_ id: Int, _ readers: inout [Int]) {
    guard isInner(id) else { return }
    readers[id] -= 1
    if readers[id] == 0, registers[id] >= 0 { freeRegisters.append(registers[id]) }
  }

  mutating func destination(root: Bool) -> Int {
    if root { return Self.outputMarker }
    if let r = freeRegisters.popLast() { return r }
    registerCount += 1
    return inputs.count + registerCount - 1
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
