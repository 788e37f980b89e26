// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ferry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        // For the fuzz targets in Fuzz/ (a separate package, see bench/fuzz).
        .library(name: "Config", targets: ["Config"]),
        .library(name: "Proxy", targets: ["Proxy"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "VRRP", targets: ["VRRP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in Hummingbird's graph; named so Stats can add its own channel handler.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Syscalls and macros that Glibc does not expose to Swift.
        .target(name: "CLinuxNet"),
        // libpcap (Debian: libpcap-dev) for `ferry capture` and the VRRP tests.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // The small epoll loop shared by the proxy and VRRP.
        .target(name: "EventLoop", dependencies: ["CLinuxNet"]),
        // The YAML configuration: model, loader and validation (pure, no I/O beyond reading files).
        .target(name: "Config", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The Redis protocol (pure): replies as values for the control plane, requests scanned in place
        // for the data plane.
        .target(name: "RESP"),
        // Cluster mode's decisions (pure, no I/O): slots, the slot map, the command table, routing.
        .target(name: "Cluster", dependencies: ["RESP"]),
        // Data plane, backend pool and health checks.
        .target(
            name: "Proxy",
            dependencies: ["CLinuxNet", "EventLoop", "Config", "RESP", "Cluster", .product(name: "Logging", package: "swift-log")]
        ),
        // The stats page, CSV/JSON/Prometheus renderers and admin actions (HTTP on its own threads).
        .target(
            name: "Stats",
            dependencies: [
                "Proxy", "Config", "EventLoop", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // VRRP: packet codec, pure state machine, capture decoder; speaker and OS plumbing.
        .target(
            name: "VRRP",
            dependencies: ["Config", "EventLoop", "CLinuxNet", "CPcap", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "Config", "Proxy", "EventLoop", "Stats", "VRRP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "RESPTests", dependencies: ["RESP"]),
        // Fixtures/ holds real servers' replies, read through #filePath.
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "RESP"], exclude: ["Fixtures"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "EventLoop", "CLinuxNet", "Config", "RESP"]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "Config", "EventLoop", "CLinuxNet"]),
        // The executable's own pure parts (the log line formatter).
        .testTarget(name: "FerryTests", dependencies: ["ferry", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "StatsTests",
            dependencies: [
                "Stats", "Proxy", "Config", "EventLoop", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Proxy", "Config", "EventLoop", "CLinuxNet", "Cluster", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
