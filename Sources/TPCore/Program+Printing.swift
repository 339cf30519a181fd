import Foundation

extension Program {
  /// Formats a number compactly: integers without a fraction, others with up to 6 significant digits.
  public static func format(_ v: Double) -> String {
    if v == v.rounded(), Swift.abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%.6g", v)
  }

  /// A point for names and messages, `(1, 0)`: every entry when there are at most 8, else the
  /// first three, the last and the dimension (names are for people; points are keyed by value).
  public static func format(point p: [Double]) -> String {
    guard p.count > 8 else { return "(" + p.map(format).joined(separator: ", ") + ")" }
    let head = p.prefix(3).map(format).joined(separator: ", ")
    return "(\(head), …, \(format(p[p.count - 1])); \(p.count) entries)"
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
  /// precedence (`+ −` < `* /` < unary `−` < `**`). Iterative: any height.
  public func rendered(leafName: (CoordExpr) -> String) -> String {
    /// A rendered operand: its text, its own precedence (leaves and calls bind tightest) and
    /// whether it is a negative constant (parenthesized under any operator).
    typealias Piece = (text: String, precedence: Int, negative: Bool)
    func inContext(_ p: Piece, _ context: Int) -> String {
      (p.negative && context > 0) || p.precedence < context ? "(\(p.text))" : p.text
    }
    let root = fold(
      leaf: { leaf -> Piece in
        if case .constant(let v) = leaf { return (Program.format(v), Int.max, v < 0) }
        return (leafName(leaf), Int.max, false)
      },
      node: { e, a, b -> Piece in
        let b = b ?? ("", Int.max, false)
        switch e {
        case .negate: return ("-" + inContext(a, 3), 3, false)
        case .add: return (inContext(a, 1) + " + " + inContext(b, 1), 1, false)
        case .subtract: return (inContext(a, 1) + " - " + inContext(b, 2), 1, false)
        case .multiply: return (inContext(a, 2) + " * " + inContext(b, 2), 2, false)
        case .divide: return (inContext(a, 2) + " / " + inContext(b, 3), 2, false)
        case .power: return (inContext(a, 5) + " ** " + inContext(b, 4), 4, false)
        case .apply(let f, _): return ("\(f.rawValue)(\(a.text))", Int.max, false)
        case .constant, .vector, .scalar, .argument: return a
        }
      })
    return root.text
  }
}
