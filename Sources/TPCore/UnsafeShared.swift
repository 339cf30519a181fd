/// Carries a value (typically unsafe pointers) into a `@Sendable` chunk body.
///
/// `@unchecked`: the executor guarantees that concurrent chunk bodies only write to memory
/// owned by their own chunk (a range of coordinates, a chunk-indexed partial), and that every
/// buffer outlives the parallel loop that uses it.
public struct UnsafeShared<Value>: @unchecked Sendable {
  public let value: Value
  public init(_ value: Value) { self.value = value }
}
