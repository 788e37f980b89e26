import Testing

@testable import VRRP

@Suite struct CaptureAnomalyDetectorTests {
    static let a = IPv4Address(10, 0, 0, 1)
    static let b = IPv4Address(10, 0, 0, 2)
    static let c = IPv4Address(10, 0, 0, 3)

    /// Feeds (time, frame) pairs through the decoder and detector; returns the anomalies with
    /// the time they were reported.
    static func run(_ packets: [(Double, [UInt8])], window: Duration = .seconds(5)) -> [(Double, CaptureAnomaly)] {
        var detector = CaptureAnomalyDetector(window: window)
        let decoder = CaptureDecoder()
        var found: [(Double, CaptureAnomaly)] = []
        for (time, ip) in packets.sorted(by: { $0.0 < $1.0 }) {
            let event = decoder.decode(Frames.frame(Frames.ethernet(ip, type: 0x0800), at: Frames.at(time)))
            found += detector.observe(event).map { (time, $0) }
        }
        return found
    }

    /// `source` advertising every `interval` seconds over [from, to).
    static func adverts(
        from source: IPv4Address, _ start: Double, _ end: Double, every interval: Double = 1, priority: UInt8 = 100,
        version: VRRPPacket.Version = .v3, vrid: UInt8 = 51, addresses: [IPv4Address] = [vip], field: UInt16? = nil
    ) -> [(Double, [UInt8])] {
        stride(from: start, to: end, by: interval).map {
            ($0, Frames.vrrp(version, from: source, vrid: vrid, priority: priority, interval: field, addresses: addresses))
        }
    }

    @Test func aHealthyPairIsQuiet() {
        #expect(Self.run(Self.adverts(from: Self.a, 0, 60, priority: 150)).isEmpty)
    }

    @Test func twoMastersAdvertisingTogetherIsASplitBrainReportedOnce() {
        let found = Self.run(Self.adverts(from: Self.a, 0, 30, priority: 150) + Self.adverts(from: Self.b, 0.5, 30))
        #expect(found.map(\.1) == [.splitBrain(protocol: "VRRP", id: 51, sources: [Self.a, Self.b])])
        #expect(found.first?.0 == 1)  // A, B, A: the second A advert proves it
        #expect(found.first?.1.description == "SPLIT BRAIN: VRRP vrid 51 has 2 masters [10.0.0.1, 10.0.0.2]")
    }

    @Test func aSplitBrainIsReportedAgainAfterItCleared() {
        let packets = Self.adverts(from: Self.a, 0, 60, priority: 150)
            + Self.adverts(from: Self.b, 0.5, 10)  // first episode
            + Self.adverts(from: Self.b, 30.5, 40)  // second, after B was silent for 20 s
        let found = Self.run(packets)
        #expect(found.map(\.0) == [1, 31])
    }

    @Test func aThirdMasterIsANewReport() {
        let found = Self.run(
            Self.adverts(from: Self.a, 0, 20, priority: 150) + Self.adverts(from: Self.b, 0.3, 20)
                + Self.adverts(from: Self.c, 10.6, 20, priority: 50)
        )
        #expect(found.map(\.1) == [
            .splitBrain(protocol: "VRRP", id: 51, sources: [Self.a, Self.b]),
            .splitBrain(protocol: "VRRP", id: 51, sources: [Self.a, Self.b, Self.c]),
        ])
    }

    @Test(arguments: [
        // Crash: A stops, B starts 3.6 s later.
        [(Self.a, 0.0, 10.0), (Self.b, 12.6, 30.0)],
        // Preemption: B was master, A takes over and B stops at once.
        [(Self.b, 0.0, 20.05), (Self.a, 20.1, 40.0)],
        // Handover right after the last advert.
        [(Self.a, 0.0, 10.0), (Self.b, 9.1, 30.0)],
    ])
    func cleanHandoversAreNotSplitBrains(runs: [(IPv4Address, Double, Double)]) {
        let packets = runs.flatMap { Self.adverts(from: $0.0, $0.1, $0.2) }
        #expect(Self.run(packets).isEmpty)
    }

    @Test func aPriorityZeroHandoverIsNotASplitBrain() {
        let packets = Self.adverts(from: Self.a, 0, 10, priority: 150)
            + [(9.5, Frames.vrrp(from: Self.a, priority: 0))]
            + Self.adverts(from: Self.b, 10.1, 30)
        // A's resignation at 9.5 comes after its 9.0 advert; B starts at 10.1.
        #expect(Self.run(packets).isEmpty)
    }

    @Test func sourcesFarApartInTimeAreNotASplitBrain() {
        // A at 0 and 7, B at 1: A's previous advert is older than the window.
        let packets = [(0.0, Frames.vrrp(from: Self.a)), (1.0, Frames.vrrp(from: Self.b)), (7.0, Frames.vrrp(from: Self.a))]
        #expect(Self.run(packets).isEmpty)
        #expect(Self.run(packets, window: .seconds(10)).map(\.1) == [.splitBrain(protocol: "VRRP", id: 51, sources: [Self.a, Self.b])])
    }

    @Test func differentVRIDsAreIndependent() {
        let packets = Self.adverts(from: Self.a, 0, 10, vrid: 51) + Self.adverts(from: Self.b, 0.5, 10, vrid: 52, addresses: [peerA])
        #expect(Self.run(packets).isEmpty)
    }

    @Test func intervalMismatchIsReportedOnce() {
        let found = Self.run(Self.adverts(from: Self.a, 0, 10, field: 100) + Self.adverts(from: Self.b, 0.5, 10, every: 2, field: 200))
        let mismatches = found.map(\.1).filter { if case .intervalMismatch = $0 { true } else { false } }
        #expect(mismatches == [.intervalMismatch(vrid: 51, intervals: [Self.a: second, Self.b: 2 * second])])
        #expect(mismatches.first?.description == "interval mismatch on vrid 51: 10.0.0.1 1.00s, 10.0.0.2 2.00s")
    }

    @Test func addressMismatchIsReported() {
        let other = IPv4Address(10, 0, 0, 124)
        let found = Self.run([(0, Frames.vrrp(from: Self.a)), (0.5, Frames.vrrp(from: Self.b, addresses: [vip, other]))])
        #expect(found.map(\.1) == [.addressMismatch(vrid: 51, addresses: [Self.a: [vip], Self.b: [vip, other]])])
        #expect(found.first?.1.description == "address list mismatch on vrid 51: 10.0.0.1 [10.0.0.123], 10.0.0.2 [10.0.0.123, 10.0.0.124]")
    }

    @Test func addressOrderIsNotAMismatch() {
        let other = IPv4Address(10, 0, 0, 124)
        #expect(Self.run([(0, Frames.vrrp(from: Self.a, addresses: [other, vip])), (0.5, Frames.vrrp(from: Self.b, addresses: [vip, other]))]).isEmpty)
    }

    @Test func versionMismatchIsReported() {
        let found = Self.run([(0, Frames.vrrp(.v2, from: Self.a)), (0.5, Frames.vrrp(.v3, from: Self.b))])
        #expect(found.map(\.1) == [.versionMismatch(vrid: 51, versions: [Self.a: .v2, Self.b: .v3])])
        #expect(found.first?.1.description == "version mismatch on vrid 51: 10.0.0.1 v2, 10.0.0.2 v3")
    }

    @Test func badTTLAndChecksumAreFlaggedOnEveryPacket() {
        var bad = Frames.vrrp(from: Self.a)
        bad[bad.count - 1] ^= 1
        let packets = [(0.0, Frames.vrrp(from: Self.a, ttl: 64)), (1.0, Frames.vrrp(from: Self.a, ttl: 64)), (2.0, bad)]
        let found = Self.run(packets).map(\.1)
        #expect(found == [.badTTL(source: Self.a, ttl: 64), .badTTL(source: Self.a, ttl: 64), .badChecksum(protocol: "VRRP", source: Self.a)])
        #expect(found[0].description == "TTL 64 from 10.0.0.1 (must be 255; receivers drop it)")
        #expect(found[2].description == "bad VRRP checksum from 10.0.0.1 (receivers drop it)")
    }

    @Test func malformedProtocol112IsFlagged() {
        var ip = Frames.vrrp(from: Self.a)
        ip[23] = 9
        #expect(Self.run([(0, ip)]).map(\.1) == [.malformed(source: Self.a, reason: .length)])
    }

    @Test func carpSplitBrainAndCARPIsSeparateFromVRRP() {
        let carpA = (0..<10).map { (Double($0), Frames.carp(from: Self.a, vhid: 51)) }
        let carpB = (0..<10).map { (Double($0) + 0.5, Frames.carp(from: Self.b, vhid: 51)) }
        let found = Self.run(carpA + carpB)
        #expect(found.map(\.1) == [.splitBrain(protocol: "CARP", id: 51, sources: [Self.a, Self.b])])
        #expect(found.first?.1.description == "SPLIT BRAIN: CARP vhid 51 has 2 masters [10.0.0.1, 10.0.0.2]")
        // One VRRP and one CARP speaker on the same number are two groups, not a split brain.
        #expect(Self.run(carpA + Self.adverts(from: Self.b, 0.5, 10)).isEmpty)
    }

    @Test func arpAndOtherTrafficAreIgnored() {
        var detector = CaptureAnomalyDetector()
        let arp = CapturedARP(operation: 1, senderHardwareAddress: Frames.hostMAC, senderAddress: vip, targetHardwareAddress: [0, 0, 0, 0, 0, 0], targetAddress: vip)
        #expect(detector.observe(CapturedEvent(timestamp: Frames.noon, kind: .arp(arp))) == [])
        #expect(detector.observe(CapturedEvent(timestamp: Frames.noon, kind: .other("x"))) == [])
    }
}
