import TensorPrograms

/// `tp explain FILE`: the typed, unrolled core program in readable form.
struct ExplainCommand: Command {
  static let name = "explain"
  static let summary = "Print the typed, unrolled core program of FILE."
  static let usage = """
    USAGE: tp explain FILE [--set NAME=VALUE]... [--samples M] [--replicates R] [--seed S]
                           [--timeout S]

    Prints every declaration and instruction of the core Tensor Program after loops are
    unrolled and expressions are split into MatMul, Nonlin and Moment instructions; then
    the law of every vector in the limit: Z^h = Ẑ^{W x} + c·Z^{y}, with each ZDot
    coefficient and the expectation it came from. Network programs are shown lowered.

    OPTIONS:
      --set NAME=VALUE   Override a 'param' (repeatable).
      --samples M        Monte Carlo particles per replicate (default 8192).
      --replicates R     Independent Monte Carlo replicates, averaged (default 8); see 'tp run'.
      --seed S           Random seed (default 0).
      --timeout S        Stop with exit 3 after S seconds (as for 'tp run').
    """
  static let options = OptionSpec(valued: ["set", "samples", "replicates", "seed", "timeout"])

  static func run(_ args: ParsedArguments, _ io: any OutputSink) throws -> ExitCode {
    let path = try args.file(command: name)
    if let t = try args.timeout(command: name) { Watchdog.arm(timeout: t) }
    let program = try loadProgram(path, overrides: try args.overrides(command: name), io: io)
    let options = try limitOptions(args, command: name)
    var core = program.core
    if let net = program.network, program.core.instructions.isEmpty {
      io.out(NetworkSummary.describe(net) + "\n")
      do {
        let lowered = try program.lowered(.limit)
        core = lowered.program
        io.out("\n# lowered for the limit:\n")
        if !lowered.dropped.isEmpty {
          io.out(
            "# terms dropped in the limit:\n" + lowered.dropped.map { "#   " + $0 }.joined(separator: "\n")
              + "\n")
        }
      } catch {
        guard case .kernelRegime = error else {
          throw CommandError.from(program.failure(error, kernelRegime: .numerical("")), path: path)
        }
        // The limit trains as the NTK linearisation: what is derived is the kernel program —
        // unless the parametrization is unstable, which `tp run` reports the same way.
        do throws(RunFailure) {
          let (resolved, cls) = try program.classification()
          if cls.regime == .unstable { throw TensorProgram.unstable(resolved, cls) }
          let kp = try program.kernelProgram()
          io.out(
            "\n# kernel regime: the output at initialization is a Gaussian process and training follows"
              + " its NTK linearisation;\n# the NNGP/NTK moments at the \(kp.points.count) points of training,"
              + " observation and kernel requests:\n")
          core = kp.program
        } catch {
          throw CommandError.from(error, path: path)
        }
      }
    }
    io.out(core.listing() + "\n")
    do {
      let result = try LimitInterpreter.run(core, options: options)
      io.out("\n# laws in the limit:\n")
      for d in result.derivations {
        io.out(d.formula + "\n")
        for t in d.zdot {
          io.out("    Ż term \(Program.format(t.coefficient))·Z^{\(t.operand)}: \(t.derivation)\n")
        }
      }
    } catch {
      io.err("note: the limit could not be evaluated: \(error)\n")
    }
    return .success
  }
}

/// A readable summary of network declarations (until lowering exists).
enum NetworkSummary {
  static func describe(_ net: NetworkSpec) -> String {
    var lines = ["width \(net.widthName)"]
    for l in net.layers {
      lines.append(
        "layer \(l.name) : \(l.input) -> \(l.output)  (\(l.role.rawValue), var \(Program.format(l.variance)))"
      )
    }
    for b in net.biases {
      lines.append("bias \(b.name) : \(net.widthName)  (var \(Program.format(b.variance)))")
    }
    if let m = net.model { lines.append("model \(m.name): R^\(m.inputDimension) -> R^\(m.outputDimension)") }
    switch net.parametrization {
    case .preset(let p): lines.append("parametrization \(p)")
    case .abc(let layers, let c):
      let entries = layers.keys.sorted().map {
        "\($0): a = \(Program.format(layers[$0]!.a)), b = \(Program.format(layers[$0]!.b))"
      }
      lines.append("parametrization abc { \(entries.joined(separator: "; ")); c = \(Program.format(c)) }")
    }
    if let t = net.training {
      lines.append(
        "train \(t.model) on \(t.data): sgd lr \(Program.format(t.learningRate)), steps \(t.steps.map(String.init) ?? "inf"), batch \(t.batch.map(String.init) ?? "full"), loss \(t.loss.rawValue)"
      )
    }
    return lines.joined(separator: "\n")
  }
}
