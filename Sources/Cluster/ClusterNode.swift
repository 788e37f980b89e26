/// One node of a Redis Cluster, as `CLUSTER SHARDS` or `CLUSTER SLOTS` describes it.
public struct ClusterNode: Sendable, Equatable, Hashable {
    /// Whether the node serves its shard's slots or replicates them.
    public enum Role: Sendable, Equatable, Hashable {
        /// Serves the shard's slots.
        case master
        /// Redis says `replica` in `CLUSTER SHARDS` and `slave` in `CLUSTER NODES`; both mean this.
        case replica
    }

    /// The node's health as `CLUSTER SHARDS` reports it.
    ///
    /// `CLUSTER SLOTS` has no health field; it leaves failed replicas out altogether, so every node
    /// read from it is ``online``.
    public enum Health: Sendable, Equatable, Hashable {
        /// Serving: `online`.
        case online
        /// Marked as failed by the cluster: redis-server 7.0 writes `fail`, its documentation says
        /// `failed`; both are read as this.
        case failed
        /// A replica still loading its data set from its master: `loading`.
        case loading
        /// A value this version does not know, kept verbatim for the stats page.
        case other(String)

        /// Reads the `health` field of `CLUSTER SHARDS`.
        public init(_ text: String) {
            switch text {
            case "online": self = .online
            case "fail", "failed": self = .failed
            case "loading": self = .loading
            default: self = .other(text)
            }
        }

        /// The text Redis writes for it (`fail` for ``failed``, as redis-server 7.0 does).
        public var text: String {
            switch self {
            case .online: return "online"
            case .failed: return "fail"
            case .loading: return "loading"
            case .other(let text): return text
            }
        }
    }

    /// The node's 40-hex-digit name; empty when the reply had none (`CLUSTER SLOTS` before Redis 4.0).
    public var id: String
    /// Where to connect: the address the cluster advertises (IP or hostname, IPv6 without brackets),
    /// or the address the reply came from when the node's own endpoint is unknown.
    public var host: String
    /// The port to connect to.
    public var port: UInt16
    /// Master or replica.
    public var role: Role
    /// Health; ``Health/online`` when the reply does not say.
    public var health: Health
    /// The hostname the node announces (`cluster-announce-hostname`), when the reply carries one,
    /// whichever endpoint type the cluster prefers: for logs and the stats page.
    public var hostname: String?

    /// A node; `health` defaults to online and `hostname` to none.
    public init(id: String, host: String, port: UInt16, role: Role, health: Health = .online, hostname: String? = nil) {
        self.id = id
        self.host = host
        self.port = port
        self.role = role
        self.health = health
        self.hostname = hostname
    }

    /// `host:port`, an IPv6 host in brackets (`[::1]:7000`), for logs and the stats page.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
