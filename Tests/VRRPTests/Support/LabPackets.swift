import Glibc
import VRRP

/// Packets and waits shared by the OS-level VRRP tests (independent of the VRRP codec, so
/// these tests check the kernel plumbing, not the decoder).
enum LabPackets {
    /// A VRRPv3 advertisement (RFC 9568 §5.1): version 3, type 1, one IPv4 address, with its
    /// checksum over the IPv4 pseudo-header of `source` → `destination`.
    static func advertisementV3(
        vrid: UInt8, priority: UInt8, centiseconds: UInt16, addresses: [UInt32], source: UInt32, destination: UInt32
    ) -> [UInt8] {
        var packet: [UInt8] = [0x31, vrid, priority, UInt8(addresses.count),
                               UInt8(centiseconds >> 8 & 0x0F), UInt8(centiseconds & 0xFF), 0, 0]
        for address in addresses { packet += bytes(address) }
        let sum = checksum(pseudoHeader(source: source, destination: destination, length: packet.count) + packet)
        packet[6] = UInt8(sum >> 8)
        packet[7] = UInt8(sum & 0xFF)
        return packet
    }

    /// The Internet checksum (RFC 1071) of `data`: 0 over data that carries a correct checksum.
    static func checksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < data.count {
            sum += UInt32(data[index]) << 8 | UInt32(data[index + 1])
            index += 2
        }
        if index < data.count { sum += UInt32(data[index]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Source, destination, zero, protocol 112, VRRP length.
    static func pseudoHeader(source: UInt32, destination: UInt32, length: Int) -> [UInt8] {
        bytes(source) + bytes(destination) + [0, 112, UInt8(length >> 8), UInt8(length & 0xFF)]
    }

    static func bytes(_ address: UInt32) -> [UInt8] {
        [UInt8(address >> 24), UInt8(address >> 16 & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address & 0xFF)]
    }

    static func address(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Polls `socket` until a datagram matching `predicate` arrives; nil after `timeout`.
    static func receive(
        on socket: VRRPSocket, timeout: Duration = .seconds(5), where predicate: (VRRPSocket.Datagram) -> Bool = { _ in true }
    ) throws -> VRRPSocket.Datagram? {
        let deadline = ContinuousClock.now + timeout
        while true {
            while let datagram = try socket.receive() {
                if predicate(datagram) { return datagram }
            }
            if ContinuousClock.now >= deadline { return nil }
            var waiting = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&waiting, 1, 100)
        }
    }
}
