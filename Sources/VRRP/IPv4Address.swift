/// An IPv4 address as a plain 32-bit number, most significant octet first (`10.0.0.1` is
/// `0x0A00_0001` on every host), so comparisons are the RFC's "unsigned integer comparison of the
/// addresses in network byte order" without any byte swapping.
///
/// `Comparable` is what VRRP's tie-break uses: with equal priorities the router with the higher
/// primary address wins (RFC 9568 §6.4.3, RFC 3768 §6.4.3).
public struct IPv4Address: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The address with the first octet in the most significant byte.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text, four decimal octets 0…255. Leading zeros are refused, as in the
    /// configuration loader, because some tools read `010` as octal.
    public init?(_ description: String) {
        var value: UInt32 = 0
        var octets = 0
        for part in description.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  part.count == 1 || part.first != UInt8(ascii: "0")
            else { return nil }
            let octet = part.reduce(0) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
            octets += 1
        }
        guard octets == 4 else { return nil }
        rawValue = value
    }

    /// Reads four bytes in network order; `bytes` must hold at least `offset + 4` bytes.
    public init<Bytes: RandomAccessCollection<UInt8>>(bytes: Bytes, at offset: Bytes.Index) {
        var value: UInt32 = 0
        var index = offset
        for _ in 0..<4 {
            value = value << 8 | UInt32(bytes[index])
            index = bytes.index(after: index)
        }
        rawValue = value
    }

    /// The four octets in network (wire) order.
    public var bytes: [UInt8] {
        [UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
         UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)]
    }

    public var description: String {
        bytes.map { String($0) }.joined(separator: ".")
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }

    /// 0.0.0.0
    public static let any = IPv4Address(rawValue: 0)
    /// 224.0.0.18, the group VRRP (and CARP) advertisements are sent to (RFC 9568 §5.1.1.2).
    public static let vrrpMulticast = IPv4Address(224, 0, 0, 18)

    /// True for 224.0.0.0/4.
    public var isMulticast: Bool { rawValue >> 28 == 0xE }

    /// Splits `a.b.c.d/len` (the `virtual_ips` syntax) into the address and the prefix length
    /// (0…32); `nil` when either part is malformed.
    public static func parseCIDR(_ text: String) -> (address: IPv4Address, prefixLength: Int)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        guard let address = IPv4Address(String(text[..<slash])) else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard (1...2).contains(lengthText.count), lengthText.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let length = Int(lengthText), (0...32).contains(length)
        else { return nil }
        return (address, length)
    }
}
