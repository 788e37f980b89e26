import Foundation
import Glibc
import Testing

/// Backends that fail the way real ones do — wedged, resetting, talking nonsense — next to a
/// healthy real `redis-server`: what an HAProxy user expects Ferry to do, checked through its
/// stats (`/stats;json`) and from the clients' side.
@Suite(.serialized)
struct BackendFaultTests {
    /// Fast checks so faults are noticed in a fraction of a second; `rise`/`fall` 2.
    static func health(interval: String = "150ms", timeout: String = "150ms") -> String {
        """
        health:
          interval: \(interval)
          timeout: \(timeout)
          rise: 2
          fall: 2
        """
    }

    /// Ports that `count` new clients through Ferry land on (each asks `INFO server`, then leaves).
    static func landingPorts(_ ferry: FerryProcess, count: Int) throws -> [Int] {
        try (0..<count).map { _ in
            let client = try RedisClient(port: ferry.port, timeout: .seconds(3))
            defer { client.close() }
            return try #require(try E2E.nodePort(of: client))
        }
    }

    /// Clients through Ferry until one lands on each of `ports`; the others are closed.
    static func sessions(_ ferry: FerryProcess, on ports: Set<Int>) throws -> [Int: RedisClient] {
        var found: [Int: RedisClient] = [:]
        for _ in 0..<(4 * ports.count) where found.count < ports.count {
            let client = try RedisClient(port: ferry.port, timeout: .seconds(3))
            let port = try #require(try E2E.nodePort(of: client))
            if ports.contains(port) && found[port] == nil { found[port] = client } else { client.close() }
        }
        try #require(found.count == ports.count, "sessions landed on \(found.keys), wanted \(ports)")
        return found
    }

    // MARK: - 1. A backend that stops answering

    /// How a backend that was healthy stops answering: its process is wedged but the kernel still
    /// accepts (`silent`), or it no longer accepts and its listen queue is full (`notAccepting`).
    enum Stall: String, CaseIterable {
        case silent, notAccepting
        /// HAProxy's code for the check that times out.
        var expectedCode: String { self == .silent ? "L7TOUT" : "L4TOUT" }
        var expectedDetail: String { self == .silent ? "no complete reply in time" : "connect timeout" }
    }

    @Test(arguments: Stall.allCases)
    func stalledBackendTimesOutGoesDownAndIsNotRoutedTo(stall: Stall) throws {
        let redis = try RedisServer()
        let faulty = try FaultyBackend(.master, backlog: 1)
        defer { faulty.stop() }
        // on_down: keep, so the session already on the silent server is ended by server_idle, not by the DOWN.
        let ferry = try FerryProcess(servers: [redis.port, faulty.port], threads: 1,
                                     timeouts: stall == .silent ? "server_idle: 1s" : "connect: 500ms",
                                     extra: "  on_down: keep\n" + Self.health())
        try ferry.waitUntilRoutable(2)
        let sessions = try Self.sessions(ferry, on: [faulty.port])
        let stuck = try #require(sessions[faulty.port])
        defer { stuck.close() }
        let failuresBefore = try ferry.backendStats(port: faulty.port).count("check_failures")

        var queued: [RedisClient] = []
        defer { for client in queued { client.close() } }
        switch stall {
        case .silent:
            faulty.behaviour = .silent
            try stuck.send(RESPReply.encodeCommand(["GET", "k"]))  // never answered
        case .notAccepting:
            faulty.accepting = false
            queued = faulty.fillListenQueue()
        }
        try E2E.waitUntil("\(stall) backend to go DOWN", timeout: .seconds(10)) {
            try ferry.backendStats(port: faulty.port)["state"] as? String == "down"
        }
        try E2E.waitUntil("a \(stall.expectedCode) check result", timeout: .seconds(5)) {
            try ferry.lastCheck(port: faulty.port)?.code == stall.expectedCode
        }
        let backend = try ferry.backendStats(port: faulty.port)
        #expect(try ferry.lastCheck(port: faulty.port)?.detail == stall.expectedDetail)
        #expect(backend["routable"] as? Bool == false)
        #expect(backend.count("downs") == 1)
        #expect(backend.count("check_failures") >= failuresBefore + 2)

        // No new client is sent there: each one is served by the real Redis at once.
        let sessionsBefore = backend.count("sessions_total")
        let landed = try Self.landingPorts(ferry, count: 8)
        #expect(Set(landed) == [redis.port], "landed on \(landed)")
        #expect(try ferry.backendStats(port: faulty.port).count("sessions_total") == sessionsBefore)

        switch stall {
        case .silent:
            // The client already relayed there is not left hanging: server_idle ended its session.
            #expect(stuck.waitForPeerClose(timeout: .seconds(5)))
            try E2E.waitUntil("the stuck session to leave the stats", timeout: .seconds(3)) {
                try ferry.backendStats(port: faulty.port).count("sessions_current") == 0
            }
        case .notAccepting:
            // Its established connection still works (the server answers on it), as with a real full queue.
            #expect(try stuck.command(["PING"]) == .simple("PONG"))
        }
    }

    // MARK: - 2. A backend that resets in the middle of a reply

    @Test func resetMidStreamClosesThatClientOnlyAndIsNoCrash() throws {
        let redis = try RedisServer()
        let faulty = try FaultyBackend(.master)
        defer { faulty.stop() }
        let ferry = try FerryProcess(servers: [redis.port, faulty.port], threads: 1, extra: Self.health())
        try ferry.waitUntilRoutable(2)
        let sessions = try Self.sessions(ferry, on: [redis.port, faulty.port])
        let victim = try #require(sessions[faulty.port]), bystander = try #require(sessions[redis.port])
        defer { victim.close(); bystander.close() }

        // Checks keep passing (PING/ROLE are answered); only data commands are cut.
        faulty.behaviour = .resetMidStream
        let value = String(repeating: "v", count: 256 * 1024)
        try victim.send(RESPReply.encodeCommand(["SET", "k", value]))
        #expect(throws: (any Error).self, "a half reply must not look like a whole one") { try victim.readReply() }
        #expect(victim.waitForPeerClose(timeout: .seconds(5)), "the client must see the close, not hang")
        #expect(faulty.resets >= 1)

        // Others are unaffected, on the healthy master and through Ferry afterwards.
        #expect(try bystander.command(["SET", "k", "v"]) == .simple("OK"))
        #expect(try bystander.command(["GET", "k"]) == .bulk("v"))
        try E2E.waitUntil("the reset session to leave the stats", timeout: .seconds(3)) {
            try ferry.backendStats(port: faulty.port).count("sessions_current") == 0
        }
        let fresh = try RedisClient(port: ferry.port)
        defer { fresh.close() }
        #expect(try fresh.command(["PING"]) == .simple("PONG"))
        #expect(ferry.process.isRunning)
    }

    @Test
    func resetMidStreamIsCountedAsAServerAbort() throws {
        let redis = try RedisServer()
        let faulty = try FaultyBackend(.master)
        defer { faulty.stop() }
        let ferry = try FerryProcess(servers: [redis.port, faulty.port], threads: 1, extra: Self.health())
        try ferry.waitUntilRoutable(2)
        let victim = try #require(try Self.sessions(ferry, on: [faulty.port])[faulty.port])
        defer { victim.close() }
        faulty.behaviour = .resetMidStream
        try victim.send(RESPReply.encodeCommand(["GET", "k"]))
        #expect(victim.waitForPeerClose(timeout: .seconds(5)))
        try E2E.waitUntil("the abort to be counted", timeout: .seconds(3)) {
            try ferry.backendStats(port: faulty.port).count("server_aborts") == 1
        }
        #expect(try ferry.backendStats(port: redis.port).count("server_aborts") == 0)
        #expect(try ferry.backendStats(port: faulty.port).count("client_aborts") == 0)
    }

    // MARK: - 3. Garbage in reply to health checks

    /// What a broken or impostor server says to `PING` + `ROLE`, and what the check must conclude.
    struct Garbage: CustomTestStringConvertible, Sendable {
        var name: String
        var behaviour: FaultyBackend.Behaviour
        var code: String
        /// Expected in the check detail on the stats page.
        var detail: String
        /// `/stats;json` `state` once the checks have judged it.
        var state: String
        var testDescription: String { name }

        static let all: [Garbage] = [
            Garbage(name: "random bytes", behaviour: .reply(randomBytes(startingWith: 0x9C, count: 512)),
                    code: "L7RSP", detail: "protocol error: unexpected type byte", state: "down"),
            Garbage(name: "an integer to PING", behaviour: .reply(Array(":42\r\n".utf8)),
                    code: "L7RSP", detail: "PING: expected +PONG", state: "down"),
            Garbage(name: "an error to PING", behaviour: .reply(Array("-ERR unknown command 'PING'\r\n".utf8)),
                    code: "L7RSP", detail: "PING: ", state: "down"),
            Garbage(name: "a bulk string to ROLE", behaviour: .reply(Array("+PONG\r\n$6\r\nmaster\r\n".utf8)),
                    code: "L7RSP", detail: "ROLE: expected an array", state: "down"),
            Garbage(name: "ROLE slave", behaviour: .reply(Array(
                "+PONG\r\n*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:0\r\n".utf8)),
                    code: "L7OK", detail: "replica of 127.0.0.1:6379 (connected)", state: "up_not_routable"),
            Garbage(name: "an endless bulk string header", behaviour: .reply(Array("$999999999\r\n".utf8)),
                    code: "L7RSP", detail: "protocol error: bulk string of 999999999", state: "down"),
            Garbage(name: "an endless line", behaviour: .flood(prefix: Array("+".utf8),
                                                               chunk: Array(repeating: UInt8(ascii: "a"), count: 64 * 1024)),
                    code: "L7RSP", detail: "protocol error: reply longer than 65536 bytes", state: "down"),
        ]

        /// Deterministic noise (a linear congruential generator), so a failure reproduces.
        static func randomBytes(startingWith first: UInt8, count: Int) -> [UInt8] {
            var seed: UInt32 = 0x5EED
            return [first] + (1..<count).map { _ in
                seed = seed &* 1_103_515_245 &+ 12345
                return UInt8(truncatingIfNeeded: seed >> 16)
            }
        }
    }

    @Test(arguments: Garbage.all)
    func garbageCheckRepliesKeepTheServerOutOfRotation(garbage: Garbage) throws {
        let redis = try RedisServer()
        let faulty = try FaultyBackend(garbage.behaviour)
        defer { faulty.stop() }
        let ferry = try FerryProcess(servers: [redis.port, faulty.port], threads: 1,
                                     extra: Self.health(interval: "150ms", timeout: "150ms"))
        try ferry.waitUntilRoutable(1)
        let residentBefore = ferry.residentKiB
        try E2E.waitUntil("the check to judge \(garbage.name)", timeout: .seconds(5)) {
            try ferry.lastCheck(port: faulty.port)?.code == garbage.code
        }
        // Let a dozen more checks hit it: every one must fail the same way without growing memory.
        let checksBefore = faulty.accepted, cpuBefore = ferry.cpuTime
        try E2E.waitUntil("12 more checks", timeout: .seconds(10)) { faulty.accepted >= checksBefore + 12 }

        let cpuPerCheck = (ferry.cpuTime - cpuBefore) / (faulty.accepted - checksBefore)
        let backend = try ferry.backendStats(port: faulty.port)
        let check = try #require(try ferry.lastCheck(port: faulty.port))
        #expect(check.code == garbage.code)
        #expect(check.detail.contains(garbage.detail), "detail: \(check.detail)")
        #expect(check.detail.count <= 80, "details are clipped: \(check.detail)")
        #expect(backend["state"] as? String == garbage.state)
        #expect(backend["routable"] as? Bool == false)
        if garbage.code != "L7OK" { #expect(backend.count("check_failures") >= 12) }

        let landed = try Self.landingPorts(ferry, count: 6)
        #expect(Set(landed) == [redis.port], "landed on \(landed)")
        #expect(try ferry.backendStats(port: faulty.port).count("sessions_total") == 0)
        let growth = ferry.residentKiB - residentBefore
        print("\(garbage.name): detail \"\(check.detail)\", RSS \(residentBefore) KiB → +\(growth) KiB, Ferry CPU \(cpuPerCheck) per check")
        #expect(growth < 16 * 1024, "RSS grew by \(growth) KiB")
        #expect(ferry.process.isRunning)
    }
}
