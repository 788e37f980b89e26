/// What the capture decoder made of one frame; `description` is the one-line form
/// `ferry capture` prints, such as
/// `12:00:01.234 VRRPv3 10.0.0.2 → 224.0.0.18 vrid 51 prio 150 int 1.00s addrs [10.0.0.123] ttl 255 cksum ok`.
public struct CapturedEvent: Sendable, Hashable, CustomStringConvertible {
    /// The decoded content.
    public enum Kind: Sendable, Hashable {
        /// A VRRP advertisement whose fields could be read (TTL and checksum may still be bad).
        case vrrp(header: IPv4Header, packet: VRRPPacket, checksumValid: Bool)
        /// A CARP advertisement.
        case carp(header: IPv4Header, advertisement: CARPAdvertisement, checksumValid: Bool)
        /// IP protocol 112 whose VRRP fields cannot be read (bad version, type or length).
        case malformedVRRP(header: IPv4Header, reason: VRRPDropReason)
        /// An ARP packet (gratuitous or not).
        case arp(CapturedARP)
        /// Anything else, or a frame too short to decode; the text says what it is.
        case other(String)
    }

    public var timestamp: CaptureTimestamp
    public var kind: Kind
    /// Seconds added to UTC when printing the time of day.
    public var utcOffset: Int

    public init(timestamp: CaptureTimestamp, kind: Kind, utcOffset: Int = 0) {
        self.timestamp = timestamp
        self.kind = kind
        self.utcOffset = utcOffset
    }

    /// The IP header, for VRRP, CARP and malformed protocol-112 events.
    public var ipHeader: IPv4Header? {
        switch kind {
        case .vrrp(let header, _, _), .carp(let header, _, _), .malformedVRRP(let header, _): header
        case .arp, .other: nil
        }
    }

    public var description: String { "\(timestamp.timeOfDay(utcOffset: utcOffset)) \(summary)" }

    /// The line without the time.
    public var summary: String {
        switch kind {
        case .vrrp(let header, let packet, let checksumValid):
            var line = "\(packet.version) \(header.source) → \(header.destination) vrid \(packet.vrid) prio \(packet.priority)"
            line += " int \(VRRPTimers.describe(packet.advertIntervalNanoseconds))"
            if packet.version == .v2, packet.authType != 0 {
                line += packet.authType == 1 ? " auth pass" : packet.authType == 2 ? " auth ah" : " auth \(packet.authType)"
            }
            line += " addrs \(VRRPMismatch.list(packet.addresses)) ttl \(header.timeToLive) cksum \(checksumValid ? "ok" : "bad")"
            return line
        case .carp(let header, let advert, let checksumValid):
            let counter = String(advert.counter, radix: 16)
            return "CARP \(header.source) → \(header.destination) vhid \(advert.vhid) advbase \(advert.advbase)"
                + " advskew \(advert.advskew) (int \(VRRPTimers.describe(advert.intervalNanoseconds)))"
                + " demote \(advert.demote) counter 0x\(String(repeating: "0", count: 16 - counter.count))\(counter)"
                + " ttl \(header.timeToLive) cksum \(checksumValid ? "ok" : "bad")"
        case .malformedVRRP(let header, let reason):
            return "VRRP? \(header.source) → \(header.destination) malformed: \(reason) ttl \(header.timeToLive)"
        case .arp(let arp):
            return arp.description
        case .other(let text):
            return text
        }
    }
}
