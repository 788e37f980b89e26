// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ferry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Syscalls and macros that Glibc does not expose to Swift.
        .target(name: "CLinuxNet"),
        // libpcap (Debian: libpcap-dev) for `ferry capture` and the VRRP tests.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // The small epoll loop shared by the proxy and (later) VRRP.
        .target(name: "EventLoop", dependencies: ["CLinuxNet"]),
        // The YAML configuration: model, loader and validation (pure, no I/O beyond reading files).
        .target(name: "Config", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Data plane, backend pool and health checks.
        .target(
            name: "Proxy",
            dependencies: ["CLinuxNet", "EventLoop", "Config", .product(name: "Logging", package: "swift-log")]
        ),
        // VRRP: packet codec, pure state machine, capture decoder; speaker and OS plumbing.
        .target(
            name: "VRRP",
            dependencies: ["Config", "EventLoop", "CLinuxNet", "CPcap", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "Config", "Proxy", "EventLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "EventLoop", "CLinuxNet", "Config"]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "Config", "EventLoop", "CLinuxNet"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Proxy", "Config", "EventLoop", "CLinuxNet", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
