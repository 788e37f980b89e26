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

    /// True when at least one server takes new connections (for `/health` and VRRP tracking).
    public var hasRoutableBackend: Bool { backends.contains { $0.status.routable } }
}
