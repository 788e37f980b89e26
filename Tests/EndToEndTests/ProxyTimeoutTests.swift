import Foundation
import Glibc
import Testing

/// Half-close, timeouts, maxconn and graceful stop, against real Redis nodes.
@Suite(.serialized, .sharedCluster)
struct ProxyTimeoutTests {
    @Test func clientFinIsForwardedAndTheReplyStillArrives() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        try client.send("PING\r\n")
        client.shutdownWrite()  // our FIN travels to Redis; the other direction stays open
        #expect(try client.readReply() == .simple("PONG"))
        #expect(client.waitForPeerClose(timeout: .seconds(5)))
    }

    @Test(arguments: [true, false])
    func serverFinLeavesTheClientSideOpenUntilClientFin(timeoutConfigured: Bool) throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, threads: 1,
                                     timeouts: timeoutConfigured ? "client_fin: 1s" : "client_fin: 0")
        try ferry.waitUntilRoutable(3)
        let idle = ferry.openSockets
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["QUIT"]) == .simple("OK"))
        #expect(client.waitForPeerClose(timeout: .seconds(5)))  // Redis closed; Ferry forwarded its FIN
        // The client never closes its side: Ferry keeps the half-closed session until client_fin.
        if timeoutConfigured {
            try E2E.waitUntil("client_fin to close the client socket", timeout: .seconds(6)) { ferry.openSockets <= idle }
        } else {
            Thread.sleep(forTimeInterval: 2.5)
            #expect(ferry.openSockets > idle)
        }
    }

    @Test func clientIdleTimeoutClosesSilentClientsOnly() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, timeouts: "client_idle: 1s")
        try ferry.waitUntilRoutable(3)
        let silent = try RedisClient(port: ferry.port)
        let busy = try RedisClient(port: ferry.port)
        defer { silent.close(); busy.close() }
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(2500) {
            #expect(try busy.command(["PING"]) == .simple("PONG"))
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(silent.waitForPeerClose(timeout: .seconds(3)))
        #expect(try busy.command(["PING"]) == .simple("PONG"))
    }

    @Test func maxconnLeavesExtraClientsInTheBacklogUntilASlotFrees() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, threads: 1, maxconn: 2)
        try ferry.waitUntilRoutable(3)
        let first = try RedisClient(port: ferry.port)
        let second = try RedisClient(port: ferry.port)
        #expect(try first.command(["PING"]) == .simple("PONG"))
        #expect(try second.command(["PING"]) == .simple("PONG"))
        let third = try RedisClient(port: ferry.port, timeout: .milliseconds(700))  // TCP accepts it into the backlog
        defer { second.close(); third.close() }
        try third.send("PING\r\n")
        #expect(throws: RedisClient.ClientError.timedOut) { try third.readReply() }
        first.close()
        try third.setTimeout(.seconds(5))
        #expect(try third.readReply() == .simple("PONG"))
    }

    @Test func sigtermStopsAcceptingLetsSessionsFinishAndExitsZero() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        let session = try RedisClient(port: ferry.port)
        #expect(try session.command(["PING"]) == .simple("PONG"))
        ferry.process.signal(SIGTERM)
        try E2E.waitUntil("the listener to close", timeout: .seconds(3)) {
            (try? RedisClient(port: ferry.port, timeout: .milliseconds(200))) == nil
        }
        // The established session keeps working during the grace period ...
        #expect(try session.command(["PING"]) == .simple("PONG"))
        session.close()
        // ... and once it ends Ferry exits cleanly.
        #expect(ferry.process.waitForExit(timeout: .seconds(5)))
        #expect(ferry.process.exitStatus == 0)
        #expect(ferry.log.contains("ferry stopped"))
    }

    @Test func graceExpiryClosesRemainingSessions() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)  // shutdown_grace: 2s
        try ferry.waitUntilRoutable(3)
        let session = try RedisClient(port: ferry.port)
        defer { session.close() }
        #expect(try session.command(["PING"]) == .simple("PONG"))
        ferry.process.signal(SIGTERM)
        #expect(session.waitForPeerClose(timeout: .seconds(6)))
        #expect(ferry.process.waitForExit(timeout: .seconds(5)))
        #expect(ferry.process.exitStatus == 0)
    }
}
