// swift-tools-version: 6.0
import PackageDescription

/// One target per pipeline stage; imports flow one way:
/// TPSyntax → TPCore → TPNetwork → (TPLimit, TPFinite) → TPReport → TensorPrograms → TPCommands → tp.
let package = Package(
  name: "TensorPrograms",
  products: [
    .library(name: "TensorPrograms", targets: ["TensorPrograms"]),
    .executable(name: "tp", targets: ["tp"]),
    .executable(name: "tp-bench", targets: ["tp-bench"]),
  ],
  targets: [
    .target(name: "TPSyntax"),
    .target(name: "TPNumerics"),
    .target(name: "TPCore", dependencies: ["TPSyntax"]),
    .target(name: "TPNetwork", dependencies: ["TPCore", "TPSyntax", "TPNumerics"]),
    .target(name: "TPLimit", dependencies: ["TPCore", "TPNumerics"]),
    .target(name: "TPFinite", dependencies: ["TPSyntax", "TPCore", "TPNetwork", "TPNumerics"]),
    .target(name: "TPReport", dependencies: ["TPCore"]),
    .target(
      name: "TensorPrograms",
      dependencies: ["TPSyntax", "TPCore", "TPNetwork", "TPLimit", "TPFinite", "TPReport", "TPNumerics"]),
    .target(name: "TPCommands", dependencies: ["TensorPrograms", "TPNumerics"]),
    .executableTarget(name: "tp", dependencies: ["TPCommands"]),
    .executableTarget(name: "tp-bench", dependencies: ["TensorPrograms", "TPNumerics"]),
    // docs/library.md as a runnable application (`swift run -c release Embed`).
    .executableTarget(name: "Embed", dependencies: ["TensorPrograms"], path: "examples/Embed"),
    .target(name: "TPTestSupport", dependencies: ["TPNumerics"], path: "Tests/TPTestSupport"),
    .testTarget(name: "TPSyntaxTests", dependencies: ["TPSyntax", "TPTestSupport"]),
    .testTarget(name: "TPNumericsTests", dependencies: ["TPNumerics", "TPTestSupport"]),
    .testTarget(
      name: "TPCoreTests", dependencies: ["TPCore", "TPSyntax", "TPTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "TPNetworkTests", dependencies: ["TensorPrograms", "TPCommands", "TPTestSupport"]),
    .testTarget(name: "TPFiniteTests", dependencies: ["TensorPrograms", "TPCommands", "TPTestSupport"]),
    .testTarget(name: "TPLimitTests", dependencies: ["TensorPrograms", "TPCommands", "TPNumerics", "TPTestSupport"]),
    .testTarget(name: "TPReportTests", dependencies: ["TPReport", "TPCore", "TPTestSupport"]),
    .testTarget(name: "TPCommandsTests", dependencies: ["TPCommands", "TensorPrograms", "TPNumerics", "TPTestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
