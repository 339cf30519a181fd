/// Index of a vector (an `n`-dimensional quantity) in ``Program/vectors``.
public struct VectorID: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let raw: Int
  public init(_ raw: Int) { self.raw = raw }
  public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
  public var description: String { "v\(raw)" }
}

/// Index of a scalar in ``Program/scalars``.
public struct ScalarID: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let raw: Int
  public init(_ raw: Int) { self.raw = raw }
  public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
  public var description: String { "s\(raw)" }
}

/// Index of an initial `n × n` matrix in ``Program/matrices``.
public struct MatrixID: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let raw: Int
  public init(_ raw: Int) { self.raw = raw }
  public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
  public var description: String { "W\(raw)" }
}
