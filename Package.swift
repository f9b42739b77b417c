// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ovudev",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ovudev", targets: ["ovudev"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .target(name: "Topology"),
        .target(name: "Renderers", dependencies: [
            "Topology",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        .executableTarget(name: "ovudev", dependencies: [
            "Topology", "Renderers",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TopologyTests", dependencies: ["Topology"]),
        .testTarget(name: "RenderersTests", dependencies: ["Topology", "Renderers"]),
    ],
    swiftLanguageModes: [.v6]
)
