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
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // `ovudev dashboard`: a small HTTP/1.1 server on Swift concurrency (no NIO), loopback only.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // No pkgConfig: Debian's hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM warns about.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // OpenSSL's libcrypto, which libpq already links: SHA-256 for seed checksums.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Topology"),
        // What renderers and runtime both build: statement builders, escaping, backup commands
        // (pure: no I/O, no templates).
        .target(name: "Statements", dependencies: ["Topology"]),
        // A project on disk: the topology file, its folder and its secret store.
        .target(name: "Workspace", dependencies: ["Topology"]),
        .target(name: "Renderers", dependencies: [
            "Topology", "Statements", "Workspace",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        // `ovudev init`: a new topology from flags or from a docker-compose file (YAML, read with Yams).
        .target(name: "Scaffold", dependencies: ["Topology", "Renderers", .product(name: "Yams", package: "Yams")]),
        .target(name: "Stack", dependencies: ["Topology", "Statements", "Workspace", "CLibPQ", "CHiredis", "CCrypto"]),
        // `ovudev dashboard`: the local web page and JSON API over a running native stack.
        .target(name: "Dashboard", dependencies: [
            "Topology", "Workspace", "Renderers", "Stack",
            .product(name: "FlyingFox", package: "FlyingFox"),
        ]),
        .executableTarget(name: "ovudev", dependencies: [
            "Topology", "Statements", "Workspace", "Renderers", "Stack", "Scaffold", "Dashboard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // What every test target shares: `.ownThread` (tests that block stay off Swift's cooperative pool) and PostgresServer (a throwaway cluster).
        .target(name: "TestSupport", dependencies: ["Workspace"], path: "Tests/TestSupport"),
        .testTarget(name: "TopologyTests", dependencies: ["Topology", "TestSupport"]),
        // Runs the built `ovudev` binary as a subprocess; the dependency makes SwiftPM build it first.
        .testTarget(name: "CLITests", dependencies: ["ovudev", "Workspace", "TestSupport"]),
        .testTarget(name: "RenderersTests", dependencies: ["Topology", "Statements", "Workspace", "Renderers", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "ScaffoldTests", dependencies: ["Scaffold", "Topology", "Renderers", "TestSupport"]),
        // Real PostgreSQL clusters started by the native engine (provisioner, up, seed, check).
        .testTarget(name: "StackTests", dependencies: ["Stack", "Topology", "Statements", "Workspace", "Renderers", "Dashboard", "ovudev", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
