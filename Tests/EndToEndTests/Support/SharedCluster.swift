import Cluster
import Testing

/// One real 6-node cluster for a whole suite: started before its first test, stopped after its
/// last (a suite trait), reached by the tests through a task-local.
struct SharedCluster: SuiteTrait, TestScoping {
    @TaskLocal static var current: RedisCluster?

    var nodeTimeout: Duration = .milliseconds(1000)

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = RedisCluster(nodeTimeout: nodeTimeout)
        defer { cluster.stopAll() }
        try cluster.start()
        try await Self.$current.withValue(cluster) { try await function() }
    }

    /// The suite's cluster; a test outside such a suite is a programming error.
    static var cluster: RedisCluster {
        get throws {
            try #require(current, "the suite needs the .sharedCluster trait")
        }
    }
}

extension Trait where Self == SharedCluster {
    /// Runs the suite against one real Redis Cluster started for it.
    static var sharedCluster: SharedCluster { SharedCluster() }
    static func sharedCluster(nodeTimeout: Duration) -> SharedCluster { SharedCluster(nodeTimeout: nodeTimeout) }
}

/// Small helpers the end-to-end tests share.
enum E2E {
    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns the time it took.
    @discardableResult
    static func waitUntil(_ what: String, timeout: Duration, _ condition: () throws -> Bool) throws -> Duration {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if (try? condition()) == true { return ContinuousClock.now - start }
            Thread.sleep(forTimeInterval: 0.02)
        }
        struct TimedOut: Error, CustomStringConvertible { let description: String }
        throw TimedOut(description: "timed out after \(timeout) waiting for \(what)")
    }

    /// One key for each of the 16384 slots (index = slot), found by trying `prefix0`, `prefix1`…
    /// until every slot has one.
    static func keyPerSlot(prefix: String) -> [String] {
        var keys = [String?](repeating: nil, count: HashSlot.count)
        var found = 0, index = 0
        while found < HashSlot.count {
            let key = "\(prefix)\(index)"
            let slot = Int(HashSlot.of(Array(key.utf8)))
            if keys[slot] == nil { keys[slot] = key; found += 1 }
            index += 1
        }
        return keys.map { $0! }
    }

    /// The port of the Redis node a connection landed on (`INFO server` → tcp_port).
    static func nodePort(of client: RedisClient) throws -> Int? {
        let info = try client.command(["INFO", "server"]).string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("tcp_port:") }
        return line.flatMap { Int($0.dropFirst("tcp_port:".count)) }
    }

    /// Clients named `prefix*` connected to a node, from `CLIENT LIST`.
    static func namedClients(_ prefix: String, on port: Int, in cluster: RedisCluster) throws -> Int {
        let list = try cluster.command(port, ["CLIENT", "LIST"]).string ?? ""
        return list.split(whereSeparator: \.isNewline).filter { $0.contains(" name=\(prefix)") }.count
    }
}

import Foundation
