import Foundation

/// Householder reflectors `H = I − τ·v·vᵀ` (`v₀ = 1`) and their blocked application in the
/// compact WY form `H₀·H₁⋯H_{b−1} = I − V·T·Vᵀ` (Schreiber & Van Loan, "A storage-efficient
/// WY representation for products of Householder transformations", SIAM J. Sci. Stat.
/// Comput. 10, 1989; LAPACK `dlarfg`, `dlarft`, `dlarfb`).
///
/// All matrices here are column-major (`x[i + j·ld]`), LAPACK's convention, in which the
/// eigensolver is written: the vectors of a reflector and the columns being transformed are
/// then contiguous.
enum Householder {
  /// Generates the reflector that maps `(α, x)` to `(β, 0)` (`dlarfg`): `H·[α; x] = [β; 0]`
  /// with `H = I − τ·[1; v]·[1; v]ᵀ`, `β = −sign(α)·‖(α, x)‖`, `τ = (β − α)/β ∈ [1, 2]` and
  /// `v = x/(α − β)`, which overwrites `x`; `α` becomes `β`. Returns `τ`.
  ///
  /// `x = 0` gives `τ = 0` (`H = I`, nothing to annihilate — the case of zero and already
  /// tridiagonal columns). The sign choice makes `α − β` a sum of like-signed terms (no
  /// cancellation). A `β` below the underflow threshold is rescaled first, as LAPACK does,
  /// so `v` stays accurate for tiny columns.
  static func generate(alpha: inout Double, _ x: UnsafeMutablePointer<Double>, count: Int) -> Double {
    guard count > 0 else { return 0 }
    var xnorm = norm2(x, count)
    guard xnorm != 0 else { return 0 }
    var beta = -copysign(hypot(alpha, xnorm), alpha)
    let safeMinimum = Double.leastNormalMagnitude / Double.ulpOfOne
    var rescalings = 0
    if abs(beta) < safeMinimum {
      let up = 1 / safeMinimum
      repeat {
        rescalings += 1
        for i in 0..<count { x[i] *= up }
        beta *= up
        alpha *= up
      } while abs(beta) < safeMinimum && rescalings < 20
      xnorm = norm2(x, count)
      beta = -copysign(hypot(alpha, xnorm), alpha)
    }
    let tau = (beta - alpha) / beta
    let scale = 1 / (alpha - beta)
    for i in 0..<count { x[i] *= scale }
    for _ in 0..<rescalings { beta *= safeMinimum }
    alpha = beta
    return tau
  }

  /// `‖x‖₂` without overflow or harmful underflow: the plain sum of squares when the
  /// largest entry is in a safe range, otherwise the sum of squares of `x / max|xᵢ|`.
  static func norm2(_ x: UnsafePointer<Double>, _ count: Int) -> Double {
    var largest = 0.0
    for i in 0..<count { largest = max(largest, abs(x[i])) }
    guard largest > 0, largest.isFinite else { return largest }
    if largest > 1e-150 && largest < 1e150 {
      var s = 0.0
      for i in 0..<count { s += x[i] * x[i] }
      return s.squareRoot()
    }
    var s = 0.0
    let inverse = 1 / largest
    for i in 0..<count {
      let t = x[i] * inverse
      s += t * t
    }
    return largest * s.squareRoot()
  }

  /// `norm2` for a mutable pointer.
  static func norm2(_ x: UnsafeMutablePointer<Double>, _ count: Int) -> Double {
    norm2(UnsafePointer(x), count)
  }

  /// The upper triangular `T` (`b × b`, column-major, `ldt`) of the compact WY form
  /// `H₀·H₁⋯H_{b−1} = I − V·T·Vᵀ` (`dlarft`, forward, column-wise), for the `h × b` matrix
  /// `V` whose column `j` is reflector `j`'s vector, already stored explicitly with
  /// `V[j, j] = 1` and zeros above.
  ///
  /// Recurrence: `T[0..<j, j] = −τⱼ·T[0..<j, 0..<j]·V[:, 0..<j]ᵀ·vⱼ`, `T[j, j] = τⱼ`
  /// (`τⱼ = 0` gives a zero column: that reflector is the identity). The products
  /// `V[:, 0..<j]ᵀ·vⱼ` are all entries of `Vᵀ·V`, formed by one matrix product.
  static func triangularFactor(
    rows h: Int, count b: Int, _ v: UnsafePointer<Double>, ldv: Int, tau: UnsafePointer<Double>,
    _ t: UnsafeMutablePointer<Double>, ldt: Int
  ) {
    // G = Vᵀ·V (only the strict upper part is used).
    let gram = UnsafeMutablePointer<Double>.allocate(capacity: b * b)
    defer { gram.deallocate() }
    GEMM.columnMajor(
      m: b, n: b, k: h, alpha: 1, v, lda: ldv, transposeA: true, v, ldb: ldv, beta: 0, gram, ldc: b,
      threads: 1)
    for j in 0..<b {
      let column = t + j * ldt
      for i in j..<b { column[i] = 0 }
      guard tau[j] != 0 else {
        for i in 0..<j { column[i] = 0 }
        continue
      }
      for i in 0..<j { column[i] = -tau[j] * gram[i + j * b] }
      // column[0..<j] ← T[0..<j, 0..<j]·column[0..<j]; ascending i only reads entries
      // at or below i, which are not yet overwritten.
      for i in 0..<j {
        var s = 0.0
        for q in i..<j { s += t[i + q * ldt] * column[q] }
        column[i] = s
      }
      column[j] = tau[j]
    }
  }

  /// `C ← (I − V·T·Vᵀ)·C` for an `h × w` column-major `C` (`dlarfb`, left, no transpose,
  /// forward, column-wise): `W = Vᵀ·C`, `W ← T·W`, `C ← C − V·W`, three products on one
  /// thread (callers parallelize over independent column blocks of `C`).
  static func applyBlock(
    rows h: Int, count b: Int, _ v: UnsafePointer<Double>, ldv: Int, _ t: UnsafePointer<Double>, ldt: Int,
    _ c: UnsafeMutablePointer<Double>, ldc: Int, columns w: Int, workspace: UnsafeMutablePointer<Double>
  ) {
    let vtc = workspace
    let tvtc = workspace + b * w
    GEMM.columnMajor(
      m: b, n: w, k: h, alpha: 1, v, lda: ldv, transposeA: true, UnsafePointer(c), ldb: ldc, beta: 0, vtc,
      ldc: b, threads: 1)
    GEMM.columnMajor(
      m: b, n: w, k: b, alpha: 1, t, lda: ldt, UnsafePointer(vtc), ldb: b, beta: 0, tvtc, ldc: b, threads: 1)
    GEMM.columnMajor(
      m: h, n: w, k: b, alpha: -1, v, lda: ldv, UnsafePointer(tvtc), ldb: b, beta: 1, c, ldc: ldc,
      threads: 1)
  }
}
