/// Statistics of one VRRP instance, kept by its ``VRRPStateMachine`` and published with it.
///
/// Drops and mismatches are found outside the machine (decoder, filter); the speaker records them
/// with ``VRRPStateMachine/recordDrop(_:)`` and ``VRRPStateMachine/recordMismatch(_:)`` so one
/// value holds everything the stats page shows.
public struct VRRPCounters: Sendable, Hashable {
    /// Advertisements the machine asked to send, priority-0 ones included.
    public var advertisementsSent: UInt64 = 0
    /// Advertisements delivered to the machine (those that passed every check).
    public var advertisementsReceived: UInt64 = 0
    public var priorityZeroSent: UInt64 = 0
    public var priorityZeroReceived: UInt64 = 0
    /// Transitions into Master.
    public var becameMaster: UInt64 = 0
    /// Transitions out of Master (to Backup or, on shutdown, to Initialize).
    public var releasedMaster: UInt64 = 0
    /// The most recent state change.
    public var lastTransition: VRRPTransition?
    /// The master as last seen: ourselves while master, else the sender of the last
    /// advertisement accepted or ignored; `nil` before any, or after the master resigned.
    public var currentMaster: VRRPMasterObservation?
    /// Packets dropped, by reason.
    public var drops: [VRRPDropReason: UInt64] = [:]
    /// Advertisements accepted despite a different address list (logged, not dropped).
    public var addressListMismatches: UInt64 = 0
    /// Advertisements with a different interval (v3: adopted; v2: also counted in `drops`).
    public var intervalMismatches: UInt64 = 0
    /// The latest mismatch, to show on the stats page until it is fixed.
    public var lastMismatch: VRRPMismatch?

    public init() {}

    /// All drops, whatever the reason.
    public var totalDrops: UInt64 { drops.values.reduce(0, +) }
}

/// One state change with its time (the machine's clock, nanoseconds) and reason.
public struct VRRPTransition: Sendable, Hashable, CustomStringConvertible {
    public var at: UInt64
    public var from: VRRPStateMachine.State
    public var to: VRRPStateMachine.State
    public var reason: VRRPTransitionReason

    public init(at: UInt64, from: VRRPStateMachine.State, to: VRRPStateMachine.State, reason: VRRPTransitionReason) {
        self.at = at
        self.from = from
        self.to = to
        self.reason = reason
    }

    public var description: String { "\(from) → \(to): \(reason)" }
}

/// Who is master, as far as one instance can tell.
public struct VRRPMasterObservation: Sendable, Hashable {
    public var address: IPv4Address
    public var priority: UInt8
    /// The interval it advertises, in nanoseconds.
    public var advertInterval: UInt64
    /// When it was last heard (or, for ourselves, when we last advertised).
    public var lastSeen: UInt64
    /// True when this is the local instance.
    public var isLocal: Bool

    public init(address: IPv4Address, priority: UInt8, advertInterval: UInt64, lastSeen: UInt64, isLocal: Bool) {
        self.address = address
        self.priority = priority
        self.advertInterval = advertInterval
        self.lastSeen = lastSeen
        self.isLocal = isLocal
    }
}
