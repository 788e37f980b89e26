import Testing

@testable import VRRP

let peerA = IPv4Address(10, 0, 0, 1)
let peerB = IPv4Address(10, 0, 0, 2)
let vip = IPv4Address(10, 0, 0, 123)

/// `count` distinct addresses 10.1.x.y.
func addresses(_ count: Int) -> [IPv4Address] {
    (0..<count).map { IPv4Address(10, 1, UInt8($0 / 256), UInt8($0 % 256)) }
}

@Suite struct VRRPPacketCodecTests {
    static let addressCounts = [0, 1, 2, 3, 5, 7, 8, 16, 64, 127, 255]

    @Test(arguments: VRRPPacket.Version.allCases, addressCounts)
    func roundTripsThroughIPPackets(version: VRRPPacket.Version, count: Int) throws {
        let packet = VRRPPacket(
            version: version, vrid: 51, priority: 150, advertInterval: version == .v2 ? 3 : 250, addresses: addresses(count)
        )
        for destination in [IPv4Address.vrrpMulticast, peerA] {
            let bytes = packet.encodeIPPacket(source: peerB, destination: destination, identification: 7)
            #expect(bytes.count == 20 + 8 + 4 * count + (version == .v2 ? 8 : 0))
            let (header, decoded) = try VRRPPacket.decode(ipPacket: bytes)
            #expect(header.source == peerB)
            #expect(header.destination == destination)
            #expect(header.timeToLive == 255)
            #expect(header.protocolNumber == 112)
            #expect(header.typeOfService == 0xC0)
            #expect(header.identification == 7)
            #expect(header.hasValidChecksum)
            #expect(decoded.addresses == packet.addresses)
            var expected = packet
            expected.checksum = decoded.checksum
            #expect(decoded == expected)
            // Re-encoding a decoded packet reproduces the bytes.
            #expect(decoded.encodeIPPacket(source: peerB, destination: destination, identification: 7) == bytes)
        }
    }

    @Test(arguments: [UInt8(0), 1, 100, 254, 255], [UInt8(1), 51, 255])
    func roundTripsPriorityAndVRID(priority: UInt8, vrid: UInt8) throws {
        for version in VRRPPacket.Version.allCases {
            let packet = VRRPPacket(version: version, vrid: vrid, priority: priority, advertInterval: 1, addresses: [vip])
            let (_, decoded) = try VRRPPacket.decode(ipPacket: packet.encodeIPPacket(source: peerA, destination: .vrrpMulticast))
            #expect(decoded.priority == priority)
            #expect(decoded.vrid == vrid)
        }
    }

    @Test func v2LayoutByHand() {
        let packet = VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip])
        #expect(packet.encode(source: peerA, destination: .vrrpMulticast) == hex("2133640100017 04f 0a00007b 0000000000000000"))
        // v2's checksum does not cover the IP addresses.
        #expect(packet.encode(source: peerB, destination: peerA) == packet.encode(source: peerA, destination: .vrrpMulticast))
    }

    @Test func v3LayoutAndItsDestinationDependentChecksum() {
        let packet = VRRPPacket(version: .v3, vrid: 51, priority: 150, advertInterval: 100, addresses: [vip])
        #expect(packet.encode(source: peerB, destination: .vrrpMulticast) == hex("3133960100 64 435b 0a00007b"))
        #expect(packet.encode(source: peerB, destination: peerA) == hex("3133960100 64 196d 0a00007b"))
    }

    @Test func v2AuthenticationAndV3ReservedBitsSurvive() throws {
        let v2 = VRRPPacket(
            version: .v2, vrid: 9, priority: 100, advertInterval: 1, addresses: [vip], authType: 1,
            authData: Array("secret12".utf8)
        )
        let (_, decodedV2) = try VRRPPacket.decode(ipPacket: v2.encodeIPPacket(source: peerA, destination: .vrrpMulticast))
        #expect(decodedV2.authType == 1)
        #expect(decodedV2.authData == Array("secret12".utf8))

        let v3 = VRRPPacket(version: .v3, vrid: 9, priority: 100, advertInterval: 4095, addresses: [vip], reserved: 0xA)
        let bytes = v3.encodeIPPacket(source: peerA, destination: .vrrpMulticast)
        #expect(bytes[24] == 0xAF && bytes[25] == 0xFF)
        let (_, decodedV3) = try VRRPPacket.decode(ipPacket: bytes)
        #expect(decodedV3.reserved == 0xA)
        #expect(decodedV3.advertInterval == 4095)
        #expect(decodedV3.advertIntervalNanoseconds == 40_950_000_000)
    }

    @Test(arguments: [
        (VRRPPacket.Version.v2, UInt64(1_000_000_000), UInt16(1)),
        (.v2, 255_000_000_000, 255),
        (.v2, 999_000_000_000, 255),
        (.v3, 10_000_000, 1),
        (.v3, 1_000_000_000, 100),
        (.v3, 40_950_000_000, 4095),
        (.v3, 90_000_000_000, 4095),
    ])
    func intervalFieldConversion(version: VRRPPacket.Version, nanoseconds: UInt64, field: UInt16) {
        #expect(VRRPPacket.advertIntervalField(nanoseconds: nanoseconds, version: version) == field)
    }

    @Test func trailingPaddingBeyondTheTotalLengthIsIgnored() throws {
        let packet = VRRPPacket(version: .v3, vrid: 1, priority: 100, advertInterval: 100, addresses: [vip])
        let bytes = packet.encodeIPPacket(source: peerA, destination: .vrrpMulticast) + Array(repeating: 0, count: 14)
        let (_, decoded) = try VRRPPacket.decode(ipPacket: bytes)
        #expect(decoded.addresses == [vip])
    }

    @Test func ipOptionsAreSkipped() throws {
        let packet = VRRPPacket(version: .v3, vrid: 1, priority: 100, advertInterval: 100, addresses: [vip])
        let message = packet.encode(source: peerA, destination: .vrrpMulticast)
        // Router Alert (RFC 2113), 4 bytes.
        let header = IPv4Header(source: peerA, destination: .vrrpMulticast, payloadLength: message.count, options: [0x94, 0x04, 0, 0])
        let (decodedHeader, decoded) = try VRRPPacket.decode(ipPacket: header.encode() + message)
        #expect(decodedHeader.options == [0x94, 0x04, 0, 0])
        #expect(decodedHeader.headerLength == 24)
        #expect(decoded.addresses == [vip])
    }

    // MARK: - Drops

    static func validV3() -> [UInt8] {
        VRRPPacket(version: .v3, vrid: 51, priority: 150, advertInterval: 100, addresses: [vip, peerA])
            .encodeIPPacket(source: peerB, destination: .vrrpMulticast)
    }

    static func validV2() -> [UInt8] {
        VRRPPacket(version: .v2, vrid: 51, priority: 150, advertInterval: 1, addresses: [vip, peerA])
            .encodeIPPacket(source: peerB, destination: .vrrpMulticast)
    }

    /// Recomputes the VRRP checksum after an edit, so the edit itself is what gets checked.
    static func fixChecksum(_ bytes: inout [UInt8]) {
        bytes[26] = 0
        bytes[27] = 0
        let message = Array(bytes[20...])
        let sum = bytes[20] >> 4 == 3
            ? InternetChecksum.vrrpV3(source: IPv4Address(bytes: bytes, at: 12), destination: IPv4Address(bytes: bytes, at: 16), message: message)
            : InternetChecksum.compute(message)
        bytes[26] = UInt8(sum >> 8)
        bytes[27] = UInt8(sum & 0xFF)
    }

    /// Every packet-level reason, each from crafted bytes.
    @Test(arguments: [
        DropCase("IP version 6", .ipHeader) { b in b[0] = 0x65 },
        DropCase("IHL 4", .ipHeader) { b in b[0] = 0x44 },
        DropCase("more fragments", .ipHeader) { b in b[6] = 0x20 },
        DropCase("fragment offset", .ipHeader) { b in b[7] = 0x01 },
        DropCase("total length below the header", .ipHeader) { b in b[2] = 0; b[3] = 19 },
        DropCase("protocol UDP", .ipProtocol) { b in b[9] = 17 },
        DropCase("protocol AH", .ipProtocol) { b in b[9] = 51 },
        DropCase("TTL 64", .ttl) { b in b[8] = 64 },
        DropCase("TTL 254", .ttl) { b in b[8] = 254 },
        DropCase("TTL 0", .ttl) { b in b[8] = 0 },
        DropCase("VRRP version 1", .version) { b in b[20] = 0x11; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("VRRP version 4", .version) { b in b[20] = 0x41; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("VRRP version 0", .version) { b in b[20] = 0x01 },
        DropCase("type 0", .type) { b in b[20] = 0x30; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("type 2", .type) { b in b[20] = 0x32; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("count says 3", .length) { b in b[23] = 3; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("count says 1", .length) { b in b[23] = 1; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("IP total length cuts an address", .length) { b in b[3] -= 4 },
        DropCase("extra bytes inside the total length", .length) { b in b += [0, 0, 0, 0]; b[3] += 4 },
        DropCase("address changed", .checksum) { b in b[31] ^= 0x01 },
        DropCase("priority changed", .checksum) { b in b[22] = 200 },
        DropCase("checksum field changed", .checksum) { b in b[27] ^= 0xFF },
        DropCase("v3 sent to another destination", .checksum) { b in b[19] = 19 },
        DropCase("v3 from another source", .checksum) { b in b[15] = 9 },
    ])
    func v3PacketDrops(_ drop: DropCase) {
        var bytes = Self.validV3()
        drop.edit(&bytes)
        #expect(throws: drop.reason, "\(drop.name)") { try VRRPPacket.decode(ipPacket: bytes) }
    }

    @Test(arguments: [
        DropCase("TTL 1", .ttl) { b in b[8] = 1 },
        DropCase("count says 3", .length) { b in b[23] = 3; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("no authentication data", .length) { b in b.removeLast(8); b[3] -= 8; VRRPPacketCodecTests.fixChecksum(&b) },
        DropCase("auth data changed", .checksum) { b in b[b.count - 1] ^= 0x55 },
        DropCase("interval changed", .checksum) { b in b[25] = 2 },
    ])
    func v2PacketDrops(_ drop: DropCase) {
        var bytes = Self.validV2()
        drop.edit(&bytes)
        #expect(throws: drop.reason, "\(drop.name)") { try VRRPPacket.decode(ipPacket: bytes) }
    }

    @Test func v2ChecksumIgnoresTheDestination() throws {
        var bytes = Self.validV2()
        bytes[19] = 99  // another destination: v2 does not sum a pseudo-header
        _ = try VRRPPacket.decode(ipPacket: bytes)
    }

    @Test func ttlCanBeWaivedForRoutedUnicastPeers() throws {
        var bytes = Self.validV3()
        bytes[8] = 62
        #expect(throws: VRRPDropReason.ttl) { try VRRPPacket.decode(ipPacket: bytes) }
        let (header, _) = try VRRPPacket.decode(ipPacket: bytes, acceptAnyTTL: true)
        #expect(header.timeToLive == 62)
    }

    @Test func carpIsRecognisedNotMisreadAsVRRPv2() {
        let carp = CARPAdvertisement(vhid: 51, advskew: 100, advbase: 1, counter: 42).encode()
        let header = IPv4Header(source: peerA, destination: .vrrpMulticast, payloadLength: carp.count)
        #expect(throws: VRRPDropReason.carp) { try VRRPPacket.decode(ipPacket: header.encode() + carp) }
        // A real VRRPv2 packet of the same length (5 addresses) still decodes.
        let v2 = VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: addresses(5))
        #expect(v2.length == CARPAdvertisement.length)
        #expect(throws: Never.self) { try VRRPPacket.decode(ipPacket: v2.encodeIPPacket(source: peerA, destination: .vrrpMulticast)) }
    }

    /// Every prefix of a valid packet is refused as too short, never crashes, never decodes.
    @Test(arguments: VRRPPacket.Version.allCases, [0, 1, 5])
    func truncationAtEveryLength(version: VRRPPacket.Version, count: Int) {
        let packet = VRRPPacket(version: version, vrid: 7, priority: 100, advertInterval: 1, addresses: addresses(count))
        let bytes = packet.encodeIPPacket(source: peerA, destination: .vrrpMulticast)
        for length in 0..<bytes.count {
            #expect(throws: VRRPDropReason.length, "prefix of \(length) bytes") {
                try VRRPPacket.decode(ipPacket: Array(bytes.prefix(length)))
            }
        }
    }

    /// Shrinking the IP total length to every value that still covers the IP header gives a
    /// short VRRP message: `.length`, whatever the cut.
    @Test(arguments: VRRPPacket.Version.allCases)
    func totalLengthAtEveryValue(version: VRRPPacket.Version) {
        let packet = VRRPPacket(version: version, vrid: 7, priority: 100, advertInterval: 1, addresses: addresses(3))
        let bytes = packet.encodeIPPacket(source: peerA, destination: .vrrpMulticast)
        for total in 20..<bytes.count {
            var edited = bytes
            edited[2] = 0
            edited[3] = UInt8(total)
            #expect(throws: VRRPDropReason.length, "total length \(total)") { try VRRPPacket.decode(ipPacket: edited) }
        }
    }

    @Test func dropReasonsHaveStableDistinctNamesAndPhrases() {
        let names = VRRPDropReason.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
        let phrases = VRRPDropReason.allCases.map(\.description)
        #expect(Set(phrases).count == phrases.count)
    }
}

/// One crafted corruption of a valid packet and the reason it must be dropped for.
struct DropCase: Sendable, CustomTestStringConvertible {
    var name: String
    var reason: VRRPDropReason
    var edit: @Sendable (inout [UInt8]) -> Void

    init(_ name: String, _ reason: VRRPDropReason, edit: @escaping @Sendable (inout [UInt8]) -> Void) {
        self.name = name
        self.reason = reason
        self.edit = edit
    }

    var testDescription: String { "\(name) → \(reason.rawValue)" }
}
