/// What the health checks know about one server, as published for the stats page.
public struct BackendStatus: Sendable, Equatable {
    public var address: String
    public var status: ServerHealth.Status
    /// HAProxy's wording: "UP", "DOWN", "UP, going down 1/3", "DOWN, going up 1/2".
    public var statusDescription: String
    public var role: RedisRole?
    /// In rotation for new connections right now (healthy, right role, and READY).
    public var routable: Bool
    /// The operator's override (READY, DRAIN, MAINT).
    public var adminState: AdminState = .ready
    public var lastCheck: CheckResult?
    public var checksFailed: UInt64 = 0
    /// UP → DOWN transitions.
    public var downTransitions: Int = 0
    /// When the status or routability last changed (MonotonicClock ns).
    public var lastChange: UInt64
    /// Time spent DOWN before the current DOWN period (add `now - lastChange` while DOWN).
    public var downtimeBeforeCurrent: Duration = .zero

    public init(address: String, status: ServerHealth.Status, statusDescription: String, role: RedisRole?,
                routable: Bool, lastCheck: CheckResult?, lastChange: UInt64) {
        self.address = address
        self.status = status
        self.statusDescription = statusDescription
        self.role = role
        self.routable = routable
        self.lastCheck = lastCheck
        self.lastChange = lastChange
    }
}
