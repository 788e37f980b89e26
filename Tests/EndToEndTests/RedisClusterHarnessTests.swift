import Foundation
import Testing

/// Checks the end-to-end harness itself against real `redis-server` processes: if these
/// fail, every end-to-end test built on the harness is suspect.
@Suite(.serialized)
struct RedisClusterHarnessTests {
    @Test(arguments: [
        ("+OK\r\n", RESPReply.simple("OK")),
        ("-MOVED 3999 127.0.0.1:7002\r\n", .error("MOVED 3999 127.0.0.1:7002")),
        (":-42\r\n", .integer(-42)),
        ("$3\r\nbar\r\n", .bulk("bar")),
        ("$0\r\n\r\n", .bulk("")),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("_\r\n", .null),
        ("*0\r\n", .array([])),
        ("*2\r\n$6\r\nmaster\r\n*1\r\n:7\r\n", .array([.bulk("master"), .array([.integer(7)])])),
    ])
    func decodesReplies(wire: String, expected: RESPReply) throws {
        let bytes = Array(wire.utf8)
        let decoded = try #require(try RESPDecoder.decode(bytes[...]))
        #expect(decoded.reply == expected)
        #expect(decoded.consumed == bytes.count)
        // Every strict prefix is an incomplete reply, never an error or a wrong reply.
        for length in 0..<bytes.count {
            #expect(try RESPDecoder.decode(bytes[..<length]) == nil)
        }
    }

    @Test(arguments: ["?x\r\n", ":12a\r\n", "$3\r\nbarX\r\n", "$-2\r\n", "+OK\rX"])
    func rejectsMalformedReplies(wire: String) {
        #expect(throws: RESPDecoder.Malformed.self) { try RESPDecoder.decode(Array(wire.utf8)[...]) }
    }

    @Test func freePortsHaveFreeBusPorts() throws {
        let ports = try FreePorts.find(6)
        #expect(Set(ports).count == 6)
        for port in ports {
            #expect(FreePorts.defaultRange.contains(port))
            #expect(FreePorts.isFree(port) && FreePorts.isFree(port + 10000))
        }
        // Never handed out twice by one process.
        #expect(Set(try FreePorts.find(6)).isDisjoint(with: ports))
    }

    @Test func clusterStartsFailsOverAndRejoins() throws {
        // CI installs Redis; a missing server must fail loudly, not skip.
        try #require(
            ChildProcess.which("redis-server") != nil && ChildProcess.which("redis-cli") != nil,
            "redis-server and redis-cli must be in PATH (apt-get install -y redis-server redis-tools)"
        )
        let cluster = RedisCluster(nodes: 6, replicas: 1, nodeTimeout: .milliseconds(1000))
        defer { cluster.stopAll() }
        let startClock = ContinuousClock.now
        try cluster.start()
        print("cluster of 6 healthy after \(ContinuousClock.now - startClock)")

        // Topology: 3 masters, each with one replica.
        let masters = cluster.masters()
        #expect(masters.count == 3)
        #expect(cluster.replicas().count == 3)
        for master in masters {
            #expect(cluster.replicaOf(master) != nil, "master \(master) has no replica")
        }

        // SET lands on the slot owner after a MOVED; GET there returns it.
        let wrongNode = try #require(masters.first)
        let set = try cluster.clusterCommand(["SET", "ferry:{harness}", "bar"], startingAt: wrongNode)
        #expect(set.reply == .simple("OK"))
        let owner = set.port
        #expect(masters.contains(owner))
        let client = try cluster.client(owner)
        #expect(try client.command("GET", "ferry:{harness}") == .bulk("bar"))
        // Another master answers with MOVED to the owner.
        if let other = masters.first(where: { $0 != owner }) {
            let moved = try cluster.command(other, ["GET", "ferry:{harness}"])
            #expect(moved.errorMessage?.hasPrefix("MOVED ") == true)
            #expect(moved.errorMessage?.hasSuffix(":\(owner)") == true)
        }

        // clientCount sees our connection but not itself nor replication links.
        #expect(try cluster.clientCount(owner) == 1)
        client.close()
        try RedisCluster.waitUntil("client to disappear", timeout: .seconds(5)) { try cluster.clientCount(owner) == 0 }

        // A SIGSTOPped node accepts connections but does not answer; SIGCONT revives it.
        let someReplica = try #require(cluster.replicas().first)
        try cluster.stop(someReplica)
        #expect(throws: RedisClient.ClientError.timedOut) {
            try cluster.command(someReplica, ["PING"], timeout: .milliseconds(200))
        }
        try cluster.cont(someReplica)
        #expect(try cluster.command(someReplica, ["PING"]) == .simple("PONG"))

        // Crash the owner of the key: its replica takes over and still has the data.
        let promoted = try #require(cluster.replicaOf(owner))
        let killClock = ContinuousClock.now
        try cluster.kill(owner)
        #expect(!cluster.isRunning(owner))
        try RedisCluster.waitUntil("replica \(promoted) to be promoted", timeout: cluster.nodeTimeout + .seconds(20)) {
            cluster.role(of: promoted) == .master
        }
        print("replica \(promoted) promoted \(ContinuousClock.now - killClock) after SIGKILL of \(owner)")
        try cluster.waitUntilHealthy()
        #expect(Set(cluster.masters()) == Set(masters).subtracting([owner]).union([promoted]))
        #expect(try cluster.command(promoted, ["GET", "ferry:{harness}"]) == .bulk("bar"))

        // The old master restarts from its nodes.conf and rejoins as a replica of the new one.
        let restartClock = ContinuousClock.now
        try cluster.restart(owner)
        try RedisCluster.waitUntil("\(owner) to rejoin as a replica", timeout: .seconds(30)) {
            cluster.role(of: owner) == .replica(of: promoted, linkUp: true)
        }
        try cluster.waitUntilHealthy()
        print("old master \(owner) rejoined as replica after \(ContinuousClock.now - restartClock)")
        #expect(cluster.masters().count == 3)
        #expect(cluster.replicas().count == 3)
    }
}
