import EventLoop
import Glibc
import Testing
@testable import VRRP

/// VRRPSocket against the real kernel: two lab hosts on one bridge.
@Suite("VRRPSocket in a network lab", .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and raw sockets"))
struct VRRPSocketTests {
    @Test("a multicast advert arrives with TTL 255, the sender's source and 224.0.0.18 as destination")
    func multicastAdvert() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let sender = try lab.inside(a) { try VRRPSocket(interface: a.interface) }
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface) }
        let payload = LabPackets.advertisementV3(vrid: 51, priority: 150, centiseconds: 100, addresses: [0x0A7B_0064],
                                                 source: a.address, destination: VRRPSocket.multicastGroup)

        // Through an EpollLoop, the way the speaker will read it.
        let loop = try EpollLoop()
        final class Reader: EventHandler {
            let socket: VRRPSocket
            let loop: EpollLoop
            var received: [VRRPSocket.Datagram] = []
            init(socket: VRRPSocket, loop: EpollLoop) { self.socket = socket; self.loop = loop }
            func handleEvent(data: UInt64, events: UInt32) {
                while let datagram = try? socket.receive() { received.append(datagram) }
                if !received.isEmpty { loop.stop() }
            }
        }
        let reader = Reader(socket: receiver, loop: loop)
        try loop.register(fd: receiver.fd, events: EpollLoop.readable | EpollLoop.edgeTriggered,
                          handler: loop.add(handler: reader), data: 1)
        loop.schedule(after: .seconds(5)) { loop.stop() }
        try sender.send(payload, to: VRRPSocket.multicastGroup)
        loop.run()

        let datagram = try #require(reader.received.first, "no VRRP packet reached host B")
        #expect(datagram.source == a.address)
        #expect(datagram.destination == VRRPSocket.multicastGroup)
        #expect(datagram.timeToLive == 255)
        #expect(datagram.bytes[9] == 112, "IP protocol")
        #expect(LabPackets.address(datagram.bytes[16..<20]) == VRRPSocket.multicastGroup, "IP header destination")
        #expect(datagram.interfaceIndex == receiver.interfaceIndex)
        #expect(Array(datagram.payload) == payload)
        // The checksum verifies against the destination IP_PKTINFO reported.
        let pseudo = LabPackets.pseudoHeader(source: datagram.source, destination: datagram.destination, length: payload.count)
        #expect(LabPackets.checksum(pseudo + Array(datagram.payload)) == 0)
        // IP_MULTICAST_LOOP is off: the sender does not hear itself.
        #expect(try LabPackets.receive(on: sender, timeout: .milliseconds(300)) == nil)
    }

    @Test("a unicast advert arrives with TTL 255 and the receiver's own address as destination")
    func unicastAdvert() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let sender = try lab.inside(a) { try VRRPSocket(interface: a.interface, joinMulticastGroup: false) }
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface, joinMulticastGroup: false) }
        let payload = LabPackets.advertisementV3(vrid: 7, priority: 100, centiseconds: 100, addresses: [0x0A7B_0064],
                                                 source: a.address, destination: b.address)

        try sender.send(payload, to: b.address, source: a.address)

        let datagram = try #require(try LabPackets.receive(on: receiver), "no VRRP packet reached host B")
        #expect(datagram.source == a.address)
        #expect(datagram.destination == b.address)
        #expect(datagram.timeToLive == 255)
        #expect(Array(datagram.payload) == payload)
    }

    @Test("the source address can be chosen per packet with IP_PKTINFO")
    func chosenSource() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        // A second address on A, outside the lab subnet, as a VIP would be.
        let extra: UInt32 = 0x0AC8_0001  // 10.200.0.1
        try lab.run(in: a, ["ip", "address", "add", "10.200.0.1/32", "dev", a.interface])
        let sender = try lab.inside(a) { try VRRPSocket(interface: a.interface) }
        let receiver = try lab.inside(b) { try VRRPSocket(interface: b.interface) }

        try sender.send([0x31, 1, 100, 0, 0, 100, 0, 0], to: VRRPSocket.multicastGroup, source: extra)
        try sender.send([0x31, 2, 100, 0, 0, 100, 0, 0], to: VRRPSocket.multicastGroup, source: a.address)

        let first = try #require(try LabPackets.receive(on: receiver) { $0.payload.dropFirst().first == 1 })
        let second = try #require(try LabPackets.receive(on: receiver) { $0.payload.dropFirst().first == 2 })
        #expect(first.source == extra)
        #expect(second.source == a.address)
    }

    @Test("an unknown interface is reported with its name")
    func unknownInterface() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let error = try lab.inside(lab.host(0)) { () -> SystemError? in
            do {
                _ = try VRRPSocket(interface: "nosuch0")
                return nil
            } catch let error as SystemError {
                return error
            }
        }
        #expect(error?.errno == ENODEV)
        #expect(error?.description.contains("nosuch0") == true)
    }
}
