import Cluster
import RESP
import Testing

/// Ferry's one-node cluster replies against those of a real one-node redis-server 7.0.15 cluster
/// (127.0.0.1:30009 after `CLUSTER ADDSLOTSRANGE 0 16383` and `cluster-announce-ip 127.0.0.1`,
/// the `singleip-*` fixtures): equal byte for byte once the node id is Ferry's.
@Suite struct OneNodeClusterTests {
    /// The real node's id in the captures.
    static let realID = "6b98ffae4d2c305f79d8eaa76e1b4a288d872e9e"
    static let ferry = OneNodeCluster(host: "127.0.0.1", port: 30009)

    /// A captured reply with the real node's id replaced by Ferry's (both 40 bytes).
    static func captured(_ name: String) -> [UInt8] {
        let text = String(decoding: TopologyFixture.bytes(name), as: UTF8.self)
        return Array(
            text.split(separator: realID, omittingEmptySubsequences: false).joined(separator: ferry.nodeID).utf8)
    }

    static func render(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacing("\r\n", with: "⏎\n")
    }

    @Test(arguments: [2, 3])
    func repliesAreThoseOfARealOneNodeCluster(version: Int) {
        let resp3 = version == 3
        let ferry = Self.ferry
        let pairs: [(String, [UInt8])] = [
            ("slots", ferry.slots(resp3: resp3)), ("shards", ferry.shards(resp3: resp3)),
            ("nodes", ferry.nodes(resp3: resp3)),
            ("info", ferry.info(coveredSlots: 16384, resp3: resp3)), ("myid", ferry.myID()),
        ]
        for (command, bytes) in pairs {
            let expected = Self.captured("singleip-\(command)-resp\(version)")
            #expect(!expected.isEmpty)
            #expect(
                bytes == expected,
                "CLUSTER \(command) RESP\(version):\n\(Self.render(bytes))\nreal:\n\(Self.render(expected))")
        }
    }

    /// With slots unserved, `CLUSTER INFO` has the fields of the real node in the same order, in
    /// the same encoding; all slots stay assigned to Ferry and the unserved ones count as failing.
    @Test(arguments: [2, 3])
    func infoWithPartialCoverage(version: Int) throws {
        let bytes = Self.ferry.info(coveredSlots: 16284, resp3: version == 3)
        let real = TopologyFixture.bytes("singlepartial-info-resp\(version)")
        let (ours, theirs) = (try #require(try RESPReader().parse(bytes)), try #require(try RESPReader().parse(real)))
        #expect(ours.consumed == bytes.count)
        func lines(_ value: RESPValue) -> [(String, String)] {
            switch value {
            case .verbatimString(let format, _): #expect(format == "txt")
            case .bulkString: #expect(version == 2)
            default: Issue.record("\(value) is not text")
            }
            let text = value.stringValue ?? ""
            #expect(text.hasSuffix("\r\n") && !text.contains("\r\n\r\n"))
            return text.split(separator: "\r\n").map {
                let parts = $0.split(separator: ":", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            }
        }
        let (mine, real2) = (lines(ours.value), lines(theirs.value))
        #expect(mine.map(\.0) == real2.map(\.0))
        let values = Dictionary(uniqueKeysWithValues: mine)
        #expect(values["cluster_state"] == "fail" && real2[0].1 == "fail")
        #expect(
            values["cluster_slots_assigned"] == "16384" && values["cluster_slots_ok"] == "16284"
                && values["cluster_slots_fail"] == "100")
    }

    @Test(arguments: [
        (-5, "0", "fail"), (0, "0", "fail"), (16383, "16383", "fail"), (16384, "16384", "ok"), (99999, "16384", "ok"),
    ])
    func infoClampsCoverage(covered: Int, ok: String, state: String) {
        let text = String(decoding: Self.ferry.info(coveredSlots: covered, resp3: false), as: UTF8.self)
        #expect(text.contains("\r\ncluster_state:\(state)\r\n") && text.contains("\r\ncluster_slots_ok:\(ok)\r\n"))
    }

    /// Node ids as `printf '<host>:<port>' | sha1sum` prints them (messages of 53 to 78 bytes
    /// cover SHA-1's one- and two-block paddings).
    @Test(
        arguments: [
            ("127.0.0.1", 30009, "cfe598eb9c7610a77154563aa0a95e94ca2b4fc1"),
            ("127.0.0.1", 7000, "866a95987cd8f228c2a99d31f2928d64ebbdcd34"),
            ("::1", 7000, "152ccd32fb83893360bda748694c2acb304806ee"),
            ("10.1.2.3", 6379, "0c08e66d09caa810ee58e88d3e2c40887e126755"),
            ("ferry.example.com", 6380, "285615251935b9d1810cac7c04c059da33f9d5e0"),
            ("", 6379, "db305cb60f462ea9720cbcc27b90e321c68c7793"),
            ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy", 1, "5495f31752d8df35f2bd2ae4f7d8c6e1ea62b406"),
            ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza", 1, "863f47fec1f86f12bd91d97a6f5134114bcc9079"),
            ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab", 1, "4e6b1c775f3b6216b99686d203b87d6c973bc3b7"),
            (
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij", 1,
                "06c2939995402adb1cec4a82533f54c4bfca4db3"
            ),
            (
                "a-very-long-hostname-for-testing-sha1-blocks.cluster.internal.example.com", 6379,
                "522d5cef898c6aef97288cccb8c9681c42b88b13"
            ),
        ] as [(String, UInt16, String)])
    func nodeIDIsTheSHA1OfTheAddress(host: String, port: UInt16, id: String) {
        #expect(OneNodeCluster.nodeID(host: host, port: port) == id)
        #expect(OneNodeCluster(host: host, port: port).nodeID == id)
    }

    /// The replies parse back, through Ferry's own topology parsers, as one master at the address
    /// serving every slot; in RESP3 SHARDS is a list of maps, SLOTS metadata an empty map.
    @Test(arguments: [("127.0.0.1", 6379), ("::1", 7000), ("10.20.30.40", 60000)] as [(String, UInt16)])
    func repliesParseBack(host: String, port: UInt16) throws {
        let cluster = OneNodeCluster(host: host, port: port)
        let master = ClusterNode(id: cluster.nodeID, host: host, port: port, role: .master)
        for resp3 in [false, true] {
            let shards = try #require(try RESPReader().parse(cluster.shards(resp3: resp3)))
            let slots = try #require(try RESPReader().parse(cluster.slots(resp3: resp3)))
            #expect(
                shards.consumed == cluster.shards(resp3: resp3).count
                    && slots.consumed == cluster.slots(resp3: resp3).count)
            for map in [
                try SlotMap(shardsReply: shards.value, replyFrom: "x"),
                try SlotMap(slotsReply: slots.value, replyFrom: "x"),
            ] {
                #expect(map.isFullyCovered && map.masters == [SlotMap.Shard(master: master, slots: [0...16383])])
            }
            if resp3 {
                guard case .array(let list?) = shards.value, case .map(let shard) = list.first,
                    case .array(let nodes?) = shard.last?.value, case .map(let node) = nodes.first
                else {
                    Issue.record("RESP3 SHARDS is not a list of maps")
                    continue
                }
                #expect(
                    node.map { $0.key.stringValue } == [
                        "id", "port", "ip", "endpoint", "role", "replication-offset", "health",
                    ])
                guard case .array(let ranges?) = slots.value, case .array(let range?) = ranges.first,
                    case .array(let entry?) = range.last
                else {
                    Issue.record("bad SLOTS")
                    continue
                }
                #expect(entry.last == .map([]))
            }
            let nodes = try #require(try RESPReader().parse(cluster.nodes(resp3: resp3)))
            let line = try #require(nodes.value.stringValue)
            let bus = Int(port) + 10000 <= 65535 ? Int(port) + 10000 : 0
            #expect(line == "\(cluster.nodeID) \(host):\(port)@\(bus) myself,master - 0 0 0 connected 0-16383\n")
            #expect(try RESPReader().parse(cluster.myID())?.value == .bulkString(Array(cluster.nodeID.utf8)))
        }
    }

    /// A real multi-node cluster's RESP3 `CLUSTER NODES` and `CLUSTER INFO` are verbatim `txt`
    /// strings too (not only a lone node's), and its NODES lines end in a bare LF, INFO's in CRLF.
    @Test func verbatimTextOnAMultiNodeCluster() throws {
        for name in ["initial-nodes-resp3", "initial-info-resp3"] {
            guard case .verbatimString(let format, let text) = TopologyFixture.value(name) else {
                Issue.record("\(name) is not a verbatim string")
                continue
            }
            #expect(format == "txt" && text.last == 0x0A)
            #expect(text.contains(0x0D) == name.contains("info"))
        }
        #expect(
            Self.ferry.nodes(resp3: true).starts(with: Array("=".utf8))
                && Self.ferry.info(coveredSlots: 1, resp3: true).starts(with: Array("=".utf8)))
    }
}
