import Testing

@testable import VRRP

/// Builds link-layer frames around IP packets and ARP messages, the way they appear on the wire.
enum Frames {
    static let vrrpMulticastMAC: [UInt8] = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x12]
    static let broadcastMAC: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    static let hostMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    /// 12:00:01.234567 UTC on 2023-11-14.
    static let noon = CaptureTimestamp(seconds: 19_675 * 86_400 + 12 * 3600 + 1, microseconds: 234_567)

    /// Ethernet II, padded to the 60-byte minimum like a real NIC does.
    static func ethernet(_ payload: [UInt8], type: UInt16, destination: [UInt8] = vrrpMulticastMAC, vlan: UInt16? = nil) -> [UInt8] {
        var frame = destination + hostMAC
        if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        frame += [UInt8(type >> 8), UInt8(type & 0xFF)] + payload
        if frame.count < 60 { frame += Array(repeating: 0, count: 60 - frame.count) }
        return frame
    }

    /// DLT_LINUX_SLL: packet type 4 (outgoing), ARPHRD_ETHER, 6-byte address padded to 8.
    static func cooked(_ payload: [UInt8], type: UInt16) -> [UInt8] {
        [0, 4, 0, 1, 0, 6] + hostMAC + [0, 0] + [UInt8(type >> 8), UInt8(type & 0xFF)] + payload
    }

    /// DLT_LINUX_SLL2: protocol first, then interface index 3.
    static func cooked2(_ payload: [UInt8], type: UInt16) -> [UInt8] {
        [UInt8(type >> 8), UInt8(type & 0xFF), 0, 0, 0, 0, 0, 3, 0, 1, 0, 6] + hostMAC + [0, 0] + payload
    }

    static func frame(_ bytes: [UInt8], _ link: CapturedFrame.LinkType = .ethernet, at time: CaptureTimestamp = noon) -> CapturedFrame {
        CapturedFrame(timestamp: time, linkType: link, bytes: bytes)
    }

    static func vrrp(
        _ version: VRRPPacket.Version = .v3, from source: IPv4Address = peerB, to destination: IPv4Address = .vrrpMulticast,
        vrid: UInt8 = 51, priority: UInt8 = 150, interval: UInt16? = nil, addresses: [IPv4Address] = [vip], ttl: UInt8 = 255,
        authType: UInt8 = 0
    ) -> [UInt8] {
        VRRPPacket(
            version: version, vrid: vrid, priority: priority, advertInterval: interval ?? (version == .v2 ? 1 : 100),
            addresses: addresses, authType: authType
        ).encodeIPPacket(source: source, destination: destination, timeToLive: ttl)
    }

    static func carp(from source: IPv4Address = IPv4Address(10, 0, 0, 5), vhid: UInt8 = 51, advskew: UInt8 = 100, counter: UInt64 = 42) -> [UInt8] {
        let message = CARPAdvertisement(vhid: vhid, advskew: advskew, advbase: 1, counter: counter).encode()
        return IPv4Header(source: source, destination: .vrrpMulticast, payloadLength: message.count).encode() + message
    }

    static func at(_ seconds: Double) -> CaptureTimestamp {
        let micros = Int64(seconds * 1_000_000)
        return CaptureTimestamp(seconds: noon.seconds + micros / 1_000_000, microseconds: Int32(micros % 1_000_000))
    }
}

@Suite struct CaptureDecoderTests {
    let decoder = CaptureDecoder()

    @Test(arguments: CapturedFrame.LinkType.allCases)
    func vrrpV3AdvertOnEveryLinkType(link: CapturedFrame.LinkType) {
        let ip = Frames.vrrp()
        let bytes = switch link {
        case .ethernet: Frames.ethernet(ip, type: 0x0800)
        case .linuxCooked: Frames.cooked(ip, type: 0x0800)
        case .linuxCooked2: Frames.cooked2(ip, type: 0x0800)
        }
        let event = decoder.decode(Frames.frame(bytes, link))
        #expect(event.description == "12:00:01.234 VRRPv3 10.0.0.2 → 224.0.0.18 vrid 51 prio 150 int 1.00s addrs [10.0.0.123] ttl 255 cksum ok")
        guard case .vrrp(let header, let packet, let valid) = event.kind else {
            Issue.record("not VRRP: \(event.kind)")
            return
        }
        #expect(header.source == peerB)
        #expect(packet.vrid == 51)
        #expect(valid)
        #expect(event.ipHeader == header)
    }

    @Test func vlanTaggedFramesAreUnwrapped() {
        let event = decoder.decode(Frames.frame(Frames.ethernet(Frames.vrrp(), type: 0x0800, vlan: 10)))
        #expect(event.summary.hasPrefix("VRRPv3 10.0.0.2 → 224.0.0.18 vrid 51"))
    }

    @Test(arguments: [
        (Frames.vrrp(.v2, from: peerA, priority: 100), "VRRPv2 10.0.0.1 → 224.0.0.18 vrid 51 prio 100 int 1.00s addrs [10.0.0.123] ttl 255 cksum ok"),
        (Frames.vrrp(.v2, priority: 100, authType: 1), "VRRPv2 10.0.0.2 → 224.0.0.18 vrid 51 prio 100 int 1.00s auth pass addrs [10.0.0.123] ttl 255 cksum ok"),
        (Frames.vrrp(.v3, to: peerA, vrid: 7, priority: 0, interval: 10, addresses: [vip, peerA]),
         "VRRPv3 10.0.0.2 → 10.0.0.1 vrid 7 prio 0 int 0.10s addrs [10.0.0.123, 10.0.0.1] ttl 255 cksum ok"),
        (Frames.vrrp(ttl: 64), "VRRPv3 10.0.0.2 → 224.0.0.18 vrid 51 prio 150 int 1.00s addrs [10.0.0.123] ttl 64 cksum ok"),
        (Frames.vrrp(addresses: []), "VRRPv3 10.0.0.2 → 224.0.0.18 vrid 51 prio 150 int 1.00s addrs [] ttl 255 cksum ok"),
    ])
    func advertLines(ip: [UInt8], line: String) {
        #expect(decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800))).summary == line)
    }

    @Test(arguments: VRRPPacket.Version.allCases)
    func badChecksumIsShownNotDropped(version: VRRPPacket.Version) {
        var ip = Frames.vrrp(version)
        ip[ip.count - 1] ^= 0x40
        let event = decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800)))
        #expect(event.summary.hasSuffix("cksum bad"))
        guard case .vrrp(_, _, let valid) = event.kind else {
            Issue.record("not VRRP")
            return
        }
        #expect(!valid)
    }

    /// A v3 advert whose checksum was computed for the group but that was sent unicast (what old
    /// keepalived did) is bad for the destination it really had.
    @Test func v3ChecksumUsesTheRealDestination() {
        var ip = Frames.vrrp(to: .vrrpMulticast)
        ip[16...19] = [10, 0, 0, 1]
        ip[10] = 0
        ip[11] = 0
        let sum = InternetChecksum.compute(ip[..<20])
        ip[10] = UInt8(sum >> 8)
        ip[11] = UInt8(sum & 0xFF)
        #expect(decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800))).summary.hasSuffix("→ 10.0.0.1 vrid 51 prio 150 int 1.00s addrs [10.0.0.123] ttl 255 cksum bad"))
    }

    @Test func carpIsRecognisedAsCARP() {
        let event = decoder.decode(Frames.frame(Frames.ethernet(Frames.carp(), type: 0x0800)))
        #expect(event.summary
            == "CARP 10.0.0.5 → 224.0.0.18 vhid 51 advbase 1 advskew 100 (int 1.39s) demote 0 counter 0x000000000000002a ttl 255 cksum ok")
        guard case .carp(_, let advert, let valid) = event.kind else {
            Issue.record("not CARP: \(event.kind)")
            return
        }
        #expect(valid)
        #expect(advert.vhid == 51)
        #expect(advert.authLength == 7)
        #expect(advert.hmac.count == 20)
        #expect(advert.intervalNanoseconds == 1_390_625_000)
    }

    @Test func carpWithABadChecksum() {
        var ip = Frames.carp()
        ip[30] ^= 0xFF  // inside the counter
        #expect(decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800))).summary.hasSuffix("cksum bad"))
    }

    @Test func aVRRPv2AdvertOfCARPsLengthIsStillVRRP() {
        let ip = Frames.vrrp(.v2, addresses: addresses(5))
        #expect(ip.count == 20 + 36)
        #expect(decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800))).summary.hasPrefix("VRRPv2 "))
    }

    @Test(arguments: [
        DropCase("count too high", .length) { ip in ip[23] = 9 },
        DropCase("version 1", .version) { ip in ip[20] = 0x11 },
        DropCase("type 2", .type) { ip in ip[20] = 0x32 },
    ])
    func unreadableProtocol112IsMalformed(_ drop: DropCase) {
        var ip = Frames.vrrp()
        drop.edit(&ip)
        let event = decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800)))
        #expect(event.summary == "VRRP? 10.0.0.2 → 224.0.0.18 malformed: \(drop.reason) ttl 255")
        #expect(event.kind == .malformedVRRP(header: event.ipHeader!, reason: drop.reason))
    }

    // MARK: ARP

    static let arpCases: [(CapturedARP, String, Bool)] = [
        (CapturedARP(operation: 1, senderHardwareAddress: Frames.hostMAC, senderAddress: vip, targetHardwareAddress: [0, 0, 0, 0, 0, 0], targetAddress: vip),
         "ARP gratuitous request 10.0.0.123 is-at 02:00:00:00:00:01", true),
        (CapturedARP(operation: 2, senderHardwareAddress: Frames.hostMAC, senderAddress: vip, targetHardwareAddress: Frames.broadcastMAC, targetAddress: vip),
         "ARP gratuitous reply 10.0.0.123 is-at 02:00:00:00:00:01", true),
        (CapturedARP(operation: 1, senderHardwareAddress: Frames.hostMAC, senderAddress: peerB, targetHardwareAddress: [0, 0, 0, 0, 0, 0], targetAddress: peerA),
         "ARP request who-has 10.0.0.1 tell 10.0.0.2 (02:00:00:00:00:01)", false),
        (CapturedARP(operation: 2, senderHardwareAddress: [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF], senderAddress: peerA, targetHardwareAddress: Frames.hostMAC, targetAddress: peerB),
         "ARP reply 10.0.0.1 is-at aa:bb:cc:dd:ee:ff to 10.0.0.2", false),
        // An RFC 5227 probe: sender 0.0.0.0, not an announcement.
        (CapturedARP(operation: 1, senderHardwareAddress: Frames.hostMAC, senderAddress: .any, targetHardwareAddress: [0, 0, 0, 0, 0, 0], targetAddress: .any),
         "ARP request who-has 0.0.0.0 tell 0.0.0.0 (02:00:00:00:00:01)", false),
    ]

    @Test(arguments: arpCases)
    func arpLines(arp: CapturedARP, line: String, gratuitous: Bool) {
        for link in CapturedFrame.LinkType.allCases {
            let bytes = switch link {
            case .ethernet: Frames.ethernet(arp.encode(), type: 0x0806, destination: Frames.broadcastMAC)
            case .linuxCooked: Frames.cooked(arp.encode(), type: 0x0806)
            case .linuxCooked2: Frames.cooked2(arp.encode(), type: 0x0806)
            }
            let event = decoder.decode(Frames.frame(bytes, link))
            #expect(event.summary == line)
            guard case .arp(let decoded) = event.kind else {
                Issue.record("not ARP")
                continue
            }
            #expect(decoded == arp)
            #expect(decoded.isGratuitous == gratuitous)
            #expect(event.ipHeader == nil)
        }
    }

    // MARK: Everything else

    @Test(arguments: [
        (Frames.frame([1, 2, 3]), "short Ethernet frame (3 bytes)"),
        (Frames.frame([1, 2, 3], .linuxCooked), "short Linux cooked frame (3 bytes)"),
        (Frames.frame([1, 2, 3], .linuxCooked2), "short Linux cooked v2 frame (3 bytes)"),
        (Frames.frame(Frames.ethernet([0x60, 0, 0, 0], type: 0x86DD)), "ethertype 0x86dd"),
        (Frames.frame(Frames.cooked([0x45, 0, 0], type: 0x0800), .linuxCooked), "malformed IPv4 (truncated)"),
        // Ethernet padding makes it long enough, but the total length says 0.
        (Frames.frame(Frames.ethernet([0x45, 0, 0], type: 0x0800)), "malformed IPv4 (bad header or total length)"),
        (Frames.frame(Frames.ethernet([0x65] + Array(repeating: 0, count: 39), type: 0x0800)), "malformed IPv4 (IP version 6)"),
        (Frames.frame(Frames.ethernet(IPv4Header(source: peerA, destination: peerB, payloadLength: 8, protocolNumber: 17).encode()
            + Array(repeating: 0, count: 8), type: 0x0800)), "IPv4 10.0.0.1 → 10.0.0.2 proto 17"),
        (Frames.frame(Frames.ethernet([0, 6, 8, 0, 6, 4, 0, 1] + Array(repeating: 0, count: 20), type: 0x0806)), "ARP (not IPv4 over Ethernet)"),
    ])
    func otherFrames(frame: CapturedFrame, text: String) {
        let event = decoder.decode(frame)
        #expect(event.summary == text)
        #expect(event.kind == .other(text))
    }

    @Test(arguments: [
        (0, "12:00:01.234"),
        (3600, "13:00:01.234"),
        (-13 * 3600, "23:00:01.234"),
        (12 * 3600, "00:00:01.234"),
    ])
    func timeOfDayWithAnOffset(offset: Int, text: String) {
        let decoder = CaptureDecoder(utcOffset: offset)
        #expect(decoder.decode(Frames.frame(Frames.ethernet(Frames.vrrp(), type: 0x0800))).description.hasPrefix(text + " VRRPv3"))
    }

    @Test(arguments: [
        (CaptureTimestamp(seconds: 0, microseconds: 0), "00:00:00.000"),
        (CaptureTimestamp(seconds: 86_399, microseconds: 999_999), "23:59:59.999"),
        (CaptureTimestamp(seconds: 3_723, microseconds: 5_000), "01:02:03.005"),
        (CaptureTimestamp(seconds: 60, microseconds: 50_000), "00:01:00.050"),
    ])
    func timestamps(timestamp: CaptureTimestamp, text: String) {
        #expect(timestamp.timeOfDay() == text)
    }
}
