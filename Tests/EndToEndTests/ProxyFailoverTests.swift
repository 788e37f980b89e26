import Foundation
import Glibc
import Testing

/// Ferry following a real cluster through a master failure, and through losing every backend.
/// Each test gets its own cluster because it breaks it.
@Suite(.serialized)
struct ProxyFailoverTests {
    static let health = """
        health:
          interval: 250ms
          timeout: 200ms
          rise: 2
          fall: 2
        """

    /// Ports of the nodes that new connections through Ferry reach, over `attempts` connections.
    static func landingPorts(_ ferry: FerryProcess, attempts: Int = 9) -> Set<Int> {
        var ports: Set<Int> = []
        for _ in 0..<attempts {
            guard let client = try? RedisClient(port: ferry.port, timeout: .milliseconds(500)) else { continue }
            if let port = try? E2E.nodePort(of: client) { ports.insert(port) }
            client.close()
        }
        return ports
    }

    /// How the master fails: frozen (its sockets stay open, only checks can tell) or killed.
    enum Fault: String, CaseIterable { case sigstop, sigkill }

    @Test(arguments: Fault.allCases)
    func failedMasterIsReplacedAndItsSessionsAreClosed(fault: Fault) throws {
        let nodeTimeout = Duration.milliseconds(1000)
        let cluster = RedisCluster(nodeTimeout: nodeTimeout)
        defer { cluster.stopAll() }
        try cluster.start()
        let ferry = try FerryProcess(servers: cluster.ports, extra: Self.health)
        try ferry.waitUntilRoutable(3)
        let victim = try #require(cluster.masters().first)
        let heir = try #require(cluster.replicaOf(victim))

        // Sessions parked on every master, to see which ones Ferry closes.
        var sessions: [(port: Int, client: RedisClient)] = []
        for _ in 0..<6 {
            let client = try RedisClient(port: ferry.port)
            sessions.append((try #require(try E2E.nodePort(of: client)), client))
        }
        defer { for session in sessions { session.client.close() } }
        let onVictim = sessions.filter { $0.port == victim }
        try #require(!onVictim.isEmpty)

        switch fault {
        case .sigstop: try cluster.stop(victim)
        case .sigkill: try cluster.kill(victim)
        }
        let frozen = ContinuousClock.now
        let promoted = try E2E.waitUntil("the replica \(heir) to be promoted", timeout: .seconds(30)) {
            cluster.role(of: heir) == .master
        }
        let routed = try E2E.waitUntil("Ferry to route to the new master \(heir)", timeout: .seconds(15)) {
            Self.landingPorts(ferry, attempts: 6).contains(heir)
        }
        let pickup = ContinuousClock.now - frozen - promoted
        print("failover (\(fault.rawValue)): promotion \(promoted) after the fault, first request through Ferry on the new master \(promoted + routed) after the fault")
        // rise+1 intervals after the promotion, plus slack for a loaded 2-core machine.
        #expect(routed <= .milliseconds(3 * 250) + .seconds(2), "Ferry took \(routed) after the promotion (total \(pickup))")

        // The sessions on the failed master were closed (by Ferry, on_down: shutdown-sessions, when frozen) ...
        for session in onVictim { #expect(session.client.waitForPeerClose(timeout: .seconds(5))) }
        // ... and the others still work.
        for session in sessions where session.port != victim {
            #expect(try session.client.command(["PING"]) == .simple("PONG"))
        }

        // The old master comes back as a replica and gets no new connections.
        switch fault {
        case .sigstop: try cluster.cont(victim)
        case .sigkill: try cluster.restart(victim)
        }
        try E2E.waitUntil("the old master to rejoin as a replica", timeout: .seconds(30)) {
            if case .replica = cluster.role(of: victim) { return true }
            return false
        }
        Thread.sleep(forTimeInterval: 1.0)  // let several checks see it as a replica
        let landing = Self.landingPorts(ferry, attempts: 12)
        #expect(!landing.contains(victim), "landed on \(landing)")
        #expect(landing == Set(cluster.masters()), "landed on \(landing), masters \(cluster.masters())")
        #expect(ferry.log.contains("127.0.0.1:\(victim) leaves rotation"))
    }

    @Test func allBackendsDownGivesARESPErrorAndServiceResumes() throws {
        let cluster = RedisCluster(nodeTimeout: .milliseconds(3000))
        defer { cluster.stopAll() }
        try cluster.start()
        let ferry = try FerryProcess(servers: cluster.ports, extra: Self.health)
        try ferry.waitUntilRoutable(3)

        for port in cluster.ports { try cluster.stop(port) }
        try E2E.waitUntil("every server to leave rotation", timeout: .seconds(10)) {
            ferry.log.components(separatedBy: "leaves rotation").count - 1 >= 3
        }
        // The log line comes before every data-plane thread has the new (empty) route list, and a
        // frozen node still completes TCP handshakes: poll with fresh connections.
        var refused: RedisClient?
        try E2E.waitUntil("a client to be refused with the RESP error", timeout: .seconds(10)) {
            let client = try RedisClient(port: ferry.port, timeout: .seconds(1))
            try client.send(RESPReply.encodeCommand(["PING"]))
            guard try client.readReply() == .error("ERR ferry: no backend available") else {
                client.close()
                return false
            }
            refused = client
            return true
        }
        defer { refused?.close() }
        #expect(refused?.waitForPeerClose(timeout: .seconds(3)) == true)

        for port in cluster.ports { try cluster.cont(port) }
        try E2E.waitUntil("service to resume without restarting Ferry", timeout: .seconds(20)) {
            let client = try RedisClient(port: ferry.port, timeout: .milliseconds(500))
            defer { client.close() }
            return try client.command(["ROLE"]).array?.first?.string == "master"
        }
        #expect(ferry.process.isRunning)
    }
}
