import Cluster
import Foundation
import Testing

/// Ferry in cluster mode in front of a real 6-node cluster: plain clients see one Redis.
@Suite(.serialized, .sharedCluster)
struct ClusterModeTests {
    private func startFerry() throws -> FerryProcess {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, mode: "cluster")
        try E2E.waitUntil("the slot map to be loaded", timeout: .seconds(15)) { ferry.log.contains("slot map updated") }
        return ferry
    }

    /// One key for each of the 16384 slots, found by trying `k0`, `k1`… until every slot has one.
    private static let keyPerSlot = E2E.keyPerSlot(prefix: "k")

    @Test func redisCliWithoutRedirectionsSetsAndGetsAnyKey() throws {
        let ferry = try startFerry()
        for index in 0..<30 {
            let set = try ChildProcess.run("redis-cli", ["-p", "\(ferry.port)", "SET", "plain-\(index)", "value-\(index)"],
                                           logFile: ferry.directory.appendingPathComponent("set-\(index).log"), timeout: .seconds(10))
            #expect(set.output.trimmingCharacters(in: .whitespacesAndNewlines) == "OK", "\(set.output)")
            let get = try ChildProcess.run("redis-cli", ["-p", "\(ferry.port)", "GET", "plain-\(index)"],
                                           logFile: ferry.directory.appendingPathComponent("get-\(index).log"), timeout: .seconds(10))
            #expect(get.output.trimmingCharacters(in: .whitespacesAndNewlines) == "value-\(index)", "\(get.output)")
        }
    }

    @Test func oneKeyInEverySlotThroughOnePipelinedConnection() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        try client.setTimeout(.seconds(30))
        let keys = Self.keyPerSlot
        try client.send(keys.flatMap { RESPReply.encodeCommand(["SET", $0, "slot-value-\($0)"]) })
        var failures: [String] = []
        for key in keys {
            let reply = try client.readReply()
            if reply != .simple("OK") { failures.append("SET \(key): \(reply)") }
        }
        try client.send(keys.flatMap { RESPReply.encodeCommand(["GET", $0]) })
        for key in keys {
            let reply = try client.readReply()
            if reply.string != "slot-value-\(key)" { failures.append("GET \(key): \(reply)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(2 * keys.count) replies wrong, first: \(failures.prefix(3))")
    }

    /// 10,000 commands of mixed kinds, pipelined in one write, each reply checked in order.
    @Test func mixedPipelineRepliesComeBackInRequestOrder() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        try client.setTimeout(.seconds(30))
        var requests: [[String]] = []
        var expected: [RESPReply] = []
        for index in 0..<2000 {
            let key = "mixed-\(index)"
            requests += [["SET", key, "\(index)"], ["INCR", key], ["GET", key], ["PING"], ["MGET", "{\(key)}a", "{\(key)}b"]]
            expected += [.simple("OK"), .integer(index + 1), .bulk(Array("\(index + 1)".utf8)), .simple("PONG"),
                         .array([.null, .null])]
        }
        try client.send(requests.flatMap { RESPReply.encodeCommand($0) })
        var mismatches = 0
        var first = ""
        for (request, want) in zip(requests, expected) {
            let reply = try client.readReply()
            if reply != want {
                mismatches += 1
                if first.isEmpty { first = "\(request): \(reply) instead of \(want)" }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(requests.count) mismatched, first: \(first)")
    }

    @Test func aRequestSentOneByteAtATimeIsAnswered() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        let bytes = RESPReply.encodeCommand(["SET", "bytewise", "v"]) + Array("GET bytewise\r\n".utf8)
        for byte in bytes {
            try client.send([byte])
            usleep(200)
        }
        #expect(try client.readReply() == .simple("OK"))
        #expect(try client.readReply().string == "v")
    }

    @Test(arguments: [
        ("*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
        ("*a\r\n", "ERR Protocol error: invalid multibulk length"),
        ("*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
        ("SET \"a b\r\n", "ERR Protocol error: unbalanced quotes in request"),
    ])
    func malformedRequestsGetRedisErrorThenClose(request: String, error: String) throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["SET", "before-garbage", "1"]) == .simple("OK"))
        try client.send(request)
        #expect(try client.readReply() == .error(error))
        #expect(client.waitForPeerClose(timeout: .seconds(5)))
        // The shared backend links are unharmed: a new client is served.
        let other = try RedisClient(port: ferry.port)
        defer { other.close() }
        #expect(try other.command(["GET", "before-garbage"]).string == "1")
    }

    @Test func stateChangingCommandsAreRefusedWithoutADisconnect() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        for command in [["WAIT", "1", "0"], ["MONITOR"], ["CLIENT", "KILL", "ID", "1"], ["CLIENT", "TRACKING", "on"]] {
            let reply = try client.command(command)
            #expect(reply.errorMessage?.hasPrefix("ERR ferry: '") == true, "\(command): \(reply)")
        }
        // All or nothing across slots: no split can promise that, so Redis's own refusal.
        #expect(try client.command(["MSETNX", "a", "1", "b", "2"]) == .error("CROSSSLOT Keys in request don't hash to the same slot"))
        #expect(try client.command(["PING"]) == .simple("PONG"))
    }

    /// A cluster-aware client seeded with Ferry sees one node, Ferry, holding every slot.
    @Test func clusterSlotsShowsFerryAsTheOnlyNode() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        let slots = try #require(try client.command(["CLUSTER", "SLOTS"]).array)
        #expect(slots.count == 1)
        let range = try #require(slots.first?.array)
        #expect(range[0].integer == 0 && range[1].integer == 16383)
        #expect(range[2].array?[0].string == "127.0.0.1" && range[2].array?[1].integer == ferry.port)
        #expect(try client.command(["CLUSTER", "KEYSLOT", "foo"]) == .integer(12182))
    }

    @Test func redisPyClusterClientStaysOnFerry() throws {
        let ferry = try startFerry()
        let script = """
            import redis, sys
            from redis.cluster import RedisCluster
            rc = RedisCluster(host="127.0.0.1", port=\(ferry.port))
            for i in range(200):
                rc.set(f"py-{i}", i)
            assert all(rc.get(f"py-{i}") == str(i).encode() for i in range(200))
            ports = sorted({n.port for n in rc.get_nodes()})
            print("nodes", ports)
            assert ports == [\(ferry.port)], ports
            plain = redis.Redis(host="127.0.0.1", port=\(ferry.port))
            assert plain.get("py-7") == b"7"
            print("ok")
            """
        let result = try ferry.runPython(script, name: "cluster_client")
        #expect(result.succeeded, "\(result.output)")
    }

    /// After `HELLO 3` a client gets RESP3 replies (maps, doubles, nulls) from the masters too.
    @Test func resp3ClientsGetRESP3RepliesFromTheMasters() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["HSET", "resp3-hash", "field", "value"]) == .integer(1))
        try client.send(RESPReply.encodeCommand(["HELLO", "3"]))
        let hello = try client.receive()
        #expect(hello.first == UInt8(ascii: "%"), "HELLO 3 answers a map: \(String(decoding: hello, as: UTF8.self))")
        try client.send(RESPReply.encodeCommand(["HGETALL", "resp3-hash"]))
        var reply = try client.receive()
        #expect(String(decoding: reply, as: UTF8.self) == "%1\r\n$5\r\nfield\r\n$5\r\nvalue\r\n")
        try client.send(RESPReply.encodeCommand(["GET", "resp3-missing-key"]))
        reply = try client.receive()
        #expect(String(decoding: reply, as: UTF8.self) == "_\r\n")
        // Back to RESP2 on the same connection: replies follow.
        try client.send(RESPReply.encodeCommand(["HELLO", "2"]))
        _ = try client.receive()
        #expect(try client.command(["GET", "resp3-missing-key"]) == .null)
    }

    /// A slot migrated under Ferry, by hand as `redis-cli --cluster reshard` does it: while the key
    /// has moved and the slot is still migrating, the old owner answers ASK; once the slot is
    /// given to the new owner, MOVED. Ferry follows both; the client sees the value each time.
    @Test func askAndMovedAreFollowedDuringAMigration() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        let key = "migrating-key"
        let slot = Int(HashSlot.of(Array(key.utf8)))
        #expect(try client.command(["SET", key, "before-migration"]) == .simple("OK"))
        let masters = cluster.masters()
        func owner() throws -> Int {
            for port in masters where try cluster.command(port, ["EXISTS", key]).integer == 1 { return port }
            throw Failure("no master holds slot \(slot)")
        }
        let source = try owner()
        let target = try #require(masters.first { $0 != source })
        let sourceID = try #require(try cluster.command(source, ["CLUSTER", "MYID"]).string)
        let targetID = try #require(try cluster.command(target, ["CLUSTER", "MYID"]).string)
        func move(from: Int, fromID: String, to: Int, toID: String, value: String) throws {
            #expect(try cluster.command(to, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", fromID]) == .simple("OK"))
            #expect(try cluster.command(from, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", toID]) == .simple("OK"))
            #expect(try cluster.command(from, ["MIGRATE", "127.0.0.1", "\(to)", key, "0", "5000"]) == .simple("OK"))
            // Migrating: the key is gone from the old owner, which answers ASK.
            #expect(try cluster.command(from, ["GET", key]).errorMessage?.hasPrefix("ASK ") == true)
            let asked = try client.command(["GET", key])
            #expect(asked.string == value, "ASK followed: \(asked)")
            for port in masters { _ = try cluster.command(port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", toID]) }
            #expect(try cluster.command(from, ["GET", key]).errorMessage?.hasPrefix("MOVED ") == true)
            let moved = try client.command(["GET", key])
            #expect(moved.string == value, "MOVED followed: \(moved)")
            #expect(try client.command(["SET", key, value + "+"]) == .simple("OK"))
            #expect(try client.command(["GET", key]).string == value + "+")
        }
        try move(from: source, fromID: sourceID, to: target, toID: targetID, value: "before-migration")
        // And back, so the shared cluster is as it was.
        try move(from: target, fromID: targetID, to: source, toID: sourceID, value: "before-migration+")
        #expect(try client.command(["SET", key, "before-migration"]) == .simple("OK"))
    }

    /// The nodes of the slot map are checked like configured ones: Ferry given one seed checks all six.
    @Test func nodesTheClusterNamesAreChecked() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: [cluster.ports[0]], mode: "cluster")
        try E2E.waitUntil("checks of the five other nodes", timeout: .seconds(20)) {
            ferry.log.contains("nodes_discovered") || ferry.log.contains("checking 5 nodes the cluster named")
        }
        try E2E.waitUntil("every node UP", timeout: .seconds(20)) {
            cluster.ports.allSatisfy { ferry.log.contains("server 127.0.0.1:\($0) DOWN → UP") || ferry.log.contains("server 127.0.0.1:\($0) enters rotation") }
        }
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["SET", "from-one-seed", "1"]) == .simple("OK"))
    }
}

extension ClusterModeTests {
    /// SORT's key specs are incomplete (BY and GET patterns): Ferry asks COMMAND GETKEYS, then routes.
    @Test func commandsWithIncompleteKeySpecsAreRoutedThroughGetKeys() throws {
        let ferry = try startFerry()
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        func bulks(_ values: String...) -> RESPReply { .array(values.map { .bulk(Array($0.utf8)) }) }
        for tag in ["a", "b", "c", "d", "e", "f"] {
            #expect(try client.command(["RPUSH", "{\(tag)}list", "3", "1", "2"]) == .integer(3))
            #expect(try client.command(["SORT", "{\(tag)}list"]) == bulks("1", "2", "3"))
            #expect(try client.command(["SORT", "{\(tag)}list", "DESC", "LIMIT", "0", "1"]) == bulks("3"))
            #expect(try client.command(["SORT", "{\(tag)}list", "STORE", "{\(tag)}sorted"]) == .integer(3))
            #expect(try client.command(["LRANGE", "{\(tag)}sorted", "0", "-1"]) == bulks("1", "2", "3"))
        }
        #expect(try client.command(["SORT", "{a}list", "STORE", "{b}sorted"]) == .error("CROSSSLOT Keys in request don't hash to the same slot"))
    }

    /// `cluster.connections_per_server: 3` with one data-plane thread: once six clients have used
    /// every master, each master has exactly three of Ferry's links (named `ferry` in CLIENT LIST),
    /// and every client's pipelined commands still run in order.
    @Test(arguments: [1, 3])
    func connectionsPerServer(connections: Int) throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, threads: 1, extra: "cluster:\n  connections_per_server: \(connections)",
                                     mode: "cluster")
        try E2E.waitUntil("the slot map to be loaded", timeout: .seconds(15)) { ferry.log.contains("slot map updated") }
        let clients = try (0..<6).map { _ in try RedisClient(port: ferry.port) }
        defer { for client in clients { client.close() } }
        for (number, client) in clients.enumerated() {
            var requests: [[String]] = []
            for index in 0..<300 { requests += [["SET", "cps-\(number)-\(index)", "\(index)"], ["INCR", "cps-\(number)-\(index)"]] }
            try client.send(requests.flatMap { RESPReply.encodeCommand($0) })
        }
        for client in clients {
            for index in 0..<300 {
                #expect(try client.readReply() == .simple("OK"))
                #expect(try client.readReply() == .integer(index + 1))
            }
        }
        for master in cluster.masters() {
            let list = try #require(try cluster.command(master, ["CLIENT", "LIST"]).string)
            let links = list.split(separator: "\n").filter { $0.contains(" name=ferry ") }
            #expect(links.count == connections, "\(links.count) links on \(master)")
        }
    }
}

private struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
