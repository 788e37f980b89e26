import Foundation
import Glibc
import Testing

import Proxy

/// Ferry started with `RLIMIT_NOFILE` 256 (by `prlimit`, which execs it) and hit by 1,000 clients
/// at once: it caps `maxconn` to what its descriptors hold (and says so), serves that many, leaves
/// the rest in the kernel backlog, does not spin, and is back to normal when the crowd leaves.
@Suite(.serialized)
struct DescriptorExhaustionTests {
    static let descriptorLimit = 256
    static let clientCount = 1000

    /// One raw client socket waiting for the reply to its `PING`.
    struct Waiter {
        enum Outcome: Equatable { case waiting, served, refused, closed }
        var fd: Int32
        var received: [UInt8] = []
        var outcome = Outcome.waiting
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RedisClient.ClientError.system(call: "socket", errno: errno) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw RedisClient.ClientError.system(call: "connect", errno: code)
        }
        return fd
    }

    /// Reads whatever has arrived for the waiting clients (for up to `wait`) and classifies them.
    static func collect(_ waiters: inout [Waiter], wait: Duration) {
        let open = waiters.indices.filter { waiters[$0].outcome == .waiting }
        guard !open.isEmpty else { return }
        var polls = open.map { pollfd(fd: waiters[$0].fd, events: Int16(POLLIN), revents: 0) }
        let milliseconds = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&polls, nfds_t(polls.count), milliseconds) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 256)
        for (position, index) in open.enumerated() where polls[position].revents != 0 {
            let count = chunk.withUnsafeMutableBytes { recv(waiters[index].fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                waiters[index].received += chunk[0..<count]
                let text = String(decoding: waiters[index].received, as: UTF8.self)
                if text.hasPrefix("+PONG\r\n") { waiters[index].outcome = .served }
                if text.hasPrefix("-") && text.hasSuffix("\r\n") { waiters[index].outcome = .refused }
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                waiters[index].outcome = .closed
            }
        }
    }

    static func tally(_ waiters: [Waiter]) -> [Waiter.Outcome: Int] {
        waiters.reduce(into: [:]) { $0[$1.outcome, default: 0] += 1 }
    }

    @Test func thousandClientsAgainst256DescriptorsAreServedOrQueuedAndFerryRecovers() throws {
        var ownLimit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &ownLimit)
        let needed = rlim_t(Self.clientCount + 512)
        if ownLimit.rlim_cur < needed && ownLimit.rlim_max >= needed {
            ownLimit.rlim_cur = needed  // our side needs 1,000 sockets too
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &ownLimit)
        }
        try #require(ownLimit.rlim_cur >= needed, "the test needs \(needed) descriptors, has \(ownLimit.rlim_cur)")

        let redis = try RedisServer()
        let ferry = try FerryProcess(servers: [redis.port], launcher: ["prlimit", "--nofile=\(Self.descriptorLimit):\(Self.descriptorLimit)", "--"])
        try ferry.waitUntilRoutable(1)
        let limits = try String(contentsOfFile: "/proc/\(ferry.process.pid)/limits", encoding: .utf8)
        try #require(limits.split(separator: "\n").contains {
            $0.hasPrefix("Max open files") && $0.split(separator: " ").contains("\(Self.descriptorLimit)")
        }, "prlimit did not apply:\n\(limits)")
        let idleDescriptors = ferry.openDescriptors

        // The crowd: 1,000 connections (the kernel completes them into the backlog), each sends PING.
        var waiters: [Waiter] = []
        defer { for waiter in waiters { close(waiter.fd) } }
        for _ in 0..<Self.clientCount {
            waiters.append(Waiter(fd: try Self.connect(port: ferry.port)))
        }
        let ping = Array("PING\r\n".utf8)
        for waiter in waiters {
            _ = ping.withUnsafeBytes { send(waiter.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        // Everyone holds on: Ferry serves what fits in 256 descriptors and must not spin meanwhile.
        let holdStart = ContinuousClock.now
        while ContinuousClock.now - holdStart < .seconds(1) { Self.collect(&waiters, wait: .milliseconds(50)) }
        let cpuBefore = ferry.cpuTime, sampleStart = ContinuousClock.now
        while ContinuousClock.now - sampleStart < .seconds(2) { Self.collect(&waiters, wait: .milliseconds(50)) }
        let cpu = ferry.cpuTime - cpuBefore, wall = ContinuousClock.now - sampleStart
        let held = Self.tally(waiters)
        let descriptorsHeld = ferry.openDescriptorsPerTable
        print("fd exhaustion, holding: \(held), Ferry fds \(descriptorsHeld)/\(Self.descriptorLimit), CPU \(cpu) in \(wall)")
        #expect(held[.served, default: 0] > 0, "Ferry must keep serving some clients")
        #expect(held[.waiting, default: 0] > 0, "with 256 descriptors not all 1,000 can be in sessions")
        #expect(descriptorsHeld.allSatisfy { $0 <= Self.descriptorLimit }, "the limit holds per table: \(descriptorsHeld)")
        #expect(cpu < wall / 2, "Ferry used \(cpu) of CPU in \(wall) while out of descriptors: spinning?")
        try #require(ferry.process.isRunning, "Ferry died (status \(ferry.process.exitStatus ?? 0)):\n\(ferry.process.logTail(lines: 30))")

        // The crowd leaves as it is answered; the backlog drains and every client gets an answer.
        let leaveStart = ContinuousClock.now
        while ContinuousClock.now - leaveStart < .seconds(30) {
            Self.collect(&waiters, wait: .milliseconds(50))
            for index in waiters.indices where waiters[index].outcome != .waiting && waiters[index].fd >= 0 {
                close(waiters[index].fd)
                waiters[index].fd = -1
            }
            if !waiters.contains(where: { $0.outcome == .waiting }) { break }
        }
        let final = Self.tally(waiters)
        print("fd exhaustion, after the crowd left (\(ContinuousClock.now - leaveStart)): \(final)")
        #expect(final[.waiting, default: 0] == 0, "clients left with no answer: \(final)")
        for index in waiters.indices where waiters[index].fd >= 0 { close(waiters[index].fd) }
        waiters.removeAll()

        // The cap was logged at start, no client was refused, and Ferry is back to its idle self.
        #expect(ferry.log.contains("proxy.maxconn 10000 needs"), "no maxconn warning:\n\(ferry.process.logTail(lines: 20))")
        #expect(final[.refused, default: 0] == 0, "clients refused: \(final)")
        try E2E.waitUntil("descriptors back near idle (\(idleDescriptors))", timeout: .seconds(10)) {
            ferry.openDescriptors <= idleDescriptors + 4
        }
        try E2E.waitUntil("new clients served normally", timeout: .seconds(15)) {
            let client = try RedisClient(port: ferry.port, timeout: .seconds(1))
            defer { client.close() }
            return try client.command(["PING"]) == .simple("PONG")
        }
        for _ in 0..<20 {
            let client = try RedisClient(port: ferry.port)
            defer { client.close() }
            #expect(try client.command(["PING"]) == .simple("PONG"))
        }
        let frontend = try ferry.frontendStats()
        print("fd exhaustion, stats: accept_errors \(frontend.count("accept_errors")), no_backend \(frontend.count("no_backend")), out_of_resources \(frontend.count("out_of_resources")), sessions_total \(frontend.count("sessions_total")); backend \(try ferry.backendStats(port: redis.port).filter { ["connection_errors", "check_failures", "downs", "state"].contains($0.key) })")
        // What the budget allows with FerryProcess's defaults: two loops, one listen address, one server.
        let budget = DescriptorBudget(limit: Self.descriptorLimit, threads: 2, listenAddresses: 1, servers: 1)
        #expect(frontend.count("sessions_limit") == budget.sessions)
        // Checks that could not get a socket are Ferry's problem, not the server's: it stayed UP.
        #expect(try ferry.backendStats(port: redis.port).count("downs") == 0)
        #expect(frontend.count("sessions_current") == 0)
        #expect(ferry.process.isRunning)
    }
}
