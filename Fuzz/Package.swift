// swift-tools-version:6.0
// libFuzzer targets for Ferry's parsers. A package of its own so the main build and CI never see
// the sanitizer flags; `bench/fuzz` builds and runs it (see bench/README.md, "Fuzzing").
import PackageDescription

// A path dependency is named by its directory, which is whatever the checkout is called.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map { String($0).lowercased() } ?? "ferry"

let package = Package(
    name: "FerryFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        // What the targets share: invariant checks, quoting bytes, randomness seeded from the input.
        .target(name: "FuzzSupport"),
        // VRRP/CARP packet codec, advertisement filter and capture decoder on arbitrary bytes.
        .executableTarget(name: "FuzzVRRP", dependencies: ["FuzzSupport", .product(name: "VRRP", package: root)]),
        // RESPReader on arbitrary reply streams, and HealthCheckExchange consuming them.
        .executableTarget(
            name: "FuzzRESP", dependencies: [
                "FuzzSupport",
                .product(name: "Proxy", package: root), .product(name: "RESP", package: root), .product(name: "Config", package: root),
            ]
        ),
        // ConfigLoader.parse(yaml:path:) on arbitrary text.
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", .product(name: "Config", package: root)]),
        // Cluster mode's client side: RequestParser on arbitrary request streams, whole and split.
        .executableTarget(name: "FuzzRequestParser", dependencies: ["FuzzSupport", .product(name: "RESP", package: root)]),
        // Cluster mode's backend side: ReplyScanner against RESPReader on arbitrary reply streams.
        .executableTarget(name: "FuzzReplyScanner", dependencies: ["FuzzSupport", .product(name: "RESP", package: root)]),
        // SlotMap(shardsReply:) and SlotMap(slotsReply:) on arbitrary replies.
        .executableTarget(
            name: "FuzzSlotMap", dependencies: ["FuzzSupport", .product(name: "Cluster", package: root), .product(name: "RESP", package: root)]
        ),
        // Router.route on arbitrary argument lists against a real redis-server 7.0 COMMAND table.
        .executableTarget(
            name: "FuzzRouter", dependencies: ["FuzzSupport", .product(name: "Cluster", package: root), .product(name: "RESP", package: root)]
        ),
        // ReplyMerger on arbitrary part replies, every rule, key-order plans from MultiKeySplitter.
        .executableTarget(
            name: "FuzzReplyMerge", dependencies: ["FuzzSupport", .product(name: "Cluster", package: root), .product(name: "RESP", package: root)]
        ),
    ]
)
