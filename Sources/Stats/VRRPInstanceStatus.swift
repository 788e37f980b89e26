/// One VRRP instance as the stats page shows it. The VRRP speaker fills these (through
/// ``VRRPAdmin/vrrpStatus()``); Stats only reads them.
public struct VRRPInstanceStatus: Sendable, Equatable {
    /// RFC 9568's states, plus FAULT for an instance that cannot run (interface down, socket error).
    public enum State: String, Sendable, Equatable, CaseIterable {
        case initialize = "INIT"
        case backup = "BACKUP"
        case master = "MASTER"
        case fault = "FAULT"
    }

    /// `vrrp[].name` from the configuration.
    public var name: String
    public var interface: String
    public var vrid: Int
    public var state: State
    /// `vrrp[].priority` as configured.
    public var configuredPriority: Int
    /// What is advertised now: tracking weights and a step-down applied.
    public var effectivePriority: Int
    /// True while an operator's "step down" lowers the effective priority.
    public var steppedDown: Bool
    /// `10.0.0.123/24`.
    public var virtualIPs: [String]
    /// The primary address of the current master, when known (this host's while MASTER).
    public var masterAddress: String?
    public var advertsSent: UInt64
    public var advertsReceived: UInt64
    /// Received packets dropped, by reason (`ttl`, `version`, `checksum`, `vrid`, `length`, ...).
    public var drops: [String: UInt64]
    /// Adverts whose address count or interval differs from ours (a split-brain risk).
    public var mismatches: UInt64
    /// When the state last changed (MonotonicClock ns, like ``Proxy/BackendStatus/lastChange``).
    public var lastTransition: UInt64?
    /// Why: `master down timer expired`, `higher priority advert from 10.0.0.2`, ...
    public var lastTransitionReason: String?

    public init(name: String, interface: String, vrid: Int, state: State, configuredPriority: Int,
                effectivePriority: Int, steppedDown: Bool = false, virtualIPs: [String], masterAddress: String? = nil,
                advertsSent: UInt64 = 0, advertsReceived: UInt64 = 0, drops: [String: UInt64] = [:],
                mismatches: UInt64 = 0, lastTransition: UInt64? = nil, lastTransitionReason: String? = nil) {
        self.name = name
        self.interface = interface
        self.vrid = vrid
        self.state = state
        self.configuredPriority = configuredPriority
        self.effectivePriority = effectivePriority
        self.steppedDown = steppedDown
        self.virtualIPs = virtualIPs
        self.masterAddress = masterAddress
        self.advertsSent = advertsSent
        self.advertsReceived = advertsReceived
        self.drops = drops
        self.mismatches = mismatches
        self.lastTransition = lastTransition
        self.lastTransitionReason = lastTransitionReason
    }

    /// Total dropped packets over all reasons.
    public var dropsTotal: UInt64 { drops.values.reduce(0, +) }
}
