/// An ARP packet for IPv4 over Ethernet (RFC 826) seen in a capture.
///
/// A **gratuitous** ARP announces the sender's own address: sender and target IP are equal. A new
/// master sends them (requests, replies or both, depending on the implementation: keepalived
/// sends requests) so switches and neighbours learn where the VIP now is.
public struct CapturedARP: Sendable, Hashable, CustomStringConvertible {
    /// 1 request, 2 reply.
    public var operation: UInt16
    public var senderHardwareAddress: [UInt8]
    public var senderAddress: IPv4Address
    public var targetHardwareAddress: [UInt8]
    public var targetAddress: IPv4Address

    public init(
        operation: UInt16, senderHardwareAddress: [UInt8], senderAddress: IPv4Address,
        targetHardwareAddress: [UInt8], targetAddress: IPv4Address
    ) {
        self.operation = operation
        self.senderHardwareAddress = senderHardwareAddress
        self.senderAddress = senderAddress
        self.targetHardwareAddress = targetHardwareAddress
        self.targetAddress = targetAddress
    }

    public var isRequest: Bool { operation == 1 }
    public var isReply: Bool { operation == 2 }
    /// Sender IP == target IP (and not 0.0.0.0, which is an RFC 5227 probe's sender).
    public var isGratuitous: Bool { senderAddress == targetAddress && senderAddress != .any }

    /// The 28-byte ARP message, for tests.
    public func encode() -> [UInt8] {
        var out: [UInt8] = [0, 1, 0x08, 0x00, 6, 4, UInt8(operation >> 8), UInt8(operation & 0xFF)]
        out += Self.six(senderHardwareAddress) + senderAddress.bytes + Self.six(targetHardwareAddress) + targetAddress.bytes
        return out
    }

    /// Parses an Ethernet/IPv4 ARP message; `nil` for other hardware or protocol types.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> CapturedARP? {
        let s = bytes.startIndex
        guard bytes.count >= 28, IPv4Header.word(bytes, s) == 1, IPv4Header.word(bytes, s + 2) == 0x0800,
              bytes[s + 4] == 6, bytes[s + 5] == 4
        else { return nil }
        return CapturedARP(
            operation: IPv4Header.word(bytes, s + 6),
            senderHardwareAddress: Array(bytes[(s + 8)..<(s + 14)]), senderAddress: IPv4Address(bytes: bytes, at: s + 14),
            targetHardwareAddress: Array(bytes[(s + 18)..<(s + 24)]), targetAddress: IPv4Address(bytes: bytes, at: s + 24)
        )
    }

    /// `aa:bb:cc:dd:ee:ff`
    public static func formatHardwareAddress(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: ":")
    }

    public var description: String {
        let kind = isRequest ? "request" : isReply ? "reply" : "op \(operation)"
        let mac = Self.formatHardwareAddress(senderHardwareAddress)
        if isGratuitous {
            return "ARP gratuitous \(kind) \(senderAddress) is-at \(mac)"
        }
        if isRequest {
            return "ARP request who-has \(targetAddress) tell \(senderAddress) (\(mac))"
        }
        return "ARP \(kind) \(senderAddress) is-at \(mac) to \(targetAddress)"
    }

    private static func six(_ bytes: [UInt8]) -> [UInt8] { Array((bytes + Array(repeating: 0, count: 6)).prefix(6)) }
}
