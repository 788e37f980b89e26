import Foundation
import Glibc
import Testing

/// Peers that stop moving: a client that asks for a large reply and never reads it, and a server
/// frozen with SIGSTOP. (A client that connects and sends nothing is ProxyTimeoutTests'
/// `clientIdleTimeoutClosesSilentClientsOnly`.) Each test has its own `redis-server`.
@Suite(.serialized)
struct SlowPeerTests {
    /// Relayed sessions Redis currently has open for `command` (health checks show up as `role`).
    static func sessions(running command: String, on redis: RedisServer) throws -> Int {
        let list = try redis.client().command(["CLIENT", "LIST"]).string ?? ""
        return list.split(whereSeparator: \.isNewline).filter { $0.contains(" cmd=\(command) ") }.count
    }

    @Test(arguments: ["client_idle: 1s", "server_idle: 1s"])
    func clientThatNeverReadsALargeReplyHoldsLittleMemoryAndTimesOut(timeouts: String) throws {
        let redis = try RedisServer()
        let size = 8 << 20
        #expect(try redis.client(timeout: .seconds(10)).command(["SET", "big", String(repeating: "x", count: size)]) == .simple("OK"))
        let ferry = try FerryProcess(servers: [redis.port], threads: 1, timeouts: timeouts)
        try ferry.waitUntilRoutable(1)
        let residentBefore = ferry.residentKiB

        let reader = try RedisClient(port: ferry.port)
        defer { reader.close() }
        try reader.send(RESPReply.encodeCommand(["GET", "big"]))  // ... and never read
        var peak = 0
        try E2E.waitUntil("the session to reach Redis", timeout: .seconds(3)) {
            try Self.sessions(running: "get", on: redis) == 1
        }
        // Until the timeout: Ferry holds at most a block or a pipe per direction, not the reply.
        try E2E.waitUntil("the \(timeouts) timeout to end the stalled session", timeout: .seconds(6)) {
            peak = max(peak, ferry.residentKiB)
            return try Self.sessions(running: "get", on: redis) == 0
        }
        try E2E.waitUntil("the stats to show no session", timeout: .seconds(3)) {
            try ferry.backendStats(port: redis.port).count("sessions_current") == 0
        }
        print("\(timeouts): RSS \(residentBefore) KiB, peak +\(peak - residentBefore) KiB while an \(size >> 20) MiB reply was stalled")
        #expect(peak - residentBefore < size / 1024 / 2, "RSS grew by \(peak - residentBefore) KiB")
        // The client, reading at last, gets part of the reply and then the close, not a hang.
        #expect(reader.waitForPeerClose(timeout: .seconds(5)))
        #expect(try ferry.backendStats(port: redis.port).count("bytes_out") < size)
        let next = try RedisClient(port: ferry.port)
        defer { next.close() }
        #expect(try next.command(["PING"]) == .simple("PONG"))
    }

    @Test func frozenServerIsEndedByServerIdleBeforeChecksTakeItDown() throws {
        let redis = try RedisServer()
        // Default checks (1 s interval, fall 3) take ~3 s to notice; on_down: keep in any case,
        // so only server_idle can end the session.
        let ferry = try FerryProcess(servers: [redis.port], threads: 1, timeouts: "server_idle: 1s",
                                     extra: "  on_down: keep")
        try ferry.waitUntilRoutable(1)
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["PING"]) == .simple("PONG"))

        redis.process.signal(SIGSTOP)
        defer { redis.process.signal(SIGCONT) }
        let frozen = ContinuousClock.now
        try client.send(RESPReply.encodeCommand(["PING"]))
        #expect(client.waitForPeerClose(timeout: .seconds(5)), "the client must be closed, not left hanging")
        print("frozen server: session closed \(ContinuousClock.now - frozen) after SIGSTOP")
        #expect(try ferry.backendStats(port: redis.port).count("sessions_current") == 0)
        #expect(try ferry.backendStats(port: redis.port).count("sessions_shut_down") == 0, "closed by server_idle, not on_down")

        redis.process.signal(SIGCONT)
        try E2E.waitUntil("service after SIGCONT", timeout: .seconds(10)) {
            let fresh = try RedisClient(port: ferry.port, timeout: .seconds(1))
            defer { fresh.close() }
            return try fresh.command(["PING"]) == .simple("PONG")
        }
    }
}
