import Cluster
import Foundation
import Testing

/// Cluster mode when a master stops answering: nobody waits forever. Its own cluster, whose node
/// timeout is long enough that no failover happens while the master is frozen.
@Suite(.serialized, .sharedCluster(nodeTimeout: .seconds(60)))
struct ClusterFailureTests {
    @Test func clientsWaitingOnAFrozenMasterGetAnErrorOnceTheChecksSeeItDown() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports,
                                     extra: "health: {interval: 200ms, timeout: 100ms, rise: 2, fall: 2}\ncluster: {hold: 500ms}",
                                     mode: "cluster")
        try E2E.waitUntil("the slot map to be loaded", timeout: .seconds(15)) { ferry.log.contains("slot map updated") }
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        try client.setTimeout(.seconds(20))
        let key = "frozen-master-key"
        #expect(try client.command(["SET", key, "1"]) == .simple("OK"))
        let master = try #require(try cluster.masters().first { try cluster.command($0, ["EXISTS", key]).integer == 1 })
        // A key on another master, to check that its clients are not held up.
        var elsewhere = ""
        for index in 0..<100 where elsewhere.isEmpty {
            let candidate = "elsewhere-\(index)"
            #expect(try client.command(["SET", candidate, "2"]) == .simple("OK"))
            if try cluster.command(master, ["EXISTS", candidate]).isError { elsewhere = candidate }  // MOVED: not its slot
        }
        try #require(!elsewhere.isEmpty)
        try E2E.waitUntil("the master's checks to pass", timeout: .seconds(15)) {
            ferry.log.contains("server 127.0.0.1:\(master) enters rotation") || ferry.log.contains("server 127.0.0.1:\(master) DOWN → UP")
        }

        try cluster.stop(master)
        defer { try? cluster.cont(master) }
        // In flight when the master froze: answered once the checks take it DOWN, never resent.
        let waiting = try client.command(["GET", key])
        #expect(waiting == .error("ERR ferry: connection to 127.0.0.1:\(master) lost"), "\(waiting)")
        // Meanwhile its slots wait `cluster.hold` for a new master (none comes: no failover in
        // this cluster), then are refused as a node of that cluster would refuse them.
        let start = ContinuousClock.now
        #expect(try client.command(["GET", key]) == .error("CLUSTERDOWN The cluster is down"))
        #expect(ContinuousClock.now - start >= .milliseconds(450))
        // Other masters' keys are served all along.
        #expect(try client.command(["GET", elsewhere]) == .bulk(Array("2".utf8)))

        try cluster.cont(master)
        try E2E.waitUntil("the master back in rotation", timeout: .seconds(15)) {
            (try? client.command(["GET", key])) == .bulk(Array("1".utf8))
        }
    }

    /// A master that died (no failover: the node timeout is a minute) before the checks noticed:
    /// new connections to it are refused. An inline request (re-encoded by Ferry) and a blocking
    /// command (on a connection of its own) for it get an error, and Ferry goes on serving.
    @Test func requestsForADeadMasterBeforeTheChecksNoticeGetAnError() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, extra: "health: {interval: 5s, timeout: 1s, rise: 1, fall: 3}\ncluster: {hold: 0}")
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        let key = "dead-master-key"
        #expect(try client.command(["SET", key, "1"]) == .simple("OK"))
        let master = try #require(try cluster.masters().first { try cluster.command($0, ["EXISTS", key]).integer == 1 })
        try cluster.kill(master)
        defer {
            try? cluster.restart(master)
            _ = try? cluster.waitUntilHealthy(timeout: .seconds(30))
        }
        Thread.sleep(forTimeInterval: 0.2)  // Ferry's link to it has seen the close
        let refused = "ERR ferry: cannot connect to 127.0.0.1:\(master)"
        try client.send(Array("GET \(key)\r\n".utf8))
        #expect(try client.readReply() == .error(refused))
        #expect(try client.command(["BLPOP", key, "1"]) == .error(refused))
        #expect(try client.command(["PING"]) == .simple("PONG"))
    }
}
