import Foundation
import TPCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The memory a finite run may use, and where that limit comes from.
///
/// The default is the smallest of the machine's physical memory and, when they are set, the
/// process's address-space and data-segment limits (`getrlimit(RLIMIT_AS)`, `RLIMIT_DATA`; what
/// the process already uses of them and a headroom of ``rlimitHeadroom`` for thread stacks and
/// allocator arenas are subtracted). `tp --max-memory` replaces the physical-memory bound (a
/// machine with swap may allow more, a shared one less) but cannot raise an rlimit, which the
/// allocator would hit anyway.
public struct MemoryLimit: Sendable, Hashable, CustomStringConvertible {
  /// What bounds the limit.
  public enum Source: String, Sendable, Hashable {
    case physicalMemory, addressSpaceLimit, dataLimit, requested
  }

  public var bytes: Int
  public var source: Source

  public init(bytes: Int, source: Source) {
    self.bytes = Swift.max(0, bytes)
    self.source = source
  }

  /// Address space kept free under an rlimit for what the estimates do not count.
  public static let rlimitHeadroom = 256 << 20

  /// The smaller of physical memory and the rlimits.
  public static func system() -> MemoryLimit {
    let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    return capped(MemoryLimit(bytes: physical, source: .physicalMemory))
  }

  /// `bytes` as requested with `--max-memory`, capped by the rlimits.
  public static func requested(_ bytes: Int) -> MemoryLimit {
    capped(MemoryLimit(bytes: bytes, source: .requested))
  }

  /// `limit`, or an rlimit that is smaller.
  static func capped(_ limit: MemoryLimit) -> MemoryLimit {
    var out = limit
    let caps = (softLimit(addressSpace: true), softLimit(addressSpace: false))
    guard caps.0 != nil || caps.1 != nil else { return out }
    let usage = currentUsage()
    for (cap, source, used) in [
      (caps.0, Source.addressSpaceLimit, usage.addressSpace), (caps.1, .dataLimit, usage.data),
    ] {
      guard let cap else { continue }
      let available = Saturating.difference(cap, Saturating.sum(used, rlimitHeadroom))
      if available < out.bytes { out = MemoryLimit(bytes: available, source: source) }
    }
    return out
  }

  /// The soft limit on the address space (or the data segment), or nil when it is unlimited.
  private static func softLimit(addressSpace: Bool) -> Int? {
    #if canImport(Glibc)
      var limit = Glibc.rlimit()
      let resource = addressSpace ? RLIMIT_AS : RLIMIT_DATA
      guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else { return nil }
      guard limit.rlim_cur != rlim_t.max else { return nil }
      return Int(clamping: limit.rlim_cur)
    #else
      var limit = Darwin.rlimit()
      guard getrlimit(addressSpace ? RLIMIT_AS : RLIMIT_DATA, &limit) == 0 else { return nil }
      guard limit.rlim_cur != RLIM_INFINITY else { return nil }
      return Int(clamping: limit.rlim_cur)
    #endif
  }

  /// Bytes of address space and of data segment the process maps now (Linux: /proc/self/statm;
  /// 0 elsewhere).
  private static func currentUsage() -> (addressSpace: Int, data: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return (0, 0) }
    let fields = text.split(separator: " ").compactMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    guard fields.count >= 6, page > 0 else { return (0, 0) }
    return (Saturating.product(fields[0], page), Saturating.product(fields[5], page))
  }

  /// "15.6 GiB (the physical memory)".
  public var description: String { "\(Message.bytes(bytes)) (\(sourceDescription))" }

  var sourceDescription: String {
    switch source {
    case .physicalMemory: return "the physical memory"
    case .addressSpaceLimit: return "what the address-space limit 'ulimit -v' leaves free"
    case .dataLimit: return "what the data-segment limit 'ulimit -d' leaves free"
    case .requested: return "--max-memory"
    }
  }

  /// How a refused run can go ahead.
  var remedy: String {
    switch source {
    case .physicalMemory: return "use a smaller width, or raise the limit with --max-memory"
    case .requested: return "use a smaller width or a larger --max-memory"
    case .addressSpaceLimit, .dataLimit: return "use a smaller width or raise the process limit"
    }
  }
}

/// What a finite run is estimated to cost before it starts: its peak memory and its arithmetic.
public struct ResourceEstimate: Sendable, Hashable {
  /// Peak bytes of the buffers it allocates (saturating).
  public var bytes: Int
  /// Multiply-adds (or random normals drawn, which cost about as much), saturating.
  public var multiplyAdds: Int

  public init(bytes: Int, multiplyAdds: Int) {
    self.bytes = bytes
    self.multiplyAdds = multiplyAdds
  }
}

extension Message {
  /// A finite run (or `tp check`'s runs together) refused because of its arithmetic.
  public static func workRefused(
    _ what: String, estimate: Int, limit: Int, remedy: String = "use a smaller width"
  )
    -> String
  {
    "\(what) needs \(estimate == Int.max ? "more than 9.2e+18" : "an estimated \(count(estimate))")"
      + " arithmetic operations, more than the limit of \(count(limit)) (\(duration(limit)) here);"
      + " \(remedy), or raise the limit with --max-work"
  }

  /// A finite run refused before it allocates anything.
  public static func memoryRefused(_ what: String, estimate: Int, detail: String, limit: MemoryLimit)
    -> String
  {
    let amount = estimate == Int.max ? "more than 8 EiB" : "an estimated \(bytes(estimate))"
    return "\(what) needs \(amount) of memory\(detail), more than the limit of \(limit); \(limit.remedy)"
  }
}

/// The limits a finite run (or `tp check`'s runs together) must stay within, checked against
/// estimates before anything is allocated.
public struct ResourceBudget: Sendable, Hashable {
  /// Peak memory of one run.
  public var memory: MemoryLimit
  /// Arithmetic operations (see ``FiniteOptions/workLimit``).
  public var work: Int

  public init(memory: MemoryLimit = .system(), work: Int = FiniteOptions.defaultWorkLimit) {
    self.memory = memory
    self.work = work
  }
}

extension FiniteOptions {
  /// Options for width `width` and `seed` within `budget`.
  public init(width: Int, seed: UInt64, budget: ResourceBudget) {
    self.init(width: width, seed: seed, memoryLimit: budget.memory, workLimit: budget.work)
  }
}
