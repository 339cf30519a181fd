/// Facts about how this module was compiled that change which kernel is fastest.
enum BuildMode {
  /// Whether public entry points should use their SIMD kernels. Unoptimized builds run
  /// generic SIMD code through unspecialized calls, tens of times slower than plain scalar
  /// code, so debug builds (SwiftPM defines `DEBUG`) take the scalar kernels instead. Every
  /// kernel pair performs the same floating-point operations in the same order, so results
  /// are bit-identical across build modes; tests compare the two paths directly.
  #if DEBUG
    static let prefersSIMD = false
  #else
    static let prefersSIMD = true
  #endif
}
