import Foundation
import Glibc

/// The real `ferry` binary (built next to the test bundle) running `ferry run` inside one lab
/// host, with a configuration the test writes, for the VRRP end-to-end tests.
///
/// Each instance listens on 127.0.0.1 inside its own namespace (proxy on ``proxyPort``, stats on
/// ``statsPort``), so two Ferrys in two hosts never collide and nothing outside the lab is
/// addressed. Backends are whatever the test passes: a redis-server it started in the same
/// namespace, or an unused loopback port when the test does not track backends.
///
/// The process is one of the lab's (``NetworkLab/spawn(in:_:logName:)``), so the lab ends it by
/// PID on teardown even when a test fails; ``start()`` after ``kill()`` or ``sendTerminate()`` runs
/// the same configuration again, appending to the same log.
final class FerryInLab: @unchecked Sendable {
    /// One `vrrp:` entry.
    struct Instance: Sendable {
        var name = "vip"
        var interface = "eth0"
        var vrid = 51
        var version = 3
        var priority = 100
        /// As written in YAML: "100ms", "1s".
        var advertInterval = "100ms"
        var preempt = true
        var virtualIPs: [String] = []
        var unicastPeers: [String] = []
        var trackBackendsWeight = 0
        var garpCount = 3
        /// YAML duration; "0s" sends the burst once.
        var garpRepeatAfter = "0s"

        var yaml: String {
            """
              - name: \(name)
                interface: \(interface)
                vrid: \(vrid)
                version: \(version)
                priority: \(priority)
                advert_interval: \(advertInterval)
                preempt: \(preempt)
                virtual_ips: [\(virtualIPs.map { "\"\($0)\"" }.joined(separator: ", "))]
                unicast_peers: [\(unicastPeers.map { "\"\($0)\"" }.joined(separator: ", "))]
                track_backends_weight: \(trackBackendsWeight)
                garp: { count: \(garpCount), repeat_after: \(garpRepeatAfter) }
            """
        }
    }

    /// One VRRP instance as `/stats;json` reports it.
    struct Status: Sendable, CustomStringConvertible {
        var name: String
        var state: String
        var configuredPriority: Int
        var effectivePriority: Int
        var masterAddress: String?
        var advertsSent: Int
        var advertsReceived: Int
        var drops: [String: Int]
        var dropsTotal: Int
        var mismatches: Int
        var lastTransitionReason: String?

        var description: String {
            "\(name) \(state) prio \(effectivePriority)/\(configuredPriority) master \(masterAddress ?? "-") sent \(advertsSent) "
                + "rcvd \(advertsReceived) drops \(drops) mismatches \(mismatches) last: \(lastTransitionReason ?? "-")"
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case binaryMissing(String)
        case http(String)
        case notReady(String)
        var description: String {
            switch self {
            case .binaryMissing(let path): "ferry binary not found at \(path): build the package first (swift build --build-tests)"
            case .http(let detail): "stats request failed: \(detail)"
            case .notReady(let detail): detail
            }
        }
    }

    static let proxyPort = 7010
    static let statsPort = 7020

    /// The `ferry` executable in the same build folder as this test bundle.
    static var binary: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("ferry").path
    }

    let lab: NetworkLab
    let host: NetworkLab.Host
    let name: String
    let configFile: URL
    let logName: String
    let instances: [Instance]
    private(set) var process: LabProcess?

    /// Writes the configuration and starts Ferry in `host`.
    ///
    /// - Parameters:
    ///   - backends: `host:port` servers; default an unused loopback port (pair it with
    ///     `track_backends_weight: 0`).
    ///   - health: YAML for the `health:` section's body, e.g. `"interval: 200ms"`.
    init(lab: NetworkLab, host: NetworkLab.Host, instances: [Instance], backends: [String] = ["127.0.0.1:6399"],
         health: String = "interval: 200ms\n  timeout: 100ms\n  rise: 1\n  fall: 1", name: String = "ferry", start: Bool = true) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw Failure.binaryMissing(Self.binary) }
        self.lab = lab
        self.host = host
        self.name = name
        self.instances = instances
        logName = "\(name)-\(host.index).log"
        configFile = lab.directory.appendingPathComponent("\(name)-\(host.index).yaml")
        let yaml = """
            proxy:
              listen: ["127.0.0.1:\(Self.proxyPort)"]
              threads: 1
              shutdown_grace: 1s
            backends:
              servers: [\(backends.map { "\"\($0)\"" }.joined(separator: ", "))]
            health:
              \(health)
            stats:
              listen: "127.0.0.1:\(Self.statsPort)"
            log:
              level: debug
            vrrp:
            \(instances.map(\.yaml).joined(separator: "\n"))

            """
        try yaml.write(to: configFile, atomically: true, encoding: .utf8)
        if start { try self.start() }
    }

    /// Starts `ferry run` (again) with the configuration; waits until the stats server answers
    /// and every instance has left INIT.
    func start(timeout: Duration = .seconds(15)) throws {
        precondition(process?.isRunning != true, "ferry already running in \(host)")
        let started = try lab.spawn(in: host, [Self.binary, "run", "--config", configFile.path], logName: logName)
        process = started
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard started.isRunning else {
                throw Failure.notReady("ferry in \(host) exited with \(started.exitStatus ?? -1); log:\n\(log)")
            }
            if let statuses = try? allStatuses(), statuses.count == instances.count, statuses.allSatisfy({ $0.state != "INIT" }) {
                return
            }
            usleep(20_000)
        }
        throw Failure.notReady("ferry in \(host) did not start within \(timeout); log:\n\(log)")
    }

    /// SIGKILL: a crash, no priority-0 advert, the VIP stays on the interface.
    func kill() {
        process?.kill()
    }

    /// Sends SIGTERM without waiting (the caller times the handover); see ``waitForExit()``.
    func sendTerminate() {
        process?.signal(SIGTERM)
    }

    /// Waits for the process to exit after ``sendTerminate()``; returns its exit status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        guard let process, process.waitForExit(timeout: timeout) else { return nil }
        return process.exitStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    /// Everything this host's Ferry runs have logged.
    var log: String {
        (try? String(contentsOf: lab.directory.appendingPathComponent(logName), encoding: .utf8)) ?? ""
    }

    /// The last `lines` lines of ``log``, for failure messages.
    func logTail(_ lines: Int = 40) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: - Stats

    /// `GET /stats;json` from inside the host's namespace, parsed.
    func statsJSON() throws -> [String: Any] {
        let body = try Self.httpGet(namespace: host.name, port: UInt16(Self.statsPort), path: "/stats;json")
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw Failure.http("not a JSON object: \(body.prefix(200))")
        }
        return object
    }

    /// The `vrrp` array of `/stats;json`.
    func allStatuses() throws -> [Status] {
        guard let entries = try statsJSON()["vrrp"] as? [[String: Any]] else { throw Failure.http("no vrrp array") }
        return entries.map { entry in
            var drops: [String: Int] = [:]
            for drop in entry["drops"] as? [[String: Any]] ?? [] {
                if let reason = drop["reason"] as? String { drops[reason] = (drop["count"] as? NSNumber)?.intValue ?? 0 }
            }
            func int(_ key: String) -> Int { (entry[key] as? NSNumber)?.intValue ?? -1 }
            return Status(
                name: entry["name"] as? String ?? "", state: entry["state"] as? String ?? "",
                configuredPriority: int("configured_priority"), effectivePriority: int("effective_priority"),
                masterAddress: entry["master_address"] as? String, advertsSent: int("adverts_sent"),
                advertsReceived: int("adverts_received"), drops: drops, dropsTotal: int("drops_total"),
                mismatches: int("mismatches"), lastTransitionReason: entry["last_transition_reason"] as? String)
        }
    }

    /// The status of one instance (the first when `name` is nil).
    func status(of name: String? = nil) throws -> Status {
        let all = try allStatuses()
        guard let found = name.map({ name in all.first { $0.name == name } }) ?? all.first else {
            throw Failure.http("no VRRP instance \(name ?? "")")
        }
        return found
    }

    /// Polls the stats until `instance` is in `state`; false on timeout (or when Ferry died).
    func waitForState(_ state: String, of instance: String? = nil, timeout: Duration = .seconds(10)) -> Bool {
        Self.poll(timeout: timeout) { (try? self.status(of: instance))?.state == state }
    }

    /// A minimal HTTP/1.1 GET over a TCP socket opened inside `namespace` (sockets keep the
    /// namespace they were created in, so the I/O runs on the caller's thread).
    static func httpGet(namespace: String, port: UInt16, path: String, timeout: Int = 3) throws -> String {
        let fd = try withNetworkNamespace(namespace) { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard fd >= 0 else { throw Failure.http("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure.http("connect 127.0.0.1:\(port) in \(namespace): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure.http("send: \(String(cString: strerror(errno)))")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw Failure.http("recv: \(String(cString: strerror(errno)))") }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure.http("no header end in: \(text.prefix(200))") }
        let head = text[..<split.lowerBound]
        guard head.hasPrefix("HTTP/1.1 200") else { throw Failure.http(String(head)) }
        let body = String(text[split.upperBound...])
        return head.lowercased().contains("transfer-encoding: chunked") ? dechunk(body) : body
    }

    private static func dechunk(_ body: String) -> String {
        var rest = Substring(body)
        var out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound].split(separator: ";").first ?? "", radix: 16),
              size > 0 {
            let start = lineEnd.upperBound
            let utf8 = rest.utf8
            guard let end = utf8.index(start, offsetBy: size, limitedBy: utf8.endIndex) else { break }
            out += String(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return out
    }

    // MARK: - Helpers shared by the end-to-end tests

    /// Polls `condition` every `every` until it holds; false after `timeout`.
    static func poll(timeout: Duration, every: Duration = .milliseconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: VRRPE2E.seconds(every))
        }
        return try condition()
    }
}

extension NetworkLab {
    /// Whether `host`'s interface lists `address` (no prefix), as `ip -n NS -4 addr` shows it.
    func hostHolds(_ host: Host, _ address: String) -> Bool {
        ((try? listedAddresses(on: host)) ?? []).contains { $0.hasPrefix(address + "/") }
    }

    /// Polls ``hostHolds(_:_:)`` until it equals `present`; returns the seconds since `start`
    /// it took, or nil on timeout.
    func waitForAddress(on host: Host, _ address: String, present: Bool = true, timeout: Duration,
                        since start: ContinuousClock.Instant = .now) -> Double? {
        let deadline = start + timeout
        repeat {
            if hostHolds(host, address) == present { return VRRPE2E.seconds(ContinuousClock.now - start) }
            usleep(5_000)
        } while ContinuousClock.now < deadline
        return hostHolds(host, address) == present ? VRRPE2E.seconds(ContinuousClock.now - start) : nil
    }

    /// An address on the lab's subnet with the given last octet (a VIP).
    func subnetAddress(_ lastOctet: UInt8) -> String {
        NetworkLab.format(hosts[0].address & 0xFFFF_FF00 | UInt32(lastOctet))
    }
}

/// Figures, bounds and RFC 9568 timers shared by the VRRP end-to-end tests.
enum VRRPE2E {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Prints a measured figure: `[vrrp-e2e] what: 0.312 s (expected ≈ 0.361 s, bound 2.08 s)`.
    static func report(_ what: String, _ measured: Double?, expected: Double) {
        let value = measured.map { String(format: "%.3f s", $0) } ?? "timed out"
        print("[vrrp-e2e] \(what): \(value) (expected ≈ \(String(format: "%.3f", expected)) s, "
              + "bound \(String(format: "%.2f", bound(expected))) s)")
    }

    /// The generous bound the tests assert: 3 × the expected time + 1 s.
    static func bound(_ expected: Double) -> Double { 3 * expected + 1 }

    static func boundDuration(_ expected: Double) -> Duration { .milliseconds(Int(bound(expected) * 1000)) }

    static func skew(priority: Int, interval: Double) -> Double { Double(256 - priority) * interval / 256 }

    static func masterDown(priority: Int, interval: Double) -> Double { 3 * interval + skew(priority: priority, interval: interval) }
}
