import Foundation
import Glibc
import Testing

/// SIGHUP: servers added and removed, check parameters changed, without dropping sessions or
/// resetting counters; an invalid file is rejected and the running configuration stays.
@Suite(.serialized, .sharedCluster)
struct ProxyReloadTests {
    /// Rewrites the `servers:` line of Ferry's config (and appends `extra`), then sends SIGHUP.
    static func reload(_ ferry: FerryProcess, servers: [Int], extra: String = "") throws {
        let text = try String(contentsOf: ferry.configFile, encoding: .utf8)
        let list = servers.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", ")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("servers:") ? "  servers: [\(list)]" : String(line)
        }
        try (lines.joined(separator: "\n") + "\n" + extra).write(to: ferry.configFile, atomically: true, encoding: .utf8)
        let before = ferry.log.components(separatedBy: "SIGHUP").count + ferry.log.components(separatedBy: "configuration reloaded").count
        ferry.process.signal(SIGHUP)
        try E2E.waitUntil("Ferry to handle SIGHUP", timeout: .seconds(5)) {
            ferry.log.components(separatedBy: "SIGHUP").count + ferry.log.components(separatedBy: "configuration reloaded").count > before
        }
    }

    /// `/stats;json` from Ferry's stats port.
    static func stats(_ ferry: FerryProcess) throws -> [String: Any] {
        let client = try RedisClient(port: ferry.statsPort)
        defer { client.close() }
        try client.send("GET /stats;json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        var response: [UInt8] = []
        while true {
            let chunk = try client.receive()
            if chunk.isEmpty { break }
            response += chunk
        }
        let text = String(decoding: response, as: UTF8.self)
        let body = try #require(text.range(of: "\r\n\r\n")).upperBound
        let object = try JSONSerialization.jsonObject(with: Data(text[body...].utf8))
        return try #require(object as? [String: Any])
    }

    static func frontendSessionsTotal(_ json: [String: Any]) -> Int {
        ((json["frontend"] as? [String: Any])?["sessions_total"] as? Int) ?? -1
    }

    static func backendSessionsTotal(_ json: [String: Any], address: String) -> Int {
        let backends = json["backends"] as? [[String: Any]] ?? []
        return backends.first { $0["address"] as? String == address }?["sessions_total"] as? Int ?? -1
    }

    @Test func serversAreAddedAndRemovedWithoutDroppingSessionsOrCounters() throws {
        let cluster = try SharedCluster.cluster
        let masters = cluster.masters()
        try #require(masters.count == 3)
        let first = masters[0]
        let ferry = try FerryProcess(servers: [first])
        try ferry.waitUntilRoutable(1)
        let session = try RedisClient(port: ferry.port)
        defer { session.close() }
        #expect(try E2E.nodePort(of: session) == first)

        // Add every node (Ferry finds the other masters by ROLE) and change the check parameters.
        try Self.reload(ferry, servers: cluster.ports, extra: "health:\n  interval: 300ms\n  timeout: 200ms\n")
        #expect(ferry.log.contains("configuration reloaded"))
        try E2E.waitUntil("all three masters in rotation", timeout: .seconds(10)) {
            ProxyFailoverTests.landingPorts(ferry, attempts: 9) == Set(masters)
        }
        #expect(try session.command(["PING"]) == .simple("PONG"), "the session opened before the reload survives")
        try E2E.waitUntil("counters to be published", timeout: .seconds(3)) {
            let json = try Self.stats(ferry)
            return Self.frontendSessionsTotal(json) > 9
                && Self.backendSessionsTotal(json, address: "127.0.0.1:\(first)") >= 2  // kept across the reload
        }

        // Remove the first master: no new session goes there, the old one stays.
        try Self.reload(ferry, servers: cluster.ports.filter { $0 != first })
        try E2E.waitUntil("the removed server out of rotation", timeout: .seconds(5)) {
            !ProxyFailoverTests.landingPorts(ferry, attempts: 6).contains(first)
        }
        #expect(ProxyFailoverTests.landingPorts(ferry, attempts: 9) == Set(masters.dropFirst()))
        #expect(try session.command(["PING"]) == .simple("PONG"), "a session on a removed server is not dropped")
        #expect(try E2E.nodePort(of: session) == first)
    }

    @Test func anInvalidFileIsRejectedAndTheRunningConfigurationStays() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        try Self.reload(ferry, servers: cluster.ports, extra: "health:\n  rise: 0\n")
        #expect(ferry.log.contains("configuration rejected"))
        #expect(ferry.log.contains("health.rise: must be an integer ≥ 1"))
        #expect(!ferry.log.contains("configuration reloaded"))
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["ROLE"]).array?.first?.string == "master")
        #expect(ferry.process.isRunning)
    }
}
