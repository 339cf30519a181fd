import Foundation
import TPCore
import TPNumerics

/// The exact infinite-width limit of SGD on a *linear* network, computed on coefficient
/// vectors instead of by unrolling into a core program (THEORY §8; Yang & Hu, "Feature
/// Learning in Infinite-Width Neural Networks", ICML 2021, §"Word2Vec" and Appendix on
/// linear networks).
///
/// **Why it is exact.** Take a network whose model uses only input layers, biases, one
/// readout and coordinatewise *affine* expressions (identity nonlinearities). Its initial
/// width-sized vectors are the columns `u_{L,k}` of each input layer, the biases `b` and the
/// readout rows `ṽ_j`, independent with coordinates `N(0, w_i)`, plus the constant vector `1`.
/// Write `Z_1 … Z_B` for them (`B = 1 + Σ_L d_L + #biases + k`). Every vector of the
/// unrolled program (`ModelGraph` ops, `dh`, the readout's update directions) is a linear
/// combination `Σ_i c_i Z_i` — no matrix `W` of a hidden layer ever acts, so no new Gaussian
/// appears — and every `mean(x ⊙ y)` in the limit is `E[Z^x Z^y] = Σ_i w_i c^x_i c^y_i`
/// (`w_0 = 1` for the constant). The update rules are those of ``Unroller`` (same `κ`, same
/// width exponents, same dropped terms), applied to coefficient vectors:
///
/// * input layer `L` (as the matrix of its columns' coefficients `C_L ∈ R^{B×d}`):
///   `h = C_L ξ`, and after the batch `C_L ← C_L + Σ_b κ_L dh_b ξ_bᵀ`;
/// * bias: `b ← b + Σ_b κ_b dh_b`;
/// * readout, forward rows `R^f_j` (start `n^{1−α} ṽ_j`) and backward rows `R^b_j`
///   (start `ṽ_j`): `f_j(x) = Σ_i w_i R^f_{ji} x_i`, `dx = Σ_j χ_j R^b_j`, and after the batch
///   `R^f_j ← R^f_j + κ_f Σ_b χ_{bj} x_b`, `R^b_j ← R^b_j + κ_b Σ_b χ_{bj} x_b`.
///
/// This is training a width-`B` linear network from a "diagonal" initialization with the
/// inner product weighted by `w` — for THEORY §8's `d_in = d_out = 1` net it is the
/// four-number recursion `(a_t, b_t, c_t, d_t)`. Nothing is sampled: the results are exact
/// up to rounding. Costs per SGD example are `O(k·B)` (three `k × B × batch` matrix products
/// per step), and a one-hot input touches one column of `C_L`.
///
/// ``NetworkLowering/linearLimit(_:)`` returns nil for any other network (a hidden layer, a
/// nonlinear expression, `observe alignment`, `steps: inf`), which the general interpreter
/// then handles.
public struct LinearNetworkLimit: Sendable {
  /// The observed values, in the order of ``LoweredNetwork/trajectory``.
  public var trajectory: [TrajectoryValue]
  /// Update terms dropped in the limit because their width exponent is negative.
  public var dropped: [String]
  /// The number `B` of base vectors (the constant, input columns, biases, readout rows).
  public var bases: Int
}

extension NetworkLowering {
  /// The exact limit of a linear network by ``LinearNetworkLimit``'s coefficient recursion, or
  /// nil when the model is not linear in the sense described there.
  public static func linearLimit(_ checked: CheckedUnit) throws(LoweringFailure) -> LinearNetworkLimit? {
    guard let net = checked.network, let model = net.model, let training = net.training,
      training.steps != nil
    else { return nil }
    if net.observations.contains(where: { if case .alignment = $0.kind { return true } else { return false } }
    ) {
      return nil
    }
    return try failures {
      let u = try Unroller(checked: checked, network: net, model: model, mode: .limit)
      guard let affine = LinearSolver.affineOps(u.graph) else { return nil }
      var solver = try LinearSolver(u, affine: affine)
      return try solver.run()
    }
  }
}

/// The state of ``LinearNetworkLimit``'s recursion: coefficient vectors of length `B`.
struct LinearSolver {
  /// A pointwise op as `offset · 1 + Σ coefficient · op`.
  struct Affine {
    var offset: Double
    var terms: [(op: Int, coefficient: Double)]
  }
  enum Op {
    case input(layer: Int)
    case bias(Int)
    case affine(Affine)
  }

  var unroller: Unroller
  let ops: [Op]
  /// Number of base vectors and their variances `w_i` (`w_0 = 1`: the constant vector).
  let b: Int
  var weights: [Double]
  /// Per input layer: its name, fan-in, first base index, column coefficients (column-major,
  /// `B` per column), and the update factor `κ` (nil when the update vanishes).
  var inputNames: [String] = []
  var fanIn: [Int] = []
  var columns: [[Double]] = []
  var inputKappa: [Double?] = []
  var biasNames: [String] = []
  var biases: [[Double]] = []
  var biasKappa: [Double?] = []
  /// Readout rows, row-major `k × B`; `backward` is nil when it equals `forward` throughout.
  let k: Int
  var forward: [Double]
  var backward: [Double]?
  var kappaForward: Double?
  var kappaBackward: Double?
  var trajectory: [TrajectoryValue] = []
  /// Hidden vectors of the observed points at step 0 (for `movement`).
  var initial: [[Double]: [[Double]]] = [:]

  /// The ops of `graph` as affine maps, or nil when one is not affine or a hidden layer is used.
  static func affineOps(_ graph: ModelGraph) -> [Op]? {
    var ops: [Op] = []
    var layers: [String] = []
    var biases: [String] = []
    for op in graph.ops {
      switch op {
      case .hidden: return nil
      case .inputLayer(let name):
        if !layers.contains(name) { layers.append(name) }
        ops.append(.input(layer: layers.firstIndex(of: name)!))  // safe: just added
      case .bias(let name):
        if !biases.contains(name) { biases.append(name) }
        ops.append(.bias(biases.firstIndex(of: name)!))  // safe: just added
      case .pointwise(let e):
        if !e.scalars.isEmpty { return nil }
        var terms: [(Int, Double)] = []
        for leaf in e.vectors {
          let d = e.derivative(withRespectTo: .vector(leaf))
          guard d.vectors.isEmpty, d.scalars.isEmpty else { return nil }
          let c = d.evaluate { _ in 0 }
          guard c.isFinite else { return nil }
          terms.append((leaf.raw, c))
        }
        let offset = e.evaluate { _ in 0 }
        guard offset.isFinite else { return nil }
        ops.append(.affine(Affine(offset: offset, terms: terms)))
      }
    }
    return ops
  }

  init(_ u: Unroller, affine: [Op]) throws(LoweringFailure) {
    unroller = u
    ops = affine
    let net = u.network
    var weights = [1.0]
    // The input layers in the order the model first uses them, then biases, then the readout.
    var inputs: [String] = []
    var biasList: [String] = []
    for op in u.graph.ops {
      if case .inputLayer(let n) = op, !inputs.contains(n) { inputs.append(n) }
      if case .bias(let n) = op, !biasList.contains(n) { biasList.append(n) }
    }
    let batch = Double(u.training?.batch ?? net.datasets[u.training?.data ?? ""]?.count ?? 1)
    let readoutA = u.exps(u.graph.readout).scale
    let inputScale = net.layers.first { $0.role == .input }.map { u.exps($0.name).scale } ?? .zero
    let inputA = net.layers.first { $0.role == .input }.map { u.exps($0.name).a } ?? .zero
    var starts: [Int] = []
    for name in inputs {
      let l = net.layer(named: name)!  // safe: the model graph checked it
      guard case .finite(let d) = l.input else { continue }
      let e = u.exps(name)
      let v =
        try unroller.scaled(l.variance / Double(d), -2 * e.scale, "input layer \(name) at initialization")
        ?? 0
      starts.append(weights.count)
      weights += [Double](repeating: v, count: d)
      inputNames.append(name)
      fanIn.append(d)
      inputKappa.append(
        try unroller.scaled(
          -u.lr * l.variance / Double(d) / batch, -u.c - 2 * e.a - readoutA, "the output of layer \(name)"))
    }
    var biasStarts: [Int] = []
    for name in biasList {
      let spec = net.biases.first { $0.name == name }!  // safe: the model graph checked it
      let v = try unroller.scaled(spec.variance, -2 * inputScale, "bias \(name) at initialization") ?? 0
      biasStarts.append(weights.count)
      weights.append(v)
      biasNames.append(name)
      biasKappa.append(
        try unroller.scaled(-u.lr * spec.variance / batch, -u.c - 2 * inputA - readoutA, "bias \(name)"))
    }
    let readout = u.readoutSpec
    guard case .finite(let k) = readout.output else {
      throw .program(LoweringError("the readout has no output size"))
    }
    self.k = k
    let readoutStart = weights.count
    weights += [Double](repeating: readout.variance, count: k)
    b = weights.count
    self.weights = weights
    let s0: Double?
    do {
      s0 = try unroller.scaled(1, .one - u.alpha, "the output at initialization")
    } catch {
      throw .kernelRegime
    }
    let a = u.exps(u.graph.readout).a
    kappaForward = try unroller.scaled(
      -u.lr * readout.variance / batch, .one - u.c - 2 * a, "the readout update of \(u.graph.readout)")
    kappaBackward = try unroller.scaled(
      -u.lr * readout.variance / batch, u.alpha - u.c - 2 * a, "the readout update seen by the backward pass")
    let bases = weights.count
    for (i, start) in starts.enumerated() {
      var c = [Double](repeating: 0, count: bases * fanIn[i])
      for j in 0..<fanIn[i] { c[j * bases + start + j] = 1 }
      columns.append(c)
    }
    for start in biasStarts {
      var c = [Double](repeating: 0, count: bases)
      c[start] = 1
      biases.append(c)
    }
    var rows = [Double](repeating: 0, count: k * bases)
    for j in 0..<k { rows[j * bases + readoutStart + j] = 1 }
    backward = rows
    if let s0 {
      forward = rows.map { $0 * s0 }
    } else {
      forward = [Double](repeating: 0, count: k * bases)
    }
    if s0 == 1, kappaForward == kappaBackward { backward = nil }
  }

  // MARK: Passes

  /// The coefficient vectors of every op at input `xi`, with the current weights.
  func values(_ xi: [Double]) -> [[Double]] {
    var values: [[Double]] = []
    values.reserveCapacity(ops.count)
    for op in ops {
      var v = [Double](repeating: 0, count: b)
      switch op {
      case .input(let l):
        for (j, x) in xi.enumerated() where x != 0 {
          columns[l].withUnsafeBufferPointer { c in
            for i in 0..<b { v[i] += x * c[j * b + i] }
          }
        }
      case .bias(let i):
        v = biases[i]
      case .affine(let a):
        v[0] = a.offset
        for (op, c) in a.terms {
          let w = values[op]
          for i in 0..<b { v[i] += c * w[i] }
        }
      }
      values.append(v)
    }
    return values
  }

  /// `F[p, j] = Σ_i w_i R_{ji} X[p, i]` for the rows `X` (`m × B`, row-major) and readout `rows`.
  /// Many rows (the loss on every distinct input) go through the blocked product; a batch
  /// through ``RowKernel``, which streams `R` once instead of packing it.
  /// Rows with few non-zero coefficients (an input never trained on is one base vector) are
  /// summed over their support alone, in `O(k · support)`.
  func outputs(_ x: [Double], count m: Int, rows: [Double]) -> [Double] {
    var dense: [Int] = []
    var f = [Double](repeating: 0, count: m * k)
    for p in 0..<m {
      let support = (0..<b).filter { x[p * b + $0] != 0 }
      if support.count * 16 > b {
        dense.append(p)
        continue
      }
      for j in 0..<k {
        var s = 0.0
        for i in support { s += weights[i] * x[p * b + i] * rows[j * b + i] }
        f[p * k + j] = s
      }
    }
    if dense.count == m { return denseOutputs(x, count: m, rows: rows) }
    if dense.isEmpty { return f }
    let g = denseOutputs(dense.flatMap { x[($0 * b)..<(($0 + 1) * b)] }, count: dense.count, rows: rows)
    for (q, p) in dense.enumerated() { for j in 0..<k { f[p * k + j] = g[q * k + j] } }
    return f
  }

  /// ``outputs(_:count:rows:)`` for rows of any support.
  func denseOutputs(_ x: [Double], count m: Int, rows: [Double]) -> [Double] {
    var xw = x
    for p in 0..<m { for i in 0..<b { xw[p * b + i] *= weights[i] } }
    var f = [Double](repeating: 0, count: m * k)
    xw.withUnsafeBufferPointer { pa in
      rows.withUnsafeBufferPointer { pb in
        f.withUnsafeMutableBufferPointer { pc in
          if m >= 64 {
            Dense.multiply(m: m, n: k, k: b, pa, lda: b, pb, ldb: b, transposeB: true, into: pc, ldc: k)
          } else {
            RowKernel.dots(rows: pb, count: k, length: b, pa, m: m, into: pc)
          }
        }
      }
    }
    return f
  }

  /// The model's outputs at several inputs (their readout operands stacked row-major).
  func outputs(at points: [[Double]]) -> (passes: [[[Double]]], f: [Double]) {
    let passes = points.map(values)
    let operand = unroller.graph.readoutOperand
    let x = passes.flatMap { $0[operand] }
    return (passes, outputs(x, count: points.count, rows: forward))
  }

  func mean(_ a: [Double], _ c: [Double]) -> Double {
    var s = 0.0
    for i in 0..<b { s += weights[i] * a[i] * c[i] }
    return s
  }

  // MARK: Driver

  mutating func run() throws(LoweringFailure) -> LinearNetworkLimit {
    let u = unroller
    let steps = u.training?.steps ?? 0
    let data = u.training.flatMap { u.network.datasets[$0.data] } ?? []
    // Distinct inputs of the data set, for the loss: one forward pass each.
    var distinct: [[Double]] = []
    var slot: [[Double]: Int] = [:]
    let exampleSlot = data.map { ex -> Int in
      if let s = slot[ex.input] { return s }
      slot[ex.input] = distinct.count
      distinct.append(ex.input)
      return distinct.count - 1
    }
    for t in 0...steps {
      try observe(step: t, data: data, distinct: distinct, exampleSlot: exampleSlot)
      if t == steps { break }
      try trainStep(t, data: data)
    }
    return LinearNetworkLimit(trajectory: trajectory, dropped: unroller.dropped, bases: b)
  }

  mutating func trainStep(_ t: Int, data: [Example]) throws(LoweringFailure) {
    guard let training = unroller.training, !data.isEmpty else { return }
    let batch = training.batch ?? data.count
    let examples = (0..<batch).map { data[(t * batch + $0) % data.count] }
    let (passes, f) = outputs(at: examples.map(\.input))
    var chi = [Double](repeating: 0, count: batch * k)
    for (p, ex) in examples.enumerated() {
      for j in 0..<k {
        let y = ex.label[j]
        let fj = f[p * k + j]
        switch training.loss {
        case .mse: chi[p * k + j] = fj - y
        case .logistic: chi[p * k + j] = -y / (1 + exp(y * fj))
        }
      }
    }
    if let bad = chi.firstIndex(where: { !$0.isFinite }) {
      throw .unstable("the loss derivative of training example \(bad / k + 1) at step \(t + 1) is not finite")
    }
    // dx = χ R^b for every example: batch × B (from the rows before this step's update).
    var g = [Double](repeating: 0, count: batch * b)
    chi.withUnsafeBufferPointer { pc in
      (backward ?? forward).withUnsafeBufferPointer { pr in
        g.withUnsafeMutableBufferPointer { pg in
          RowKernel.combine(rows: pr, count: k, length: b, pc, m: batch, into: pg)
        }
      }
    }
    // Backward through the affine ops, collecting the input and bias updates.
    var columnUpdates = columns.map { _ in [Int: [Double]]() }
    var biasUpdates = biases.map { [Double](repeating: 0, count: $0.count) }
    let operand = unroller.graph.readoutOperand
    for (p, ex) in examples.enumerated() {
      var adjoint = [[Double]?](repeating: nil, count: ops.count)
      adjoint[operand] = Array(g[(p * b)..<((p + 1) * b)])
      for i in ops.indices.reversed() {
        guard let a = adjoint[i] else { continue }
        switch ops[i] {
        case .affine(let e):
          for (op, c) in e.terms {
            var acc = adjoint[op] ?? [Double](repeating: 0, count: b)
            for q in 0..<b { acc[q] += c * a[q] }
            adjoint[op] = acc
          }
        case .input(let l):
          guard let kappa = inputKappa[l] else { continue }
          for (j, x) in ex.input.enumerated() where x != 0 {
            var acc = columnUpdates[l][j] ?? [Double](repeating: 0, count: b)
            for q in 0..<b { acc[q] += kappa * x * a[q] }
            columnUpdates[l][j] = acc
          }
        case .bias(let l):
          guard let kappa = biasKappa[l] else { continue }
          for q in 0..<b { biasUpdates[l][q] += kappa * a[q] }
        }
      }
    }
    // Readout: R ← R + κ χᵀ X.
    let x = passes.flatMap { $0[operand] }
    func update(_ rows: inout [Double], _ kappa: Double) {
      chi.withUnsafeBufferPointer { pc in
        x.withUnsafeBufferPointer { px in
          rows.withUnsafeMutableBufferPointer { pr in
            RowKernel.update(rows: pr, count: k, length: b, kappa: kappa, pc, m: batch, px)
          }
        }
      }
    }
    if let kf = kappaForward { update(&forward, kf) }
    if backward != nil, let kb = kappaBackward { update(&backward!, kb) }  // safe: checked
    for (l, updates) in columnUpdates.enumerated() {
      for (j, d) in updates { for q in 0..<b { columns[l][j * b + q] += d[q] } }
    }
    for (l, d) in biasUpdates.enumerated() { for q in 0..<b { biases[l][q] += d[q] } }
  }

  mutating func record(
    _ observable: String, target: String? = nil, _ points: [[Double]], output: Int = 0, step: Int, _ v: Double
  ) {
    trajectory.append(
      TrajectoryValue(
        observable: observable, target: target, points: points, output: output, step: step, value: v,
        standardError: 0, error: 0, method: .exact))
  }

  mutating func observe(step t: Int, data: [Example], distinct: [[Double]], exampleSlot: [Int])
    throws(LoweringFailure)
  {
    let u = unroller
    let steps = u.training?.steps ?? 0
    var cache: [[Double]: [[Double]]] = [:]
    func pass(_ p: [Double]) -> [[Double]] {
      if let hit = cache[p] { return hit }
      let v = values(p)
      cache[p] = v
      return v
    }
    for obs in u.network.observations where t % obs.every == 0 || t == steps {
      switch obs.kind {
      case .function:
        for p in obs.points {
          let f = outputs(pass(p)[u.graph.readoutOperand], count: 1, rows: forward)
          for j in 0..<k { record(u.model.name, [p], output: j, step: t, f[j]) }
        }
      case .loss:
        guard let training = u.training, !data.isEmpty else {
          throw .program(LoweringError("'observe loss' needs a 'train' statement", range: obs.range))
        }
        let (_, f) = outputs(at: distinct)
        var total = 0.0
        let softplus: Function = .softplus
        for (e, ex) in data.enumerated() {
          let s = exampleSlot[e]
          for j in 0..<k {
            let fj = f[s * k + j]
            let y = ex.label[j]
            switch training.loss {
            case .mse: total += 0.5 * (fj - y) * (fj - y)
            case .logistic: total += softplus(-y * fj)
            }
          }
        }
        record("loss", [], step: t, total / Double(data.count))
      case .movement(let v):
        let op = try u.local(v, obs.range)
        let p = obs.points[0]
        let now = pass(p)
        if t == 0 { initial[p] = now }
        let start = initial[p] ?? now
        let diff = zip(now[op], start[op]).map { $0 - $1 }
        record("movement", target: v, [p], step: t, mean(diff, diff))
      case .kernel(let v):
        let op = try u.local(v, obs.range)
        let values = obs.points.map { pass($0)[op] }
        for a in obs.points.indices {
          for c in a..<obs.points.count {
            record("kernel", target: v, [obs.points[a], obs.points[c]], step: t, mean(values[a], values[c]))
          }
        }
      case .alignment:
        break  // excluded by linearLimit
      }
    }
  }
}

/// The readout's three row-streaming loops over `R` (`count × length`, row-major), in fixed
/// chunks of rows so that results do not depend on the thread count: each row is read once
/// from memory and used for all `m` examples of the batch while it sits in cache.
enum RowKernel {
  static let chunk = 32

  /// `Σ_i a[i] c[i]` in four interleaved SIMD partial sums, then the tail in order.
  @inline(__always)
  static func dot(_ a: UnsafePointer<Double>, _ c: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
    var i = 0
    let ra = UnsafeRawPointer(a), rc = UnsafeRawPointer(c)
    while i + 8 <= n {
      s0 +=
        ra.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
        * rc.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
      s1 +=
        ra.loadUnaligned(fromByteOffset: i * 8 + 32, as: SIMD4<Double>.self)
        * rc.loadUnaligned(fromByteOffset: i * 8 + 32, as: SIMD4<Double>.self)
      i += 8
    }
    var s = (s0 + s1).sum()
    while i < n {
      s += a[i] * c[i]
      i += 1
    }
    return s
  }

  /// `y[i] += α x[i]`.
  @inline(__always)
  static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    for i in 0..<n { y[i] += alpha * x[i] }
  }

  /// `f[p·count + j] = R_j · x_p` for `m` rows `x` (`m × length`).
  static func dots(
    rows: UnsafeBufferPointer<Double>, count: Int, length: Int, _ x: UnsafeBufferPointer<Double>, m: Int,
    into f: UnsafeMutableBufferPointer<Double>
  ) {
    guard count > 0, length > 0, m > 0, let pr = rows.baseAddress, let px = x.baseAddress,
      let pf = f.baseAddress
    else { return }
    let shared = UnsafeShared((pr, px, pf))
    Parallel.forEachChunk(count: count, chunkSize: chunk, threads: Parallel.defaultThreads) { range in
      let (pr, px, pf) = shared.value
      for j in range {
        for p in 0..<m { pf[p * count + j] = dot(pr + j * length, px + p * length, length) }
      }
    }
  }

  /// `g_p = Σ_j χ[p·count + j] R_j` for `m` examples: per chunk of rows a partial sum, the
  /// partials added in chunk order.
  static func combine(
    rows: UnsafeBufferPointer<Double>, count: Int, length: Int, _ chi: UnsafeBufferPointer<Double>, m: Int,
    into g: UnsafeMutableBufferPointer<Double>
  ) {
    guard count > 0, length > 0, m > 0, let pr = rows.baseAddress, let pc = chi.baseAddress,
      let pg = g.baseAddress
    else { return }
    let chunks = (count - 1) / chunk + 1
    var partial = [Double](repeating: 0, count: chunks * m * length)
    partial.withUnsafeMutableBufferPointer { pp in
      let shared = UnsafeShared((pr, pc, pp.baseAddress!))  // safe: chunks · m · length > 0
      Parallel.forEachChunk(count: count, chunkSize: chunk, threads: Parallel.defaultThreads) { range in
        let (pr, pc, pp) = shared.value
        let base = pp + (range.lowerBound / chunk) * m * length
        for j in range {
          for p in 0..<m {
            let c = pc[p * count + j]
            if c != 0 { axpy(c, pr + j * length, base + p * length, length) }
          }
        }
      }
      for c in 0..<chunks {
        axpy(1, UnsafePointer(pp.baseAddress! + c * m * length), pg, m * length)  // safe: as above
      }
    }
  }

  /// `R_j ← R_j + κ Σ_p χ[p·count + j] x_p`.
  static func update(
    rows: UnsafeMutableBufferPointer<Double>, count: Int, length: Int, kappa: Double,
    _ chi: UnsafeBufferPointer<Double>, m: Int, _ x: UnsafeBufferPointer<Double>
  ) {
    guard count > 0, length > 0, m > 0, let pr = rows.baseAddress, let pc = chi.baseAddress,
      let px = x.baseAddress
    else { return }
    let shared = UnsafeShared((pr, pc, px))
    Parallel.forEachChunk(count: count, chunkSize: chunk, threads: Parallel.defaultThreads) { range in
      let (pr, pc, px) = shared.value
      for j in range {
        for p in 0..<m {
          let c = kappa * pc[p * count + j]
          if c != 0 { axpy(c, px + p * length, pr + j * length, length) }
        }
      }
    }
  }
}
