/// What a ``VRRPStateMachine`` asks the speaker to do, in order.
///
/// On a transition the state change comes first (so the log line precedes its effects), then the
/// effects in the order keepalived performs them: when becoming master the advertisement goes
/// out before the addresses are added and announced, so the old master drops the VIP before our
/// gratuitous ARPs arrive.
public enum VRRPAction: Sendable, Hashable, CustomStringConvertible {
    /// Send one advertisement with this priority (the effective priority, or 0 when resigning);
    /// ``VRRPStateMachine/advertisement(priority:)`` builds the packet.
    case sendAdvertisement(priority: UInt8)
    /// The instance entered Master.
    case becomeMaster(VRRPTransitionReason)
    /// The instance entered Backup.
    case becomeBackup(VRRPTransitionReason)
    /// The instance went back to Initialize (shut down).
    case stop(VRRPTransitionReason)
    /// Add the virtual addresses to the interface.
    case addVirtualAddresses
    /// Remove the virtual addresses (also at startup, to clear a stale VIP left by a crash).
    case removeVirtualAddresses
    /// Announce the virtual addresses with gratuitous ARP; count, repeat and refresh are the
    /// speaker's (`garp:` in the configuration).
    case sendGratuitousARP
    /// One more burst of gratuitous ARPs (`garp.count`, no repeat) while staying master: the
    /// router at this address also acted as master (it advertises a lower priority, or resigns
    /// with priority 0: a healed split brain), and hosts whose ARP caches its gratuitous ARPs
    /// pointed at it must come back to us.
    case refreshGratuitousARP(claimedBy: IPv4Address)

    public var description: String {
        switch self {
        case .sendAdvertisement(let priority): "send advertisement (priority \(priority))"
        case .becomeMaster(let reason): "become MASTER: \(reason)"
        case .becomeBackup(let reason): "become BACKUP: \(reason)"
        case .stop(let reason): "stop: \(reason)"
        case .addVirtualAddresses: "add virtual addresses"
        case .removeVirtualAddresses: "remove virtual addresses"
        case .sendGratuitousARP: "send gratuitous ARP"
        case .refreshGratuitousARP(let other): "send gratuitous ARP again: \(other) acted as master too"
        }
    }
}
