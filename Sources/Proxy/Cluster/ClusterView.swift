import Cluster
import Config
import RESP

/// What the control side learned about the cluster, posted to every data-plane loop: the slot map
/// (from `CLUSTER SHARDS`, or `CLUSTER SLOTS`), the router built from the servers' own `COMMAND`
/// table, and their version (for `HELLO`).
struct ClusterView: Sendable {
    var slotMap: SlotMap
    var router: Router
    var serverVersion: [UInt8]
    /// When the slot map was read (MonotonicClock ns).
    var refreshedAt: UInt64
}

/// Cluster mode's settings for a data-plane loop.
struct ClusterSettings: Sendable {
    var timeouts: IdlePolicy
    var authenticator: ClientAuthenticator
    /// Replies a client may have pending before Ferry stops reading its requests (backpressure).
    var maxPendingReplies = 1024
    /// Bytes of replies a client may leave unread before Ferry stops reading its requests.
    var maxUnreadReplyBytes = 4 << 20
    /// Bytes a loop's buffers may hold before clients with replies outstanding stop being read
    /// (each one request at a time then): 10,000 clients pipelining without reading must not
    /// hold 10,000 × the limits above (bench/cluster-flood).
    var maxBufferedBytes = 32 << 20
    /// Redirections (MOVED, ASK) and TRYAGAIN retries followed for one request.
    var maxHops: UInt8 = 5
    /// `cluster.hold` (ns): how long a request waits for its slot's master to be back or replaced.
    var hold: UInt64 = 2_000_000_000
    /// `cluster.connections_per_server`.
    var connectionsPerServer = 1
    /// `backends.auth`: what Ferry's links authenticate as.
    var credentials: Credentials?

    /// What a new link sends first: `HELLO 3` for RESP3 links, `AUTH` when credentials are
    /// configured, and `CLIENT SETNAME ferry` so that operators can tell Ferry's links apart in
    /// `CLIENT LIST`. Their replies are checked and dropped.
    func handshake(resp3: Bool) -> [[UInt8]] {
        var commands: [[UInt8]] = []
        if let credentials {
            commands.append(RESPCommand.encode(["AUTH"] + (credentials.username.map { [$0] } ?? []) + [credentials.password]))
        }
        if resp3 { commands.append(RESPCommand.encode(["HELLO", "3"])) }
        commands.append(RESPCommand.encode(["CLIENT", "SETNAME", Self.linkName]))
        return commands
    }

    /// The name of Ferry's links in `CLIENT LIST`.
    static let linkName = "ferry"
}

extension SlotMapSummary {
    /// The stats page's view of a slot map.
    init(_ view: ClusterView) {
        let map = view.slotMap
        ranges = map.ranges.map { range in
            Range(first: Int(range.slots.lowerBound), last: Int(range.slots.upperBound),
                  master: "\(map.masters[range.shard].master.host):\(map.masters[range.shard].master.port)")
        }
        coveredSlots = map.coveredSlots
        readAt = view.refreshedAt
    }
}
