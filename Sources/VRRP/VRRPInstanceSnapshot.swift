/// One VRRP instance as published for the stats page and tests.
public struct VRRPInstanceSnapshot: Sendable, Equatable {
    public var name: String
    public var interface: String
    public var vrid: Int
    /// INIT / BACKUP / MASTER, or nil while the instance is in FAULT.
    public var state: VRRPStateMachine.State?
    /// Why the instance cannot run (interface missing, no privilege), when in FAULT.
    public var fault: String?
    public var configuredPriority: Int
    public var effectivePriority: Int
    /// An operator's step-down is in force.
    public var steppedDown: Bool
    /// The proxy has no routable backend and `track_backends_weight` applies.
    public var trackingDown: Bool
    public var virtualIPs: [String]
    public var counters: VRRPCounters

    public init(name: String, interface: String, vrid: Int, state: VRRPStateMachine.State?, fault: String?,
                configuredPriority: Int, effectivePriority: Int, steppedDown: Bool, trackingDown: Bool,
                virtualIPs: [String], counters: VRRPCounters) {
        self.name = name
        self.interface = interface
        self.vrid = vrid
        self.state = state
        self.fault = fault
        self.configuredPriority = configuredPriority
        self.effectivePriority = effectivePriority
        self.steppedDown = steppedDown
        self.trackingDown = trackingDown
        self.virtualIPs = virtualIPs
        self.counters = counters
    }
}
