/// A VRRP advertisement, version 2 (RFC 3768 §5) or version 3 (RFC 9568 §5.2), IPv4 only.
///
/// ```
/// v2:  | 2 | 1 | VRID | Priority | Count IPvX |  Auth Type | Adver Int (s) | Checksum |
/// v3:  | 3 | 1 | VRID | Priority | Count IPvX | rsvd(4) | Max Adver Int (cs, 12) | Checksum |
///      | IPv4 address 1 … n |   (v2 only:) | Authentication Data (8 bytes) |
/// ```
///
/// The value keeps every field it was decoded from (reserved bits, v2 authentication data), so
/// encoding a decoded packet reproduces its bytes. The encoder and decoder are in
/// `VRRPPacket+Codec.swift`.
public struct VRRPPacket: Sendable, Hashable {
    /// The protocol version in the high nibble of the first byte.
    public enum Version: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case v2 = 2
        case v3 = 3
        public var description: String { "VRRPv\(rawValue)" }
    }

    /// The only packet type VRRP defines.
    public static let advertisementType: UInt8 = 1
    /// Version/type, VRID, priority, count, and the 4 bytes before the addresses.
    public static let fixedHeaderLength = 8
    /// VRRPv2's trailing authentication data (RFC 3768 §5.3.10; all zero without authentication).
    public static let authenticationDataLength = 8
    /// The priority of a master that is resigning (RFC 9568 §6.1).
    public static let stopPriority: UInt8 = 0
    /// The priority of the address owner, which is master whenever it is up.
    public static let ownerPriority: UInt8 = 255

    public var version: Version
    /// Virtual router identifier, 1…255 in practice.
    public var vrid: UInt8
    public var priority: UInt8
    /// The advertisement interval in the unit of the version: whole seconds (8 bits) for v2,
    /// centiseconds (12 bits) for v3. ``advertIntervalNanoseconds`` gives it in one unit.
    public var advertInterval: UInt16
    /// The virtual addresses; the count byte on the wire is `addresses.count`.
    public var addresses: [IPv4Address]
    /// VRRPv2 authentication type: 0 none, 1 simple text password (RFC 2338; removed from RFC
    /// 3768 but still sent by keepalived's `auth_type PASS`), 2 IP AH. Zero in v3.
    public var authType: UInt8
    /// VRRPv2 authentication data, 8 bytes. Empty in v3.
    public var authData: [UInt8]
    /// VRRPv3's 4 reserved bits before the interval, kept so a decoded packet re-encodes exactly.
    public var reserved: UInt8
    /// The checksum as received; encoding always computes a fresh one.
    public var checksum: UInt16

    public init(
        version: Version, vrid: UInt8, priority: UInt8, advertInterval: UInt16, addresses: [IPv4Address],
        authType: UInt8 = 0, authData: [UInt8]? = nil, reserved: UInt8 = 0, checksum: UInt16 = 0
    ) {
        self.version = version
        self.vrid = vrid
        self.priority = priority
        self.advertInterval = advertInterval
        self.addresses = addresses
        self.authType = version == .v2 ? authType : 0
        self.authData = version == .v2 ? (authData ?? Array(repeating: 0, count: Self.authenticationDataLength)) : []
        self.reserved = version == .v3 ? reserved & 0x0F : 0
        self.checksum = checksum
    }

    /// The interval in nanoseconds, the unit of ``VRRPStateMachine``.
    public var advertIntervalNanoseconds: UInt64 {
        switch version {
        case .v2: UInt64(advertInterval) * 1_000_000_000
        case .v3: UInt64(advertInterval & 0x0FFF) * 10_000_000
        }
    }

    /// The wire value of an interval given in nanoseconds: whole seconds for v2 (1…255), whole
    /// centiseconds for v3 (1…4095); out-of-range values are clamped (the loader has already
    /// refused them).
    public static func advertIntervalField(nanoseconds: UInt64, version: Version) -> UInt16 {
        switch version {
        case .v2: UInt16(clamping: min(255, max(1, nanoseconds / 1_000_000_000)))
        case .v3: UInt16(clamping: min(4095, max(1, nanoseconds / 10_000_000)))
        }
    }

    /// The length of the VRRP message (without the IP header).
    public var length: Int {
        Self.fixedHeaderLength + 4 * addresses.count + (version == .v2 ? Self.authenticationDataLength : 0)
    }
}
