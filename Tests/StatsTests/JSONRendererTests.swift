import Foundation
import Testing

@testable import Proxy
@testable import Stats

/// `;json` decoded back and checked against the snapshot; the schema's keys are pinned.
@Suite struct JSONRendererTests {
    static func decode(_ snapshot: StatsSnapshot) throws -> StatsDocument {
        try JSONRenderer.decoder.decode(StatsDocument.self, from: Data(JSONRenderer.render(snapshot).utf8))
    }

    static func object(_ snapshot: StatsSnapshot) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(JSONRenderer.render(snapshot).utf8)) as? [String: Any])
    }

    @Test func roundTripsExactly() throws {
        let snapshot = Fixtures.snapshot(vrrp: [Fixtures.vrrp()])
        #expect(try Self.decode(snapshot) == StatsDocument(snapshot))
    }

    @Test func processAndFrontendMatchTheSnapshot() throws {
        let snapshot = Fixtures.snapshot()
        let document = try Self.decode(snapshot)
        #expect(document.schema == "ferry-stats/1")
        #expect(document.process.version == "0.1.0")
        #expect(document.process.pid == 4242)
        #expect(document.process.configPath == "/etc/ferry/ferry.yaml")
        #expect(document.process.uptimeSeconds == 11107)
        #expect(document.process.generatedAt == "2023-11-14T22:13:20Z")
        let frontend = document.frontend, proxy = snapshot.proxy
        #expect(frontend.sessionsCurrent == 42)
        #expect(frontend.sessionsMax == 99)
        #expect(frontend.sessionsLimit == 10_000)
        #expect(frontend.sessionsTotal == proxy.frontend.sessionsTotal)
        #expect(frontend.bytesIn == proxy.frontend.bytesIn)
        #expect(frontend.bytesOut == proxy.frontend.bytesOut)
        #expect(frontend.noBackend == 7)
        #expect(frontend.acceptErrors == 3)
        #expect(frontend.outOfResources == 11)
        #expect(frontend.pendingBlocks == 5)
        #expect(frontend.sessionRate == snapshot.history.currentSessionRate)
        #expect(frontend.sessionRateMax == snapshot.history.maxSessionRate)
        #expect(document.backendsRoutable == snapshot.routableCount)
        #expect(document.statsServer == .init(requests: 10, malformed: 1, rejectedPaths: 6, headTimeouts: 2,
                                              unauthorized: 3, forbidden: 4, adminActions: 5))
    }

    @Test(arguments: Array(Fixtures.statesByServer.enumerated()).map { ($0.offset, $0.element.1) })
    func everyServerMatchesTheSnapshot(index: Int, state: ServerState) throws {
        let snapshot = Fixtures.snapshot()
        let server = try Self.decode(snapshot).backends[index]
        let backend = snapshot.proxy.backends[index], status = backend.status, counters = backend.counters
        #expect(server.index == index)
        #expect(server.address == status.address)
        #expect(server.role == status.role?.rawValue)
        #expect(server.state == state.key)
        #expect(server.status == state.label)
        #expect(server.health == status.status.rawValue)
        #expect(server.adminState == status.adminState.rawValue)
        #expect(server.routable == status.routable)
        #expect(server.lastCheck?.code == status.lastCheck?.code.rawValue)
        #expect(server.lastCheck?.detail == status.lastCheck?.detail)
        #expect(server.lastCheck?.passed == status.lastCheck?.code.passed)
        if let check = status.lastCheck { #expect(abs(server.lastCheck!.durationMs - StatsFormat.seconds(check.duration) * 1000) < 1e-9) }
        #expect(server.sessionsCurrent == counters.sessionsCurrent)
        #expect(server.sessionsMax == counters.sessionsMax)
        #expect(server.sessionsTotal == counters.sessionsTotal)
        #expect(server.bytesIn == counters.bytesIn)
        #expect(server.bytesOut == counters.bytesOut)
        #expect(server.connectionErrors == counters.connectErrors)
        #expect(server.retries == counters.retries)
        #expect(server.sessionsShutDown == counters.sessionsShutDown)
        #expect(server.checkFailures == status.checksFailed)
        #expect(server.downs == status.downTransitions)
        #expect(server.downtimeSeconds == StatsFormat.seconds(snapshot.downtime(backend)))
        #expect(server.lastChangeSecondsAgo == 90)
    }

    @Test func vrrpInstancesMatchTheSnapshot() throws {
        let instance = Fixtures.vrrp(steppedDown: true)
        let vrrp = try #require(try Self.decode(Fixtures.snapshot(vrrp: [instance])).vrrp.first)
        #expect(vrrp.name == "redis-vip")
        #expect(vrrp.interface == "eth1")
        #expect(vrrp.vrid == 51)
        #expect(vrrp.state == "MASTER")
        #expect(vrrp.configuredPriority == 150)
        #expect(vrrp.effectivePriority == 50)
        #expect(vrrp.steppedDown)
        #expect(vrrp.virtualIps == ["10.0.0.123/24", "10.0.0.124/24"])
        #expect(vrrp.masterAddress == "10.0.0.1")
        #expect(vrrp.advertsSent == 1234)
        #expect(vrrp.advertsReceived == 56)
        #expect(vrrp.drops == [.init(reason: "checksum", count: 1), .init(reason: "ttl", count: 2)])
        #expect(vrrp.dropsTotal == 3)
        #expect(vrrp.mismatches == 4)
        #expect(vrrp.lastTransitionSecondsAgo == 300)
        #expect(vrrp.lastTransitionReason == "master down timer expired")
        #expect(try Self.decode(Fixtures.snapshot()).vrrp.isEmpty)
    }

    @Test func historyHasOneSeriesPerServer() throws {
        let snapshot = Fixtures.snapshot()
        let history = try Self.decode(snapshot).history
        #expect(history.intervalSeconds == 1)
        #expect(history.sessionRate == snapshot.history.samples.map(\.sessionRate))
        #expect(history.checkLatencyMs.count == snapshot.proxy.backends.count)
        #expect(history.checkLatencyMs.allSatisfy { $0.count == snapshot.history.samples.count })
        #expect(history.checkLatencyMs[5].allSatisfy { $0 == nil }, "never checked: null")
        #expect(history.checkLatencyMs[0].last! != nil)
    }

    /// The documented keys (docs/stats.md): renaming one breaks scripts, so it breaks this test.
    @Test(arguments: [
        ("", ["schema", "process", "frontend", "backends", "backends_routable", "vrrp", "stats_server", "history",
              "cluster"]),
        ("process", ["version", "pid", "config_path", "uptime_seconds", "generated_at"]),
        ("frontend", ["sessions_current", "sessions_max", "sessions_limit", "sessions_total", "session_rate",
                      "session_rate_max", "bytes_in", "bytes_out", "no_backend", "accept_errors", "out_of_resources",
                      "pending_blocks", "commands", "command_rate", "command_rate_max", "latency_p50_us", "latency_p99_us"]),
        ("backends", ["index", "address", "role", "state", "status", "health", "admin_state", "routable", "last_check",
                      "sessions_current", "sessions_max", "sessions_total", "bytes_in", "bytes_out", "connection_errors",
                      "retries", "sessions_shut_down", "client_aborts", "server_aborts", "check_failures", "downs", "downtime_seconds",
                      "last_change_seconds_ago"]),
        ("last_check", ["code", "passed", "duration_ms", "detail"]),
        ("vrrp", ["name", "interface", "vrid", "state", "configured_priority", "effective_priority", "stepped_down",
                  "virtual_ips", "master_address", "adverts_sent", "adverts_received", "drops", "drops_total",
                  "mismatches", "last_transition_seconds_ago", "last_transition_reason"]),
        ("stats_server", ["requests", "malformed", "rejected_paths", "head_timeouts", "unauthorized", "forbidden", "admin_actions"]),
        ("history", ["interval_seconds", "session_rate", "check_latency_ms", "command_rate"]),
    ])
    func schemaKeys(section: String, keys: [String]) throws {
        let root = try Self.object(Fixtures.snapshot(vrrp: [Fixtures.vrrp()]))
        let object: [String: Any]? = switch section {
        case "": root
        case "backends", "vrrp": (root[section] as? [[String: Any]])?.first
        case "last_check": ((root["backends"] as? [[String: Any]])?.first)?["last_check"] as? [String: Any]
        default: root[section] as? [String: Any]
        }
        #expect(try Set(#require(object).keys) == Set(keys))
    }

    // MARK: - Cluster mode

    /// The keys cluster mode adds; within `ferry-stats/1` they may only ever be added to.
    @Test(arguments: [
        ("cluster", ["masters", "slot_map"]),
        ("masters", ["name", "commands", "moved", "asked", "try_again", "errors", "held", "connects", "in_flight", "slots"]),
        ("slot_map", ["covered_slots", "age_seconds", "ranges"]),
        ("ranges", ["first", "last", "master"]),
    ])
    func clusterSchemaKeys(section: String, keys: [String]) throws {
        let root = try Self.object(Fixtures.clusterSnapshot())
        let cluster = root["cluster"] as? [String: Any]
        let slotMap = cluster?["slot_map"] as? [String: Any]
        let object: [String: Any]? = switch section {
        case "cluster": cluster
        case "masters": (cluster?["masters"] as? [[String: Any]])?.first
        case "slot_map": slotMap
        default: (slotMap?["ranges"] as? [[String: Any]])?.first
        }
        #expect(try Set(#require(object).keys) == Set(keys))
    }

    /// tcp mode: the new keys are there, `cluster` and the quantiles null, the counters 0.
    @Test func tcpModeHasNullCluster() throws {
        let root = try Self.object(Fixtures.snapshot())
        #expect(root["cluster"] is NSNull)
        let frontend = try #require(root["frontend"] as? [String: Any])
        #expect(frontend["latency_p50_us"] is NSNull)
        #expect(frontend["latency_p99_us"] is NSNull)
        #expect(frontend["commands"] as? Int == 0)
        #expect(frontend["command_rate"] as? Double == 0)
        let document = try Self.decode(Fixtures.snapshot())
        #expect(document.cluster == nil)
        #expect(document.history.commandRate.allSatisfy { $0 == 0 })
    }

    @Test func clusterRoundTripsExactly() throws {
        for snapshot in [Fixtures.clusterSnapshot(), Fixtures.clusterSnapshot(slotMap: nil),
                         Fixtures.clusterSnapshot(masters: [:], latency: LatencyHistogram(), commands: 0)] {
            #expect(try Self.decode(snapshot) == StatsDocument(snapshot))
        }
    }

    @Test func clusterFrontendMatchesTheSnapshot() throws {
        let snapshot = Fixtures.clusterSnapshot()
        let document = try Self.decode(snapshot)
        #expect(document.frontend.commands == 1_234_567)
        #expect(document.frontend.commandRate == snapshot.history.currentCommandRate)
        #expect(document.frontend.commandRateMax == snapshot.history.maxCommandRate)
        #expect(document.frontend.latencyP50Us == Fixtures.latencyP50)
        #expect(document.frontend.latencyP99Us == Fixtures.latencyP99)
        #expect(document.history.commandRate == snapshot.history.samples.map(\.commandRate))
        #expect(document.history.commandRate.count == document.history.sessionRate.count)
    }

    @Test(arguments: Array(Fixtures.mastersInOrder.enumerated()).map { ($0.offset, $0.element.name, $0.element.slots) })
    func everyMasterMatchesTheSnapshot(index: Int, name: String, slots: Int) throws {
        let masters = try #require(try Self.decode(Fixtures.clusterSnapshot()).cluster).masters
        #expect(masters.count == Fixtures.mastersInOrder.count)
        let counters = Fixtures.masterTraffic[name] ?? MasterCounters()
        #expect(masters[index] == .init(name: name, commands: counters.commands, moved: counters.moved,
                                        asked: counters.asked, tryAgain: counters.tryAgain, errors: counters.errors,
                                        held: counters.held, connects: counters.connects, inFlight: counters.inFlight, slots: slots))
    }

    @Test(arguments: [(16_384, 4.5), (16_000, 95.25), (11_000, 0)])
    func slotMapMatchesTheSnapshot(covered: Int, age: Double) throws {
        let map = Fixtures.slotMap(covered: covered, age: age)
        let slotMap = try #require(try Self.decode(Fixtures.clusterSnapshot(slotMap: map)).cluster?.slotMap)
        #expect(slotMap.coveredSlots == covered)
        #expect(slotMap.ageSeconds == age)
        #expect(slotMap.ranges == map.ranges.sorted { $0.first < $1.first }.map { .init(first: $0.first, last: $0.last, master: $0.master) })
        #expect(slotMap.ranges.first?.first == 0, "in slot order")
        #expect(try Self.decode(Fixtures.clusterSnapshot(slotMap: nil)).cluster?.slotMap == nil)
        let root = try Self.object(Fixtures.clusterSnapshot(slotMap: nil))
        #expect((root["cluster"] as? [String: Any])?["slot_map"] is NSNull)
    }

    @Test func masterNamesFromTheNetworkRoundTrip() throws {
        let hostile = Fixtures.hostile
        let cluster = try #require(try Self.decode(Fixtures.clusterSnapshot(masters: [hostile: Fixtures.masterCounters(1)],
                                                                            slotMap: Fixtures.slotMap(master: hostile))).cluster)
        #expect(cluster.masters.map(\.name) == [hostile])
        #expect(cluster.masters[0].slots == 16_384)
        #expect(cluster.slotMap?.ranges.allSatisfy { $0.master == hostile } == true)
    }

    @Test func unknownValuesAreNull() throws {
        let snapshot = Fixtures.snapshot([Fixtures.status(role: nil, check: nil)], configPath: nil)
        let root = try Self.object(snapshot)
        let backend = try #require((root["backends"] as? [[String: Any]])?.first)
        #expect(backend["role"] is NSNull)
        #expect(backend["last_check"] is NSNull)
        #expect((root["process"] as? [String: Any])?["config_path"] is NSNull)
    }

    @Test func stringsFromOutsideRoundTrip() throws {
        let hostile = Fixtures.hostile
        let snapshot = Fixtures.snapshot([Fixtures.status(hostile, check: Fixtures.check(.l7rsp, detail: hostile))],
                                         vrrp: [Fixtures.vrrp(name: hostile)], configPath: hostile)
        let document = try Self.decode(snapshot)
        #expect(document.backends[0].address == hostile)
        #expect(document.backends[0].lastCheck?.detail == hostile)
        #expect(document.vrrp[0].name == hostile)
        #expect(document.process.configPath == hostile)
    }

    @Test(arguments: [(0.0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"),
                      (1_700_000_000.9, "2023-11-14T22:13:20Z"), (4_102_444_799, "2099-12-31T23:59:59Z")])
    func timestamps(seconds: Double, text: String) {
        #expect(StatsDocument.rfc3339(Date(timeIntervalSince1970: seconds)) == text)
    }
}
