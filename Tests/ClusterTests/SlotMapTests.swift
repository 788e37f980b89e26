import Cluster
import RESP
import Testing

/// Slot maps parsed from `CLUSTER SHARDS` and `CLUSTER SLOTS` replies of a real redis-server 7.0.15
/// cluster (see ``TopologyFixture``), checked slot by slot against the `CLUSTER NODES` text of the
/// same moment and against the nodes that actually served captured keys.
@Suite struct SlotMapTests {
    /// The address the replies are said to come from: a host no reply holds, so a test sees when
    /// it is used (without the port: that always comes from the reply).
    static let origin = "origin.test:7777"
    static let originHost = "origin.test"

    /// One captured reply and the `CLUSTER NODES` capture of the same topology.
    struct Capture: Sendable, CustomTestStringConvertible {
        var scenario: String
        var command: String
        var version: Int
        var name: String { "\(scenario)-\(command)-resp\(version)" }
        var truth: String { SlotMapTests.truths[scenario]! }
        var isShards: Bool { command == "shards" }
        var testDescription: String { name }

        /// The same moment in another protocol or by the other command.
        func with(command: String? = nil, version: Int? = nil) -> Capture {
            Capture(scenario: scenario, command: command ?? self.command, version: version ?? self.version)
        }

        func map() throws -> SlotMap { try SlotMap(shardsOrSlots: name) }
    }

    static let truths: [String: String] = [
        "initial": "initial-nodes-resp2", "unknownendpoint": "initial-nodes-resp2", "nohostname": "initial-nodes-resp2",
        "partialhostname": "initial-nodes-resp2", "hostname": "initial-nodes-resp2", "failover": "failover-nodes-resp2",
        "loading": "failover-nodes-resp2", "nodefailed": "nodefailed-nodes-resp2", "partial": "partial-nodes-resp2",
        "single": "single-nodes-resp2",
    ]

    static let captures: [Capture] =
        ["initial", "failover", "partial", "nodefailed", "unknownendpoint", "nohostname", "hostname", "single"].flatMap
    { scenario in
        ["shards", "slots"].flatMap { command in
            [2, 3].map { Capture(scenario: scenario, command: command, version: $0) }
        }
    } + [
        Capture(scenario: "partialhostname", command: "shards", version: 2),
        Capture(scenario: "partialhostname", command: "slots", version: 2),
        Capture(scenario: "loading", command: "shards", version: 2),
        Capture(scenario: "loading", command: "shards", version: 3),
    ]

    @Test(arguments: captures)
    func fixtureIsOneWholeReply(capture: Capture) throws {
        let bytes = TopologyFixture.bytes(capture.name)
        let parsed = try #require(try RESPReader().parse(bytes))
        #expect(parsed.consumed == bytes.count)
    }

    /// The owner of every one of the 16384 slots is the master `CLUSTER NODES` gives it.
    @Test(arguments: captures)
    func everySlotHasTheOwnerOfClusterNodes(capture: Capture) throws {
        let map = try capture.map()
        var expected = [String?](repeating: nil, count: HashSlot.count)
        for line in TopologyFixture.nodes(capture.truth) where line.isMaster {
            for range in line.slots { for slot in range { expected[Int(slot)] = line.id } }
        }
        #expect(expected.contains { $0 != nil })
        var mismatches: [Int] = []
        for slot in 0..<HashSlot.count where map.master(of: UInt16(slot))?.id != expected[slot] {
            mismatches.append(slot)
        }
        #expect(mismatches.isEmpty, "slots \(mismatches.prefix(5))… of \(mismatches.count) differ")
        #expect(map.coveredSlots == expected.count { $0 != nil })
        #expect(map.isFullyCovered == (map.coveredSlots == 16384))
        // The lookup table agrees with the ranges and shards it was built from.
        for range in map.ranges {
            #expect(map.masters[range.shard].slots.contains { $0.clamped(to: range.slots) == range.slots })
            #expect(
                map.shard(of: range.slots.lowerBound) == range.shard
                    && map.shard(of: range.slots.upperBound) == range.shard)
        }
        #expect(map.ranges.reduce(0) { $0 + $1.slots.count } == map.coveredSlots)
    }

    /// Ports, roles and replicas as in `CLUSTER NODES`; `SHARDS` keeps failed replicas (and empty
    /// masters), `SLOTS` leaves them out.
    @Test(arguments: captures.filter { !["loading", "partialhostname"].contains($0.scenario) })
    func nodesAndReplicasMatchClusterNodes(capture: Capture) throws {
        let map = try capture.map()
        let truth = TopologyFixture.nodes(capture.truth)
        let byID = Dictionary(uniqueKeysWithValues: truth.map { ($0.id, $0) })
        for shard in map.masters {
            let master = try #require(byID[shard.master.id])
            #expect(master.isMaster && shard.master.role == .master && shard.master.port == master.port)
            #expect(
                shard.slots
                    == master.slots.sorted { $0.lowerBound < $1.lowerBound }.reduce(into: []) { merged, range in
                        if let last = merged.last, range.lowerBound == last.upperBound + 1 {
                            merged[merged.count - 1] = last.lowerBound...range.upperBound
                        } else {
                            merged.append(range)
                        }
                    })
            let expectedReplicas = truth.filter { $0.masterID == master.id && (capture.isShards || !$0.isFailed) }
            #expect(Set(shard.replicas.map(\.id)) == Set(expectedReplicas.map(\.id)))
            for replica in shard.replicas {
                let line = try #require(byID[replica.id])
                #expect(replica.role == .replica && replica.port == line.port)
                #expect(replica.health == (line.isFailed ? .failed : .online))
            }
        }
        let served = Set(truth.filter { $0.isMaster && !$0.slots.isEmpty }.map(\.id))
        let allMasters = Set(truth.filter(\.isMaster).map(\.id))
        #expect(Set(map.masters.map(\.master.id)) == (capture.isShards ? allMasters : served))
    }

    /// Where to connect, by the endpoint each scenario's replies carry.
    @Test(arguments: captures)
    func hostsFollowTheEndpointRules(capture: Capture) throws {
        let nodes = try capture.map().masters.flatMap { [$0.master] + $0.replicas }
        for node in nodes {
            let named = "node-\(node.port - 30000).ferry.test"
            switch capture.scenario {
            case "unknownendpoint", "single": #expect(node.host == Self.originHost)  // "" or null: the replying host
            case "hostname": #expect(node.host == named)
            case "partialhostname": #expect(node.host == named || node.host == "127.0.0.1")  // `?`: the IP
            default: #expect(node.host == "127.0.0.1")  // IPs, and `?` (nohostname) falls back to the IP
            }
        }
        if capture.scenario == "partialhostname" {
            #expect(nodes.contains { $0.host == "127.0.0.1" } && nodes.contains { $0.host.hasSuffix(".ferry.test") })
        }
        // SHARDS always tells an announced hostname; SLOTS does in its metadata when it prefers IPs.
        guard capture.scenario != "partialhostname" else { return }
        let truth = Dictionary(uniqueKeysWithValues: TopologyFixture.nodes(capture.truth).map { ($0.id, $0) })
        for node in nodes {
            let expected: String?
            switch capture.scenario {
            case "hostname": expected = capture.isShards ? "node-\(node.port - 30000).ferry.test" : nil
            case "failover", "partial", "nodefailed", "loading": expected = truth[node.id]?.hostname
            default: expected = nil
            }
            #expect(node.hostname == expected, "\(node.address)")
        }
    }

    /// RESP2 arrays of fields and RESP3 maps give the same map.
    @Test(arguments: captures.filter { $0.name.hasSuffix("resp2") })
    func resp2AndResp3Agree(capture: Capture) throws {
        let resp3 = capture.with(version: 3)
        guard TopologyFixture.bytes(resp3.name).count > 0 else { return }
        #expect(try capture.map() == resp3.map())
    }

    /// `CLUSTER SHARDS` and `CLUSTER SLOTS` of one moment route every slot to the same node.
    @Test(arguments: captures.filter(\.isShards))
    func shardsAndSlotsAgree(capture: Capture) throws {
        let slots = capture.with(command: "slots")
        guard TopologyFixture.bytes(slots.name).count > 0, capture.scenario != "partialhostname" else { return }
        let (a, b) = (try capture.map(), try slots.map())
        #expect(a.coveredSlots == b.coveredSlots)
        for slot in UInt16(0)..<16384 {
            let (x, y) = (a.master(of: slot), b.master(of: slot))
            guard x?.id != y?.id || x?.host != y?.host || x?.port != y?.port else { continue }
            Issue.record("slot \(slot): \(String(describing: x)) vs \(String(describing: y))")
            return
        }
    }

    /// The nodes that served real keys are the masters the maps give their slots.
    @Test(arguments: CapturedKey.all)
    func capturedKeysRouteToTheNodeThatServedThem(captured: CapturedKey) throws {
        for name in ["initial-shards-resp2", "initial-slots-resp3", "hostname-shards-resp3"] {
            let map = try SlotMap(shardsOrSlots: name)
            #expect(map.master(of: HashSlot.of(captured.key))?.port == captured.initialPort, "\(name)")
        }
        for name in ["failover-shards-resp3", "failover-slots-resp2", "nodefailed-shards-resp2"] {
            let map = try SlotMap(shardsOrSlots: name)
            #expect(map.master(of: HashSlot.of(captured.key))?.port == captured.failoverPort, "\(name)")
        }
    }

    /// After resharding and `CLUSTER FAILOVER`: several ranges per master, a one-slot range, the
    /// old master a replica, an empty master in SHARDS only.
    @Test func failoverTopology() throws {
        let shards = try SlotMap(shardsOrSlots: "failover-shards-resp2")
        let ports = shards.ranges.map { ($0.slots, shards.masters[$0.shard].master.port) }
        let expected: [(ClosedRange<UInt16>, UInt16)] = [
            (0...99, 30002), (100...5460, 30004), (5461...7999, 30002), (8000...8000, 30003), (8001...10922, 30002),
            (10923...16383, 30003),
        ]
        #expect(ports.map(\.0) == expected.map(\.0) && ports.map(\.1) == expected.map(\.1))
        let promoted = try #require(shards.masters.first { $0.master.port == 30004 })
        #expect(promoted.replicas.map(\.port) == [30001])
        let empty = try #require(shards.masters.first { $0.master.port == 30007 })
        #expect(empty.slots.isEmpty && empty.slotCount == 0 && empty.replicas.isEmpty)
        #expect(shards.masters.first { $0.master.port == 30002 }?.slotCount == 100 + 2539 + 2922)
        let slots = try SlotMap(shardsOrSlots: "failover-slots-resp3")
        #expect(slots.masters.count == 3 && shards.masters.count == 4)
        #expect(
            slots.ranges
                == shards.ranges.map {
                    SlotMap.SlotRange(slots: $0.slots, shard: slots.shard(of: $0.slots.lowerBound)!)
                })
    }

    @Test func partialCoverage() throws {
        for name in ["partial-shards-resp2", "partial-slots-resp3"] {
            let map = try SlotMap(shardsOrSlots: name)
            #expect(map.coveredSlots == 16000 && !map.isFullyCovered)
            #expect((16000...16383).allSatisfy { map.shard(of: UInt16($0)) == nil })
            #expect(map.shard(of: 15999) != nil && map.ranges.last?.slots == 10923...15999)
        }
    }

    @Test func healthOfFailedAndLoadingNodes() throws {
        let failed = try SlotMap(shardsOrSlots: "nodefailed-shards-resp3").masters.flatMap { [$0.master] + $0.replicas }
        #expect(failed.filter { $0.health == .failed }.map(\.port) == [30006])
        #expect(failed.filter { $0.health != .online }.count == 1)
        let slots = try SlotMap(shardsOrSlots: "nodefailed-slots-resp2").masters.flatMap { [$0.master] + $0.replicas }
        #expect(!slots.contains { $0.port == 30006 } && slots.allSatisfy { $0.health == .online })
        for name in ["loading-shards-resp2", "loading-shards-resp3"] {
            let map = try SlotMap(shardsOrSlots: name)
            let shard = try #require(map.masters.first { $0.master.port == 30007 })
            #expect(shard.replicas.map(\.port) == [30008] && shard.replicas[0].health == .loading)
        }
    }

    @Test func lookupsOutsideTheSlotsAndTheEmptyMap() throws {
        let map = try SlotMap(shardsOrSlots: "initial-shards-resp2")
        #expect(map.shard(of: 16383) != nil && map.shard(of: 16384) == nil && map.shard(of: .max) == nil)
        let empty = SlotMap()
        #expect(empty.coveredSlots == 0 && empty.ranges.isEmpty && empty.masters.isEmpty && empty.owner.count == 16384)
        #expect((0..<16384).allSatisfy { empty.shard(of: UInt16($0)) == nil })
    }

    /// Building from shards: ranges sorted and merged, overlaps and slots past 16383 refused.
    @Test func buildingFromShards() throws {
        let a = ClusterNode(id: String(repeating: "a", count: 40), host: "10.0.0.1", port: 7000, role: .master)
        let b = ClusterNode(id: String(repeating: "b", count: 40), host: "::1", port: 7001, role: .master)
        let shard = SlotMap.Shard(master: a, slots: [10...20, 0...4, 5...9, 15...30])
        #expect(shard.slots == [0...30] && shard.slotCount == 31)
        let map = try SlotMap(masters: [shard, .init(master: b, slots: [31...16383])])
        #expect(map.isFullyCovered && map.ranges.count == 2 && map.master(of: 31)?.address == "[::1]:7001")
        #expect(throws: SlotMapError.conflict("slot 30 is claimed by both 10.0.0.1:7000 and [::1]:7001")) {
            try SlotMap(masters: [shard, .init(master: b, slots: [30...40])])
        }
        #expect(throws: SlotMapError.self) { try SlotMap(masters: [.init(master: b, slots: [16380...16384])]) }
    }
}

extension SlotMap {
    /// A captured fixture, by the command its name says.
    init(shardsOrSlots name: String) throws {
        let value = TopologyFixture.value(name)
        if name.contains("-shards-") {
            try self.init(shardsReply: value, replyFrom: SlotMapTests.origin)
        } else {
            try self.init(slotsReply: value, replyFrom: SlotMapTests.origin)
        }
    }
}
