/// The receive checks of RFC 9568 §7.1 / RFC 3768 §7.1 that need the instance: whose packet it
/// is, whether it is for us, and what about it differs from our configuration.
///
/// Pure: the speaker calls ``check(_:source:)`` after ``VRRPPacket/decode(ipPacket:acceptAnyTTL:)``
/// and before delivering ``VRRPEvent/advertisementReceived(_:source:)``.
///
/// Decisions (RFC text vs keepalived 2.2, which Ferry must interoperate with):
/// - **Address list / count mismatch: accepted and reported.** The RFCs make the check a MAY;
///   keepalived drops such packets. Dropping can only make things worse for us: a backup that
///   ignores a live master becomes a second master (split brain), while accepting lets the
///   election work and the mismatch is still logged loudly and counted.
/// - **v2 interval mismatch: dropped** (``VRRPDropReason/intervalMismatch``), as RFC 3768 §7.1
///   requires ("MUST drop") and keepalived does. Accepting adverts at another interval would let
///   our Master_Down_Interval disagree with the sender's rate, and both sides behaving the same
///   way keeps the failure symmetric and visible in both daemons' logs. Also reported as a
///   mismatch so it reaches the stats page.
/// - **v3 interval difference: accepted** (a backup adopts the master's interval, §6.4.2) and
///   reported as a mismatch.
/// - **Owner receiving adverts:** RFC 9568 says the address owner discards them; we deliver them
///   and let the state machine discard lower priorities, so two misconfigured owners still elect
///   one master by address instead of both staying master.
public struct VRRPAdvertisementFilter: Sendable, Hashable {
    public var vrid: UInt8
    public var version: VRRPPacket.Version
    /// Our Advertisement_Interval in nanoseconds.
    public var advertInterval: UInt64
    public var virtualAddresses: [IPv4Address]
    /// Empty for multicast; otherwise only these sources are accepted.
    public var unicastPeers: [IPv4Address]
    /// Our addresses on the interface: a packet from one of them is our own, looped back.
    public var localAddresses: Set<IPv4Address>
    /// VRRPv2 authentication we expect: type 0 (none) unless configured; for type 1 (simple
    /// text password) the 8 bytes of data must match too.
    public var authType: UInt8
    public var authData: [UInt8]

    public init(
        vrid: UInt8, version: VRRPPacket.Version, advertInterval: UInt64, virtualAddresses: [IPv4Address],
        unicastPeers: [IPv4Address] = [], localAddresses: Set<IPv4Address>, authType: UInt8 = 0, authData: [UInt8] = []
    ) {
        self.vrid = vrid
        self.version = version
        self.advertInterval = advertInterval
        self.virtualAddresses = virtualAddresses
        self.unicastPeers = unicastPeers
        self.localAddresses = localAddresses
        self.authType = authType
        self.authData = Array((authData + Array(repeating: 0, count: VRRPPacket.authenticationDataLength)).prefix(8))
    }

    /// The filter matching a state machine's configuration.
    public init(configuration: VRRPStateMachine.Configuration, unicastPeers: [IPv4Address] = [], localAddresses: Set<IPv4Address>) {
        self.init(
            vrid: configuration.vrid, version: configuration.version, advertInterval: configuration.advertInterval,
            virtualAddresses: configuration.virtualAddresses, unicastPeers: unicastPeers,
            localAddresses: localAddresses.union([configuration.primaryAddress])
        )
    }

    /// What to do with an advertisement.
    public enum Verdict: Sendable, Hashable {
        /// Deliver it to the state machine; log and count the mismatches.
        case accept(mismatches: [VRRPMismatch])
        /// Discard and count it. `mismatch` is set for a v2 interval mismatch, to log loudly.
        case drop(VRRPDropReason, mismatch: VRRPMismatch? = nil)
    }

    /// Checks in this order: our own packet, unicast peer, VRID, version, v2 authentication,
    /// v2 interval; then compares the address list and (v3) interval.
    public func check(_ packet: VRRPPacket, source: IPv4Address) -> Verdict {
        if localAddresses.contains(source) { return .drop(.ownAddress) }
        if !unicastPeers.isEmpty, !unicastPeers.contains(source) { return .drop(.notAPeer) }
        guard packet.vrid == vrid else { return .drop(.unknownVRID) }
        guard packet.version == version else { return .drop(.versionMismatch) }

        var mismatches: [VRRPMismatch] = []
        let theirInterval = packet.advertIntervalNanoseconds
        if theirInterval != advertInterval {
            mismatches.append(.advertInterval(ours: advertInterval, theirs: theirInterval, from: source))
        }
        if version == .v2 {
            // RFC 3768 §7.1: the auth type must match; type 1 (RFC 2338's simple text password,
            // keepalived's `auth_type PASS`) compares the data as well.
            guard packet.authType == authType, authType != 1 || packet.authData == authData else {
                return .drop(.authMismatch)
            }
            if let mismatch = mismatches.first { return .drop(.intervalMismatch, mismatch: mismatch) }
        }
        if packet.addresses.sorted() != virtualAddresses.sorted() {
            mismatches.insert(.addressList(ours: virtualAddresses, theirs: packet.addresses, from: source), at: 0)
        }
        return .accept(mismatches: mismatches)
    }
}
