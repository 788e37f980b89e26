import Foundation
import Glibc
import Synchronization

/// A throwaway Ethernet segment for VRRP tests, made of network namespaces:
///
/// ```
///   ferry-PID-N-h0 (eth0 10.123.X.1/24)──┐
///   ferry-PID-N-h1 (eth0 10.123.X.2/24)──┼── br0 in ferry-PID-N-br (mcast_snooping 0)
///   …                                     ┘
/// ```
///
/// Each host has its own namespace with a veth `eth0` whose other end is a port of a bridge
/// in a dedicated bridge namespace; links are up and IPv6 is off (no DAD or router-solicitation
/// noise in captures). Multicast snooping is off so 224.0.0.18 reaches every port, as on a
/// plain switch. Nothing here routes to the machine's own network: traffic stays in the lab.
///
/// ``teardown()`` (also run on release) stops the programs the lab spawned, ends any process
/// still inside its namespaces (only ever processes the lab put there) and deletes every
/// namespace it created. Namespaces of an earlier test process that died without cleaning up
/// are removed when the next lab is created.
final class NetworkLab: @unchecked Sendable {
    /// One host of the lab.
    struct Host: Sendable, CustomStringConvertible {
        let index: Int
        /// Its network namespace (use with `ip netns exec`, ``withNetworkNamespace(_:_:)``).
        let name: String
        /// Its interface onto the lab's segment.
        let interface: String
        /// Its address on `interface`, host byte order.
        let address: UInt32
        let prefixLength: UInt8
        /// The bridge port (in the bridge namespace) its veth is plugged into.
        let bridgePort: String

        var addressText: String { NetworkLab.format(address) }
        var description: String { "\(name) (\(addressText))" }
    }

    /// Why lab tests cannot run here, or nil when they can (root, iproute2 present).
    static let unavailableReason: String? = {
        if geteuid() != 0 { return "VRRP lab tests need root (network namespaces, raw sockets); CI runs them as root" }
        if LabProcess.which("ip") == nil { return "VRRP lab tests need iproute2's `ip`" }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    /// Third octet of 10.123.X.0/24; differs per lab only to make logs easier to tell apart.
    let subnet: UInt8
    let hosts: [Host]
    /// The namespace holding the bridge `br0`.
    let bridgeNamespace: String
    /// Scratch directory for configs and logs (removed on teardown unless FERRY_KEEP_LAB=1).
    let directory: URL

    private static let prefix = "ferry-"
    private static let counter = Atomic<Int>(0)
    private let state = Mutex<(processes: [LabProcess], namespaces: [String], tornDown: Bool)>(([], [], false))

    /// Builds a lab with `hostCount` hosts.
    init(hosts hostCount: Int = 2) throws {
        precondition((1...200).contains(hostCount))
        if let reason = Self.unavailableReason { throw LabError.unavailable(reason) }
        Self.removeStaleNamespaces()
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        let base = "\(Self.prefix)\(getpid())-\(number)"
        subnet = UInt8(truncatingIfNeeded: number)
        bridgeNamespace = "\(base)-br"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(base)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        hosts = (0..<hostCount).map { index in
            Host(index: index, name: "\(base)-h\(index)", interface: "eth0",
                 address: 0x0A7B_0000 | UInt32(number & 0xFF) << 8 | UInt32(index + 1), prefixLength: 24,
                 bridgePort: "p\(index)")
        }
        do {
            try build()
        } catch {
            teardown()
            throw error
        }
    }

    deinit {
        teardown()
    }

    func host(_ index: Int) -> Host { hosts[index] }

    private func build() throws {
        try addNamespace(bridgeNamespace)
        try ip(["-n", bridgeNamespace, "link", "set", "lo", "up"])
        // forward_delay 0 with STP off: ports forward at once.
        try ip(["-n", bridgeNamespace, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "forward_delay", "0", "stp_state", "0"])
        try ip(["-n", bridgeNamespace, "link", "set", "br0", "up"])
        for host in hosts {
            try addNamespace(host.name)
            try ip(["-n", bridgeNamespace, "link", "add", host.bridgePort, "type", "veth", "peer", "name", host.interface, "netns", host.name])
            try ip(["-n", bridgeNamespace, "link", "set", host.bridgePort, "master", "br0", "up"])
            try ip(["-n", host.name, "link", "set", "lo", "up"])
            try ip(["-n", host.name, "address", "add", "\(host.addressText)/\(host.prefixLength)", "dev", host.interface])
            try ip(["-n", host.name, "link", "set", host.interface, "up"])
        }
    }

    private func addNamespace(_ name: String) throws {
        try ip(["netns", "add", name])
        state.withLock { $0.namespaces.append(name) }
        // Before any interface arrives, so none gets IPv6 (default applies to new ones).
        try check(run(in: name, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]),
                  "disable IPv6 in \(name)")
    }

    // MARK: - Commands

    /// Runs `command` inside `host`'s namespace and waits for it.
    @discardableResult
    func run(in host: Host, _ command: [String], timeout: Duration = .seconds(20)) throws -> LabProcess.Outcome {
        try run(in: host.name, command, timeout: timeout)
    }

    /// Runs `command` in the bridge namespace.
    @discardableResult
    func runInBridge(_ command: [String], timeout: Duration = .seconds(20)) throws -> LabProcess.Outcome {
        try run(in: bridgeNamespace, command, timeout: timeout)
    }

    private func run(in namespace: String, _ command: [String], timeout: Duration = .seconds(20)) throws -> LabProcess.Outcome {
        try LabProcess.run(["ip", "netns", "exec", namespace] + command, logFile: scratchLog(), timeout: timeout)
    }

    /// Starts `command` inside `host`'s namespace; the lab stops it on teardown at the latest.
    func spawn(in host: Host, _ command: [String], logName: String) throws -> LabProcess {
        let process = try LabProcess(["ip", "netns", "exec", host.name] + command,
                                     logFile: directory.appendingPathComponent(logName))
        state.withLock { $0.processes.append(process) }
        return process
    }

    /// Runs `body` on a thread inside `host`'s namespace (see ``withNetworkNamespace(_:_:)``).
    func inside<T>(_ host: Host, _ body: () throws -> T) throws -> T {
        try withNetworkNamespace(host.name, body)
    }

    /// Sets `host`'s own interface up or down (keepalived sees this as a fault).
    func setLink(_ host: Host, up: Bool) throws {
        try ip(["-n", host.name, "link", "set", host.interface, up ? "up" : "down"])
    }

    /// Sets `host`'s bridge port up or down: a pulled cable, invisible to the host's own link.
    func setBridgePort(_ host: Host, up: Bool) throws {
        try ip(["-n", bridgeNamespace, "link", "set", host.bridgePort, up ? "up" : "down"])
    }

    /// Adds a route in `host`'s namespace, e.g. `addRoute(in: a, "10.9.0.0/16", via: "10.123.1.2")`.
    func addRoute(in host: Host, _ destination: String, via gateway: String) throws {
        try ip(["-n", host.name, "route", "add", destination, "via", gateway, "dev", host.interface])
    }

    /// Makes `destination` unreachable from `host` (a blackhole route, as a broken path would be).
    func blackhole(in host: Host, _ destination: String) throws {
        try ip(["-n", host.name, "route", "add", "blackhole", destination])
    }

    /// Removes a route added by ``addRoute(in:_:via:)`` or ``blackhole(in:_:)``.
    func removeRoute(in host: Host, _ destination: String, blackhole: Bool = false) throws {
        try ip(["-n", host.name, "route", "del"] + (blackhole ? ["blackhole"] : []) + [destination])
    }

    /// The IPv4 addresses `ip` lists on `host`'s interface, as "a.b.c.d/len" strings.
    func listedAddresses(on host: Host) throws -> [String] {
        let outcome = try LabProcess.run(["ip", "-n", host.name, "-4", "-o", "address", "show", "dev", host.interface],
                                         logFile: scratchLog())
        try check(outcome, "list addresses on \(host)")
        return outcome.output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "inet"), index + 1 < words.count else { return nil }
            return String(words[index + 1])
        }
    }

    /// `host`'s MAC address as `ip` reports it ("aa:bb:…").
    func macAddress(of host: Host) throws -> String {
        let outcome = try LabProcess.run(["ip", "-n", host.name, "-o", "link", "show", "dev", host.interface], logFile: scratchLog())
        try check(outcome, "show link of \(host)")
        let words = outcome.output.split(separator: " ")
        guard let index = words.firstIndex(of: "link/ether"), index + 1 < words.count else {
            throw LabError.commandFailed("no MAC in: \(outcome.output)")
        }
        return String(words[index + 1])
    }

    private func ip(_ arguments: [String]) throws {
        try check(LabProcess.run(["ip"] + arguments, logFile: scratchLog()), "ip " + arguments.joined(separator: " "))
    }

    private func check(_ outcome: LabProcess.Outcome, _ what: String) throws {
        guard outcome.succeeded else { throw LabError.commandFailed("\(what): \(outcome)") }
    }

    private func scratchLog() -> URL {
        directory.appendingPathComponent("command-\(UUID().uuidString).log")
    }

    // MARK: - Teardown

    /// Stops the lab's processes and deletes its namespaces. Safe to call more than once.
    func teardown() {
        let (processes, namespaces) = state.withLock { state -> ([LabProcess], [String]) in
            if state.tornDown { return ([], []) }
            state.tornDown = true
            return (state.processes, state.namespaces)
        }
        for process in processes.reversed() { process.stop(grace: .seconds(3)) }
        for namespace in namespaces.reversed() { Self.deleteNamespace(namespace) }
        if ProcessInfo.processInfo.environment["FERRY_KEEP_LAB"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Ends what still runs inside `namespace` (children of programs the lab started, such as
    /// keepalived's VRRP process) by PID, then deletes it.
    private static func deleteNamespace(_ namespace: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-netns-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        for attempt in 0..<3 {
            guard let pids = try? LabProcess.run(["ip", "netns", "pids", namespace], logFile: log, timeout: .seconds(10)),
                  pids.succeeded else { break }
            let running = pids.output.split(separator: "\n").compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
                .filter { $0 > 1 && $0 != getpid() }
            if running.isEmpty { break }
            for pid in running { kill(pid, attempt == 0 ? SIGTERM : SIGKILL) }
            Thread.sleep(forTimeInterval: 0.5)
        }
        _ = try? LabProcess.run(["ip", "netns", "delete", namespace], logFile: log, timeout: .seconds(10))
    }

    /// Deletes `ferry-PID-…` namespaces (and lab directories) whose test process no longer
    /// exists: it was killed before it could tear its labs down.
    private static func removeStaleNamespaces() {
        let namespaces = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in namespaces where isStale(name) { deleteNamespace(name) }
        guard ProcessInfo.processInfo.environment["FERRY_KEEP_LAB"] == nil else { return }
        let temporary = FileManager.default.temporaryDirectory
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in directories where isStale(name) && name.split(separator: "-").count == 4 {
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }

    /// Whether `name` is `ferry-PID-…` for a PID that is not running.
    private static func isStale(_ name: String) -> Bool {
        guard name.hasPrefix(prefix),
              let pid = name.dropFirst(prefix.count).split(separator: "-").first.flatMap({ pid_t($0) }),
              pid > 1, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}

/// Why a lab could not be built or a lab command failed.
enum LabError: Error, CustomStringConvertible {
    case unavailable(String)
    case commandFailed(String)
    case timedOut(String)

    var description: String {
        switch self {
        case let .unavailable(reason): reason
        case let .commandFailed(detail): "lab command failed: \(detail)"
        case let .timedOut(detail): "timed out: \(detail)"
        }
    }
}
