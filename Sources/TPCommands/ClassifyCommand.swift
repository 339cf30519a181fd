import Foundation
import TensorPrograms

/// `tp classify FILE`: the regime of the network's parametrization, with every condition.
struct ClassifyCommand: Command {
  static let name = "classify"
  static let summary = "Classify FILE's parametrization: feature learning, kernel, trivial or unstable."
  static let usage = """
    USAGE: tp classify FILE [--json]

    Prints the stability conditions at initialization and in training, the exponent r and the
    regime (Yang & Hu, Tensor Programs IV, Thm 3.4; see docs/theory.md).

    OPTIONS:
      --json             Print one JSON object to stdout.
      --set NAME=VALUE   Override a 'param' (repeatable).
    """
  static let options = OptionSpec(valued: ["set"], flags: ["json"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    guard let net = program.network, !net.layers.isEmpty else {
      throw CommandError(
        "\(path): classify needs a network program (layers and a parametrization)", code: .program)
    }
    let resolved: ResolvedParametrization
    do {
      resolved = try ResolvedParametrization.resolve(net.parametrization, layers: net.layers)
    } catch {
      throw CommandError("\(path): error: \(error.message)", code: .program)
    }
    let c = Classification.classify(resolved, layers: net.layers)
    if args.flag("json") {
      var layers: [[String: Any]] = []
      for l in net.layers {
        let e = resolved.layers[l.name]!  // safe: resolve covers every layer
        layers.append(["name": l.name, "role": l.role.rawValue, "a": e.a.doubleValue, "b": e.b.doubleValue])
      }
      let object: [String: Any] = [
        "program": path, "parametrization": resolved.name, "c": resolved.c.doubleValue,
        "regime": ["class": c.regime.rawValue, "r": c.r.doubleValue, "r_exact": c.r.description],
        "layers": layers,
        "conditions": c.conditions.map { ["name": $0.name, "statement": $0.statement, "holds": $0.holds] },
        "instability": c.instability as Any,
      ]
      let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      io.out(String(decoding: data, as: UTF8.self) + "\n")
    } else {
      var lines = ["parametrization \(resolved.name), c = \(resolved.c)"]
      for l in net.layers {
        let e = resolved.layers[l.name]!  // safe: resolve covers every layer
        lines.append("  \(l.name) (\(l.role.rawValue)): a = \(e.a), b = \(e.b)")
      }
      for cond in c.conditions {
        lines.append("  [\(cond.holds ? "ok" : "FAIL")] \(cond.name): \(cond.statement)")
      }
      lines.append("r = \(c.r)")
      lines.append("regime: \(c.regime.rawValue)" + (c.instability.map { " — \($0)" } ?? ""))
      io.out(lines.joined(separator: "\n") + "\n")
    }
    return .success
  }
}
