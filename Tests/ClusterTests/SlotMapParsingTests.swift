import Cluster
import RESP
import Testing

/// What the topology parsers accept beyond the captured replies (fields added or left out by other
/// Redis versions) and what they refuse: every malformed reply is a ``SlotMapError``, never a trap.
@Suite struct SlotMapParsingTests {
    static let origin = "origin.test:7777"
    static let originHost = "origin.test"
    static let idA = String(repeating: "a", count: 40)
    static let idB = String(repeating: "b", count: 40)

    static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// A RESP3 map or a RESP2 flat array of the pairs.
    static func fields(_ pairs: [(String, RESPValue)], resp3: Bool = false) -> RESPValue {
        resp3
            ? .map(pairs.map { .init(key: bulk($0.0), value: $0.1) })
            : .array(pairs.flatMap { [bulk($0.0), $0.1] })
    }

    static func node(
        _ id: String = idA, port: RESPValue = .integer(7000), role: String? = "master",
        extra: [(String, RESPValue)] = []
    ) -> RESPValue {
        var pairs: [(String, RESPValue)] = [
            ("id", bulk(id)), ("port", port), ("ip", bulk("10.0.0.1")), ("endpoint", bulk("10.0.0.1")),
        ]
        if let role { pairs.append(("role", bulk(role))) }
        pairs.append(("health", bulk("online")))
        return fields(pairs + extra)
    }

    static func shard(_ bounds: [Int64], _ nodes: [RESPValue], extra: [(String, RESPValue)] = []) -> RESPValue {
        fields([("slots", .array(bounds.map(RESPValue.integer))), ("nodes", .array(nodes))] + extra)
    }

    static func shards(_ shards: RESPValue...) -> RESPValue { .array(shards) }

    struct Bad: Sendable, CustomTestStringConvertible {
        var reply: RESPValue
        var error: SlotMapError
        var testDescription: String { error.message }
    }

    static let badShards: [Bad] = [
        Bad(
            reply: .error("ERR unknown subcommand 'SHARDZ'. Try CLUSTER HELP."),
            error: .serverError("ERR unknown subcommand 'SHARDZ'. Try CLUSTER HELP.")),
        Bad(
            reply: .error("ERR This instance has cluster support disabled"),
            error: .serverError("ERR This instance has cluster support disabled")),
        Bad(reply: .integer(1), error: .malformed("the CLUSTER SHARDS reply is not an array: :1")),
        Bad(reply: .array(nil), error: .malformed("the CLUSTER SHARDS reply is not an array: *-1")),
        Bad(reply: shards(.integer(3)), error: .malformed("shard 1 is neither a map nor an array of fields: :3")),
        Bad(
            reply: shards(.array([bulk("slots"), .array([]), bulk("nodes")])),
            error: .malformed("shard 1 has an odd number (3) of field names and values")),
        Bad(
            reply: shards(.array([.integer(1), .array([])])),
            error: .malformed("shard 1 has a field name that is not a string: :1")),
        Bad(
            reply: shards(fields([("slots", .integer(0))])),
            error: .malformed("the slots of shard 1 is not an array: :0")),
        Bad(
            reply: shards(shard([0], [node()])),
            error: .malformed("the slots of shard 1 has an odd number (1) of bounds")),
        Bad(
            reply: shards(shard([0, 16384], [node()])),
            error: .malformed("slot bound 2 of the slots of shard 1 is 16384, not a slot (0-16383)")),
        Bad(
            reply: shards(shard([-1, 5], [node()])),
            error: .malformed("slot bound 1 of the slots of shard 1 is -1, not a slot (0-16383)")),
        Bad(
            reply: shards(shard([10, 5], [node()])),
            error: .malformed("the slots of shard 1 has a range that runs backwards: 10-5")),
        Bad(
            reply: shards(fields([("slots", .array([bulk("zero"), .integer(1)]))])),
            error: .malformed("slot bound 1 of the slots of shard 1 is not an integer: \"zero\"")),
        Bad(
            reply: shards(fields([("nodes", bulk("x"))])),
            error: .malformed("the nodes of shard 1 is not an array: \"x\"")),
        Bad(
            reply: shards(shard([0, 1], [bulk("x")])),
            error: .malformed("node 1 of shard 1 is neither a map nor an array of fields: \"x\"")),
        Bad(
            reply: shards(shard([0, 1], [fields([("id", bulk(idA)), ("role", bulk("master"))])])),
            error: .malformed("node 1 of shard 1 has no port")),
        Bad(
            reply: shards(shard([0, 1], [node(port: .integer(0))])),
            error: .malformed("the port of node 1 of shard 1 is 0, not a TCP port")),
        Bad(
            reply: shards(shard([0, 1], [node(port: .integer(70000))])),
            error: .malformed("the port of node 1 of shard 1 is 70000, not a TCP port")),
        Bad(
            reply: shards(shard([0, 1], [node(port: .null)])),
            error: .malformed("the port of node 1 of shard 1 is not an integer: _")),
        Bad(
            reply: shards(shard([0, 1], [node(role: "leader")])),
            error: .malformed("the role of node 1 of shard 1 is neither master nor replica: \"leader\"")),
        Bad(
            reply: shards(shard([0, 1], [node(role: "replica"), node(idB, role: "replica")])),
            error: .malformed("shard 1 serves slots but has no master")),
        Bad(reply: shards(shard([0, 1], [])), error: .malformed("shard 1 serves slots but has no master")),
        Bad(
            reply: shards(shard([0, 100], [node()]), shard([100, 200], [node(idB, port: .integer(7001))])),
            error: .conflict("slot 100 is claimed by both 10.0.0.1:7000 and 10.0.0.1:7001")),
    ]

    @Test(arguments: badShards)
    func malformedShardsThrow(bad: Bad) {
        #expect(throws: bad.error) { try SlotMap(shardsReply: bad.reply, replyFrom: Self.origin) }
    }

    static func slotsNode(_ host: RESPValue, _ port: Int64, _ id: String? = nil, _ metadata: RESPValue? = nil)
        -> RESPValue
    {
        .array([host, .integer(port)] + (id.map { [bulk($0)] } ?? []) + (metadata.map { [$0] } ?? []))
    }

    static let badSlots: [Bad] = [
        Bad(
            reply: .error("ERR This instance has cluster support disabled"),
            error: .serverError("ERR This instance has cluster support disabled")),
        Bad(reply: bulk("slots"), error: .malformed("the CLUSTER SLOTS reply is not an array: \"slots\"")),
        Bad(reply: .array([.integer(0)]), error: .malformed("slot range 1 is not an array: :0")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5)])]),
            error: .malformed("slot range 1 has 2 elements; expected first slot, last slot and a master")),
        Bad(
            reply: .array([.array([.null, .integer(5), slotsNode(bulk("h"), 1)])]),
            error: .malformed("the first slot of slot range 1 is not an integer: _")),
        Bad(
            reply: .array([.array([.integer(0), .integer(16384), slotsNode(bulk("h"), 1)])]),
            error: .malformed("the last slot of slot range 1 is 16384, not a slot (0-16383)")),
        Bad(
            reply: .array([.array([.integer(9), .integer(5), slotsNode(bulk("h"), 1)])]),
            error: .malformed("slot range 1 runs backwards: 9-5")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5), bulk("h:1")])]),
            error: .malformed("the master of slot range 1 is not an array: \"h:1\"")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5), .array([bulk("h")])])]),
            error: .malformed("the master of slot range 1 has 1 elements; expected an endpoint and a port")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5), slotsNode(bulk("h"), 65536)])]),
            error: .malformed("the port of the master of slot range 1 is 65536, not a TCP port")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5), slotsNode(bulk("h"), 1), slotsNode(bulk("h"), -2)])]),
            error: .malformed("the port of replica 1 of slot range 1 is -2, not a TCP port")),
        Bad(
            reply: .array([.array([.integer(0), .integer(5), slotsNode(bulk("h"), 1, idA, .array([bulk("ip")]))])]),
            error: .malformed(
                "the metadata of the master of slot range 1 has an odd number (1) of field names and values")),
        Bad(
            reply: .array([
                .array([.integer(0), .integer(5), slotsNode(bulk("h"), 1, idA)]),
                .array([.integer(5), .integer(5), slotsNode(bulk("h"), 2, idB)]),
            ]), error: .conflict("slot 5 is claimed by both h:1 and h:2")),
    ]

    @Test(arguments: badSlots)
    func malformedSlotsThrow(bad: Bad) {
        #expect(throws: bad.error) { try SlotMap(slotsReply: bad.reply, replyFrom: Self.origin) }
    }

    /// Fields a later Redis may add are skipped, in shards and nodes, in both protocols.
    @Test(arguments: [false, true])
    func unknownFieldsAreIgnored(resp3: Bool) throws {
        let extra: [(String, RESPValue)] = [
            ("availability-zone", Self.bulk("eu-1a")), ("shard-id", Self.bulk(Self.idB)), ("future", .map([])),
            ("flags", .array([Self.bulk("x"), .array([.null])])), ("weight", .double(0.5)),
        ]
        func reply(_ extra: [(String, RESPValue)]) -> RESPValue {
            let node = Self.fields(
                [
                    ("id", Self.bulk(Self.idA)), ("port", .integer(7000)), ("ip", Self.bulk("10.0.0.1")),
                    ("role", Self.bulk("master")),
                ] + extra,
                resp3: resp3)
            let shard = Self.fields(
                [("slots", .array([.integer(0), .integer(16383)])), ("nodes", .array([node]))] + extra, resp3: resp3)
            return .array([shard])
        }
        let plain = try SlotMap(shardsReply: reply([]), replyFrom: Self.origin)
        #expect(try SlotMap(shardsReply: reply(extra), replyFrom: Self.origin) == plain)
        #expect(
            plain.isFullyCovered
                && plain.masters[0].master == ClusterNode(id: Self.idA, host: "10.0.0.1", port: 7000, role: .master))
    }

    /// Optional fields may be missing; numbers may come as strings; roles may be `slave` or absent.
    @Test func lenientShards() throws {
        let bare = Self.fields([("port", .integer(7000))])
        var map = try SlotMap(
            shardsReply: Self.shards(Self.shard([0, 16383], [bare, Self.fields([("port", Self.bulk("7001"))])])),
            replyFrom: Self.origin)
        #expect(
            map.masters.count == 1
                && map.masters[0].master == ClusterNode(id: "", host: Self.originHost, port: 7000, role: .master))
        #expect(map.masters[0].replicas == [ClusterNode(id: "", host: Self.originHost, port: 7001, role: .replica)])

        let tlsOnly = Self.fields([
            ("id", Self.bulk(Self.idA)), ("tls-port", .integer(7443)), ("role", Self.bulk("master")),
            ("endpoint", .null),
        ])
        let slave = Self.node(
            Self.idB, port: .integer(7001), role: "slave",
            extra: [("health", Self.bulk("failed")), ("hostname", Self.bulk(""))])
        let odd = Self.node(
            String(repeating: "c", count: 40), port: .integer(7002), role: "replica",
            extra: [("health", Self.bulk("resyncing"))])
        let strings = RESPValue.array([Self.bulk("0"), Self.bulk("16383")])
        map = try SlotMap(
            shardsReply: .array([Self.fields([("slots", strings), ("nodes", .array([tlsOnly, slave, odd]))])]),
            replyFrom: Self.origin)
        #expect(map.masters[0].master == ClusterNode(id: Self.idA, host: Self.originHost, port: 7443, role: .master))
        #expect(
            map.masters[0].replicas.map(\.health) == [.failed, .other("resyncing")]
                && map.masters[0].replicas[0].role == .replica)
        #expect(map.masters[0].replicas[0].hostname == nil && map.isFullyCovered)

        // A shard without master or slots is skipped; of two masters the online one serves.
        let failedMaster = Self.node(Self.idB, port: .integer(7001), extra: [("health", Self.bulk("fail"))])
        map = try SlotMap(
            shardsReply: Self.shards(
                Self.shard([], [Self.node(role: "replica")]), Self.shard([0, 9], [failedMaster, Self.node()]),
                Self.shard([], [])),
            replyFrom: Self.origin)
        #expect(
            map.masters.count == 1 && map.masters[0].master.id == Self.idA
                && map.masters[0].replicas.map(\.id) == [Self.idB])
        #expect(map.coveredSlots == 10)
        #expect(try SlotMap(shardsReply: .array([]), replyFrom: Self.origin) == SlotMap())
    }

    /// Pre-4.0 nodes (`[ip, port]`), a master with different replicas per range, unknown metadata.
    @Test func lenientSlots() throws {
        let reply = RESPValue.array([
            .array([
                .integer(0), .integer(99), Self.slotsNode(Self.bulk("10.0.0.1"), 7000),
                Self.slotsNode(Self.bulk("10.0.0.2"), 7000),
            ]),
            .array([
                .integer(100), .integer(16383), Self.slotsNode(Self.bulk("10.0.0.1"), 7000),
                Self.slotsNode(Self.bulk("10.0.0.3"), 7000),
            ]),
        ])
        let map = try SlotMap(slotsReply: reply, replyFrom: Self.origin)
        #expect(map.masters.count == 1 && map.masters[0].slots == [0...16383] && map.ranges.count == 1)
        #expect(map.masters[0].replicas.map(\.host) == ["10.0.0.2", "10.0.0.3"] && map.masters[0].master.id.isEmpty)

        let metadata = RESPValue.map([
            .init(key: Self.bulk("hostname"), value: Self.bulk("a.example")),
            .init(key: Self.bulk("zone"), value: .integer(1)),
        ])
        let withMeta = RESPValue.array([
            .array([.integer(0), .integer(16383), Self.slotsNode(.null, 7000, Self.idA, metadata)])
        ])
        let node = try SlotMap(slotsReply: withMeta, replyFrom: Self.origin).masters[0].master
        #expect(
            node == ClusterNode(id: Self.idA, host: Self.originHost, port: 7000, role: .master, hostname: "a.example"))
        #expect(try SlotMap(slotsReply: .array([]), replyFrom: Self.origin).coveredSlots == 0)
    }

    /// `replyFrom` is `host:port`; only the host replaces an unknown endpoint.
    @Test(arguments: [
        ("10.0.0.9:7000", "10.0.0.9"), ("::1:7000", "::1"), ("[::1]:7000", "::1"), ("[fe80::1%eth0]:1", "fe80::1%eth0"),
        ("node.example:6379", "node.example"), ("node.example", "node.example"), ("host:", "host:"), ("a:b", "a:b"),
    ])
    func replyFromIsHostAndPort(replyFrom: String, host: String) throws {
        let unknown = RESPValue.array([.array([.integer(0), .integer(16383), Self.slotsNode(.null, 7000)])])
        #expect(try SlotMap(slotsReply: unknown, replyFrom: replyFrom).masters[0].master.host == host)
        let empty = Self.shards(
            Self.shard([0, 16383], [Self.fields([("port", .integer(7000)), ("endpoint", Self.bulk(""))])]))
        #expect(try SlotMap(shardsReply: empty, replyFrom: replyFrom).masters[0].master.host == host)
    }

    /// Every value of real replies replaced by other shapes, or left out: each parse returns a map
    /// or throws a ``SlotMapError`` (a trap would end the test run).
    @Test(arguments: [
        "initial-shards-resp2", "failover-shards-resp3", "failover-slots-resp2", "unknownendpoint-slots-resp3",
    ])
    func mutatedRepliesNeverTrap(name: String) {
        let original = TopologyFixture.value(name)
        let replacements: [RESPValue] = [
            .null, .integer(-1), .integer(70000), Self.bulk("?"), .array([]), .map([]), .array(nil),
        ]
        var parsed = 0
        var refused = 0
        for mutant in Self.mutants(of: original, replacements) {
            do {
                _ =
                    name.contains("shards")
                    ? try SlotMap(shardsReply: mutant, replyFrom: Self.origin)
                    : try SlotMap(slotsReply: mutant, replyFrom: Self.origin)
                parsed += 1
            } catch {
                #expect(!error.message.isEmpty)
                refused += 1
            }
        }
        #expect(parsed > 0 && refused > 100, "\(parsed) parsed, \(refused) refused")
    }

    /// `value` with one sub-value replaced by each replacement, or one element removed.
    static func mutants(of value: RESPValue, _ replacements: [RESPValue]) -> [RESPValue] {
        var result = replacements
        switch value {
        case .array(let elements?):
            for index in elements.indices {
                var removed = elements
                removed.remove(at: index)
                result.append(.array(removed))
                for mutant in mutants(of: elements[index], replacements) {
                    var changed = elements
                    changed[index] = mutant
                    result.append(.array(changed))
                }
            }
        case .map(let entries):
            for index in entries.indices {
                for mutant in mutants(of: entries[index].value, replacements) {
                    var changed = entries
                    changed[index].value = mutant
                    result.append(.map(changed))
                }
            }
        default:
            break
        }
        return result
    }
}
