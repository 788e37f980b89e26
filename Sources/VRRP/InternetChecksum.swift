/// The Internet checksum of RFC 1071: the one's-complement of the one's-complement sum of the data
/// taken as big-endian 16-bit words (an odd trailing byte is padded with a zero).
///
/// Used by VRRPv2 (over the VRRP message), VRRPv3 (over an IPv4 pseudo-header and the message,
/// RFC 9568 §5.2.8), CARP and the IPv4 header. Data may be added in pieces of any length; an odd
/// byte at the end of one piece pairs with the first byte of the next, so the result is the same
/// as summing the concatenation.
public struct InternetChecksum: Sendable {
    // 64 bits: adding 2^48 words before folding cannot overflow, far more than any packet.
    private var sum: UInt64 = 0
    private var pendingHighByte: UInt8?

    public init() {}

    /// Adds bytes as if appended to everything added so far.
    public mutating func add<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            if let high = pendingHighByte {
                sum &+= UInt64(high) << 8 | UInt64(byte)
                pendingHighByte = nil
            } else {
                pendingHighByte = byte
            }
        }
    }

    /// Adds one 16-bit word (must be at an even offset of the data summed so far).
    public mutating func add(word: UInt16) {
        precondition(pendingHighByte == nil, "a word must start at an even offset")
        sum &+= UInt64(word)
    }

    /// The checksum to put on the wire: the complement of the folded sum.
    public var value: UInt16 {
        var total = sum
        if let high = pendingHighByte { total &+= UInt64(high) << 8 }
        while total > 0xFFFF { total = (total & 0xFFFF) + (total >> 16) }
        return ~UInt16(total)
    }

    /// The checksum of `bytes`.
    public static func compute<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt16 {
        var checksum = InternetChecksum()
        checksum.add(bytes)
        return checksum.value
    }

    /// True when data that already contains its checksum field sums to zero, the receiver's check.
    public static func verify<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
        compute(bytes) == 0
    }

    /// The 12-byte IPv4 pseudo-header VRRPv3 prepends for its checksum (RFC 9568 §5.2.8, the same
    /// layout as TCP/UDP): source, destination, a zero byte, protocol 112, the VRRP message length.
    public static func pseudoHeader(
        source: IPv4Address, destination: IPv4Address, protocol: UInt8 = IPv4Header.vrrpProtocol, length: Int
    ) -> [UInt8] {
        precondition((0...0xFFFF).contains(length))
        return source.bytes + destination.bytes + [0, `protocol`, UInt8(length >> 8), UInt8(length & 0xFF)]
    }

    /// The VRRPv3 checksum of `message` (its checksum field zeroed to compute, or as received to
    /// verify: then 0 means valid), sent from `source` to `destination`, which is the group
    /// 224.0.0.18 or the unicast peer the packet is actually addressed to.
    public static func vrrpV3<Bytes: Collection<UInt8>>(
        source: IPv4Address, destination: IPv4Address, message: Bytes
    ) -> UInt16 {
        var checksum = InternetChecksum()
        checksum.add(pseudoHeader(source: source, destination: destination, length: message.count))
        checksum.add(message)
        return checksum.value
    }
}
