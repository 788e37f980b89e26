import RESP

/// Building a ``SlotMap`` from the replies of `CLUSTER SHARDS` (Redis 7.0+) and `CLUSTER SLOTS`
/// (every version, the fallback).
///
/// Both parsers are lenient about what may change between Redis versions and strict about what
/// routing needs: fields they do not know are skipped, optional ones may be missing (`hostname`,
/// `tls-port`, `health`, a node's id or metadata), values may come as RESP2 arrays or RESP3 maps,
/// numbers as integers or decimal strings. A reply without a usable port, slot or master for a
/// served slot range throws ``SlotMapError/malformed(_:)`` saying where; nothing here traps.
///
/// Where to connect, from the endpoint a reply gives (the `endpoint` field of `CLUSTER SHARDS`, the
/// first element of a node in `CLUSTER SLOTS`), following the Redis documentation of those commands:
/// - an address or hostname: that;
/// - empty or null (`cluster-preferred-endpoint-type unknown-endpoint`, or a node that does not
///   know its own IP yet): the host of `replyFrom`, the address the reply came from, with the
///   node's own port, as the documentation tells clients to do;
/// - `?` (the preferred type is `hostname` but the node announces none): its IP (`ip` field or
///   metadata) when known, else the host of `replyFrom`;
/// - no endpoint at all (a server that does not send one): its IP when known, else the host of
///   `replyFrom`.
///
/// `replyFrom` is `host:port` (`10.0.0.1:7000`, `::1:7000` or `[::1]:7000`); only its host is
/// used, as the port always comes from the reply. Text without a `:port` is taken as a host.
extension SlotMap {
    /// A map from the reply to `CLUSTER SHARDS`: each shard is a map (RESP3) or a flat array of
    /// field names and values (RESP2) with `slots` (pairs of first and last slot) and `nodes`;
    /// each node likewise, with `id`, `port`, `tls-port`, `ip`, `endpoint`, `hostname`, `role`,
    /// `replication-offset` and `health`.
    ///
    /// Every node is kept with its health; the shard's master is its node with role `master` (an
    /// online one if several claim it, the others kept among the replicas); when no node says its
    /// role, the first, which is where Redis writes the master. A shard with neither a master nor
    /// slots is skipped.
    /// - Parameter replyFrom: `host:port` of the node that sent the reply.
    public init(shardsReply reply: RESPValue, replyFrom: String) throws(SlotMapError) {
        let replyFrom = Topology.host(of: replyFrom)
        var shards: [Shard] = []
        for (position, element) in try Topology.elements(reply, "the CLUSTER SHARDS reply").enumerated() {
            let what = "shard \(position + 1)"
            var slots: [ClosedRange<UInt16>] = []
            var nodes: [(node: ClusterNode, saysRole: Bool)] = []
            for (name, value) in try Topology.fields(element, what) {
                switch name {
                case "slots":
                    slots = try Topology.slotPairs(value, "the slots of \(what)")
                case "nodes":
                    for (index, node) in try Topology.elements(value, "the nodes of \(what)").enumerated() {
                        nodes.append(try Topology.shardNode(node, "node \(index + 1) of \(what)", replyFrom: replyFrom))
                    }
                default:
                    continue
                }
            }
            let masterIndex =
                nodes.firstIndex { $0.node.role == .master && $0.node.health == .online }
                ?? nodes.firstIndex { $0.node.role == .master }
                ?? (nodes.first.map { !$0.saysRole } == true ? 0 : nil)
            guard let masterIndex else {
                guard slots.isEmpty else { throw .malformed("\(what) serves slots but has no master") }
                continue
            }
            var master = nodes[masterIndex].node
            master.role = .master
            let replicas = nodes.indices.filter { $0 != masterIndex }.map { nodes[$0].node }
            shards.append(Shard(master: master, replicas: replicas, slots: slots))
        }
        try self.init(masters: shards)
    }

    /// A map from the reply to `CLUSTER SLOTS`: one element per slot range, `[first, last, master,
    /// replica…]`, each node `[endpoint, port, id, metadata]` (the id since Redis 4.0, the metadata
    /// map with `ip` or `hostname` since 7.0; older shorter nodes are accepted).
    ///
    /// A master appears once per range it serves; its ranges are gathered into one shard (by id,
    /// or by address when the reply has no ids), in order of first appearance. Nodes are
    /// ``ClusterNode/Health/online``: this reply leaves failed replicas out and has no health.
    /// - Parameter replyFrom: `host:port` of the node that sent the reply.
    public init(slotsReply reply: RESPValue, replyFrom: String) throws(SlotMapError) {
        let replyFrom = Topology.host(of: replyFrom)
        var shards: [Shard] = []
        var shardOfMaster: [String: Int] = [:]
        for (position, element) in try Topology.elements(reply, "the CLUSTER SLOTS reply").enumerated() {
            let what = "slot range \(position + 1)"
            let parts = try Topology.elements(element, what)
            guard parts.count >= 3 else {
                throw .malformed("\(what) has \(parts.count) elements; expected first slot, last slot and a master")
            }
            let first = try Topology.slot(parts[0], "the first slot of \(what)")
            let last = try Topology.slot(parts[1], "the last slot of \(what)")
            guard first <= last else { throw .malformed("\(what) runs backwards: \(first)-\(last)") }
            let master = try Topology.slotsNode(parts[2], "the master of \(what)", role: .master, replyFrom: replyFrom)
            var replicas: [ClusterNode] = []
            for index in parts.indices.dropFirst(3) {
                let name = "replica \(index - 2) of \(what)"
                replicas.append(try Topology.slotsNode(parts[index], name, role: .replica, replyFrom: replyFrom))
            }
            let key = Topology.identity(master)
            if let index = shardOfMaster[key] {
                shards[index].slots = Shard.normalized(shards[index].slots + [first...last])
                let known = Set(shards[index].replicas.map(Topology.identity))
                shards[index].replicas += replicas.filter { !known.contains(Topology.identity($0)) }
            } else {
                shardOfMaster[key] = shards.count
                shards.append(Shard(master: master, replicas: replicas, slots: [first...last]))
            }
        }
        try self.init(masters: shards)
    }
}

/// The reading of reply values shared by both parsers; every failure names the part it was in.
private enum Topology {
    /// The elements of an array; an error reply becomes ``SlotMapError/serverError(_:)``.
    static func elements(_ value: RESPValue, _ what: String) throws(SlotMapError) -> [RESPValue] {
        switch value {
        case .array(let elements?), .set(let elements):
            return elements
        case .error(let text):
            throw .serverError(text)
        default:
            throw .malformed("\(what) is not an array: \(value)")
        }
    }

    /// Name/value pairs of a RESP3 map or a RESP2 flat array; names must be strings.
    static func fields(_ value: RESPValue, _ what: String) throws(SlotMapError) -> [(String, RESPValue)] {
        let pairs: [(RESPValue, RESPValue)]
        switch value {
        case .map(let entries):
            pairs = entries.map { ($0.key, $0.value) }
        case .array(let elements?):
            guard elements.count % 2 == 0 else {
                throw .malformed("\(what) has an odd number (\(elements.count)) of field names and values")
            }
            pairs = stride(from: 0, to: elements.count, by: 2).map { (elements[$0], elements[$0 + 1]) }
        default:
            throw .malformed("\(what) is neither a map nor an array of fields: \(value)")
        }
        var result: [(String, RESPValue)] = []
        result.reserveCapacity(pairs.count)
        for (name, field) in pairs {
            guard let text = Self.text(name) else {
                throw .malformed("\(what) has a field name that is not a string: \(name)")
            }
            result.append((text, field))
        }
        return result
    }

    /// A simple, bulk or verbatim string's text; `nil` for anything else (a null included).
    static func text(_ value: RESPValue) -> String? {
        value.isNull ? nil : value.stringValue
    }

    /// An integer, or a string of decimal digits (with an optional minus sign).
    static func integer(_ value: RESPValue, _ what: String) throws(SlotMapError) -> Int64 {
        switch value {
        case .integer(let number):
            return number
        case .simpleString, .bulkString(_?):
            if let text = Self.text(value), let number = Int64(text) { return number }
        default:
            break
        }
        throw .malformed("\(what) is not an integer: \(value)")
    }

    static func slot(_ value: RESPValue, _ what: String) throws(SlotMapError) -> UInt16 {
        let number = try integer(value, what)
        guard (0..<Int64(HashSlot.count)).contains(number) else {
            throw .malformed("\(what) is \(number), not a slot (0-16383)")
        }
        return UInt16(number)
    }

    static func port(_ value: RESPValue, _ what: String) throws(SlotMapError) -> UInt16 {
        let number = try integer(value, what)
        guard (1...65535).contains(number) else { throw .malformed("\(what) is \(number), not a TCP port") }
        return UInt16(number)
    }

    /// `CLUSTER SHARDS`' `slots`: a flat array of first and last slots.
    static func slotPairs(_ value: RESPValue, _ what: String) throws(SlotMapError) -> [ClosedRange<UInt16>] {
        let bounds = try elements(value, what)
        guard bounds.count % 2 == 0 else { throw .malformed("\(what) has an odd number (\(bounds.count)) of bounds") }
        var ranges: [ClosedRange<UInt16>] = []
        for index in stride(from: 0, to: bounds.count, by: 2) {
            let first = try slot(bounds[index], "slot bound \(index + 1) of \(what)")
            let last = try slot(bounds[index + 1], "slot bound \(index + 2) of \(what)")
            guard first <= last else { throw .malformed("\(what) has a range that runs backwards: \(first)-\(last)") }
            ranges.append(first...last)
        }
        return ranges
    }

    /// One node of `CLUSTER SHARDS`, and whether it said its role.
    static func shardNode(_ value: RESPValue, _ what: String, replyFrom: String) throws(SlotMapError)
        -> (node: ClusterNode, saysRole: Bool)
    {
        var id = ""
        var port: UInt16?
        var tlsPort: UInt16?
        var ip: String?
        var endpoint: String??
        var hostname: String?
        var role: ClusterNode.Role?
        var health = ClusterNode.Health.online
        for (name, field) in try fields(value, what) {
            switch name {
            case "id": id = text(field) ?? ""
            case "port": port = try self.port(field, "the port of \(what)")
            case "tls-port": tlsPort = try self.port(field, "the tls-port of \(what)")
            case "ip": ip = text(field)
            case "endpoint": endpoint = .some(text(field))
            case "hostname": hostname = text(field).flatMap { $0.isEmpty ? nil : $0 }
            case "role":
                switch text(field) {
                case "master"?: role = .master
                case "replica"?, "slave"?: role = .replica
                default: throw .malformed("the role of \(what) is neither master nor replica: \(field)")
                }
            case "health": health = text(field).map(ClusterNode.Health.init) ?? .online
            default: continue
            }
        }
        // A TLS-only node has no `port`; its `tls-port` is then the only way in.
        guard let port = port ?? tlsPort else { throw .malformed("\(what) has no port") }
        let host = resolve(endpoint: endpoint, ip: ip, replyFrom: replyFrom)
        let node = ClusterNode(
            id: id, host: host, port: port, role: role ?? .replica, health: health, hostname: hostname)
        return (node, role != nil)
    }

    /// One node of `CLUSTER SLOTS`: `[endpoint, port, id?, metadata?]`.
    static func slotsNode(_ value: RESPValue, _ what: String, role: ClusterNode.Role, replyFrom: String)
        throws(SlotMapError) -> ClusterNode
    {
        let parts = try elements(value, what)
        guard parts.count >= 2 else {
            throw .malformed("\(what) has \(parts.count) elements; expected an endpoint and a port")
        }
        let port = try self.port(parts[1], "the port of \(what)")
        let id = parts.count > 2 ? text(parts[2]) ?? "" : ""
        var ip: String?
        var hostname: String?
        if parts.count > 3 {
            for (name, field) in try fields(parts[3], "the metadata of \(what)") {
                switch name {
                case "ip": ip = text(field)
                case "hostname": hostname = text(field).flatMap { $0.isEmpty ? nil : $0 }
                default: continue
                }
            }
        }
        let host = resolve(endpoint: .some(text(parts[0])), ip: ip, replyFrom: replyFrom)
        return ClusterNode(id: id, host: host, port: port, role: role, hostname: hostname)
    }

    /// The host to connect to (see the rules on the ``SlotMap`` parsing extension). `endpoint` is
    /// `nil` when the reply has no endpoint, `.some(nil)` when it is null.
    static func resolve(endpoint: String??, ip: String?, replyFrom: String) -> String {
        let knownIP = ip.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 }
        switch endpoint {
        case .none:
            return knownIP ?? replyFrom
        case .some(.none), .some(""):
            return replyFrom
        case .some("?"):
            return knownIP ?? replyFrom
        case .some(.some(let host)):
            return host
        }
    }

    /// The host of `host:port`: the text before the last colon when digits follow it, brackets
    /// removed (`[::1]:7000`); the whole text when it has no port.
    static func host(of address: String) -> String {
        var host = Substring(address)
        if let colon = address.lastIndex(of: ":") {
            let port = address.utf8[address.utf8.index(after: colon)...]
            if !port.isEmpty && port.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                host = address[..<colon]
            }
        }
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 {
            host = host.dropFirst().dropLast()
        }
        return String(host)
    }

    /// What identifies a master across the ranges of `CLUSTER SLOTS`.
    static func identity(_ node: ClusterNode) -> String {
        node.id.isEmpty ? node.address : node.id
    }
}
