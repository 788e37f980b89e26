import Foundation
import Testing

@testable import Proxy
@testable import Stats

/// `/metrics` read by a real Prometheus text parser (Python's prometheus_client, installed by
/// scripts/test) and checked line by line against the 0.0.4 format.
@Suite struct PrometheusRendererTests {
    struct ParsedSample: Decodable {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static let parserScript = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                out.append({"family": family.name, "type": family.type, "name": sample.name,
                            "labels": sample.labels, "value": sample.value})
        print(json.dumps(out))
        """

    /// Runs prometheus_client's parser on `text`; a parse error fails the test with Python's message.
    static func parse(_ text: String) throws -> [ParsedSample] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", parserScript]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if message.contains("No module named 'prometheus_client'") {
            Issue.record("prometheus_client is missing: scripts/test installs it (python3 -m pip install prometheus_client)")
        }
        try #require(process.terminationStatus == 0, "prometheus_client rejected /metrics: \(message)")
        return try JSONDecoder().decode([ParsedSample].self, from: data)
    }

    static func value(_ samples: [ParsedSample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func aRealParserReadsEveryFamily() throws {
        let snapshot = Fixtures.snapshot(vrrp: [Fixtures.vrrp(), Fixtures.vrrp(name: "second", state: .backup)])
        let samples = try Self.parse(PrometheusRenderer.render(snapshot))
        #expect(Self.value(samples, "ferry_info", ["version": "0.1.0"]) == 1)
        #expect(Self.value(samples, "ferry_uptime_seconds") == 11107)
        #expect(Self.value(samples, "ferry_frontend_sessions") == 42)
        #expect(Self.value(samples, "ferry_frontend_sessions_max") == 99)
        #expect(Self.value(samples, "ferry_frontend_sessions_limit") == 10_000)
        #expect(Self.value(samples, "ferry_frontend_sessions_total") == 123_456)
        #expect(Self.value(samples, "ferry_frontend_bytes_in_total") == 9_876_543_210)
        #expect(Self.value(samples, "ferry_frontend_bytes_out_total") == 1_234_567)
        #expect(Self.value(samples, "ferry_frontend_no_backend_total") == 7)
        #expect(Self.value(samples, "ferry_frontend_accept_errors_total") == 3)
        #expect(Self.value(samples, "ferry_frontend_out_of_resources_total") == 11)
        #expect(Self.value(samples, "ferry_frontend_session_rate") == snapshot.history.currentSessionRate)
        #expect(Self.value(samples, "ferry_relay_pending_blocks") == 5)
        #expect(Self.value(samples, "ferry_backends_routable") == Double(snapshot.routableCount))
        #expect(Self.value(samples, "ferry_stats_requests_total") == 10)
        #expect(Self.value(samples, "ferry_stats_malformed_requests_total") == 1)
        #expect(Self.value(samples, "ferry_stats_rejected_paths_total") == 6)
        #expect(Self.value(samples, "ferry_stats_head_timeouts_total") == 2)
        #expect(Self.value(samples, "ferry_stats_unauthorized_total") == 3)
        #expect(Self.value(samples, "ferry_stats_forbidden_total") == 4)
        #expect(Self.value(samples, "ferry_stats_admin_actions_total") == 5)
        // Counters are typed as counters by the parser (which strips `_total` from the family name).
        for sample in samples where sample.name.hasSuffix("_total") {
            #expect(sample.type == "counter", "\(sample.name)")
            #expect(sample.family + "_total" == sample.name)
        }
    }

    @Test(arguments: Array(Fixtures.statesByServer.enumerated()).map { ($0.offset, $0.element.1) })
    func oneLabelSetPerServer(index: Int, state: ServerState) throws {
        let snapshot = Fixtures.snapshot()
        let samples = try Self.parse(PrometheusRenderer.render(snapshot))
        let backend = snapshot.proxy.backends[index], status = backend.status, counters = backend.counters
        let server = ["server": status.address]
        func value(_ name: String, _ extra: [String: String] = [:]) -> Double? {
            Self.value(samples, name, server.merging(extra) { $1 })
        }
        #expect(value("ferry_backend_up") == (status.status == .up ? 1 : 0))
        #expect(value("ferry_backend_routable") == (status.routable ? 1 : 0))
        for key in ServerState.allKeys { #expect(value("ferry_backend_state", ["state": key]) == (key == state.key ? 1 : 0)) }
        for admin in AdminState.allCases {
            #expect(value("ferry_backend_admin_state", ["state": admin.rawValue]) == (admin == status.adminState ? 1 : 0))
        }
        let role = status.role?.rawValue ?? "unknown"
        for name in ["master", "slave", "sentinel", "unknown"] {
            #expect(value("ferry_backend_role", ["role": name]) == (name == role ? 1 : 0))
        }
        #expect(value("ferry_backend_sessions") == Double(counters.sessionsCurrent))
        #expect(value("ferry_backend_sessions_max") == Double(counters.sessionsMax))
        #expect(value("ferry_backend_sessions_total") == Double(counters.sessionsTotal))
        #expect(value("ferry_backend_bytes_in_total") == Double(counters.bytesIn))
        #expect(value("ferry_backend_bytes_out_total") == Double(counters.bytesOut))
        #expect(value("ferry_backend_connection_errors_total") == Double(counters.connectErrors))
        #expect(value("ferry_backend_retries_total") == Double(counters.retries))
        #expect(value("ferry_backend_sessions_shut_down_total") == Double(counters.sessionsShutDown))
        #expect(value("ferry_backend_check_failures_total") == Double(status.checksFailed))
        #expect(value("ferry_backend_downs_total") == Double(status.downTransitions))
        #expect(value("ferry_backend_downtime_seconds_total") == StatsFormat.seconds(snapshot.downtime(backend)))
        #expect(value("ferry_backend_last_change_seconds") == 90)
        #expect(value("ferry_backend_check_duration_seconds") == status.lastCheck.map { StatsFormat.seconds($0.duration) })
        #expect(value("ferry_backend_check_passed") == status.lastCheck.map { $0.code.passed ? 1 : 0 })
    }

    @Test(arguments: VRRPInstanceStatus.State.allCases)
    func oneLabelSetPerVRRPInstance(state: VRRPInstanceStatus.State) throws {
        let instance = Fixtures.vrrp(state: state, steppedDown: true)
        let samples = try Self.parse(PrometheusRenderer.render(Fixtures.snapshot(vrrp: [instance])))
        let labels = ["instance": "redis-vip"]
        for candidate in VRRPInstanceStatus.State.allCases {
            #expect(Self.value(samples, "ferry_vrrp_state", labels.merging(["state": candidate.rawValue]) { $1 })
                    == (candidate == state ? 1 : 0))
        }
        #expect(Self.value(samples, "ferry_vrrp_priority", labels) == 150)
        #expect(Self.value(samples, "ferry_vrrp_effective_priority", labels) == 50)
        #expect(Self.value(samples, "ferry_vrrp_stepped_down", labels) == 1)
        #expect(Self.value(samples, "ferry_vrrp_adverts_sent_total", labels) == 1234)
        #expect(Self.value(samples, "ferry_vrrp_adverts_received_total", labels) == 56)
        #expect(Self.value(samples, "ferry_vrrp_dropped_total", ["instance": "redis-vip", "reason": "ttl"]) == 2)
        #expect(Self.value(samples, "ferry_vrrp_dropped_total", ["instance": "redis-vip", "reason": "checksum"]) == 1)
        #expect(Self.value(samples, "ferry_vrrp_mismatches_total", labels) == 4)
        #expect(Self.value(samples, "ferry_vrrp_last_transition_seconds", labels) == 300)
    }

    @Test func noVRRPFamiliesWithoutInstances() {
        #expect(!PrometheusRenderer.render(Fixtures.snapshot()).contains("ferry_vrrp_"))
    }

    /// Label values from the network and the configuration survive the round trip exactly.
    @Test(arguments: [Fixtures.hostile, "back\\slash", "quote\"d", "new\nline", "ünïcode ✓", ""])
    func labelValuesAreEscaped(raw: String) throws {
        let snapshot = Fixtures.snapshot([Fixtures.status(raw)], vrrp: [Fixtures.vrrp(name: raw)])
        let samples = try Self.parse(PrometheusRenderer.render(snapshot))
        #expect(Self.value(samples, "ferry_backend_up", ["server": raw]) == 1)
        #expect(Self.value(samples, "ferry_vrrp_priority", ["instance": raw]) == 150)
    }

    /// The 0.0.4 rules, checked on the text itself: HELP then TYPE once per family, its samples
    /// contiguous right after, names valid, counters ending in `_total`.
    @Test(arguments: ["tcp", "cluster"])
    func textFollowsTheExpositionFormat(mode: String) throws {
        var snapshot = mode == "cluster" ? Fixtures.clusterSnapshot() : Fixtures.snapshot()
        snapshot.vrrp = [Fixtures.vrrp()]
        let text = PrometheusRenderer.render(snapshot)
        #expect(text.hasSuffix("\n"))
        var seen: Set<String> = [], current: String?, type: String?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for (number, line) in lines.enumerated() {
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                #expect(!seen.contains(name), "family \(name) appears twice")
                #expect(lines[number + 1].hasPrefix("# TYPE \(name) "), "TYPE must follow HELP for \(name)")
                seen.insert(name)
                current = name
            } else if line.hasPrefix("# TYPE ") {
                type = String(line.split(separator: " ")[3])
                #expect(type == "counter" || type == "gauge" || type == "histogram")
                if type == "counter" { #expect(current?.hasSuffix("_total") == true, "\(line)") }
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                var family = name
                if type == "histogram" {
                    for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { family = String(name.dropLast(suffix.count)) }
                }
                #expect(family == current, "sample \(name) outside its family \(current ?? "-")")
                #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") })
                #expect(name.hasPrefix("ferry_"))
                let value = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(Double(value) != nil, "value \(value)")
            }
        }
    }

    // MARK: - Cluster mode

    @Test func noClusterFamiliesInTCPMode() {
        let text = PrometheusRenderer.render(Fixtures.snapshot())
        #expect(!text.contains("ferry_cluster_"))
        #expect(!text.contains("ferry_frontend_command"))
    }

    @Test func clusterFrontendFamilies() throws {
        let snapshot = Fixtures.clusterSnapshot()
        let samples = try Self.parse(PrometheusRenderer.render(snapshot))
        #expect(Self.value(samples, "ferry_frontend_commands_total") == 1_234_567)
        #expect(Self.value(samples, "ferry_frontend_command_rate") == snapshot.history.currentCommandRate)
        #expect(Self.value(samples, "ferry_cluster_slots_covered") == 16_384)
        #expect(Self.value(samples, "ferry_cluster_slot_map_age_seconds") == 4.5)
        #expect(samples.first { $0.name == "ferry_frontend_commands_total" }?.type == "counter")
        let noMap = try Self.parse(PrometheusRenderer.render(Fixtures.clusterSnapshot(slotMap: nil)))
        #expect(Self.value(noMap, "ferry_cluster_slots_covered") == 0)
        #expect(!noMap.contains { $0.name == "ferry_cluster_slot_map_age_seconds" }, "no age without a map")
    }

    /// One label set per master (from the traffic and the slot map together), read by prometheus_client.
    @Test(arguments: Fixtures.mastersInOrder.map { ($0.name, $0.slots) })
    func oneLabelSetPerMaster(name: String, slots: Int) throws {
        let samples = try Self.parse(PrometheusRenderer.render(Fixtures.clusterSnapshot()))
        let counters = Fixtures.masterTraffic[name] ?? MasterCounters()
        let labels = ["master": name]
        #expect(Self.value(samples, "ferry_cluster_master_commands_total", labels) == Double(counters.commands))
        #expect(Self.value(samples, "ferry_cluster_master_moved_total", labels) == Double(counters.moved))
        #expect(Self.value(samples, "ferry_cluster_master_asked_total", labels) == Double(counters.asked))
        #expect(Self.value(samples, "ferry_cluster_master_tryagain_total", labels) == Double(counters.tryAgain))
        #expect(Self.value(samples, "ferry_cluster_master_errors_total", labels) == Double(counters.errors))
        #expect(Self.value(samples, "ferry_cluster_master_held_total", labels) == Double(counters.held))
        #expect(Self.value(samples, "ferry_cluster_master_connects_total", labels) == Double(counters.connects))
        #expect(Self.value(samples, "ferry_cluster_master_in_flight", labels) == Double(counters.inFlight))
        #expect(Self.value(samples, "ferry_cluster_master_slots", labels) == Double(slots))
        for family in ["commands", "moved", "asked", "tryagain", "errors", "held", "connects"] {
            let name = "ferry_cluster_master_\(family)_total"
            #expect(samples.filter { $0.name == name }.count == Fixtures.mastersInOrder.count)
            #expect(samples.first { $0.name == name }?.type == "counter", "\(name)")
        }
    }

    /// The latency histogram: cumulative buckets at 2^i µs in seconds, increasing `le`, `+Inf` last
    /// and equal to the number of commands recorded; `_sum` in seconds and `_count` after them.
    @Test(arguments: [("fixture", Fixtures.latency()), ("empty", LatencyHistogram()), ("slow", PrometheusRendererTests.slowLatency())])
    func latencyHistogram(name: String, histogram: LatencyHistogram) throws {
        let samples = try Self.parse(PrometheusRenderer.render(Fixtures.clusterSnapshot(latency: histogram)))
        let all = samples.filter { $0.family == "ferry_frontend_command_latency_seconds" }
        #expect(all.allSatisfy { $0.type == "histogram" })
        let family = all.filter { $0.name == "ferry_frontend_command_latency_seconds_bucket" }
        #expect(all.first { $0.name == "ferry_frontend_command_latency_seconds_count" }?.value == Double(histogram.count))
        let sum = try #require(all.first { $0.name == "ferry_frontend_command_latency_seconds_sum" }?.value)
        #expect(abs(sum - Double(histogram.sumNanoseconds) / 1e9) < 1e-9)
        #expect(family.count == LatencyHistogram.bucketCount)
        let bounds = family.map { $0.labels["le"].flatMap(Double.init) ?? .nan }
        #expect(bounds.last == .infinity)
        #expect(bounds.dropLast() == ArraySlice((0..<(LatencyHistogram.bucketCount - 1)).map { Double(1 << $0) / 1e6 }))
        var cumulative: UInt64 = 0
        for (index, sample) in family.enumerated() {
            cumulative += histogram.buckets[index]
            #expect(sample.value == Double(cumulative), "le=\(sample.labels["le"] ?? "")")
        }
        #expect(family.last?.value == Double(histogram.count))
        #expect(all.count == family.count + 2)
        if name == "fixture" {
            // 60 below 128 µs, 99 below 512 µs, all 100 below 8192 µs.
            let le: (String) -> Double? = { bound in family.first { $0.labels["le"] == bound }?.value }
            #expect(le("6.4e-05") == 0)
            #expect(le("0.000128") == 60)
            #expect(le("0.000512") == 99)
            #expect(le("0.004096") == 99)
            #expect(le("0.008192") == 100)
        }
    }

    static func slowLatency() -> LatencyHistogram {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 0)
        histogram.record(nanoseconds: 90_000_000_000)  // 90 s: past the last bound, +Inf only
        return histogram
    }

    /// The OpenMetrics parser is stricter about histograms (+Inf present, buckets cumulative and in
    /// order, `_count` only with `_sum`): it accepts the family as written.
    @Test func openMetricsParserAcceptsTheHistogram() throws {
        let text = PrometheusRenderer.render(Fixtures.clusterSnapshot())
        let lines = text.split(separator: "\n").filter { $0.contains("ferry_frontend_command_latency_seconds") }
        #expect(lines.count == 2 + LatencyHistogram.bucketCount + 2)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            families = list(text_string_to_metric_families(sys.stdin.read()))
            assert [f.type for f in families] == ["histogram"], families
            print(len(families[0].samples))
            """]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n# EOF\n").utf8))
        try input.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "OpenMetrics parser rejected the histogram: \(message)")
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == String(LatencyHistogram.bucketCount + 2))
    }

    /// Master names come from CLUSTER SHARDS: they survive the label round trip exactly.
    @Test(arguments: [Fixtures.hostile, "back\\slash", "quote\"d", "new\nline", "[::1]:7001"])
    func masterLabelsAreEscaped(name: String) throws {
        let snapshot = Fixtures.clusterSnapshot(masters: [name: Fixtures.masterCounters(2)], slotMap: Fixtures.slotMap(master: name))
        let samples = try Self.parse(PrometheusRenderer.render(snapshot))
        #expect(Self.value(samples, "ferry_cluster_master_commands_total", ["master": name]) == 2_000_006)
        #expect(Self.value(samples, "ferry_cluster_master_slots", ["master": name]) == 16_384)
    }

    @Test(arguments: [("plain", "plain"), ("a\\b", "a\\\\b"), ("a\"b", "a\\\"b"), ("a\nb", "a\\nb")])
    func labelValueEscaping(raw: String, escaped: String) {
        #expect(PrometheusExposition.escapeLabelValue(raw) == escaped)
    }

    @Test(arguments: [("plain", "plain"), ("a\\b", "a\\\\b"), ("a\"b", "a\"b"), ("a\nb", "a\\nb")])
    func helpEscaping(raw: String, escaped: String) {
        #expect(PrometheusExposition.escapeHelp(raw) == escaped)
    }

    @Test(arguments: [
        (PrometheusExposition.Value.int(-3), "-3"), (.uint(UInt64.max), "18446744073709551615"), (.double(1.5), "1.5"),
        (.double(2), "2"), (.double(.infinity), "+Inf"), (.double(-.infinity), "-Inf"), (.double(.nan), "NaN"),
        (.double(0.00025), "0.00025"),
    ])
    func valueSpelling(value: PrometheusExposition.Value, text: String) {
        #expect(value.text == text)
    }
}
