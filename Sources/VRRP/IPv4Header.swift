/// An IPv4 header (RFC 791), parsed from received packets and built for crafted ones.
///
/// Raw `IPPROTO_VRRP` sockets on Linux deliver the whole IP packet with the header fields in
/// network order, and captures carry it after the link header; both go through ``parse(_:)``.
/// ``encode()`` builds a header with its checksum for tests and for a sender that uses
/// `IP_HDRINCL`.
public struct IPv4Header: Sendable, Hashable {
    /// IP protocol number of VRRP, also used by CARP (which is how the two get confused).
    public static let vrrpProtocol: UInt8 = 112
    /// The only TTL a VRRP packet may arrive with: it proves the sender is on the link (§7.1).
    public static let vrrpTTL: UInt8 = 255
    /// DSCP CS6 "network control", what keepalived and most routers mark VRRP with.
    public static let networkControlTOS: UInt8 = 0xC0
    /// The length of a header without options.
    public static let minimumLength = 20

    public var version: UInt8 = 4
    public var typeOfService: UInt8
    /// The whole packet (header and payload) in bytes, as carried in the header.
    public var totalLength: UInt16
    public var identification: UInt16
    /// The three flag bits and the 13-bit fragment offset, as on the wire.
    public var flagsAndFragmentOffset: UInt16
    public var timeToLive: UInt8
    public var protocolNumber: UInt8
    /// The header checksum as received (or as computed by ``encode()`` for built headers).
    public var headerChecksum: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    /// Option bytes after the fixed header; a multiple of 4 bytes long (padding included).
    public var options: [UInt8]

    /// The header length in bytes (the IHL field times four).
    public var headerLength: Int { Self.minimumLength + options.count }
    /// The payload length the header announces.
    public var payloadLength: Int { max(0, Int(totalLength) - headerLength) }
    /// True when this packet is a fragment (more-fragments set, or a non-zero offset).
    public var isFragment: Bool { flagsAndFragmentOffset & 0x3FFF != 0 }

    /// A header for a packet carrying `payloadLength` bytes; the defaults are a VRRP advert's.
    public init(
        source: IPv4Address, destination: IPv4Address, payloadLength: Int,
        protocolNumber: UInt8 = IPv4Header.vrrpProtocol, timeToLive: UInt8 = IPv4Header.vrrpTTL,
        typeOfService: UInt8 = IPv4Header.networkControlTOS, identification: UInt16 = 0,
        flagsAndFragmentOffset: UInt16 = 0, options: [UInt8] = []
    ) {
        precondition(options.count % 4 == 0 && options.count <= 40, "IPv4 options are 0…40 bytes in 4-byte words")
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.timeToLive = timeToLive
        self.typeOfService = typeOfService
        self.identification = identification
        self.flagsAndFragmentOffset = flagsAndFragmentOffset
        self.options = options
        self.totalLength = UInt16(clamping: Self.minimumLength + options.count + payloadLength)
        self.headerChecksum = 0
        self.headerChecksum = InternetChecksum.compute(bytes(checksum: 0))
    }

    /// Why bytes are not a usable IPv4 header.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Fewer bytes than the fixed header, the header length, or the total length announce.
        case truncated
        /// The version nibble is not 4.
        case notIPv4(version: UInt8)
        /// IHL below 5, or a total length shorter than the header.
        case badLength
        /// A fragment; VRRP packets are never fragmented and a piece cannot be checked.
        case fragment

        public var description: String {
            switch self {
            case .truncated: "truncated"
            case .notIPv4(let version): "IP version \(version)"
            case .badLength: "bad header or total length"
            case .fragment: "fragment"
            }
        }
    }

    /// Parses the header at the start of `bytes` and returns the payload the total length covers.
    /// Bytes beyond the total length (Ethernet padding in captures) are ignored.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> (header: IPv4Header, payload: ArraySlice<UInt8>) {
        let start = bytes.startIndex
        guard bytes.count >= minimumLength else { throw .truncated }
        let version = bytes[start] >> 4
        guard version == 4 else { throw .notIPv4(version: version) }
        let headerLength = Int(bytes[start] & 0x0F) * 4
        guard headerLength >= minimumLength else { throw .badLength }
        guard bytes.count >= headerLength else { throw .truncated }
        let totalLength = word(bytes, start + 2)
        guard Int(totalLength) >= headerLength else { throw .badLength }
        guard bytes.count >= Int(totalLength) else { throw .truncated }

        var header = IPv4Header(
            source: IPv4Address(bytes: bytes, at: start + 12),
            destination: IPv4Address(bytes: bytes, at: start + 16),
            payloadLength: 0,
            protocolNumber: bytes[start + 9],
            timeToLive: bytes[start + 8],
            typeOfService: bytes[start + 1],
            identification: word(bytes, start + 4),
            flagsAndFragmentOffset: word(bytes, start + 6),
            options: Array(bytes[(start + minimumLength)..<(start + headerLength)])
        )
        header.totalLength = totalLength
        header.headerChecksum = word(bytes, start + 10)
        guard !header.isFragment else { throw .fragment }
        return (header, bytes[(start + headerLength)..<(start + Int(totalLength))])
    }

    /// Convenience for a whole buffer.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> (header: IPv4Header, payload: ArraySlice<UInt8>) {
        try parse(bytes[...])
    }

    /// The header bytes with a freshly computed checksum.
    public func encode() -> [UInt8] {
        var header = bytes(checksum: 0)
        let checksum = InternetChecksum.compute(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xFF)
        return header
    }

    /// True when ``headerChecksum`` matches the other fields. The kernel checks this before a raw
    /// socket sees the packet, so only the capture decoder needs it.
    public var hasValidChecksum: Bool {
        InternetChecksum.verify(bytes(checksum: headerChecksum))
    }

    private func bytes(checksum: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerLength)
        out.append(version << 4 | UInt8(headerLength / 4))
        out.append(typeOfService)
        Self.append(totalLength, to: &out)
        Self.append(identification, to: &out)
        Self.append(flagsAndFragmentOffset, to: &out)
        out.append(timeToLive)
        out.append(protocolNumber)
        Self.append(checksum, to: &out)
        out += source.bytes
        out += destination.bytes
        out += options
        return out
    }

    static func word(_ bytes: ArraySlice<UInt8>, _ index: Int) -> UInt16 {
        UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    static func append(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }
}
