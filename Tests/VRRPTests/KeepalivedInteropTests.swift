import Glibc
import Testing
@testable import VRRP

/// A real keepalived 2.2.x in lab host A; Ferry's OS-level pieces in host B read its adverts.
/// This also proves keepalived runs in the lab, for the speaker's interoperability tests.
@Suite("keepalived interop in a network lab", .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and keepalived"))
struct KeepalivedInteropTests {
    @Test("B's VRRPSocket receives keepalived's multicast adverts", arguments: [2, 3])
    func multicastAdverts(version: Int) throws {
        try #require(KeepalivedProcess.isInstalled, "keepalived is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let vip = a.address & 0xFFFF_FF00 | 100
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface) }
        let keepalived = try KeepalivedProcess(lab: lab, host: a, instances: [
            .init(state: .master, virtualRouterID: 51, priority: 150, advertInterval: "1", version: version,
                  virtualAddresses: ["\(NetworkLab.format(vip))/24"]),
        ])

        let datagram = try #require(try LabPackets.receive(on: receiver, timeout: .seconds(15)),
                                    "no advert from keepalived; its log:\n\(keepalived.log)")
        let advert = Array(datagram.payload)
        #expect(datagram.source == a.address)
        #expect(datagram.destination == VRRPSocket.multicastGroup)
        #expect(datagram.timeToLive == 255)
        #expect(advert[0] == UInt8(version << 4 | 1), "version and type (advertisement)")
        #expect(advert[1] == 51, "VRID")
        #expect(advert[2] == 150, "priority")
        #expect(advert[3] == 1, "one address")
        #expect(LabPackets.address(advert[8..<12]) == vip)
        if version == 3 {
            #expect(UInt16(advert[4] & 0x0F) << 8 | UInt16(advert[5]) == 100, "interval in centiseconds")
            // The v3 checksum covers the pseudo-header with the destination IP_PKTINFO reported.
            let pseudo = LabPackets.pseudoHeader(source: datagram.source, destination: datagram.destination, length: advert.count)
            #expect(LabPackets.checksum(pseudo + advert) == 0)
        } else {
            #expect(advert[5] == 1, "interval in seconds")
            #expect(LabPackets.checksum(advert) == 0, "v2 checksums the VRRP packet alone")
        }

        #expect(keepalived.waitForLog(containing: "Entering MASTER STATE"), "\(keepalived.log)")
        // keepalived added the VIP in A; our manager lists it, unlabelled, so not primary.
        let manager = try lab.inside(a) { try VirtualAddressManager() }
        #expect(try waitUntil { try manager.addresses(on: a.interface).contains { $0.address == vip } })
        #expect(try manager.primaryAddress(of: a.interface, excluding: [vip]) == a.address)
    }

    @Test("B's VRRPSocket receives keepalived's unicast adverts, addressed to B")
    func unicastAdverts() throws {
        try #require(KeepalivedProcess.isInstalled, "keepalived is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface, joinMulticastGroup: false) }
        let keepalived = try KeepalivedProcess(lab: lab, host: a, instances: [
            .init(state: .master, virtualRouterID: 52, priority: 120, advertInterval: "1", version: 3,
                  unicastSource: a.addressText, unicastPeers: [b.addressText],
                  virtualAddresses: ["\(NetworkLab.format(a.address & 0xFFFF_FF00 | 101))/24"]),
        ])

        let datagram = try #require(try LabPackets.receive(on: receiver, timeout: .seconds(15)),
                                    "no advert from keepalived; its log:\n\(keepalived.log)")
        #expect(datagram.source == a.address)
        #expect(datagram.destination == b.address)
        #expect(datagram.timeToLive == 255)
        #expect(datagram.payload.first == 0x31)
        #expect(datagram.payload.dropFirst().first == 52)
        let advert = Array(datagram.payload)
        let pseudo = LabPackets.pseudoHeader(source: datagram.source, destination: datagram.destination, length: advert.count)
        #expect(LabPackets.checksum(pseudo + advert) == 0)
    }

    @Test("stopping keepalived sends a priority-0 advert")
    func priorityZeroOnStop() throws {
        try #require(KeepalivedProcess.isInstalled, "keepalived is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface) }
        let keepalived = try KeepalivedProcess(lab: lab, host: a, instances: [
            .init(state: .master, virtualRouterID: 53, priority: 100, version: 3,
                  virtualAddresses: ["\(NetworkLab.format(a.address & 0xFFFF_FF00 | 102))/24"]),
        ])
        _ = try #require(try LabPackets.receive(on: receiver, timeout: .seconds(15)), "no advert; log:\n\(keepalived.log)")
        #expect(keepalived.waitForLog(containing: "Entering MASTER STATE"))

        keepalived.stop()

        let last = try LabPackets.receive(on: receiver, timeout: .seconds(5)) { $0.payload.dropFirst(2).first == 0 }
        #expect(last != nil, "no priority-0 advert; log:\n\(keepalived.log)")
    }

    private func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }
}
