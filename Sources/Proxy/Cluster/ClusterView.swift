import Cluster

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
}
