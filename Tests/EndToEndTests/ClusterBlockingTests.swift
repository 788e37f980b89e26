import Foundation
import Testing

/// cluster mode's blocking commands: each on a connection of its own to its slot's master, so a
/// `BLPOP` never holds up other clients; the server's timeout holds; a blocked client's next
/// requests wait behind it; a client that leaves while blocked pops nothing (issue 14).
@Suite(.serialized, .sharedCluster)
struct ClusterBlockingTests {
    /// One data-plane thread: every client shares one link per master, the case a blocked
    /// command would hurt.
    static func ferry(_ cluster: RedisCluster) throws -> FerryProcess {
        try FerryProcess.clusterMode(cluster, threads: 1)
    }

    @Test func aBlockedClientHoldsUpNobodyAndItsTimeoutHolds() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let blocked = try RedisClient(port: ferry.port), other = try RedisClient(port: ferry.port)
        defer { blocked.close(); other.close() }
        // A key on the same master as the list: the shared link it would block.
        let list = "{blocking}queue", neighbour = "{blocking}value"
        #expect(try other.command(["SET", neighbour, "1"]) == .simple("OK"))
        let start = ContinuousClock.now
        try blocked.send(RESPReply.encodeCommand(["BLPOP", list, "1"]))
        for _ in 0..<20 { #expect(try other.command(["GET", neighbour]) == .bulk(Array("1".utf8))) }
        #expect(ContinuousClock.now - start < .milliseconds(900), "the neighbour's commands waited for the BLPOP")
        try blocked.setTimeout(.seconds(5))
        #expect(try blocked.readReply() == .null)
        #expect(ContinuousClock.now - start >= .milliseconds(950), "BLPOP answered before its 1 s timeout")
        // The connection serves ordinary commands again.
        #expect(try blocked.command(["GET", neighbour]) == .bulk(Array("1".utf8)))
    }

    @Test func aPushUnblocksTheClientAndItsPipelinedRequestsFollowInOrder() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let blocked = try RedisClient(port: ferry.port), pusher = try RedisClient(port: ferry.port)
        defer { blocked.close(); pusher.close() }
        _ = try pusher.command(["DEL", "pipeline-queue", "{pipeline-queue}moved"])
        try blocked.send(RESPReply.encodeCommand(["BLPOP", "pipeline-queue", "10"])
                         + RESPReply.encodeCommand(["LLEN", "pipeline-queue"])
                         + RESPReply.encodeCommand(["BLMOVE", "pipeline-queue", "{pipeline-queue}moved", "LEFT", "RIGHT", "10"]))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try pusher.command(["RPUSH", "pipeline-queue", "first", "second"]) == .integer(2))
        #expect(try blocked.readReply() == .array([.bulk(Array("pipeline-queue".utf8)), .bulk(Array("first".utf8))]))
        #expect(try blocked.readReply() == .integer(1))
        #expect(try blocked.readReply() == .bulk(Array("second".utf8)))
        #expect(try pusher.command(["LRANGE", "{pipeline-queue}moved", "0", "-1"]) == .array([.bulk(Array("second".utf8))]))
        // A stream read that blocks, then is fed.
        _ = try pusher.command(["DEL", "blocking-stream"])
        try blocked.send(RESPReply.encodeCommand(["XREAD", "BLOCK", "10000", "STREAMS", "blocking-stream", "$"]))
        Thread.sleep(forTimeInterval: 0.2)
        let id = try #require(try pusher.command(["XADD", "blocking-stream", "*", "field", "value"]).string)
        let entries = try #require(try blocked.readReply().array)
        #expect(entries.first?.array?.first == .bulk(Array("blocking-stream".utf8)))
        #expect("\(entries)".contains(id))
    }

    @Test func aClientThatLeavesWhileBlockedPopsNothing() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let pusher = try RedisClient(port: ferry.port)
        defer { pusher.close() }
        let list = "left-behind"
        _ = try pusher.command(["DEL", list])
        let master = try #require(try cluster.masters().first { try cluster.command($0, ["LLEN", list]).integer != nil })
        let blocked = try RedisClient(port: ferry.port)
        try blocked.send(RESPReply.encodeCommand(["BLPOP", list, "0"]))
        _ = try E2E.waitUntilValue("Ferry's BLPOP to block on the master", timeout: .seconds(5)) {
            try cluster.clientList(master).first { $0["name"] == "ferry" && $0["cmd"] == "blpop" }
        }
        blocked.close()
        try E2E.waitUntil("the blocked connection to be closed", timeout: .seconds(5)) {
            try cluster.clientList(master).allSatisfy { $0["cmd"] != "blpop" }
        }
        #expect(try pusher.command(["RPUSH", list, "kept"]) == .integer(1))
        #expect(try pusher.command(["LRANGE", list, "0", "-1"]) == .array([.bulk(Array("kept".utf8))]))
        // CROSSSLOT for keys of two slots, as from a cluster node.
        #expect(try pusher.command(["BLPOP", "a", "b", "1"]) == .error("CROSSSLOT Keys in request don't hash to the same slot"))
    }

    /// More clients blocked at once than the pool keeps (16 per master): when they are answered,
    /// 16 links are kept and the rest closed, and blocking keeps working.
    @Test func moreBlockedClientsThanThePoolKeeps() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try Self.ferry(cluster)
        let clients = try (0..<24).map { _ in try RedisClient(port: ferry.port) }
        defer { for client in clients { client.close() } }
        for client in clients { try client.send(RESPReply.encodeCommand(["BLPOP", "{pool}empty", "1"])) }
        for client in clients {
            try client.setTimeout(.seconds(5))
            #expect(try client.readReply() == .null)
        }
        let pusher = try RedisClient(port: ferry.port)
        defer { pusher.close() }
        try clients[0].send(RESPReply.encodeCommand(["BLPOP", "{pool}empty", "5"]))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try pusher.command(["RPUSH", "{pool}empty", "v"]) == .integer(1))
        #expect(try clients[0].readReply() == .array([.bulk(Array("{pool}empty".utf8)), .bulk(Array("v".utf8))]))
        #expect(try clients[1].command(["PING"]) == .simple("PONG"))
    }
}
