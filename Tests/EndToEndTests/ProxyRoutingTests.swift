import Foundation
import Testing

/// Ferry in front of a healthy real cluster: where connections land and what clients see.
@Suite(.serialized, .sharedCluster)
struct ProxyRoutingTests {
    @Test func connectionsLandOnlyOnMasters() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        let clients = try (0..<12).map { index in
            let client = try RedisClient(port: ferry.port)
            #expect(try client.command(["CLIENT", "SETNAME", "e2e-landing-\(index)"]) == .simple("OK"))
            return client
        }
        defer { for client in clients { client.close() } }
        let masters = cluster.masters()
        let replicas = cluster.replicas()
        #expect(masters.count == 3 && replicas.count == 3)
        let onMasters = try masters.map { try E2E.namedClients("e2e-landing-", on: $0, in: cluster) }
        let onReplicas = try replicas.map { try E2E.namedClients("e2e-landing-", on: $0, in: cluster) }
        #expect(onMasters.reduce(0, +) == 12, "per master: \(onMasters)")
        #expect(onMasters.allSatisfy { $0 >= 1 }, "round-robin reaches every master: \(onMasters)")
        #expect(onReplicas == [0, 0, 0])
    }

    @Test func roleThroughFerryIsAlwaysMaster() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        for _ in 0..<30 {
            let client = try RedisClient(port: ferry.port)
            defer { client.close() }
            #expect(try client.command(["ROLE"]).array?.first?.string == "master")
        }
    }

    @Test func redisBenchmarkPingCompletesWithoutErrors() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        let log = ferry.directory.appendingPathComponent("benchmark.log")
        let result = try ChildProcess.run("redis-benchmark", ["-p", "\(ferry.port)", "-t", "ping", "-n", "20000", "-c", "20", "-q"],
                                          logFile: log, timeout: .seconds(60))
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(output)")
        #expect(!output.lowercased().contains("error"), "\(output)")
        #expect(output.contains("requests per second"))
    }

    @Test func clusterAwareClientSetsAndGetsAnyKey() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        for index in 0..<12 {
            let set = try ChildProcess.run("redis-cli", ["-c", "-p", "\(ferry.port)", "SET", "any-key-\(index)", "value-\(index)"],
                                           logFile: ferry.directory.appendingPathComponent("set-\(index).log"), timeout: .seconds(10))
            #expect(set.status == 0 && set.output.contains("OK"), "\(set.output)")
            let get = try ChildProcess.run("redis-cli", ["-c", "-p", "\(ferry.port)", "GET", "any-key-\(index)"],
                                           logFile: ferry.directory.appendingPathComponent("get-\(index).log"), timeout: .seconds(10))
            #expect(get.output.contains("value-\(index)"), "\(get.output)")
        }
    }

    @Test func plainClientGetsMovedForKeysOnAnotherMaster() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        var replies: Set<String> = []
        for index in 0..<12 {
            let client = try RedisClient(port: ferry.port)
            defer { client.close() }
            let reply = try client.command(["SET", "plain-\(index)", "x"])
            replies.insert(reply.errorMessage.map { String($0.prefix(5)) } ?? reply.string ?? "\(reply)")
        }
        // Some land on the owning master (OK), others are redirected exactly as by a direct connection.
        #expect(replies == ["OK", "MOVED"])
    }

    @Test func eightMegabyteValueRoundTripsIntact() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        let value = (0..<8 * 1024 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }
        let key = "big-value"
        let writer = try Self.connectionToOwner(of: key, ferry: ferry, cluster: cluster)
        defer { writer.close() }
        try writer.setTimeout(.seconds(20))
        try writer.send(Self.command(["SET", key], value: value))
        #expect(try writer.readReply() == .simple("OK"))
        try writer.send(RESPReply.encodeCommand(["GET", key]))
        #expect(try writer.readReply() == .bulk(value))
    }

    @Test func slowReaderDoesNotGrowFerrysMemory() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, threads: 1)
        try ferry.waitUntilRoutable(3)
        let value = (0..<8 * 1024 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        let key = "slow-reader-value"
        let client = try Self.connectionToOwner(of: key, ferry: ferry, cluster: cluster)
        defer { client.close() }
        try client.setTimeout(.seconds(20))
        try client.send(Self.command(["SET", key], value: value))
        #expect(try client.readReply() == .simple("OK"))
        let before = ferry.residentKiB
        // Ask for it twice, then read it back at most 64 KiB every 10 ms.
        for _ in 0..<2 { try client.send(RESPReply.encodeCommand(["GET", key])) }
        var received = 0, peak = before
        let expected = 2 * (value.count + "$8388608\r\n\r\n".utf8.count)
        while received < expected {
            received += try client.receive(upTo: 64 * 1024).count
            if received % (512 * 1024) < 64 * 1024 { peak = max(peak, ferry.residentKiB) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(received == expected)
        // 16 MB passed through; Ferry holds at most one 64 KiB block per direction plus its pool.
        let growthKiB = peak - before
        print("slow reader: Ferry RSS \(before) KiB before, peak \(peak) KiB while relaying 16 MB (+\(growthKiB) KiB)")
        #expect(growthKiB < 8 * 1024, "RSS grew by \(growthKiB) KiB")
    }

    /// A connection through Ferry that landed on the master owning `key` (new connections rotate over masters).
    static func connectionToOwner(of key: String, ferry: FerryProcess, cluster: RedisCluster) throws -> RedisClient {
        for _ in 0..<12 {
            let client = try RedisClient(port: ferry.port)
            if try client.command(["GET", key]).errorMessage?.hasPrefix("MOVED") != true { return client }
            client.close()
        }
        struct NoOwner: Error {}
        throw NoOwner()
    }

    /// `ARGS… <binary value>` as a RESP command.
    static func command(_ arguments: [String], value: [UInt8]) -> [UInt8] {
        var out = Array("*\(arguments.count + 1)\r\n".utf8)
        for argument in arguments { out += Array("$\(argument.utf8.count)\r\n\(argument)\r\n".utf8) }
        out += Array("$\(value.count)\r\n".utf8) + value + [13, 10]
        return out
    }
}
