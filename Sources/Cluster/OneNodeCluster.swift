/// What Ferry answers to `CLUSTER SLOTS`, `CLUSTER SHARDS`, `CLUSTER NODES`, `CLUSTER INFO` and
/// `CLUSTER MYID`: a cluster of one master, Ferry itself, serving all 16384 slots, so that a
/// cluster-aware client (redis-py's `RedisCluster`, `redis-cli -c`, Lettuce, go-redis) sends every
/// command to Ferry and never learns about the nodes behind it.
///
/// The replies are byte for byte those of a real one-node redis-server 7.0 cluster listening at
/// `host:port` (captured after `CLUSTER ADDSLOTSRANGE 0 16383`, with and without `HELLO 3`), with
/// Ferry's node id: RESP3 turns the shard and the node of `CLUSTER SHARDS` into maps, the empty
/// metadata of `CLUSTER SLOTS` into `%0`, and the text of `CLUSTER NODES` and `CLUSTER INFO` into
/// verbatim strings (`=…txt:`), as Redis does.
///
/// Every slot is claimed even when the real cluster leaves some unserved: Ferry answers a request
/// for such a slot `-CLUSTERDOWN Hash slot not served` itself, as a Redis node would, so a client
/// never holds a map that Ferry would have to invalidate. Only `CLUSTER INFO` tells the real
/// coverage (see ``info(coveredSlots:resp3:)``).
///
/// `host` is the address the client connected to (the listener's, or the accepted socket's local
/// address when Ferry listens on a wildcard), written as Redis writes IPs: IPv6 without brackets.
/// The replies that do not depend on coverage are encoded once, here.
public struct OneNodeCluster: Sendable, Equatable {
    /// The address clients are told to connect to.
    public let host: String
    /// The port clients are told to connect to.
    public let port: UInt16
    /// Ferry's node id: see ``nodeID(host:port:)``.
    public let nodeID: String

    private let slotsRESP2: [UInt8]
    private let slotsRESP3: [UInt8]
    private let shardsRESP2: [UInt8]
    private let shardsRESP3: [UInt8]
    private let nodesRESP2: [UInt8]
    private let nodesRESP3: [UInt8]
    private let myIDReply: [UInt8]

    /// The replies for clients that reach Ferry at `host:port`.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        let id = Self.nodeID(host: host, port: port)
        self.nodeID = id
        slotsRESP2 = Self.slots(id: id, host: host, port: port, resp3: false)
        slotsRESP3 = Self.slots(id: id, host: host, port: port, resp3: true)
        shardsRESP2 = Self.shards(id: id, host: host, port: port, resp3: false)
        shardsRESP3 = Self.shards(id: id, host: host, port: port, resp3: true)
        nodesRESP2 = Self.nodes(id: id, host: host, port: port, resp3: false)
        nodesRESP3 = Self.nodes(id: id, host: host, port: port, resp3: true)
        var writer = Writer(resp3: false)
        writer.bulk(id)
        myIDReply = writer.bytes
    }

    /// A stable node id for `host:port`: the SHA-1 of the text `<host>:<port>` (the host as given,
    /// the port in decimal) in 40 lowercase hex digits, the form of a Redis node id. Stable across
    /// restarts and the same on both Ferry instances of a pair behind one address; check it with
    /// `printf '127.0.0.1:7000' | sha1sum`.
    public static func nodeID(host: String, port: UInt16) -> String {
        SHA1.hex(Array("\(host):\(port)".utf8))
    }

    /// `CLUSTER SLOTS`: `[[0, 16383, [host, port, id, {}]]]`.
    public func slots(resp3: Bool) -> [UInt8] { resp3 ? slotsRESP3 : slotsRESP2 }

    /// `CLUSTER SHARDS`: one shard `{slots: [0, 16383], nodes: [{id, port, ip, endpoint, role:
    /// master, replication-offset: 0, health: online}]}`, maps as flat arrays in RESP2.
    public func shards(resp3: Bool) -> [UInt8] { resp3 ? shardsRESP3 : shardsRESP2 }

    /// `CLUSTER NODES`: `<id> <host>:<port>@<port+10000> myself,master - 0 0 0 connected 0-16383`
    /// and a newline. There is no cluster bus; the bus port is the one Redis would derive (0 when
    /// it would pass 65535), as no client connects to it.
    public func nodes(resp3: Bool) -> [UInt8] { resp3 ? nodesRESP3 : nodesRESP2 }

    /// `CLUSTER MYID`: the node id as a bulk string (in RESP3 too).
    public func myID() -> [UInt8] { myIDReply }

    /// `CLUSTER INFO`, the fields of a one-node redis-server 7.0 in its order. All 16384 slots are
    /// assigned (they are, to Ferry); `cluster_slots_ok` counts those the real cluster serves
    /// (`coveredSlots`, from ``SlotMap/coveredSlots``) and `cluster_slots_fail` the others, and
    /// `cluster_state` is `ok` only when every slot is served: the state a Redis node with
    /// `cluster-require-full-coverage yes` would show.
    public func info(coveredSlots: Int, resp3: Bool) -> [UInt8] {
        let ok = min(max(coveredSlots, 0), HashSlot.count)
        let text =
            "cluster_state:\(ok == HashSlot.count ? "ok" : "fail")\r\n"
            + "cluster_slots_assigned:\(HashSlot.count)\r\n"
            + "cluster_slots_ok:\(ok)\r\n"
            + "cluster_slots_pfail:0\r\n"
            + "cluster_slots_fail:\(HashSlot.count - ok)\r\n"
            + "cluster_known_nodes:1\r\n"
            + "cluster_size:1\r\n"
            + "cluster_current_epoch:0\r\n"
            + "cluster_my_epoch:0\r\n"
            + "cluster_stats_messages_sent:0\r\n"
            + "cluster_stats_messages_received:0\r\n"
            + "total_cluster_links_buffer_limit_exceeded:0\r\n"
        var writer = Writer(resp3: resp3)
        writer.text(text)
        return writer.bytes
    }

    // MARK: - Encoding

    private static func slots(id: String, host: String, port: UInt16, resp3: Bool) -> [UInt8] {
        var writer = Writer(resp3: resp3)
        writer.array(1)
        writer.array(3)
        writer.integer(0)
        writer.integer(HashSlot.count - 1)
        writer.array(4)
        writer.bulk(host)
        writer.integer(Int(port))
        writer.bulk(id)
        writer.map(0)  // networking metadata: none, as a Redis node preferring IPs without a hostname
        return writer.bytes
    }

    private static func shards(id: String, host: String, port: UInt16, resp3: Bool) -> [UInt8] {
        var writer = Writer(resp3: resp3)
        writer.array(1)
        writer.map(2)
        writer.bulk("slots")
        writer.array(2)
        writer.integer(0)
        writer.integer(HashSlot.count - 1)
        writer.bulk("nodes")
        writer.array(1)
        writer.map(7)
        writer.bulk("id")
        writer.bulk(id)
        writer.bulk("port")
        writer.integer(Int(port))
        writer.bulk("ip")
        writer.bulk(host)
        writer.bulk("endpoint")
        writer.bulk(host)
        writer.bulk("role")
        writer.bulk("master")
        writer.bulk("replication-offset")
        writer.integer(0)
        writer.bulk("health")
        writer.bulk("online")
        return writer.bytes
    }

    private static func nodes(id: String, host: String, port: UInt16, resp3: Bool) -> [UInt8] {
        let busPort = Int(port) + 10000 <= 65535 ? Int(port) + 10000 : 0
        var writer = Writer(resp3: resp3)
        writer.text("\(id) \(host):\(port)@\(busPort) myself,master - 0 0 0 connected 0-\(HashSlot.count - 1)\n")
        return writer.bytes
    }
}

/// The few RESP forms these replies need (RESPWriter has no verbatim strings).
private struct Writer {
    let resp3: Bool
    var bytes: [UInt8] = []

    init(resp3: Bool) {
        self.resp3 = resp3
    }

    mutating func array(_ count: Int) { line(UInt8(ascii: "*"), count) }

    /// `%n` in RESP3, a flat array of `2n` keys and values in RESP2.
    mutating func map(_ count: Int) { resp3 ? line(UInt8(ascii: "%"), count) : line(UInt8(ascii: "*"), 2 * count) }

    mutating func integer(_ value: Int) { line(UInt8(ascii: ":"), value) }

    mutating func bulk(_ text: String) {
        line(UInt8(ascii: "$"), text.utf8.count)
        bytes += text.utf8
        bytes += [0x0D, 0x0A]
    }

    /// A bulk string in RESP2, a `txt` verbatim string in RESP3, as Redis sends free text.
    mutating func text(_ text: String) {
        guard resp3 else { return bulk(text) }
        line(UInt8(ascii: "="), text.utf8.count + 4)
        bytes += "txt:".utf8
        bytes += text.utf8
        bytes += [0x0D, 0x0A]
    }

    private mutating func line(_ type: UInt8, _ value: Int) {
        bytes.append(type)
        bytes += String(value).utf8
        bytes += [0x0D, 0x0A]
    }
}

/// SHA-1 (FIPS 180-4), only to derive node ids once per address: not for security.
private enum SHA1 {
    static func hex(_ message: [UInt8]) -> String {
        var state: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var data = message
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) {
            data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        var words = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for index in 0..<16 {
                let at = chunk + 4 * index
                words[index] =
                    UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8
                    | UInt32(data[at + 3])
            }
            for index in 16..<80 {
                words[index] = rotate(words[index - 3] ^ words[index - 8] ^ words[index - 14] ^ words[index - 16], 1)
            }
            var (a, b, c, d, e) = (state[0], state[1], state[2], state[3], state[4])
            for index in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch index {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let next = rotate(a, 5) &+ f &+ e &+ k &+ words[index]
                (e, d, c, b, a) = (d, c, rotate(b, 30), a, next)
            }
            for (index, value) in [a, b, c, d, e].enumerated() { state[index] &+= value }
        }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for word in state {
            for shift in stride(from: 28, through: 0, by: -4) { text.append(digits[Int(word >> UInt32(shift) & 0xF)]) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        value << count | value >> (32 - count)
    }
}
