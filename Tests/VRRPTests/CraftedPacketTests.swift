import Foundation
import Testing
import VRRP

/// A third lab host sends hand-made protocol-112 packets (raw socket, `IP_HDRINCL`) to a running
/// `ferry run`. Each bad packet carries priority 254, so had Ferry accepted it, its master would
/// have stepped down: every one must instead be dropped, counted under its reason in
/// `/stats;json` (and under no other), and leave the state alone. A well-formed packet at the end
/// proves the crafting itself is right: that one does make Ferry step down.
@Suite("crafted VRRP packets against a running Ferry", .serialized,
       .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and raw sockets (CI runs as root)"))
struct CraftedPacketTests {
    /// One hand-made packet and what Ferry must count for it.
    struct Case: CustomStringConvertible {
        var description: String
        var packet: [UInt8]
        var destination: UInt32
        /// Drops expected per instance name and reason, for each copy sent.
        var expected: [String: [String: Int]]
    }

    @Test("each receive-check failure is dropped, counted by reason, and changes nothing")
    func badPacketsAreDroppedAndCounted() throws {
        let lab = try NetworkLab(hosts: 3)
        defer { lab.teardown() }
        let ferryHost = lab.host(0), attacker = lab.host(1), peer = lab.host(2)
        let multicastVIP = lab.subnetAddress(110), unicastVIP = lab.subnetAddress(111)
        let ferry = try FerryInLab(lab: lab, host: ferryHost, instances: [
            .init(name: "mcast", vrid: 61, priority: 150, advertInterval: "100ms", virtualIPs: ["\(multicastVIP)/24"]),
            .init(name: "ucast", vrid: 62, priority: 150, advertInterval: "100ms", virtualIPs: ["\(unicastVIP)/24"],
                  unicastPeers: [peer.addressText]),
        ])
        #expect(ferry.waitForState("MASTER", of: "mcast"), "\(ferry.logTail())")
        #expect(ferry.waitForState("MASTER", of: "ucast"), "\(ferry.logTail())")
        let sender = try LabRawSender(lab: lab, host: attacker)

        let group = VRRPSocket.multicastGroup
        let source = attacker.address
        let vip = try #require(IPv4Address(multicastVIP))
        func message(vrid: UInt8 = 61, destination: UInt32 = group, version: VRRPPacket.Version = .v3, from: UInt32 = source,
                     addresses: [IPv4Address]? = nil) -> [UInt8] {
            VRRPPacket(version: version, vrid: vrid, priority: 254, advertInterval: version == .v3 ? 10 : 1,
                       addresses: addresses ?? [vip])
                .encode(source: IPv4Address(rawValue: from), destination: IPv4Address(rawValue: destination))
        }
        func packet(_ body: [UInt8], ttl: UInt8 = 255, destination: UInt32 = group, from: UInt32 = source) -> [UInt8] {
            LabRawSender.ipHeader(source: from, destination: destination, ttl: ttl) + body
        }
        func mutated(_ change: (inout [UInt8]) -> Void, destination: UInt32 = group) -> [UInt8] {
            var body = message(destination: destination)
            change(&body)
            LabRawSender.fixChecksum(&body, source: source, destination: destination)
            return body
        }

        let cases: [Case] = [
            Case(description: "TTL 64 instead of 255", packet: packet(message(), ttl: 64), destination: group,
                 expected: ["mcast": ["ttl": 1]]),
            Case(description: "VRRP version 4", packet: packet(mutated { $0[0] = 0x41 }), destination: group,
                 expected: ["mcast": ["version": 1]]),
            Case(description: "type 2 instead of 1 (advertisement)", packet: packet(mutated { $0[0] = 0x32 }), destination: group,
                 expected: ["mcast": ["type": 1]]),
            Case(description: "bad checksum", packet: packet(message().enumerated().map { $0.offset == 7 ? $0.element ^ 0x5A : $0.element }),
                 destination: group, expected: ["mcast": ["checksum": 1]]),
            Case(description: "truncated to 6 bytes", packet: packet(Array(message().prefix(6))), destination: group,
                 expected: ["mcast": ["length": 1]]),
            Case(description: "address count 2 with one address", packet: packet(mutated { $0[3] = 2 }), destination: group,
                 expected: ["mcast": ["length": 1]]),
            Case(description: "unknown VRID 99", packet: packet(message(vrid: 99)), destination: group,
                 expected: ["mcast": ["unknown_vrid": 1]]),
            Case(description: "VRRPv2 packet for a v3 instance", packet: packet(message(version: .v2)), destination: group,
                 expected: ["mcast": ["version_mismatch": 1]]),
            // Unicast to Ferry's address: the unicast instance refuses a source that is not its
            // peer; the multicast instance's socket sees it too, with a VRID that is not its own.
            Case(description: "unicast from a non-peer",
                 packet: packet(message(vrid: 62, destination: ferryHost.address, addresses: [try #require(IPv4Address(unicastVIP))]),
                                destination: ferryHost.address),
                 destination: ferryHost.address, expected: ["ucast": ["not_a_peer": 1], "mcast": ["unknown_vrid": 1]]),
        ]

        let before = try ferry.allStatuses()
        let copies = 3
        var previous = Dictionary(uniqueKeysWithValues: before.map { ($0.name, $0.drops) })
        for crafted in cases {
            for _ in 0..<copies {
                try sender.send(crafted.packet, to: crafted.destination)
                usleep(5_000)
            }
            // Exactly the expected reasons moved, by exactly `copies` per packet.
            var observed: [String: [String: Int]] = [:]
            let settled = FerryInLab.poll(timeout: .seconds(3)) {
                guard let now = try? ferry.allStatuses() else { return false }
                observed = Dictionary(uniqueKeysWithValues: now.map { instance in
                    let old = previous[instance.name] ?? [:]
                    let delta = instance.drops.compactMapValues { $0 }.reduce(into: [String: Int]()) { result, entry in
                        let moved = entry.value - (old[entry.key] ?? 0)
                        if moved != 0 { result[entry.key] = moved }
                    }
                    return (instance.name, delta)
                }).filter { !$0.value.isEmpty }
                return observed == crafted.expected.mapValues { $0.mapValues { $0 * copies } }
            }
            print("[vrrp-e2e] crafted \(crafted): drops counted \(observed)")
            #expect(settled, "\(crafted): expected \(crafted.expected) × \(copies), counted \(observed)")
            previous = Dictionary(uniqueKeysWithValues: try ferry.allStatuses().map { ($0.name, $0.drops) })
        }

        // Nothing changed: both still master, nothing accepted, the same last transition, the VIPs held.
        let after = try ferry.allStatuses()
        for (old, new) in zip(before, after) {
            #expect(new.state == "MASTER", "\(new)")
            #expect(new.advertsReceived == old.advertsReceived, "a bad packet was accepted: \(new)")
            #expect(new.lastTransitionReason == old.lastTransitionReason, "\(new)")
            #expect(new.mismatches == 0, "\(new)")
        }
        #expect(lab.hostHolds(ferryHost, multicastVIP) && lab.hostHolds(ferryHost, unicastVIP))

        // Control: the same packets made right are accepted, and priority 254 wins over 150. Sent
        // every 50 ms (well inside Master_Down_Interval) until both instances are backups.
        let unicastVIPAddress = try #require(IPv4Address(unicastVIP))
        var control: [FerryInLab.Status] = []
        let steppedDown = try FerryInLab.poll(timeout: .seconds(3), every: .milliseconds(50)) {
            try sender.send(packet(message()), to: group)
            // The unicast instance only listens to its peer: spoof the peer's address.
            let unicast = message(vrid: 62, destination: ferryHost.address, from: peer.address, addresses: [unicastVIPAddress])
            try sender.send(packet(unicast, destination: ferryHost.address, from: peer.address), to: ferryHost.address)
            control = (try? ferry.allStatuses()) ?? []
            return control.count == 2 && control.allSatisfy { $0.state == "BACKUP" }
        }
        #expect(steppedDown, "valid priority-254 adverts must make Ferry step down: \(control)")
        #expect(control.first { $0.name == "mcast" }?.masterAddress == attacker.addressText, "\(control)")
        #expect(control.first { $0.name == "ucast" }?.masterAddress == peer.addressText, "\(control)")
        // Silence again: Ferry takes the VIPs back after Master_Down_Interval.
        #expect(ferry.waitForState("MASTER", of: "mcast", timeout: .seconds(3)))
        #expect(ferry.waitForState("MASTER", of: "ucast", timeout: .seconds(3)))
    }
}
