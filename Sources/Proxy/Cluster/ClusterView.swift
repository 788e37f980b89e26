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
    /// Redirections (MOVED, ASK) and TRYAGAIN retries followed for one request.
    var maxHops: UInt8 = 5
    /// `backends.auth`: what Ferry's links authenticate as.
    var credentials: Credentials?

    /// What a new link sends first: `HELLO 3` for RESP3 links, with `AUTH` when credentials are
    /// configured (`AUTH` alone on RESP2 links, which also works before Redis 6).
    func handshake(resp3: Bool) -> [UInt8] {
        var arguments: [String] = []
        if resp3 { arguments = ["HELLO", "3"] }
        if let credentials {
            let user = credentials.username.map { [$0] } ?? (resp3 ? ["default"] : [])
            arguments += ["AUTH"] + user + [credentials.password]
        }
        return arguments.isEmpty ? [] : RESPCommand.encode(arguments)
    }
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
