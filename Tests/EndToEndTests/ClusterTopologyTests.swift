import Cluster
import Foundation
import Testing

/// cluster mode when the cluster grows and shrinks: a node added with `redis-cli --cluster
/// add-node` and given slots, then emptied and removed with `del-node`, is picked up and dropped
/// without a config change or a restart, and clients see no error throughout.
@Suite(.serialized, .sharedCluster)
struct ClusterTopologyTests {
    @Test func aNodeAddedThenRemovedIsCheckedThenForgottenWithoutAnError() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, extra: "health: {interval: 100ms, timeout: 100ms, rise: 1, fall: 2}\ncluster: {refresh: 200ms}")
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }

        let added = try cluster.addNode()
        let donor = try #require(cluster.masters().first { $0 != added })
        try cluster.moveSlots(100, from: donor, to: added)
        let moved = try Self.slots(of: added, in: cluster)
        #expect(moved.count == 100)
        // Checked and listed once the slot map names it.
        try E2E.waitUntil("the new node to be checked", timeout: .seconds(15)) {
            (try? ferry.lastCheck(port: added))?.code == "L7OK"
        }
        // Its slots are served through Ferry: a key of each is written and read back from the node itself.
        for slot in moved.prefix(10) {
            let key = try #require(Self.key(inSlot: slot))
            #expect(try client.command(["SET", key, "on-the-new-node"]) == .simple("OK"))
            #expect(try cluster.command(added, ["GET", key]) == .bulk(Array("on-the-new-node".utf8)))
        }

        try cluster.moveSlots(100, from: added, to: donor)
        try cluster.removeNode(added)
        try E2E.waitUntil("the removed node to leave the stats", timeout: .seconds(15)) {
            let backends = try #require(try ferry.statsJSON()["backends"] as? [[String: Any]])
            return !backends.contains { $0["address"] as? String == "127.0.0.1:\(added)" }
        }
        #expect(ferry.log.contains("no longer checking 1 nodes the cluster stopped naming"))
        for slot in moved.prefix(10) {
            let key = try #require(Self.key(inSlot: slot))
            #expect(try client.command(["GET", key]) == .bulk(Array("on-the-new-node".utf8)))
        }
    }

    /// The slots a node serves, from its own `CLUSTER NODES` line ("… myself,master … 0-99 200").
    static func slots(of port: Int, in cluster: RedisCluster) throws -> [Int] {
        let nodes = try #require(try cluster.command(port, ["CLUSTER", "NODES"]).string)
        let line = try #require(nodes.split(whereSeparator: \.isNewline).first { $0.contains("myself") })
        return line.split(separator: " ").dropFirst(8).flatMap { field -> [Int] in
            let bounds = field.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
        }
    }

    /// A key that hashes to `slot`.
    static func key(inSlot slot: Int) -> String? { keys[slot] }
    static let keys = E2E.keyPerSlot(prefix: "topology-")
}
