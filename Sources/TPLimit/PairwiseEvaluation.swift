import Foundation
import TPCore
import TPNumerics

extension PairwiseRecipe {
  /// One output's matrix and each entry's estimated absolute error.
  public struct Entries: Sendable {
    public var values: Matrix
    /// nil when every entry is exact (the recipe has no quadrature).
    public var errors: Matrix?
    /// Whether some entry needed quadrature.
    public var usedQuadrature: Bool
  }

  enum Plan: Sendable {
    case none
    case closed(ClosedFormPlan)
    case quadrature(QuadraturePlan)
    /// A separable two-dimensional integrand: Mehler's series at the pairs (``MehlerPair``),
    /// the trapezoidal plan where the series falls short.
    case series(MehlerPlan)
  }

  /// Pairs per block of the pair phase: registers hold one block each.
  static let blockSize = 256

  /// Evaluates every output at all pairs of `points` (rows of equal length): the one-point
  /// registers once per point, the two-point registers once per pair `p < q` (the matrices are
  /// symmetric), in blocks of ``blockSize`` pairs of one row over `threads` threads, with no
  /// allocation per pair. Errors propagate to first order: `Σ|cᵢ| eᵢ` through sums,
  /// `|a| e_b + |b| e_a` through products, and through an expectation by the change of its value
  /// (by the lower-degree rule, or the closed form) when each input moves by its error, added to
  /// the quadrature error.
  ///
  /// Separable two-dimensional integrands `s f(y₀) g(y₁)` with analytic `f`, `g` (tanh, gelu,
  /// sin, … and their derivatives' products) use Mehler's series when `series` is set: each
  /// point's Hermite coefficients once (``MehlerSide``), then one polynomial in the correlation
  /// per pair, with the trapezoidal rule for the pairs whose truncation bound misses the
  /// tolerance (``MehlerPair``).
  public func evaluate(points: [[Double]], threads: Int, series: Bool = true) -> [Entries] {
    let n = points.count
    let dim = points.first?.count ?? 0
    let x = points.flatMap { $0 }
    var norms = [Double](repeating: 0, count: n)
    for p in 0..<n {
      var s = 0.0
      for k in 0..<dim { s += x[p * dim + k] * x[p * dim + k] }
      norms[p] = s
    }
    let plans: [Plan] = ops.map { op in
      guard case .expectation(let g) = op else { return .none }
      if let c = ClosedFormPlan(g.psi, dimension: g.dimension) { return .closed(c) }
      let q = QuadraturePlan(g.psi, dimension: g.dimension)
      if series, g.dimension == 2, let s = SeparableIntegrand(g.psi) {
        return .series(MehlerPlan(separable: s, fallback: q))
      }
      return .quadrature(q)
    }
    let scratchCount = plans.reduce(0) { m, p in
      if let q = p.quadrature { return max(m, q.scratchCount) }
      return m
    }
    let usedQuadrature = !isExact
    // Point phase: registers of no point (one entry) and of one point (n entries).
    let regs = ops.count
    var pointValues = [[Double]](repeating: [], count: regs)
    var pointErrors = [[Double]](repeating: [], count: regs)
    var scratch = [Double](repeating: 0, count: max(scratchCount, 1))
    for r in 0..<regs where dependence[r] != 3 {
      let count = dependence[r] == 0 ? 1 : n
      var v = [Double](repeating: 0, count: count)
      var e = [Double](repeating: 0, count: count)
      func column(_ s: Int) -> (values: [Double], errors: [Double], stride: Int) {
        (pointValues[s], pointErrors[s], dependence[s] == 0 ? 0 : 1)
      }
      for i in 0..<count {
        switch ops[r] {
        case .constant(let c): v[i] = c
        case .gram(let scale, _, _): v[i] = scale * norms[i]
        case .linear(let cs, let rs):
          var s = 0.0
          var err = 0.0
          for (c, q) in zip(cs, rs) {
            let col = column(q)
            s += c * col.values[i * col.stride]
            err += Swift.abs(c) * col.errors[i * col.stride]
          }
          v[i] = s
          e[i] = err
        case .product(let a, let b):
          let ca = column(a)
          let cb = column(b)
          let va = ca.values[i * ca.stride]
          let vb = cb.values[i * cb.stride]
          v[i] = va * vb
          e[i] = Swift.abs(va) * cb.errors[i * cb.stride] + Swift.abs(vb) * ca.errors[i * ca.stride]
        case .expectation(let g):
          let ca = column(g.variance0)
          let a = ca.values[i * ca.stride]
          let ea = ca.errors[i * ca.stride]
          var b = a
          var c = a
          var eb = -1.0
          var ec = 0.0
          if g.dimension == 2 {
            let cb = column(g.variance1)
            let cc = column(g.covariance)
            b = cb.values[i * cb.stride]
            eb = cb.errors[i * cb.stride]
            c = cc.values[i * cc.stride]
            ec = cc.errors[i * cc.stride]
          }
          (v[i], e[i]) = scratch.withUnsafeMutableBufferPointer { buf in
            // safe: the buffer has at least one element
            Self.expect(plans[r], a, b, c, ea, eb, ec, buf.baseAddress!)
          }
        }
      }
      pointValues[r] = v
      pointErrors[r] = e
    }

    let seriesPairs = mehlerPairs(plans: plans, pointValues: pointValues, threads: threads)

    // Values (and, unless every register is exact, errors) go straight into the arrays the
    // matrices keep, each entry written once: the diagonal from the one-point registers, the
    // upper triangle by the pair phase, the lower by a blocked mirror (row-wise writes only).
    let exact = !usedQuadrature
    let n2 = n * n
    let storage = Self.filledArrays(count: outputs.count * (exact ? 1 : 2), elements: n2) { buffers in
      let valueBuffers = Array(buffers[0..<outputs.count])
      let errorBuffers = exact ? [] : Array(buffers[outputs.count...])
      for (o, out) in outputs.enumerated() {
        let r = out.diagonal
        let stride = dependence[r] == 0 ? 0 : 1
        for p in 0..<n {
          valueBuffers[o][p * n + p] = pointValues[r][p * stride]
          if !exact { errorBuffers[o][p * n + p] = pointErrors[r][p * stride] }
        }
      }
      guard n > 1 else { return }
      pairPhase(
        points: x, count: n, dim: dim, plans: plans, series: seriesPairs, exact: exact,
        pointValues: pointValues, pointErrors: pointErrors, scratchCount: scratchCount, threads: threads,
        valueBuffers: valueBuffers, errorBuffers: errorBuffers)
      Self.mirrorUpperTriangle(buffers, n: n, threads: threads)
    }
    return outputs.indices.map { o in
      Entries(
        values: Matrix(rows: n, cols: n, elements: storage[o]),
        errors: exact ? nil : Matrix(rows: n, cols: n, elements: storage[outputs.count + o]),
        usedQuadrature: usedQuadrature)
    }
  }

  /// The most arrays ``filledArrays(count:elements:_:)`` fills in place (one nested closure
  /// each); more — kernel-regime training's feature kernels of a deep model — are filled in
  /// separate buffers and copied, so the nesting never grows with the model.
  static let inPlaceArrays = 8

  /// Runs `body` on `count` uninitialized buffers of `elements` doubles, which it must fill
  /// entirely, and returns them as arrays: the first ``inPlaceArrays`` without a copy (each
  /// array's own storage, nested), the rest copied out of buffers of their own.
  static func filledArrays(
    count: Int, elements: Int, _ body: ([UnsafeMutablePointer<Double>]) -> Void
  ) -> [[Double]] {
    let nested = min(count, inPlaceArrays)
    func nest(_ done: [UnsafeMutablePointer<Double>]) -> [[Double]] {
      if done.count == nested {
        let extra = (nested..<count).map { _ in
          UnsafeMutablePointer<Double>.allocate(capacity: max(1, elements))
        }
        defer { for b in extra { b.deallocate() } }
        body(done + extra)
        return extra.map { Array(UnsafeBufferPointer(start: $0, count: elements)) }
      }
      var rest: [[Double]] = []
      let array = [Double](unsafeUninitializedCapacity: max(1, elements)) { buffer, initialized in
        // safe: the capacity is at least 1, so the buffer has an address
        rest = nest(done + [buffer.baseAddress!])
        initialized = elements
      }
      return [array] + rest
    }
    return nest([])
  }

  /// Copies the upper triangle of each `n × n` row-major buffer onto its lower triangle, in
  /// 64 × 64 tiles, bands of 64 rows shared out over `threads` threads (each band writes only
  /// its own rows).
  static func mirrorUpperTriangle(_ buffers: [UnsafeMutablePointer<Double>], n: Int, threads: Int) {
    let tile = 64
    let shared = UnsafeShared(buffers)
    let bands = (n + tile - 1) / tile
    Parallel.forEachChunk(count: buffers.count * bands, chunkSize: 1, threads: threads) { chunk in
      for index in chunk {
        let buffer = shared.value[index / bands]
        let i0 = index % bands * tile
        var j0 = 0
        while j0 <= i0 {
          for i in i0..<min(n, i0 + tile) {
            for j in j0..<min(i, j0 + tile) { buffer[i * n + j] = buffer[j * n + i] }
          }
          j0 += tile
        }
      }
    }
  }

  /// The pair phase: every two-point register on the pairs `p < q`, in blocks `(p, q₀ ..< q₁)`
  /// of ``blockSize`` pairs over `threads` threads, each output's entries written into the
  /// upper triangle of its buffers (errors only when `exact` is false).
  func pairPhase(
    points x: [Double], count n: Int, dim: Int, plans: [Plan], series seriesPairs: [MehlerPair?], exact: Bool,
    pointValues: [[Double]], pointErrors: [[Double]], scratchCount: Int, threads: Int,
    valueBuffers: [UnsafeMutablePointer<Double>], errorBuffers: [UnsafeMutablePointer<Double>]
  ) {
    let regs = ops.count
    var blocks: [(p: Int, q0: Int, q1: Int)] = []
    for p in 0..<(n - 1) {
      var q0 = p + 1
      while q0 < n {
        blocks.append((p, q0, min(n, q0 + Self.blockSize)))
        q0 += Self.blockSize
      }
    }
    let pairRegisters = (0..<regs).filter { dependence[$0] == 3 }
    var slotOf = [Int](repeating: -1, count: regs)
    for (k, r) in pairRegisters.enumerated() { slotOf[r] = k }
    let block = Self.blockSize
    // The one-point registers, flat: register r at point p is entry r·n + p (entry r·n for a
    // register of no point).
    let flatValues = UnsafeMutablePointer<Double>.allocate(capacity: max(1, regs * n))
    let flatErrors = UnsafeMutablePointer<Double>.allocate(capacity: max(1, regs * n))
    defer {
      flatValues.deallocate()
      flatErrors.deallocate()
    }
    for r in 0..<regs where dependence[r] != 3 {
      for (k, v) in pointValues[r].enumerated() { flatValues[r * n + k] = v }
      for (k, e) in pointErrors[r].enumerated() { flatErrors[r * n + k] = e }
    }
    let partners = ArcCosinePartners(ops: ops, plans: plans)
    let shared = UnsafeShared((valueBuffers, errorBuffers, flatValues, flatErrors))
    let recipe = self
    let blockList = blocks
    let slots = slotOf
    x.withUnsafeBufferPointer { xb in
      let xs = UnsafeShared(xb)
      Parallel.forEachChunk(count: blockList.count, chunkSize: 8, threads: threads) { chunk in
        let width = max(1, pairRegisters.count) * block
        let pv = UnsafeMutablePointer<Double>.allocate(capacity: width)
        let pe = UnsafeMutablePointer<Double>.allocate(capacity: width)
        let qs = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchCount, 1) + 2 * block)
        let columns = UnsafeMutablePointer<Column>.allocate(capacity: max(1, regs))
        defer {
          pv.deallocate()
          pe.deallocate()
          qs.deallocate()
          columns.deallocate()
        }
        // What `tp`'s progress line shows (chunks are taken in increasing order).
        ProgressMeter.shared.inner("block of pairs", done: chunk.lowerBound, total: blockList.count)
        for bi in chunk {
          let (p, q0, q1) = blockList[bi]
          for r in 0..<regs {
            switch recipe.dependence[r] {
            case 0: columns[r] = Column(v: shared.value.2 + r * n, e: shared.value.3 + r * n, stride: 0)
            case 1:
              columns[r] = Column(v: shared.value.2 + r * n + p, e: shared.value.3 + r * n + p, stride: 0)
            case 2:
              columns[r] = Column(v: shared.value.2 + r * n + q0, e: shared.value.3 + r * n + q0, stride: 1)
            default:
              columns[r] = Column(v: pv + slots[r] * block, e: pe + slots[r] * block, stride: 1)
            }
          }
          recipe.evaluateBlock(
            p: p, q0: q0, count: q1 - q0, x: xs.value, dim: dim, plans: plans, series: seriesPairs,
            exact: exact,
            arcCosinePartner: partners, pairRegisters: pairRegisters, columns: columns, scratch: qs)
          for (o, out) in recipe.outputs.enumerated() {
            let c = columns[out.offDiagonal]
            let vb = shared.value.0[o] + p * n + q0
            for i in 0..<(q1 - q0) { vb[i] = c.v[i * c.stride] }
            if !exact {
              let eb = shared.value.1[o] + p * n + q0
              for i in 0..<(q1 - q0) { eb[i] = c.e[i * c.stride] }
            }
          }
        }
      }
    }
  }

  /// Pairs of arc-cosine expectations of degrees 1 and 0 (`E[relu relu]`, `E[step step]`) at
  /// the same covariance registers — an NTK's `Σ` and `Σ̇` of one layer — which the pair phase
  /// evaluates in one pass, sharing `θ = arccos ρ`: the leader (the earlier register) computes
  /// both.
  struct ArcCosinePartners: Sendable {
    private var leaderOf: [Int: Int] = [:]
    private var followerOf: [Int: Int] = [:]

    init(ops: [Op], plans: [Plan]) {
      var open: [[Int]: (register: Int, degree: Int)] = [:]
      for (r, op) in ops.enumerated() {
        guard case .expectation(let g) = op, case .closed(let f) = plans[r], let degree = f.arcCosineDegree
        else { continue }
        let key = [g.variance0, g.variance1, g.covariance]
        if let other = open[key], other.degree != degree {
          followerOf[other.register] = r
          leaderOf[r] = other.register
          open[key] = nil
        } else if open[key] == nil {
          open[key] = (r, degree)
        }
      }
    }

    /// The register evaluated together with leader `r`.
    func partner(of r: Int) -> Int? { followerOf[r] }
    /// Whether `r` is evaluated with an earlier register.
    func follows(_ r: Int) -> Bool { leaderOf[r] != nil }
  }

  /// A register's values and errors on the current block: entry `i` at `v[i · stride]` (stride
  /// 0 for a register constant along the block).
  struct Column {
    var v: UnsafeMutablePointer<Double>
    var e: UnsafeMutablePointer<Double>
    var stride: Int
  }

  /// Evaluates the two-point registers on the block `(p, q₀ ..< q₀ + count)` into their columns.
  /// When the recipe is `exact` (no quadrature anywhere, so every register's error is 0) only
  /// values are computed. The pair's dot product `x_p·x_q` is computed once per block, into
  /// `scratch`'s first ``blockSize`` doubles, and scaled for each `gram` register.
  func evaluateBlock(
    p: Int, q0: Int, count: Int, x: UnsafeBufferPointer<Double>, dim: Int, plans: [Plan],
    series: [MehlerPair?], exact: Bool, arcCosinePartner: ArcCosinePartners, pairRegisters: [Int],
    columns: UnsafeMutablePointer<Column>, scratch: UnsafeMutablePointer<Double>
  ) {
    let dots = scratch
    let scratch = scratch + Self.blockSize
    var dotsReady = false
    for r in pairRegisters {
      let v = columns[r].v
      let e = columns[r].e
      switch ops[r] {
      case .constant: break
      case .gram(let scale, _, _):
        if !dotsReady {
          Self.dotProducts(x: x, dim: dim, p: p, q0: q0, count: count, into: dots)
          dotsReady = true
        }
        for i in 0..<count { v[i] = scale * dots[i] }
        if !exact { e.update(repeating: 0, count: count) }
      case .linear(let cs, let rs):
        v.update(repeating: 0, count: count)
        for (c, s) in zip(cs, rs) {
          let col = columns[s]
          for i in 0..<count { v[i] += c * col.v[i * col.stride] }
        }
        guard !exact else { continue }
        e.update(repeating: 0, count: count)
        for (c, s) in zip(cs, rs) {
          let col = columns[s]
          let ac = Swift.abs(c)
          for i in 0..<count { e[i] += ac * col.e[i * col.stride] }
        }
      case .product(let a, let b):
        let ca = columns[a]
        let cb = columns[b]
        for i in 0..<count { v[i] = ca.v[i * ca.stride] * cb.v[i * cb.stride] }
        guard !exact else { continue }
        for i in 0..<count {
          e[i] =
            Swift.abs(ca.v[i * ca.stride]) * cb.e[i * cb.stride] + Swift.abs(cb.v[i * cb.stride])
            * ca.e[i * ca.stride]
        }
      case .expectation(let g):
        let ca = columns[g.variance0]
        if g.dimension == 2 {
          let cb = columns[g.variance1]
          let cc = columns[g.covariance]
          if let s = series[r] {
            // The quadrature scratch's first `blockSize` doubles hold the correlations; the
            // fallback uses the rest.
            s.evaluateBlock(p: p, q0: q0, count: count, a: ca, b: cb, c: cc, v: v, e: e, rho: scratch) { i in
              Self.expect(
                plans[r], ca.v[i * ca.stride], cb.v[i * cb.stride], cc.v[i * cc.stride], ca.e[i * ca.stride],
                cb.e[i * cb.stride], cc.e[i * cc.stride], scratch + Self.blockSize)
            }
            continue
          }
          if case .closed(let f) = plans[r] {
            // The common case, without error bookkeeping when every input is exact.
            var exactInputs = exact
            if !exact {
              exactInputs = true
              for i in 0..<count
              where ca.e[i * ca.stride] != 0 || cb.e[i * cb.stride] != 0 || cc.e[i * cc.stride] != 0 {
                exactInputs = false
                break
              }
            }
            if exactInputs {
              if !exact { e.update(repeating: 0, count: count) }
              // An arc-cosine kernel's partner (the other degree at the same covariances) is
              // evaluated with it, and skipped when its own turn comes.
              if arcCosinePartner.follows(r) { continue }
              var partner: (plan: ClosedFormPlan, v: UnsafeMutablePointer<Double>)? = nil
              if let q = arcCosinePartner.partner(of: r), case .closed(let pf) = plans[q] {
                if !exact { columns[q].e.update(repeating: 0, count: count) }
                partner = (pf, columns[q].v)
              }
              f.values(count: count, a: ca, b: cb, c: cc, into: v, partner: partner)
              continue
            }
          }
          for i in 0..<count {
            (v[i], e[i]) = Self.expect(
              plans[r], ca.v[i * ca.stride], cb.v[i * cb.stride], cc.v[i * cc.stride], ca.e[i * ca.stride],
              cb.e[i * cb.stride], cc.e[i * cc.stride], scratch)
          }
        } else {
          for i in 0..<count {
            let a = ca.v[i * ca.stride]
            (v[i], e[i]) = Self.expect(plans[r], a, a, a, ca.e[i * ca.stride], -1, 0, scratch)
          }
        }
      }
    }
  }

  /// `dots[i] = x_p·x_{q₀+i}`, `i < count`, for points of `dim` coordinates: four partial sums
  /// over the coordinates (so the loop vectorizes), added at the end.
  static func dotProducts(
    x: UnsafeBufferPointer<Double>, dim: Int, p: Int, q0: Int, count: Int,
    into dots: UnsafeMutablePointer<Double>
  ) {
    let base = x.baseAddress!  // safe: the block has a point p
    let xp = base + p * dim
    let whole = dim / 4 * 4
    for i in 0..<count {
      let xq = base + (q0 + i) * dim
      var acc = SIMD4<Double>(repeating: 0)
      var k = 0
      while k < whole {
        acc += SIMD4(xp[k], xp[k + 1], xp[k + 2], xp[k + 3]) * SIMD4(xq[k], xq[k + 1], xq[k + 2], xq[k + 3])
        k += 4
      }
      var s = (acc[0] + acc[1]) + (acc[2] + acc[3])
      while k < dim {
        s += xp[k] * xq[k]
        k += 1
      }
      dots[i] = s
    }
  }

  /// An expectation's value and error at `(a, b, c)` whose inputs carry errors `(e_a, e_b, e_c)`
  /// (`e_b < 0` marks a one-dimensional integrand, whose `b = c = a`).
  @inline(__always)
  static func expect(
    _ plan: Plan, _ a: Double, _ b: Double, _ c: Double, _ ea: Double, _ eb: Double, _ ec: Double,
    _ scratch: UnsafeMutablePointer<Double>
  ) -> (Double, Double) {
    switch plan {
    case .none: return (0, 0)
    case .closed(let f):
      let v = f.value(a, b, c)
      guard ea > 0 || eb > 0 || ec > 0 else { return (v, 0) }
      // One dimension is the pair at correlation 1: a = b = c move together.
      if eb < 0 { return (v, Swift.abs(f.value(a + ea, a + ea, a + ea) - v)) }
      let d =
        Swift.abs(f.value(a + ea, b, c) - v) + Swift.abs(f.value(a, b + eb, c) - v)
        + Swift.abs(f.value(a, b, c + ec) - v)
      return (v, d)
    case .quadrature, .series:
      guard let q = plan.quadrature else { return (0, 0) }
      let (hi, quadratureError) = q.integrateWithError(a, b, c, scratch)
      var err = quadratureError
      guard ea > 0 || eb > 0 || ec > 0 else { return (hi, err) }
      let lo = q.integrate(q.low, a, b, c, scratch)
      if q.dimension == 1, ea > 0 {
        err += Swift.abs(q.integrate(q.low, a + ea, b, c, scratch) - lo)
      } else if q.dimension == 2, ea > 0 || eb > 0 || ec > 0 {
        err +=
          Swift.abs(q.integrate(q.low, a + ea, b, c, scratch) - lo)
          + Swift.abs(q.integrate(q.low, a, b + eb, c, scratch) - lo)
          + Swift.abs(q.integrate(q.low, a, b, c + ec, scratch) - lo)
      }
      return (hi, err)
    }
  }
}

extension PairwiseRecipe.Plan {
  /// The trapezoidal plan of a quadrature or series expectation.
  var quadrature: QuadraturePlan? {
    switch self {
    case .quadrature(let q): return q
    case .series(let m): return m.fallback
    default: return nil
    }
  }
}
