import Testing

@testable import VRRP

@Suite struct VRRPAdvertisementFilterTests {
    static func filter(
        _ version: VRRPPacket.Version = .v3, peers: [IPv4Address] = [], authType: UInt8 = 0, authData: [UInt8] = []
    ) -> VRRPAdvertisementFilter {
        VRRPAdvertisementFilter(
            vrid: 51, version: version, advertInterval: second, virtualAddresses: [vip], unicastPeers: peers,
            localAddresses: [peerA, IPv4Address(192, 168, 0, 1)], authType: authType, authData: authData
        )
    }

    @Test(arguments: VRRPPacket.Version.allCases)
    func aMatchingAdvertIsAcceptedCleanly(version: VRRPPacket.Version) {
        #expect(Self.filter(version).check(advert(version, priority: 100), source: peerB) == .accept(mismatches: []))
    }

    /// Every instance-level reason, each from one crafted situation.
    @Test(arguments: [
        ("looped back", VRRPDropReason.ownAddress, Self.filter(), advert(priority: 100), peerA),
        ("from our other address", .ownAddress, Self.filter(), advert(priority: 100), IPv4Address(192, 168, 0, 1)),
        ("not a unicast peer", .notAPeer, Self.filter(peers: [IPv4Address(10, 0, 0, 3)]), advert(priority: 100), peerB),
        ("another VRID", .unknownVRID, Self.filter(),
         VRRPPacket(version: .v3, vrid: 52, priority: 100, advertInterval: 100, addresses: [vip]), peerB),
        ("v2 to a v3 instance", .versionMismatch, Self.filter(.v3), advert(.v2, priority: 100), peerB),
        ("v3 to a v2 instance", .versionMismatch, Self.filter(.v2), advert(.v3, priority: 100), peerB),
        ("v2 password where none is expected", .authMismatch, Self.filter(.v2),
         VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip], authType: 1), peerB),
        ("v2 wrong password", .authMismatch, Self.filter(.v2, authType: 1, authData: Array("secret".utf8)),
         VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip], authType: 1, authData: Array("guess123".utf8)), peerB),
        ("v2 AH", .authMismatch, Self.filter(.v2),
         VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip], authType: 2), peerB),
        ("v2 interval 3 s", .intervalMismatch, Self.filter(.v2), advert(.v2, priority: 100, interval: 3), peerB),
    ] as [(String, VRRPDropReason, VRRPAdvertisementFilter, VRRPPacket, IPv4Address)])
    func instanceDrops(_ name: String, reason: VRRPDropReason, filter: VRRPAdvertisementFilter, packet: VRRPPacket, source: IPv4Address) {
        guard case .drop(let dropped, _) = filter.check(packet, source: source) else {
            Issue.record("\(name): accepted")
            return
        }
        #expect(dropped == reason, "\(name)")
    }

    /// Every drop reason is produced somewhere: by the decoder or by the filter.
    @Test func everyDropReasonIsReachable() {
        let decoder: Set<VRRPDropReason> = [.ipHeader, .ipProtocol, .ttl, .version, .type, .length, .checksum, .carp]
        let instance: Set<VRRPDropReason> = [.unknownVRID, .versionMismatch, .notAPeer, .ownAddress, .authMismatch, .intervalMismatch]
        #expect(decoder.union(instance) == Set(VRRPDropReason.allCases))
        #expect(decoder.isDisjoint(with: instance))
    }

    @Test func v2IntervalDropCarriesTheMismatchToLog() {
        let verdict = Self.filter(.v2).check(advert(.v2, priority: 100, interval: 3), source: peerB)
        #expect(verdict == .drop(.intervalMismatch, mismatch: .advertInterval(ours: second, theirs: 3 * second, from: peerB)))
    }

    @Test func v2SimplePasswordThatMatchesIsAccepted() {
        let packet = VRRPPacket(
            version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip], authType: 1,
            authData: Array("secret".utf8) + [0, 0]
        )
        #expect(Self.filter(.v2, authType: 1, authData: Array("secret".utf8)).check(packet, source: peerB) == .accept(mismatches: []))
    }

    @Test func v2AuthDataIsNotComparedWithoutAuthentication() {
        // RFC 3768 senders zero it, but nothing requires a receiver to care.
        let packet = VRRPPacket(version: .v2, vrid: 51, priority: 100, advertInterval: 1, addresses: [vip], authData: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Self.filter(.v2).check(packet, source: peerB) == .accept(mismatches: []))
    }

    @Test func unicastPeersAreAccepted() {
        #expect(Self.filter(peers: [peerB]).check(advert(priority: 100), source: peerB) == .accept(mismatches: []))
    }

    @Test(arguments: [
        [IPv4Address](),
        [vip, IPv4Address(10, 0, 0, 124)],
        [IPv4Address(10, 0, 0, 124)],
    ])
    func addressListMismatchesAreAcceptedAndReported(theirs: [IPv4Address]) {
        let verdict = Self.filter().check(advert(priority: 100, addresses: theirs), source: peerB)
        #expect(verdict == .accept(mismatches: [.addressList(ours: [vip], theirs: theirs, from: peerB)]))
    }

    @Test func addressOrderDoesNotMatter() {
        var filter = Self.filter()
        filter.virtualAddresses = [vip, peerB]
        #expect(filter.check(advert(priority: 100, addresses: [peerB, vip]), source: IPv4Address(10, 0, 0, 7)) == .accept(mismatches: []))
    }

    @Test func v3IntervalDifferenceIsAcceptedAndReported() {
        let verdict = Self.filter().check(advert(priority: 100, interval: 10), source: peerB)
        #expect(verdict == .accept(mismatches: [.advertInterval(ours: second, theirs: 100 * millisecond, from: peerB)]))
    }

    @Test func configurationFilterTreatsThePrimaryAddressAsOurs() {
        let filter = VRRPAdvertisementFilter(configuration: .test(priority: 100, address: peerA), localAddresses: [])
        #expect(filter.check(advert(priority: 100), source: peerA) == .drop(.ownAddress))
        #expect(filter.check(advert(priority: 100), source: peerB) == .accept(mismatches: []))
    }
}
