import Cluster
import Foundation
import Testing

/// cluster mode when a master misbehaves without dying: each fault costs only the commands that
/// were waiting on that master, is counted on the stats page, leaves no client hanging, and does
/// not delay the clients of other masters.
@Suite(.serialized, .sharedCluster)
struct ClusterBackendFaultTests {
    /// Ferry with one data-plane thread (so every client shares one link per master) and checks
    /// slow enough that a master frozen for half a second stays UP.
    static func ferry(_ cluster: RedisCluster) throws -> FerryProcess {
        try FerryProcess.clusterMode(cluster, threads: 1, extra: "health: {interval: 1s, timeout: 900ms, rise: 1, fall: 3}")
    }

    /// A key of each of two different masters.
    static func keys(_ cluster: RedisCluster, prefix: String) throws -> (key: String, master: Int, other: String) {
        let masters = cluster.masters()
        func owner(_ key: String) throws -> Int? {
            try masters.first { try cluster.command($0, ["EXISTS", key]).integer != nil }  // MOVED elsewhere
        }
        let key = "\(prefix)-a", master = try #require(try owner(key))
        let other = try #require((0..<100).map { "\(prefix)-b\($0)" }.first { try owner($0) != master })
        return (key, master, other)
    }

    /// The master's counters in `/stats;json`.
    static func masterStats(_ ferry: FerryProcess, _ port: Int) throws -> [String: Any] {
        let cluster = try #require(try ferry.statsJSON()["cluster"] as? [String: Any])
        let masters = try #require(cluster["masters"] as? [[String: Any]])
        return try #require(masters.first { $0["name"] as? String == "127.0.0.1:\(port)" })
    }

    /// Waits for the stats page to count the fault (the loops publish their counters periodically).
    static func waitForCounters(_ ferry: FerryProcess, _ port: Int, errors: Int, connects: Int) throws {
        var last: [String: Any] = [:]
        do {
            try E2E.waitUntil("errors \(errors) and connects \(connects) on the stats page", timeout: .seconds(5)) {
                last = try masterStats(ferry, port)
                return last.count("errors") == errors && last.count("connects") == connects
            }
        } catch {
            Issue.record("\(error); last: \(last)")
        }
    }

    /// Ferry's link to a master killed by `CLIENT KILL` while a write waits on it (the master
    /// pauses writes): that write gets an error and never runs; the master's other traffic and the
    /// other masters' carry on.
    @Test func aLinkKilledByTheServerCostsOnlyTheCommandsOnIt() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let (key, master, other) = try Self.keys(cluster, prefix: "killed-link")
        let writer = try RedisClient(port: ferry.port), reader = try RedisClient(port: ferry.port)
        defer { writer.close(); reader.close() }
        #expect(try writer.command(["SET", key, "before"]) == .simple("OK"))

        let admin = try cluster.client(master)
        defer { admin.close() }
        #expect(try admin.command(["CLIENT", "PAUSE", "10000", "WRITE"]) == .simple("OK"))
        defer { _ = try? cluster.command(master, ["CLIENT", "UNPAUSE"]) }
        try writer.send(RESPReply.encodeCommand(["SET", key, "never"]))
        let link = try #require(try E2E.waitUntilValue("Ferry's SET to wait on the paused master", timeout: .seconds(5)) {
            try cluster.clientList(master).first { $0["name"] == "ferry" && $0["cmd"] == "set" }?["id"]
        })
        // Other masters are not held up meanwhile.
        #expect(try reader.command(["GET", other]) == .null)
        #expect(try admin.command(["CLIENT", "KILL", "ID", link]) == .integer(1))
        #expect(try writer.readReply() == .error("ERR ferry: connection to 127.0.0.1:\(master) lost"))
        #expect(try admin.command(["CLIENT", "UNPAUSE"]) == .simple("OK"))
        // Never resent: it may have run, and here it did not.
        #expect(try cluster.command(master, ["GET", key]) == .bulk(Array("before".utf8)))
        #expect(try writer.command(["SET", key, "after"]) == .simple("OK"))
        try Self.waitForCounters(ferry, master, errors: 1, connects: 2)
    }

    /// A reply bigger than the server's `client-output-buffer-limit` closes Ferry's link on the
    /// server's side: the command that asked for it gets an error, the next ones are served.
    @Test func aFullOutputBufferOnTheServerCostsOnlyTheCommandsOnTheLink() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let (key, master, other) = try Self.keys(cluster, prefix: "big-reply")
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["SET", key, String(repeating: "x", count: 1 << 20)]) == .simple("OK"))
        #expect(try cluster.command(master, ["CONFIG", "SET", "client-output-buffer-limit", "normal 64kb 64kb 0"]) == .simple("OK"))
        defer { _ = try? cluster.command(master, ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]) }
        #expect(try client.command(["GET", key]) == .error("ERR ferry: connection to 127.0.0.1:\(master) lost"))
        #expect(try client.command(["STRLEN", key]) == .integer(1 << 20))
        #expect(try client.command(["GET", other]) == .null)
        try Self.waitForCounters(ferry, master, errors: 1, connects: 2)
    }

    /// A master that answers slowly (frozen for 600 ms, not long enough for the checks to take it
    /// DOWN) delays only the commands waiting on it.
    @Test func aSlowMasterDelaysOnlyItsOwnCommands() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let (key, master, other) = try Self.keys(cluster, prefix: "slow-master")
        let slow = try RedisClient(port: ferry.port), fast = try RedisClient(port: ferry.port)
        defer { slow.close(); fast.close() }
        #expect(try slow.command(["SET", key, "1"]) == .simple("OK"))

        try cluster.stop(master)
        let frozenAt = ContinuousClock.now
        try slow.send(RESPReply.encodeCommand(["GET", key]))
        var longestElsewhere = Duration.zero
        while ContinuousClock.now - frozenAt < .milliseconds(600) {
            let start = ContinuousClock.now
            #expect(try fast.command(["GET", other]) == .null)
            longestElsewhere = max(longestElsewhere, ContinuousClock.now - start)
        }
        try cluster.cont(master)
        #expect(try slow.readReply() == .bulk(Array("1".utf8)))
        let slowWait = ContinuousClock.now - frozenAt
        #expect(longestElsewhere * 3 < slowWait, "other masters' commands took up to \(longestElsewhere), the slow one \(slowWait)")
        try Self.waitForCounters(ferry, master, errors: 0, connects: 1)
    }
}

extension E2E {
    /// Polls `value` every 20 ms until it returns non-nil or `timeout` passes.
    static func waitUntilValue<T>(_ what: String, timeout: Duration, _ value: () throws -> T?) throws -> T? {
        var result: T?
        try waitUntil(what, timeout: timeout) {
            result = try value()
            return result != nil
        }
        return result
    }
}
