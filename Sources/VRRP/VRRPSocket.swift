import CLinuxNet
import EventLoop
import Glibc

/// A raw IPv4 socket for IP protocol 112 (VRRP) on one interface.
///
/// Non-blocking and close-on-exec; register ``fd`` with an `EpollLoop` for `readable` and call
/// ``receive()`` until it returns `nil`. The kernel builds the IP header of what is sent (TTL 255
/// for multicast and unicast alike, as RFC 9568 §5.1.1.3 requires) and hands the IP header back
/// with what is received, so the decoder can check TTL and the v3 pseudo-header checksum.
///
/// IPv4 addresses are `UInt32` in host byte order (224.0.0.18 is `0xE000_0012`).
///
/// Loop-confined: one owner uses it; it is not `Sendable`.
public final class VRRPSocket {
    /// IANA protocol number of VRRP.
    public static let ipProtocol: Int32 = 112
    /// 224.0.0.18, the VRRP multicast group (RFC 9568 §5.1.1.2).
    public static let multicastGroup: UInt32 = 0xE000_0012
    /// The TTL every VRRP packet is sent with and must arrive with.
    public static let ttl: Int32 = 255

    /// One packet as the kernel delivered it.
    public struct Datagram: Sendable, Equatable {
        /// The IPv4 header (with options, if any) followed by the VRRP packet.
        public var bytes: [UInt8]
        /// The sender's address (the IP header's source).
        public var source: UInt32
        /// The IP header's destination, from IP_PKTINFO: 224.0.0.18 or this host's unicast
        /// address. The v3 checksum covers it, so it must be the real one, not a guess.
        public var destination: UInt32
        /// The interface it arrived on.
        public var interfaceIndex: Int32

        public init(bytes: [UInt8], source: UInt32, destination: UInt32, interfaceIndex: Int32) {
            self.bytes = bytes
            self.source = source
            self.destination = destination
            self.interfaceIndex = interfaceIndex
        }

        /// Length of the IP header in bytes (IHL × 4), or 0 when `bytes` cannot hold one.
        public var ipHeaderLength: Int {
            guard let first = bytes.first else { return 0 }
            let length = Int(first & 0x0F) * 4
            return length >= 20 && length <= bytes.count ? length : 0
        }

        /// The TTL the packet arrived with (0 when there is no IP header).
        public var timeToLive: UInt8 { ipHeaderLength > 0 ? bytes[8] : 0 }

        /// The VRRP packet after the IP header.
        public var payload: ArraySlice<UInt8> { bytes[ipHeaderLength...] }
    }

    /// The socket; register it for `EpollLoop.readable`. -1 after ``close()``.
    public private(set) var fd: Int32
    /// The interface the socket is bound to.
    public let interfaceName: String
    /// That interface's index, resolved in the socket's network namespace.
    public let interfaceIndex: Int32
    /// Whether the socket joined 224.0.0.18 (off for unicast-only instances).
    public let joinedMulticastGroup: Bool

    // Reused for every packet: 64 KiB holds any IPv4 datagram, so nothing is ever truncated.
    private let buffer: UnsafeMutableRawBufferPointer
    private let control: UnsafeMutableRawBufferPointer

    /// Opens the socket on `interface`, in the calling thread's network namespace.
    ///
    /// - Parameter joinMulticastGroup: join 224.0.0.18 on the interface; leave it off for an
    ///   instance configured with unicast peers only.
    public init(interface: String, joinMulticastGroup: Bool = true) throws(SystemError) {
        let fd = cln_raw_socket(AF_INET, Self.ipProtocol)
        guard fd >= 0 else { throw SystemError("socket(AF_INET, SOCK_RAW, 112)") }
        var index: Int32 = 0
        do throws(SystemError) {
            index = cln_if_index(fd, interface)
            guard index > 0 else { throw SystemError("interface \(interface)") }
            try Self.configure(fd, interface: interface, index: index, joinMulticastGroup: joinMulticastGroup)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        interfaceName = interface
        interfaceIndex = index
        joinedMulticastGroup = joinMulticastGroup
        buffer = .allocate(byteCount: 65536, alignment: 16)
        control = .allocate(byteCount: 256, alignment: 16)
    }

    deinit {
        close()
        buffer.deallocate()
        control.deallocate()
    }

    private static func configure(_ fd: Int32, interface: String, index: Int32, joinMulticastGroup: Bool) throws(SystemError) {
        // Only packets that arrived on this interface, and sends leave through it whatever the routes say.
        let bound = interface.withCString { name in
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, socklen_t(strlen(name) + 1))
        }
        guard bound == 0 else { throw SystemError("setsockopt(SO_BINDTODEVICE \(interface))") }
        try setOption(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL")
        try setOption(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL")
        // Our own adverts must not come back as if another router sent them.
        try setOption(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP")
        // Without this, a raw socket also gets multicast for groups other sockets joined.
        try setOption(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL")
        // Learn the packet's real destination (the v3 checksum covers it) and interface.
        try setOption(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO")
        // Precedence 6 (internetwork control), as routers send VRRP, so queues favour it under load.
        try setOption(fd, IPPROTO_IP, IP_TOS, 0xC0, "IP_TOS")

        var membership = ip_mreqn()
        membership.imr_multiaddr.s_addr = multicastGroup.bigEndian
        membership.imr_ifindex = index
        guard setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &membership, socklen_t(MemoryLayout<ip_mreqn>.size)) == 0 else {
            throw SystemError("setsockopt(IP_MULTICAST_IF \(interface))")
        }
        if joinMulticastGroup {
            guard setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &membership, socklen_t(MemoryLayout<ip_mreqn>.size)) == 0 else {
                throw SystemError("setsockopt(IP_ADD_MEMBERSHIP 224.0.0.18 \(interface))")
            }
        }
    }

    private static func setOption(_ fd: Int32, _ level: Int, _ name: Int32, _ value: Int32, _ label: String) throws(SystemError) {
        var value = value
        guard setsockopt(fd, Int32(level), name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError("setsockopt(\(label))")
        }
    }

    /// Reads one packet; `nil` when none is waiting (EAGAIN).
    public func receive() throws(SystemError) -> Datagram? {
        precondition(fd >= 0, "receive on a closed VRRPSocket")
        var source = sockaddr_in()
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        while true {
            let (count, info) = withUnsafeMutablePointer(to: &source) { sourcePointer in
                withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(sourcePointer)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = control.baseAddress
                    message.msg_controllen = control.count
                    let count = recvmsg(fd, &message, 0)
                    return (count, count >= 0 ? Self.packetInfo(&message) : nil)
                }
            }
            if count < 0 {
                let code = cln_errno()
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return nil }
                throw SystemError("recvmsg(VRRP on \(interfaceName))", errno: code)
            }
            let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            // IP_PKTINFO is always there once enabled; fall back to the header for robustness.
            let destination = info?.destination ?? Self.headerDestination(bytes) ?? 0
            let index = info?.interfaceIndex ?? interfaceIndex
            return Datagram(bytes: bytes, source: UInt32(bigEndian: source.sin_addr.s_addr),
                            destination: destination, interfaceIndex: index)
        }
    }

    /// The IP_PKTINFO control message of a received packet, if there is one.
    private static func packetInfo(_ message: inout msghdr) -> (destination: UInt32, interfaceIndex: Int32)? {
        var cmsg = cln_cmsg_firsthdr(&message)
        while let current = cmsg {
            var index: Int32 = 0
            var local: UInt32 = 0
            var destination: UInt32 = 0
            if cln_cmsg_read_pktinfo(current, &index, &local, &destination) == 1 {
                return (UInt32(bigEndian: destination), index)
            }
            cmsg = cln_cmsg_nxthdr(&message, current)
        }
        return nil
    }

    private static func headerDestination(_ bytes: [UInt8]) -> UInt32? {
        guard bytes.count >= 20 else { return nil }
        return bytes[16..<20].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Sends `payload` (a VRRP packet, without IP header) to `destination`: 224.0.0.18 or a
    /// unicast peer.
    ///
    /// - Parameter source: the IP source address; `nil` lets the kernel pick the interface's
    ///   primary address. Pass the primary address explicitly when VIPs outside its subnet can be
    ///   on the interface, since the kernel might otherwise pick a VIP (and the v3 checksum and the
    ///   "higher address wins" rule both depend on the source).
    public func send(_ payload: [UInt8], to destination: UInt32, source: UInt32? = nil) throws(SystemError) {
        precondition(fd >= 0, "send on a closed VRRPSocket")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.bigEndian
        let controlLength = source.map { cln_cmsg_write_pktinfo(control.baseAddress, interfaceIndex, $0.bigEndian) } ?? 0
        while true {
            let sent = payload.withUnsafeBytes { bytes in
                withUnsafeMutablePointer(to: &address) { addressPointer in
                    var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(addressPointer)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        if controlLength > 0 {
                            message.msg_control = control.baseAddress
                            message.msg_controllen = controlLength
                        }
                        return sendmsg(fd, &message, 0)
                    }
                }
            }
            if sent >= 0 { return }
            let code = cln_errno()
            if code == EINTR { continue }
            throw SystemError("sendmsg(VRRP to \(IPv4Text.format(destination)) on \(interfaceName))", errno: code)
        }
    }

    /// Closes the socket (also done on deinit). Closing removes it from any epoll set.
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
