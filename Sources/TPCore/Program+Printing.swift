import Foundation

extension Program {
  /// Formats a number compactly: integers without a fraction, others with up to 6 significant digits.
  public static func format(_ v: Double) -> String {
    if v == v.rounded(), Swift.abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%.6g", v)
  }

  /// Renders `e` with the program's names, parenthesizing by precedence.
  public func render(_ e: CoordExpr) -> String {
    e.rendered { leaf in
      switch leaf {
      case .vector(let v): return name(v)
      case .scalar(let s): return name(s)
      case .argument(let k): return "$\(k)"
      default: return ""
      }
    }
  }

  /// The program as readable text: declarations, then one line per instruction, then outputs.
  public func listing() -> String {
    var lines = ["width \(widthName)"]
    for m in matrices { lines.append("matrix \(m.name) ~ N(0, \(Program.format(m.variance))/\(widthName))") }
    for g in initialGroups {
      let names = g.vectors.map(name).joined(separator: ", ")
      if g.vectors.count == 1 {
        lines.append("vector \(names) ~ N(\(Program.format(g.mean[0])), \(Program.format(g.covariance[0])))")
      } else {
        let mean = g.mean.map(Program.format).joined(separator: ", ")
        let k = g.vectors.count
        let rows = (0..<k).map { i in
          "[" + (0..<k).map { j in Program.format(g.covariance(i, j)) }.joined(separator: ", ") + "]"
        }
        lines.append("vector \(names) ~ N([\(mean)], [\(rows.joined(separator: ", "))])")
      }
    }
    for s in scalars where s.constantValue != nil && !s.isTemporary {
      lines.append("\(s.name) = \(Program.format(s.constantValue!))")
    }
    for inst in instructions {
      switch inst {
      case .matmul(let d, let m, let t, let x):
        lines.append("\(name(d)) = \(name(m))\(t ? ".T" : "") @ \(name(x))    # MatMul")
      case .nonlin(let d, let e): lines.append("\(name(d)) = \(render(e))    # Nonlin")
      case .moment(let d, let e): lines.append("\(name(d)) = mean(\(render(e)))    # Moment")
      case .scalar(let d, let e): lines.append("\(name(d)) = \(render(e))    # scalar")
      }
    }
    for o in outputs { lines.append("\(o.isShow ? "show" : "out") \(o.name)") }
    return lines.joined(separator: "\n")
  }
}

extension CoordExpr {
  /// Renders the expression as infix text, naming leaves with `leafName` and parenthesizing by
  /// precedence (`+ −` < `* /` < unary `−` < `**`).
  public func rendered(leafName: (CoordExpr) -> String) -> String { rendered(parent: 0, leafName) }

  func rendered(parent: Int, _ leafName: (CoordExpr) -> String) -> String {
    func wrap(_ s: String, _ p: Int) -> String { p < parent ? "(\(s))" : s }
    switch self {
    case .constant(let v): return v < 0 && parent > 0 ? "(\(Program.format(v)))" : Program.format(v)
    case .vector, .scalar, .argument: return leafName(self)
    case .negate(let a): return wrap("-" + a.rendered(parent: 3, leafName), 3)
    case .add(let a, let b):
      return wrap(a.rendered(parent: 1, leafName) + " + " + b.rendered(parent: 1, leafName), 1)
    case .subtract(let a, let b):
      return wrap(a.rendered(parent: 1, leafName) + " - " + b.rendered(parent: 2, leafName), 1)
    case .multiply(let a, let b):
      return wrap(a.rendered(parent: 2, leafName) + " * " + b.rendered(parent: 2, leafName), 2)
    case .divide(let a, let b):
      return wrap(a.rendered(parent: 2, leafName) + " / " + b.rendered(parent: 3, leafName), 2)
    case .power(let a, let b):
      return wrap(a.rendered(parent: 5, leafName) + " ** " + b.rendered(parent: 4, leafName), 4)
    case .apply(let f, let a): return "\(f.rawValue)(\(a.rendered(parent: 0, leafName)))"
    }
  }
}
