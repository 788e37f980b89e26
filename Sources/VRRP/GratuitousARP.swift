import CLinuxNet
import EventLoop
import Glibc

/// Sends gratuitous ARP from one interface: an ARP request whose sender and target IP are both
/// the announced address, broadcast, with the interface's MAC as sender, so switches and
/// neighbours move a VIP to this host at once instead of when their ARP caches expire.
///
/// An AF_PACKET datagram socket bound to the interface: the kernel adds the Ethernet header
/// (broadcast destination, the interface's MAC as source, EtherType ARP). It is bound with
/// protocol 0, so it never receives anything.
///
/// IPv4 addresses are `UInt32` in host byte order.
public final class GratuitousARP {
    /// Length of an Ethernet/IPv4 ARP packet without the Ethernet header.
    public static let packetLength = 28
    /// ETH_P_ARP.
    public static let etherTypeARP: UInt16 = 0x0806

    /// The socket (-1 after ``close()``). Send-only; there is nothing to register.
    public private(set) var fd: Int32
    public let interfaceName: String
    /// The interface's index in the socket's network namespace.
    public let interfaceIndex: Int32

    /// Opens the socket on `interface`, in the calling thread's network namespace.
    public init(interface: String) throws(SystemError) {
        let fd = cln_packet_dgram_socket(0)
        guard fd >= 0 else { throw SystemError("socket(AF_PACKET, SOCK_DGRAM)") }
        let index = cln_if_index(fd, interface)
        guard index > 0 else {
            let error = SystemError("interface \(interface)")
            Glibc.close(fd)
            throw error
        }
        var local = sockaddr_ll()
        local.sll_family = UInt16(AF_PACKET)
        local.sll_ifindex = index
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        guard bound == 0 else {
            let error = SystemError("bind(AF_PACKET \(interface))")
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        interfaceName = interface
        interfaceIndex = index
    }

    deinit {
        close()
    }

    /// The interface's current MAC address (SIOCGIFHWADDR).
    public func hardwareAddress() throws(SystemError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 6)
        var type: UInt16 = 0
        let length = cln_if_hardware_address(fd, interfaceName, &bytes, Int32(bytes.count), &type)
        guard length == 6 else { throw SystemError("SIOCGIFHWADDR \(interfaceName)") }
        // ARPHRD_ETHER: loopback, tunnels and the like have no MAC to announce.
        guard type == 1 else { throw SystemError("gratuitous ARP on \(interfaceName) (not Ethernet)", errno: EOPNOTSUPP) }
        return bytes
    }

    /// Broadcasts one gratuitous ARP request for `address` from the interface's current MAC
    /// (looked up on each call: a bond or a migrated VM can change it).
    public func announce(_ address: UInt32) throws(SystemError) {
        let packet = Self.packet(senderHardwareAddress: try hardwareAddress(), address: address)
        var destination = sockaddr_ll()
        destination.sll_family = UInt16(AF_PACKET)
        destination.sll_protocol = Self.etherTypeARP.bigEndian
        destination.sll_ifindex = interfaceIndex
        destination.sll_halen = 6
        withUnsafeMutableBytes(of: &destination.sll_addr) { $0.copyBytes(from: [UInt8](repeating: 0xFF, count: 6)) }
        while true {
            let sent = packet.withUnsafeBytes { bytes in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                    }
                }
            }
            if sent >= 0 { return }
            let code = cln_errno()
            if code == EINTR { continue }
            throw SystemError("sendto(gratuitous ARP \(IPv4Text.format(address)) on \(interfaceName))", errno: code)
        }
    }

    /// The 28-byte ARP request announcing `address`: sender and target IP both `address`,
    /// target MAC ff:ff:ff:ff:ff:ff (what keepalived and `arping -U` send).
    public static func packet(senderHardwareAddress: [UInt8], address: UInt32) -> [UInt8] {
        precondition(senderHardwareAddress.count == 6, "an Ethernet MAC has 6 bytes")
        let ip = [UInt8(address >> 24), UInt8(address >> 16 & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address & 0xFF)]
        return [0x00, 0x01,       // hardware type: Ethernet
                0x08, 0x00,       // protocol type: IPv4
                6, 4,             // address lengths
                0x00, 0x01]       // operation: request
            + senderHardwareAddress + ip
            + [UInt8](repeating: 0xFF, count: 6) + ip
    }

    /// Closes the socket (also done on deinit).
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
