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

    static func history(backends: Int, seconds: Int = 120) -> StatsHistory {
        var history = StatsHistory(capacity: 600)
        var total: UInt64 = 0
        history.record(sessionsTotal: 0, checkLatencies: [], elapsed: .zero)
        for second in 0..<seconds {
            total += UInt64(second % 30)
            let latencies: [Duration?] = (0..<backends).map { server in
                server == 5 ? nil : .microseconds(300 + 50 * server + second % 7 * 10)
            }
            history.record(sessionsTotal: total, checkLatencies: latencies, elapsed: .seconds(1))
        }
        return history
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
