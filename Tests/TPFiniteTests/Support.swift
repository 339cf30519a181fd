import Foundation
import TensorPrograms
import Testing

/// Parses and checks a core program written inline.
func coreProgram(_ source: String, fileName: String = "test.tp") throws -> Program {
  try TensorProgram(source: source, fileName: fileName).core
}

/// Whether the tests were compiled with optimization. The statistical sweeps draw billions of
/// normal numbers, hours in a debug build; run them with `-c release -Xswiftc -enable-testing`.
enum Build {
  #if DEBUG
    static let isOptimized = false
  #else
    static let isOptimized = true
  #endif
}

/// The widths and seeds of the statistical tests.
enum Sweep {
  static let widths = [128, 256, 512, 1024, 2048]
  static let seeds = 32
  static let baseSeed: UInt64 = 1000
}

/// `max |a − b| / max |b|` over two equally long vectors.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count)
  let scale = b.map(abs).max() ?? 0
  let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
  return scale == 0 ? diff : diff / scale
}
