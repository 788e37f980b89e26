/// One consistent-enough picture of the proxy for the stats page, tests and logs.
public struct ProxySnapshot: Sendable, Equatable {
    /// One server's health and traffic.
    public struct Backend: Sendable, Equatable {
        public var status: BackendStatus
        public var counters: BackendCounters
    }

    public var sessionsCurrent: Int
    public var sessionsMax: Int
    public var sessionsLimit: Int
    public var frontend: FrontendCounters
    public var backends: [Backend]
    /// Relay blocks (64 KiB each) held for slow receivers across all loops.
    public var pendingBlocks: Int
    /// cluster mode: the masters' traffic (`host:port` → counters) and the slot map in use;
    /// empty and nil in tcp mode.
    public var masters: [String: MasterCounters] = [:]
    /// `proxy.mode: cluster` (even before the first slot map or command).
    public var clusterMode = false
    public var slotMap: SlotMapSummary?

    /// True when at least one server takes new connections (for `/health` and VRRP tracking).
    public var hasRoutableBackend: Bool { backends.contains { $0.status.routable } }
}

/// The slot map cluster mode routes by, for the stats page: contiguous ranges and their master.
public struct SlotMapSummary: Sendable, Equatable {
    public struct Range: Sendable, Equatable {
        public var first: Int
        public var last: Int
        public var master: String
    }

    public var ranges: [Range]
    public var coveredSlots: Int
    /// Seconds since the map was read from the cluster, when the snapshot was taken.
    public var ageSeconds: Double = 0
    /// When it was read (MonotonicClock ns).
    var readAt: UInt64 = 0
}
