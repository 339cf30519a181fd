import Foundation
import TPTestSupport
import Testing

@testable import TPNumerics

/// Collects values from concurrent chunks.
final class Collector<Value: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [Value] = []
  func append(_ v: Value) {
    lock.lock()
    storage.append(v)
    lock.unlock()
  }
  var values: [Value] {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}

@Suite struct ParallelTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let count: Int
    let chunkSize: Int
    var testDescription: String { "count \(count), chunk \(chunkSize)" }
  }

  static let cases: [Case] = [
    Case(count: 0, chunkSize: 4), Case(count: 1, chunkSize: 4), Case(count: 10, chunkSize: 3),
    Case(count: 12, chunkSize: 3), Case(count: 1000, chunkSize: 7), Case(count: 5, chunkSize: 100),
  ]

  @Test(arguments: cases)
  func chunksAreFixedAndCoverEverything(_ c: Case) {
    let expected = stride(from: 0, to: c.count, by: c.chunkSize).map { $0..<min(c.count, $0 + c.chunkSize) }
    for threads in [1, 2, 3, 8] {
      let seen = Collector<Range<Int>>()
      Parallel.forEachChunk(count: c.count, chunkSize: c.chunkSize, threads: threads) { seen.append($0) }
      #expect(seen.values.sorted { $0.lowerBound < $1.lowerBound } == expected, "threads \(threads)")
    }
  }

  @Test func serialRunsInOrderOnCallingThread() {
    let seen = Collector<Int>()
    Parallel.forEachChunk(count: 20, chunkSize: 3, threads: 1) { seen.append($0.lowerBound) }
    #expect(seen.values == Array(stride(from: 0, to: 20, by: 3)))
  }

  @Test func perChunkResultsIndependentOfThreads() {
    // A floating-point sum per chunk, combined in chunk order: same bits for any thread count.
    let x = GaussianFill.gaussians(count: 10_000, seed: 5, stream: 1)
    func total(threads: Int) -> Double {
      let chunkSize = 333
      let chunks = (x.count + chunkSize - 1) / chunkSize
      let sums = Collector<(Int, Double)>()
      Parallel.forEachChunk(count: x.count, chunkSize: chunkSize, threads: threads) { r in
        sums.append((r.lowerBound / chunkSize, r.reduce(0.0) { $0 + x[$1] }))
      }
      let ordered = sums.values.sorted { $0.0 < $1.0 }
      #expect(ordered.count == chunks)
      return ordered.reduce(0.0) { $0 + $1.1 }
    }
    let one = total(threads: 1)
    #expect(total(threads: 2).bitPattern == one.bitPattern)
    #expect(total(threads: 5).bitPattern == one.bitPattern)
  }
}
