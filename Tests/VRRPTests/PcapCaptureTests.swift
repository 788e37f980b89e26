import Foundation
import Glibc
import Testing
@testable import VRRP

/// libpcap live captures in a lab, and capture files.
@Suite("PcapCapture")
struct PcapCaptureTests {
    @Test("a live capture sees VRRP and ARP with the default filter; dumped to a file, they read back identically",
          .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and packet capture"))
    func liveCaptureAndDump() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let capture = try lab.inside(b) { try PcapCapture(interface: b.interface) }
        let (sender, arp) = try lab.inside(a) { (try VRRPSocket(interface: a.interface), try GratuitousARP(interface: a.interface)) }
        let path = lab.directory.appendingPathComponent("live.pcap").path
        let dump = try capture.dump(to: path)
        let payload = LabPackets.advertisementV3(vrid: 9, priority: 200, centiseconds: 100, addresses: [0x0A7B_0064],
                                                 source: a.address, destination: VRRPSocket.multicastGroup)

        try sender.send(payload, to: VRRPSocket.multicastGroup)
        try arp.announce(0x0A7B_0064)
        // Unicast UDP from A to B (bash's /dev/udp): on the wire, with the ARP exchange it
        // needs, but not something the default filter lets through.
        let udp = try lab.run(in: a, ["bash", "-c", "echo ferry > /dev/udp/\(b.addressText)/9"])
        #expect(udp.succeeded, "\(udp)")
        try sender.send([0x31, 10, 100, 0, 0, 100, 0, 0], to: VRRPSocket.multicastGroup)

        var seen: [PcapCapture.Packet] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, seen.last.map({ $0.bytes.count <= 35 || $0.bytes[35] != 10 }) ?? true {
            if let packet = try capture.next() {
                seen.append(packet)
                dump.write(packet)
            }
        }
        dump.close()
        try #require(seen.count >= 3, "captured \(seen.count) packets")
        #expect(capture.linkType == .ethernet)
        let advert = seen[0]
        #expect(Array(advert.bytes[0..<6]) == [0x01, 0x00, 0x5E, 0x00, 0x00, 0x12], "the group's multicast MAC")
        #expect(Array(advert.bytes[12..<14]) == [0x08, 0x00])
        #expect(advert.bytes[22] == 255, "TTL")
        #expect(advert.bytes[23] == 112, "protocol")
        #expect(Array(advert.bytes[34...]) == payload)
        #expect(advert.originalLength == advert.bytes.count)
        #expect(Array(seen[1].bytes[12..<14]) == [0x08, 0x06], "the gratuitous ARP")
        let isARP = { (packet: PcapCapture.Packet) in packet.bytes[12] == 0x08 && packet.bytes[13] == 0x06 }
        #expect(seen.allSatisfy { isARP($0) || $0.bytes[23] == 112 }, "the UDP datagram is filtered out")
        #expect(seen.count > 3, "the ARP exchange before the UDP datagram was captured")
        #expect(try capture.statistics().received >= UInt32(seen.count))

        let file = try PcapCapture(file: path)
        #expect(file.linkType == .ethernet)
        #expect(try file.readAll() == seen)
        #expect(file.reachedEnd)

        // The file is a standard capture: tcpdump decodes it.
        try #require(LabProcess.which("tcpdump") != nil, "tcpdump is not installed (scripts/test installs it)")
        let decoded = try LabProcess.run(["tcpdump", "-nn", "-r", path], logFile: lab.directory.appendingPathComponent("tcpdump.log"))
        #expect(decoded.succeeded, "\(decoded)")
        #expect(decoded.output.contains("\(a.addressText) > 224.0.0.18: VRRPv3, Advertisement, vrid 9, prio 200"), "\(decoded)")
        #expect(decoded.output.contains("Request who-has 10.123.0.100 (ff:ff:ff:ff:ff:ff) tell 10.123.0.100"), "\(decoded)")
    }

    @Test("a file written with DumpFile reads back packet for packet, and a filter applies to it")
    func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-pcap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("synthetic.pcap").path
        let arp = [UInt8](repeating: 0xFF, count: 6) + [2, 0, 0, 0, 0, 1, 0x08, 0x06]
            + GratuitousARP.packet(senderHardwareAddress: [2, 0, 0, 0, 0, 1], address: 0x0A00_0064)
        let vrrp: [UInt8] = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x12, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
                    0x45, 0xC0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18]
            + [0x31, 1, 100, 0, 0, 100, 0, 0]
        let packets = [
            PcapCapture.Packet(seconds: 1_700_000_000, microseconds: 1, originalLength: arp.count, bytes: arp),
            PcapCapture.Packet(seconds: 1_700_000_001, microseconds: 999_999, originalLength: 1500, bytes: vrrp),
        ]
        let dump = try PcapCapture.DumpFile(path: path, linkType: .ethernet)
        for packet in packets { dump.write(packet) }
        dump.close()

        #expect(try PcapCapture(file: path).readAll() == packets)
        #expect(try PcapCapture(file: path, filter: "arp").readAll() == [packets[0]])
        #expect(try PcapCapture(file: path, filter: PcapCapture.defaultFilter).readAll() == packets)
    }

    @Test("errors carry libpcap's message")
    func errors() throws {
        let missing = #expect(throws: PcapError.self) { try PcapCapture(file: "/nonexistent/ferry.pcap") }
        #expect(missing?.message.contains("No such file") == true)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-pcap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.pcap").path
        try PcapCapture.DumpFile(path: path, linkType: .ethernet).close()
        let badFilter = #expect(throws: PcapError.self) { try PcapCapture(file: path, filter: "ip proto vrrrp") }
        #expect(badFilter?.function.contains("pcap_compile") == true)
    }
}

extension PcapCapture {
    /// Reads until a packet matching `predicate` arrives; nil after `timeout`.
    func next(within timeout: Duration, where predicate: (Packet) -> Bool) throws -> Packet? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let packet = try next(), predicate(packet) { return packet }
        }
        return nil
    }
}
