import Foundation
import RESP
import Testing

/// Replies of a real redis-server 7.0.15 cluster, raw RESP bytes in `Fixtures/cluster-topology/`,
/// captured on 127.0.0.1:30001-30009. Files are `<scenario>-<command>-resp<2|3>.resp`; RESP3 ones
/// were captured after `HELLO 3`. The scenarios, in the order they were made:
/// - `initial`: `redis-cli --cluster create` of 30001-30006 with `--cluster-replicas 1`: masters
///   30001 (0-5460), 30002 (5461-10922), 30003 (10923-16383), replicas 30004-30006; asked 30001.
/// - `unknownendpoint`, `nohostname`: the same, 30001 set to `cluster-preferred-endpoint-type`
///   `unknown-endpoint` (endpoints empty / null) and `hostname` without hostnames (`?`).
/// - `partialhostname`, `hostname`: `cluster-announce-hostname node-N.ferry.test` set on every node,
///   captured while the hostnames were still spreading by gossip (some `?`), then once they had.
/// - `failover`: slots 0-99 resharded to 30002, slot 8000 given to 30003, `CLUSTER FAILOVER` on
///   30004 (30001 becomes its replica), empty master 30007 added; asked 30001, now a replica.
/// - `loading`: 30008 added as replica of 30007, captured while it reported `health: loading`.
/// - `nodefailed`: replica 30006 killed, captured from 30002 once marked `fail`.
/// - `partial`: `CLUSTER DELSLOTSRANGE 16000 16383` on 30003, captured from 30003
///   (`cluster_state:fail`, 16000-16383 unserved in its view).
/// - `single`, `singleip`, `singlepartial`: a lone cluster node 30009 after `CLUSTER ADDSLOTSRANGE
///   0 16383` (its `ip` empty), then with `cluster-announce-ip 127.0.0.1`, then after
///   `CLUSTER DELSLOTSRANGE 0 99`.
/// The `*-nodes-resp2` files are the `CLUSTER NODES` text of the same moment: the independent truth
/// the parsed maps are checked against.
enum TopologyFixture {
    static let directory = String(#filePath.prefix(upTo: #filePath.lastIndex(of: "/")!)) + "/Fixtures/cluster-topology/"

    /// The raw bytes of `name` (without `.resp`); empty when the file is missing, so the test fails
    /// on its expectations rather than trapping.
    static func bytes(_ name: String) -> [UInt8] {
        FileManager.default.contents(atPath: directory + name + ".resp").map(Array.init) ?? []
    }

    /// The fixture as one RESP value; `.null` when it does not parse (checked by `fixturesAreWhole`).
    static func value(_ name: String) -> RESPValue {
        guard let (value, consumed) = try? RESPReader().parse(bytes(name)), consumed == bytes(name).count else {
            return .null
        }
        return value
    }

    /// The lines of a captured `CLUSTER NODES` reply.
    static func nodes(_ name: String) -> [NodeLine] {
        guard case .bulkString(let text?) = value(name) else { return [] }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").map { NodeLine(String($0)) }
    }
}

/// One line of `CLUSTER NODES`: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong>
/// <epoch> <link> <slot>…`, read only as far as the tests need.
struct NodeLine {
    var id: String
    var ip: String
    var port: UInt16
    var hostname: String?
    var flags: [String]
    var masterID: String?
    var slots: [ClosedRange<UInt16>]

    init(_ line: String) {
        let fields = line.split(separator: " ").map(String.init)
        id = fields[0]
        let address = fields[1].split(separator: ",", omittingEmptySubsequences: false)
        let hostPort = address[0].prefix(upTo: address[0].firstIndex(of: "@")!)
        let colon = hostPort.lastIndex(of: ":")!
        ip = String(hostPort[..<colon])
        port = UInt16(hostPort[hostPort.index(after: colon)...])!
        hostname = address.count > 1 ? String(address[1]) : nil
        flags = fields[2].split(separator: ",").map(String.init)
        masterID = fields[3] == "-" ? nil : fields[3]
        // Migrating / importing markers (`[slot->-id]`) are not ownership.
        slots = fields.dropFirst(8).filter { !$0.hasPrefix("[") }.map { token in
            let bounds = token.split(separator: "-").map { UInt16($0)! }
            return bounds[0]...bounds[bounds.count - 1]
        }
    }

    var isMaster: Bool { flags.contains("master") }
    var isFailed: Bool { flags.contains("fail") }
}

/// A key, its `CLUSTER KEYSLOT` on redis-server 7.0.15, and the port of the master that served it
/// (the node that answered `GET`, or the target of its `MOVED`) in the `initial` and the
/// `failover` topologies.
struct CapturedKey: Sendable, CustomTestStringConvertible {
    var key: [UInt8]
    var slot: UInt16
    var initialPort: UInt16
    var failoverPort: UInt16

    init(_ key: [UInt8], _ slot: UInt16, _ initialPort: UInt16, _ failoverPort: UInt16) {
        self.key = key
        self.slot = slot
        self.initialPort = initialPort
        self.failoverPort = failoverPort
    }

    init(_ key: String, _ slot: UInt16, _ initialPort: UInt16, _ failoverPort: UInt16) {
        self.init(Array(key.utf8), slot, initialPort, failoverPort)
    }

    var testDescription: String {
        let text = String(decoding: key.prefix(40), as: UTF8.self)
        let printable =
            key.allSatisfy { (0x20..<0x7F).contains($0) }
            ? text : key.prefix(40).map { String($0, radix: 16) }.joined(separator: " ")
        return "\(printable)\(key.count > 40 ? "… (\(key.count) bytes)" : "") → \(slot)"
    }

    /// Every key asked of the cluster (see `HashSlotTests` for why each is there).
    static let all: [CapturedKey] = [
        .init("123456789", 12739, 30003, 30003),  // the CRC16/XMODEM check value 0x31C3
        .init("foo", 12182, 30003, 30003), .init("bar", 5061, 30001, 30004), .init("hello", 866, 30001, 30004),
        .init("", 0, 30001, 30002),
        .init("{user1000}.following", 3443, 30001, 30004), .init("{user1000}.followers", 3443, 30001, 30004),
        .init("user1000", 3443, 30001, 30004),
        .init("foo{}{bar}", 8363, 30002, 30002),  // `{}` is empty: the whole key is hashed
        .init("foo{{bar}}zap", 4015, 30001, 30004),  // the tag is `{bar`
        .init("foo{bar}{zap}", 5061, 30001, 30004),  // only the first tag counts: `bar`
        .init("{bar", 4015, 30001, 30004),  // no closing brace: the whole key
        // Binary keys.
        .init([0x00], 0, 30001, 30002), .init([0xFF], 7920, 30002, 30002),
        .init([0x00, 0x01, 0x02, 0xFE, 0xFF], 14058, 30003, 30003),
        .init([0x7B, 0x00, 0x7D] + Array("suffix".utf8), 0, 30001, 30002),  // `{\0}suffix`: the tag is one NUL
        .init([0x0D, 0x0A], 5910, 30002, 30002), .init([0x61, 0x00, 0x7B, 0x62, 0x7D], 3300, 30001, 30004),
        .init([0x7B, 0xFF, 0xFE, 0x7D, 0x78], 3374, 30001, 30004),
        // Empty tags and stray braces.
        .init("{}", 15257, 30003, 30003), .init("{}{a}", 13650, 30003, 30003), .init("a{}b", 13694, 30003, 30003),
        .init("{}}", 14790, 30003, 30003), .init("}{a}", 15495, 30003, 30003), .init("{", 4092, 30001, 30004),
        .init("}", 12090, 30003, 30003), .init("a}b{c}", 7365, 30002, 30002), .init("{a}}", 15495, 30003, 30003),
        .init("{{}}", 4092, 30001, 30004),  // the tag is `{`
        // Nested braces: the tag ends at the first `}` after the first `{`.
        .init("{{a}}", 10276, 30002, 30002), .init("{a{b}c}", 13340, 30003, 30003), .init("{{{x}}}", 965, 30001, 30004),
        .init("x{y{z}}", 3559, 30001, 30004),
        // Long keys.
        .init(Array(repeating: UInt8(ascii: "k"), count: 1000), 15858, 30003, 30003),
        .init(Array("{tag}".utf8) + Array(repeating: UInt8(ascii: "x"), count: 5000), 8338, 30002, 30002),
        .init(Array(repeating: UInt8(ascii: "x"), count: 5000) + Array("{tag}".utf8), 8338, 30002, 30002),
        // UTF-8.
        .init("clé", 3008, 30001, 30004), .init("{用户}:1", 5340, 30001, 30004), .init("用户", 5340, 30001, 30004),
        .init("🔑", 3314, 30001, 30004), .init("{🔑}x", 3314, 30001, 30004), .init("a{é}b", 10180, 30002, 30002),
        // Everyday keys.
        .init("user:{42}:profile", 8000, 30002, 30003), .init("user:{42}:sessions", 8000, 30002, 30003),
        .init("session:abc", 14788, 30003, 30003), .init("counter", 6680, 30002, 30002),
    ]
}
