/// A CARP advertisement (OpenBSD `ip_carp.h`, also FreeBSD), recognised so the capture decoder
/// and the speaker do not misread it as VRRP: it is also IP protocol 112 to 224.0.0.18 with
/// "version 2, type 1" in the first byte.
///
/// ```
/// | 2 | 1 | VHID | advskew | authlen (7) | demote | advbase | checksum |
/// | counter (64 bits) | SHA1 HMAC (20 bytes) |
/// ```
/// Always 36 bytes. A VRRPv2 message of 36 bytes carries exactly 5 addresses, so byte 3 (VRRP's
/// address count, CARP's authlen of 7 32-bit words) tells the two apart without ambiguity.
public struct CARPAdvertisement: Sendable, Hashable {
    public static let length = 36
    /// CARP's authlen: counter and HMAC in 32-bit words.
    public static let authenticationLength: UInt8 = 7

    public var version: UInt8
    public var type: UInt8
    /// Virtual host ID (CARP's VRID).
    public var vhid: UInt8
    /// Added to `advbase` in 1/256 s: the lower, the more preferred (CARP's inverse priority).
    public var advskew: UInt8
    public var authLength: UInt8
    /// OpenBSD's demotion counter (FreeBSD: padding).
    public var demote: UInt8
    /// Base advertisement interval in seconds.
    public var advbase: UInt8
    public var checksum: UInt16
    /// The replay counter.
    public var counter: UInt64
    /// The SHA1 HMAC over the advertisement and the virtual addresses.
    public var hmac: [UInt8]

    /// The advertisement interval, `advbase + advskew / 256` seconds, in nanoseconds.
    public var intervalNanoseconds: UInt64 {
        UInt64(advbase) * 1_000_000_000 + UInt64(advskew) * 1_000_000_000 / 256
    }

    /// True when `message` (an IP protocol 112 payload) has CARP's shape.
    public static func looksLikeCARP(_ message: ArraySlice<UInt8>) -> Bool {
        message.count == length && message[message.startIndex] == 0x21
            && message[message.startIndex + 3] == authenticationLength
    }

    /// Parses a CARP message, `nil` when it does not have CARP's shape.
    public static func parse(_ message: ArraySlice<UInt8>) -> CARPAdvertisement? {
        guard looksLikeCARP(message) else { return nil }
        let s = message.startIndex
        let counter = message[(s + 8)..<(s + 16)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return CARPAdvertisement(
            version: message[s] >> 4, type: message[s] & 0x0F, vhid: message[s + 1], advskew: message[s + 2],
            authLength: message[s + 3], demote: message[s + 4], advbase: message[s + 5],
            checksum: IPv4Header.word(message, s + 6), counter: counter, hmac: Array(message[(s + 16)..<(s + 36)])
        )
    }

    /// CARP's checksum covers the 36-byte message alone, like VRRPv2's.
    public static func checksumIsValid(_ message: ArraySlice<UInt8>) -> Bool {
        InternetChecksum.verify(message)
    }

    /// The message bytes with a fresh checksum (for tests that need CARP on the wire).
    public func encode() -> [UInt8] {
        var out: [UInt8] = [version << 4 | type, vhid, advskew, authLength, demote, advbase, 0, 0]
        out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: counter >> (8 * UInt64($0))) }
        out += Array((hmac + Array(repeating: 0, count: 20)).prefix(20))
        let sum = InternetChecksum.compute(out)
        out[6] = UInt8(sum >> 8)
        out[7] = UInt8(sum & 0xFF)
        return out
    }

    public init(
        version: UInt8 = 2, type: UInt8 = 1, vhid: UInt8, advskew: UInt8, authLength: UInt8 = CARPAdvertisement.authenticationLength,
        demote: UInt8 = 0, advbase: UInt8, checksum: UInt16 = 0, counter: UInt64 = 0, hmac: [UInt8] = Array(repeating: 0, count: 20)
    ) {
        self.version = version
        self.type = type
        self.vhid = vhid
        self.advskew = advskew
        self.authLength = authLength
        self.demote = demote
        self.advbase = advbase
        self.checksum = checksum
        self.counter = counter
        self.hmac = hmac
    }
}
