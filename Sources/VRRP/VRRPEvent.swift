/// What can happen to a ``VRRPStateMachine``; each is handled with an explicit `now`.
public enum VRRPEvent: Sendable, Hashable {
    /// The instance starts (RFC 9568 §6.4.1 Startup event): Master if the address owner, else Backup.
    case startup
    /// The instance stops (Shutdown event): a master resigns with one priority-0 advertisement.
    case shutdown
    /// An advertisement that passed ``VRRPPacket/decode(ipPacket:acceptAnyTTL:)`` and
    /// ``VRRPAdvertisementFilter``; `source` is the IP source, the sender's primary address.
    case advertisementReceived(VRRPPacket, source: IPv4Address)
    /// The loop timer armed for ``VRRPStateMachine/nextDeadline`` fired. Early or stale firings
    /// (now < deadline) are ignored, so the speaker need not cancel timers precisely.
    case timerExpired
    /// The priority to advertise and compare with changed (backend tracking weight, an operator's
    /// step-down). Clamped to 1…254, or 255 for an instance configured as the owner.
    case setEffectivePriority(UInt8)
}
