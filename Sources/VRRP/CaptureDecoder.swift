/// Decodes captured frames into ``CapturedEvent``s for `ferry capture`: VRRP v2/v3 and CARP
/// advertisements, gratuitous and ordinary ARP. Pure; the pcap plumbing is elsewhere.
///
/// Unlike the speaker's decoder it keeps packets a speaker would drop for TTL or checksum, since
/// those are exactly what an operator is looking for; ``CaptureAnomalyDetector`` flags them.
public struct CaptureDecoder: Sendable {
    /// Seconds added to UTC in the printed times.
    public var utcOffset: Int

    public init(utcOffset: Int = 0) {
        self.utcOffset = utcOffset
    }

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeARP: UInt16 = 0x0806
    static let vlanTags: Set<UInt16> = [0x8100, 0x88A8, 0x9100]

    public func decode(_ frame: CapturedFrame) -> CapturedEvent {
        CapturedEvent(timestamp: frame.timestamp, kind: kind(of: frame), utcOffset: utcOffset)
    }

    private func kind(of frame: CapturedFrame) -> CapturedEvent.Kind {
        let bytes = frame.bytes[...]
        let s = bytes.startIndex
        var etherType: UInt16
        var offset: Int
        switch frame.linkType {
        case .ethernet:
            guard bytes.count >= 14 else { return .other("short Ethernet frame (\(bytes.count) bytes)") }
            etherType = IPv4Header.word(bytes, s + 12)
            offset = 14
            while Self.vlanTags.contains(etherType) {
                guard bytes.count >= offset + 4 else { return .other("short VLAN-tagged frame") }
                etherType = IPv4Header.word(bytes, s + offset + 2)
                offset += 4
            }
        case .linuxCooked:
            // packet type, ARPHRD, address length, 8 address bytes, protocol.
            guard bytes.count >= 16 else { return .other("short Linux cooked frame (\(bytes.count) bytes)") }
            etherType = IPv4Header.word(bytes, s + 14)
            offset = 16
        case .linuxCooked2:
            // protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes.
            guard bytes.count >= 20 else { return .other("short Linux cooked v2 frame (\(bytes.count) bytes)") }
            etherType = IPv4Header.word(bytes, s)
            offset = 20
        }
        let payload = bytes[(s + offset)...]
        switch etherType {
        case Self.etherTypeARP:
            guard let arp = CapturedARP.parse(payload) else { return .other("ARP (not IPv4 over Ethernet)") }
            return .arp(arp)
        case Self.etherTypeIPv4:
            return ipv4(payload)
        default:
            return .other("ethertype 0x\(String(etherType, radix: 16))")
        }
    }

    private func ipv4(_ bytes: ArraySlice<UInt8>) -> CapturedEvent.Kind {
        let header: IPv4Header
        let message: ArraySlice<UInt8>
        do {
            (header, message) = try IPv4Header.parse(bytes)
        } catch {
            return .other("malformed IPv4 (\(error))")
        }
        guard header.protocolNumber == IPv4Header.vrrpProtocol else {
            return .other("IPv4 \(header.source) → \(header.destination) proto \(header.protocolNumber)")
        }
        if let carp = CARPAdvertisement.parse(message) {
            return .carp(header: header, advertisement: carp, checksumValid: CARPAdvertisement.checksumIsValid(message))
        }
        do {
            let packet = try VRRPPacket.parseFields(message)
            let valid = packet.checksumIsValid(message: message, source: header.source, destination: header.destination)
            return .vrrp(header: header, packet: packet, checksumValid: valid)
        } catch {
            return .malformedVRRP(header: header, reason: error)
        }
    }
}
