import Foundation
import Stats

@testable import Proxy

/// Snapshots built by hand: every status, odd strings from "the network" and "the config".
enum Fixtures {
    /// The monotonic "now" of every fixture snapshot: 1000 s.
    static let now: UInt64 = 1_000_000_000_000

    /// A string that must never reach a page, CSV cell or metric label unescaped.
    static let hostile = #"<script>alert("x")</script> & 'quote', comma\back"# + "\nnew line"

    static func check(_ code: CheckCode, ms: Int64 = 2, detail: String = "master, 1 replica",
                      role: RedisRole? = .master) -> CheckResult {
        CheckResult(code: code, duration: .microseconds(ms * 1000 + 300), detail: detail, role: role)
    }

    static func status(_ address: String = "127.0.0.1:7001", _ health: ServerHealth.Status = .up,
                       description: String? = nil, role: RedisRole? = .master, routable: Bool = true,
                       admin: AdminState = .ready, check: CheckResult? = check(.l7ok),
                       changedSecondsAgo: UInt64 = 90) -> BackendStatus {
        var status = BackendStatus(address: address, status: health, statusDescription: description ?? health.rawValue,
                                   role: role, routable: routable, lastCheck: check,
                                   lastChange: now - changedSecondsAgo * 1_000_000_000)
        status.adminState = admin
        return status
    }

    static func counters(_ seed: UInt64) -> BackendCounters {
        var counters = BackendCounters()
        counters.sessionsCurrent = Int(seed)
        counters.sessionsMax = Int(seed * 2)
        counters.sessionsTotal = seed * 100
        counters.bytesIn = seed * 1_000_003
        counters.bytesOut = seed * 7_000_001
        counters.connectErrors = seed + 1
        counters.retries = seed + 2
        counters.sessionsShutDown = seed + 3
        return counters
    }

    /// One server in each state the page distinguishes.
    static let statesByServer: [(BackendStatus, ServerState)] = [
        (status("127.0.0.1:7001"), .up),
        (status("127.0.0.1:7002", .up, description: "UP, going down 1/3", check: check(.l4tout, detail: "")), .goingDown(1, of: 3)),
        (status("127.0.0.1:7003", .down, description: "DOWN, going up 1/2", routable: false), .goingUp(1, of: 2)),
        (status("127.0.0.1:7004", .down, role: nil, routable: false,
                check: check(.l4con, detail: "Connection refused", role: nil)), .down),
        (status("127.0.0.1:7005", .up, role: .replica, routable: false, check: check(.l7ok, role: .replica)), .upNotRoutable),
        (status("127.0.0.1:7006", .down, role: nil, routable: false, check: nil), .notChecked),
        (status("127.0.0.1:7007", .up, routable: false, admin: .drain), .drain),
        (status("127.0.0.1:7008", .down, routable: false, admin: .maint, check: check(.l7rsp, detail: "-LOADING")), .maint),
    ]

    static func proxy(_ statuses: [BackendStatus]) -> ProxySnapshot {
        var frontend = FrontendCounters()
        frontend.sessionsTotal = 123_456
        frontend.bytesIn = 9_876_543_210
        frontend.bytesOut = 1_234_567
        frontend.noBackend = 7
        frontend.acceptErrors = 3
        frontend.outOfResources = 11
        return ProxySnapshot(
            sessionsCurrent: 42, sessionsMax: 99, sessionsLimit: 10_000, frontend: frontend,
            backends: statuses.enumerated().map { ProxySnapshot.Backend(status: $1, counters: counters(UInt64($0 + 1))) },
            pendingBlocks: 5)
    }

    static func vrrp(name: String = "redis-vip", state: VRRPInstanceStatus.State = .master,
                     steppedDown: Bool = false) -> VRRPInstanceStatus {
        VRRPInstanceStatus(
            name: name, interface: "eth1", vrid: 51, state: state, configuredPriority: 150,
            effectivePriority: steppedDown ? 50 : 150, steppedDown: steppedDown,
            virtualIPs: ["10.0.0.123/24", "10.0.0.124/24"], masterAddress: "10.0.0.1", advertsSent: 1234,
            advertsReceived: 56, drops: ["ttl": 2, "checksum": 1], mismatches: 4,
            lastTransition: now - 300 * 1_000_000_000, lastTransitionReason: "master down timer expired")
    }

    /// `commands`: also count commands (cluster mode), 40 per session plus a wave, so rates vary.
    static func history(backends: Int, seconds: Int = 120, commands: Bool = false) -> StatsHistory {
        var history = StatsHistory(capacity: 600)
        var total: UInt64 = 0, commandsTotal: UInt64 = 0
        history.record(sessionsTotal: 0, checkLatencies: [], elapsed: .zero)
        for second in 0..<seconds {
            total += UInt64(second % 30)
            if commands { commandsTotal += UInt64(second % 30) * 40 + UInt64(second % 7) }
            let latencies: [Duration?] = (0..<backends).map { server in
                server == 5 ? nil : .microseconds(300 + 50 * server + second % 7 * 10)
            }
            history.record(sessionsTotal: total, commandsTotal: commandsTotal, checkLatencies: latencies,
                           elapsed: .seconds(1))
        }
        return history
    }

    // MARK: - cluster mode

    /// Masters with traffic, deliberately out of order (the formats sort by host, then numeric port):
    /// `:7003` is a former master (failed over, no slots any more); `:7010` serves slots but has no
    /// traffic yet, so it appears only in the slot map.
    static let masterTraffic: [String: MasterCounters] = [
        "127.0.0.1:7002": masterCounters(2), "127.0.0.1:7001": masterCounters(1), "127.0.0.1:7003": masterCounters(3),
    ]

    /// The masters in the order every format lists them, with the slots each serves in ``slotMap()``.
    static let mastersInOrder: [(name: String, slots: Int)] = [
        ("127.0.0.1:7001", 5461), ("127.0.0.1:7002", 5463), ("127.0.0.1:7003", 0), ("127.0.0.1:7010", 5460),
    ]

    static func masterCounters(_ seed: UInt64) -> MasterCounters {
        var counters = MasterCounters()
        counters.commands = seed * 1_000_003
        counters.moved = seed + 10
        counters.asked = seed + 20
        counters.tryAgain = seed + 30
        counters.errors = seed == 3 ? 17 : 0
        counters.held = seed + 40
        counters.connects = seed + 2
        counters.inFlight = Int(seed) * 4
        return counters
    }

    /// 4 ranges (out of order, as a map may come), the last a single slot; `covered` < 16384 drops
    /// up to 5460 slots from the end of the third.
    static func slotMap(covered: Int = 16_384, age: Double = 4.5, master: String? = nil) -> SlotMapSummary {
        let missing = 16_384 - covered
        return SlotMapSummary(
            ranges: [
                .init(first: 5461, last: 10_922, master: master ?? "127.0.0.1:7002"),
                .init(first: 0, last: 5460, master: master ?? "127.0.0.1:7001"),
                .init(first: 10_923, last: 16_382 - missing, master: master ?? "127.0.0.1:7010"),
                .init(first: 16_383, last: 16_383, master: master ?? "127.0.0.1:7002"),
            ],
            coveredSlots: covered, ageSeconds: age)
    }

    /// 100 commands: 60 at 100 µs (bucket < 128 µs), 39 at 300 µs (< 512 µs), 1 at 5 ms (< 8192 µs):
    /// p50 = 128 µs, p99 = 512 µs.
    static func latency() -> LatencyHistogram {
        var histogram = LatencyHistogram()
        for _ in 0..<60 { histogram.record(nanoseconds: 100_000) }
        for _ in 0..<39 { histogram.record(nanoseconds: 300_000) }
        histogram.record(nanoseconds: 5_000_000)
        return histogram
    }

    static let latencyP50: UInt64 = 128, latencyP99: UInt64 = 512

    /// A cluster-mode snapshot: three tcp-mode-style servers (the seeds), the masters' traffic, the
    /// slot map, command counters and a history with command rates.
    static func clusterSnapshot(masters: [String: MasterCounters] = masterTraffic,
                                slotMap: SlotMapSummary? = slotMap(),
                                latency: LatencyHistogram = latency(), commands: UInt64 = 1_234_567) -> StatsSnapshot {
        let seeds = Array(statesByServer.prefix(3).map(\.0))
        var snapshot = self.snapshot(seeds, history: history(backends: seeds.count, commands: true))
        snapshot.proxy.masters = masters
        snapshot.proxy.slotMap = slotMap
        snapshot.proxy.frontend.commands = commands
        snapshot.proxy.frontend.latency = latency
        return snapshot
    }

    static func snapshot(_ statuses: [BackendStatus] = statesByServer.map(\.0), vrrp: [VRRPInstanceStatus] = [],
                         configPath: String? = "/etc/ferry/ferry.yaml", history: StatsHistory? = nil) -> StatsSnapshot {
        var http = StatsHTTPCounters()
        http.requests = 10
        http.malformed = 1
        http.headTimeouts = 2
        http.unauthorized = 3
        http.forbidden = 4
        http.adminActions = 5
        http.rejectedPaths = 6
        return StatsSnapshot(
            proxy: proxy(statuses), vrrp: vrrp, version: "0.1.0", configPath: configPath, pid: 4242,
            uptime: .seconds(3 * 3600 + 5 * 60 + 7), monotonicNow: now,
            generatedAt: Date(timeIntervalSince1970: 1_700_000_000),
            history: history ?? self.history(backends: statuses.count), http: http)
    }
}
