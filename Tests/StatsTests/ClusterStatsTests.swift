import Testing

@testable import Proxy
@testable import Stats

/// The cluster part of a snapshot, as every format reads it: which masters, in which order.
@Suite struct ClusterStatsTests {
    @Test func absentInTCPMode() {
        #expect(Fixtures.snapshot().cluster == nil)
        #expect(Fixtures.clusterSnapshot(slotMap: nil).cluster != nil)
        #expect(Fixtures.clusterSnapshot(masters: [:]).cluster != nil)
    }

    /// Masters with traffic and masters of the slot map, once each, sorted by host then numeric port.
    @Test func mastersComeFromTheTrafficAndTheSlotMap() throws {
        let cluster = try #require(Fixtures.clusterSnapshot().cluster)
        #expect(cluster.masters.map(\.name) == Fixtures.mastersInOrder.map(\.name))
        #expect(cluster.masters.map(\.slots) == Fixtures.mastersInOrder.map(\.slots))
        #expect(cluster.masters.map(\.slots).reduce(0, +) == cluster.coveredSlots)
        #expect(cluster.slotMap?.ranges.map(\.first) == [0, 5461, 10_923, 16_383], "ranges in slot order")
        #expect(cluster.rangeList(of: "127.0.0.1:7002") == "5461-10922 16383")
        #expect(cluster.fullyCovered)
        #expect(Fixtures.clusterSnapshot(slotMap: Fixtures.slotMap(covered: 16_383)).cluster?.fullyCovered == false)
    }

    @Test(arguments: [
        ("127.0.0.1:7002", "127.0.0.1:7010", true), ("127.0.0.1:7010", "127.0.0.1:7002", false),
        ("10.0.0.1:7010", "10.0.0.2:7001", true), ("a:1", "a:1", false), ("[::1]:7001", "[::1]:7002", true),
        ("host", "host:1", true), ("h:x", "h:y", true),
    ])
    func addressOrder(left: String, right: String, before: Bool) {
        #expect(ClusterStats.addressOrder(left, right) == before)
    }
}
