import EventLoop
import Glibc
import Testing
@testable import VRRP

/// Gratuitous ARP from one lab host, seen on the wire by a capture in another; and its layout.
@Suite("GratuitousARP")
struct GratuitousARPTests {
    @Test("a broadcast ARP request with sender IP == target IP and the interface's MAC reaches the other host",
          .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and AF_PACKET"))
    func announce() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let vip = a.address & 0xFFFF_FF00 | 100
        let capture = try lab.inside(b) { try PcapCapture(interface: b.interface, filter: "arp") }
        let arp = try lab.inside(a) { try GratuitousARP(interface: a.interface) }
        let mac = try arp.hardwareAddress()
        #expect(mac.map { String(format: "%02x", $0) }.joined(separator: ":") == (try lab.macAddress(of: a)))

        try arp.announce(vip)

        let seen = try #require(try capture.next(within: .seconds(5)) { $0.bytes.count >= 42 && $0.bytes[12] == 0x08 && $0.bytes[13] == 0x06 })
        let frame = seen.bytes
        #expect(capture.linkType == .ethernet)
        #expect(Array(frame[0..<6]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "broadcast destination")
        #expect(Array(frame[6..<12]) == mac, "Ethernet source is the interface's MAC")
        let body = Array(frame[14..<42])
        #expect(body == GratuitousARP.packet(senderHardwareAddress: mac, address: vip))
        #expect(Array(body[6..<8]) == [0, 1], "request")
        #expect(Array(body[8..<14]) == mac, "sender MAC")
        #expect(LabPackets.address(body[14..<18]) == vip, "sender IP")
        #expect(LabPackets.address(body[24..<28]) == vip, "target IP")
    }

    @Test("an interface without a MAC (loopback) is refused",
          .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and AF_PACKET"))
    func loopback() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let arp = try lab.inside(lab.host(0)) { try GratuitousARP(interface: "lo") }
        let error = #expect(throws: SystemError.self) { try arp.announce(0x7F00_0001) }
        #expect(error?.errno == EOPNOTSUPP)
    }

    @Test("the ARP body layout")
    func layout() {
        let packet = GratuitousARP.packet(senderHardwareAddress: [2, 0, 0, 0, 0, 1], address: 0x0A00_0064)
        #expect(packet == [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 100,
                           0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 10, 0, 0, 100])
        #expect(packet.count == GratuitousARP.packetLength)
    }
}
