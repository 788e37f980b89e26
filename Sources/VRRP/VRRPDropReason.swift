/// Why a received VRRP packet was discarded, for logs, counters and the stats page.
///
/// The first group is found by ``VRRPPacket/decode(ipPacket:acceptAnyTTL:)`` from the bytes alone
/// (RFC 9568 §7.1, RFC 3768 §7.1); the second needs the receiving instance and is found by
/// ``VRRPAdvertisementFilter``. The raw values are stable identifiers (metric labels, JSON keys).
public enum VRRPDropReason: String, Error, CaseIterable, Sendable, CustomStringConvertible {
    // Packet-level checks.
    /// Not a well-formed, unfragmented IPv4 header.
    case ipHeader = "ip_header"
    /// IP protocol is not 112.
    case ipProtocol = "ip_protocol"
    /// IP TTL is not 255: the sender is not on this link, or something routed the packet.
    case ttl
    /// VRRP version is neither 2 nor 3.
    case version
    /// VRRP type is not 1 (advertisement).
    case type
    /// Shorter than the headers, or the length does not match the address count.
    case length
    /// The VRRP checksum does not verify (v3: over the pseudo-header with the real destination).
    case checksum
    /// A CARP advertisement (OpenBSD/FreeBSD, also protocol 112 and "version 2 type 1"), not VRRP.
    case carp

    // Instance-level checks.
    /// No instance on this interface uses the packet's VRID.
    case unknownVRID = "unknown_vrid"
    /// The VRID is ours but the packet's version is not (v2 packet to a v3 instance or back).
    case versionMismatch = "version_mismatch"
    /// In unicast mode, the source is not one of the configured peers.
    case notAPeer = "not_a_peer"
    /// Our own advertisement looped back to us.
    case ownAddress = "own_address"
    /// VRRPv2: the authentication type (or the simple-text password) differs from ours.
    case authMismatch = "auth_mismatch"
    /// VRRPv2: the advertisement interval differs from ours. RFC 3768 §7.1 says MUST drop, and
    /// keepalived drops too ("advertisement interval mismatch"); VRRPv3 adopts it instead.
    case intervalMismatch = "interval_mismatch"

    /// A short English phrase for logs.
    public var description: String {
        switch self {
        case .ipHeader: "malformed IPv4 header"
        case .ipProtocol: "IP protocol is not VRRP (112)"
        case .ttl: "IP TTL is not 255"
        case .version: "VRRP version is not 2 or 3"
        case .type: "VRRP type is not 1 (advertisement)"
        case .length: "truncated or length does not match the address count"
        case .checksum: "bad VRRP checksum"
        case .carp: "CARP advertisement, not VRRP"
        case .unknownVRID: "no instance with this VRID"
        case .versionMismatch: "VRRP version differs from the instance's"
        case .notAPeer: "source is not a configured unicast peer"
        case .ownAddress: "our own advertisement"
        case .authMismatch: "VRRPv2 authentication mismatch"
        case .intervalMismatch: "VRRPv2 advertisement interval mismatch"
        }
    }
}
