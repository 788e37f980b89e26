import Cluster
import Testing

@Suite struct SlotMapLayoutTests {
    private static func node(_ port: UInt16, _ role: ClusterNode.Role = .master, health: ClusterNode.Health = .online) -> ClusterNode {
        ClusterNode(id: String(repeating: "\(port % 10)", count: 40), host: "127.0.0.1", port: port, role: role, health: health)
    }

    private static let shards = [
        SlotMap.Shard(master: node(7001), replicas: [node(7004, .replica)], slots: [0...5460]),
        SlotMap.Shard(master: node(7002), replicas: [node(7005, .replica), node(7007, .replica)], slots: [5461...10922]),
        SlotMap.Shard(master: node(7003), replicas: [node(7006, .replica)], slots: [10923...16383]),
        SlotMap.Shard(master: node(7008), slots: []),
    ]

    @Test func shardOrderAndReplicaOrderDoNotChangeTheLayout() throws {
        let listed = try SlotMap(masters: Self.shards)
        var reordered = Self.shards.reversed() as [SlotMap.Shard]
        reordered[2].replicas.reverse()
        let other = try SlotMap(masters: reordered)
        #expect(listed != other, "the maps themselves differ in order")
        #expect(listed.layout == other.layout)
        #expect(listed.layout.count == 4)
    }

    @Test func healthDoesNotChangeTheLayout() throws {
        var shards = Self.shards
        shards[0].replicas = [Self.node(7004, .replica, health: .loading)]
        #expect(try SlotMap(masters: shards).layout == SlotMap(masters: Self.shards).layout)
    }

    @Test(arguments: [0, 1, 2])
    func aMovedRangeOrANewReplicaChangesIt(change: Int) throws {
        var shards = Self.shards
        switch change {
        case 0:
            shards[0] = SlotMap.Shard(master: shards[0].master, replicas: shards[0].replicas, slots: [0...5459])
            shards[1] = SlotMap.Shard(master: shards[1].master, replicas: shards[1].replicas, slots: [5460...10922])
        case 1:
            shards[2].replicas.append(Self.node(7009, .replica))
        default:
            shards[0].master = Self.node(7004)  // a failover: the replica is the master now
            shards[0].replicas = [Self.node(7001, .replica)]
        }
        #expect(try SlotMap(masters: shards).layout != SlotMap(masters: Self.shards).layout)
    }
}
