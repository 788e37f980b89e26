import CLinuxNet
import EventLoop
import Glibc
import Synchronization

/// Adds, removes and lists the IPv4 addresses of interfaces through rtnetlink, the way
/// `ip address add|del|show` does, and reports the kernel's own errno when it refuses.
///
/// The netlink socket belongs to the network namespace of the thread that created the manager,
/// and every lookup (interface names included) is answered for that namespace, from any thread.
///
/// VIPs it adds carry the label `IFNAME:ferry` (when that fits the kernel's 15 characters), as
/// keepalived users label theirs: `ip address show` then tells an operator at a glance which
/// address is the floating one, and ``primaryAddress(of:excluding:)`` skips a VIP left behind
/// by an earlier run even when the configuration has since changed.
public final class VirtualAddressManager: Sendable {
    /// An IPv4 address as `ip -4 address show` lists it.
    public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
        /// The interface's own address (IFA_LOCAL), host byte order.
        public var address: UInt32
        public var prefixLength: UInt8
        public var interfaceIndex: Int32
        /// IFA_LABEL: the interface name unless a label was given when the address was added.
        public var label: String
        /// IFA_F_* flags (IFA_F_SECONDARY, IFA_F_PERMANENT, …).
        public var flags: UInt32

        public init(address: UInt32, prefixLength: UInt8, interfaceIndex: Int32, label: String, flags: UInt32) {
            self.address = address
            self.prefixLength = prefixLength
            self.interfaceIndex = interfaceIndex
            self.label = label
            self.flags = flags
        }

        /// A second address in the subnet of another one; it dies with that primary address
        /// unless `promote_secondaries` is set.
        public var isSecondary: Bool { flags & RouteNetlinkMessage.flagSecondary != 0 }

        /// Whether Ferry added it (it carries Ferry's label).
        public var isLabelledVirtualAddress: Bool { label.hasSuffix(VirtualAddressManager.labelSuffix) }

        public var description: String { "\(IPv4Text.format(address))/\(prefixLength) (\(label))" }
    }

    /// Appended to the interface name to label the VIPs Ferry adds.
    public static let labelSuffix = ":ferry"

    private let fd: Int32
    private let sequence = Mutex<UInt32>(0)

    /// Opens a NETLINK_ROUTE socket in the calling thread's network namespace.
    public init() throws(SystemError) {
        let fd = cln_netlink_socket(NETLINK_ROUTE)
        guard fd >= 0 else { throw SystemError("socket(AF_NETLINK, NETLINK_ROUTE)") }
        // The kernel answers before send returns; the timeout only guards against a bug here.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// The label for a VIP on `interface`, or nil when the name leaves no room for the suffix.
    public static func label(for interface: String) -> String? {
        let label = interface + labelSuffix
        return label.utf8.count < Int(IFNAMSIZ) ? label : nil
    }

    /// The index of `interface` in the manager's network namespace.
    public func interfaceIndex(of interface: String) throws(VirtualAddressError) -> Int32 {
        let index = cln_if_index(fd, interface)
        guard index > 0 else {
            let code = cln_errno()
            if code == ENODEV { throw .noSuchInterface(interface) }
            throw .system(SystemError("SIOCGIFINDEX \(interface)", errno: code))
        }
        return index
    }

    /// Adds `address/prefixLength` to `interface` (RTM_NEWADDR, NLM_F_EXCL): EEXIST when it is
    /// already there.
    ///
    /// - Parameter labelled: give it Ferry's label (``label(for:)``).
    public func add(_ address: UInt32, prefixLength: UInt8, to interface: String, labelled: Bool = true) throws(VirtualAddressError) {
        let index = try interfaceIndex(of: interface)
        let what = "add \(IPv4Text.format(address))/\(prefixLength) on \(interface)"
        try exchange(what) { sequence in
            RouteNetlinkMessage.addressChange(
                type: RouteNetlinkMessage.newAddress, sequence: sequence, interfaceIndex: index, address: address,
                prefixLength: prefixLength, label: labelled ? Self.label(for: interface) : nil
            )
        }
    }

    /// Removes `address` from `interface` (RTM_DELADDR): EADDRNOTAVAIL when it is not there.
    ///
    /// - Parameter prefixLength: only remove it with this prefix; `nil` removes it whatever its prefix.
    public func remove(_ address: UInt32, prefixLength: UInt8? = nil, from interface: String) throws(VirtualAddressError) {
        let index = try interfaceIndex(of: interface)
        let what = "remove \(IPv4Text.format(address))\(prefixLength.map { "/\($0)" } ?? "") from \(interface)"
        try exchange(what) { sequence in
            RouteNetlinkMessage.addressChange(
                type: RouteNetlinkMessage.deleteAddress, sequence: sequence, interfaceIndex: index, address: address,
                prefixLength: prefixLength, label: nil
            )
        }
    }

    /// Removes `address` if it is on `interface` (a VIP left by a crash); returns whether it was.
    @discardableResult
    public func removeIfPresent(_ address: UInt32, from interface: String) throws(VirtualAddressError) -> Bool {
        do {
            try remove(address, from: interface)
            return true
        } catch let error where error.errno == EADDRNOTAVAIL {
            return false
        }
    }

    /// The IPv4 addresses of `interface`, in the kernel's order (primaries first).
    public func addresses(on interface: String) throws(VirtualAddressError) -> [InterfaceAddress] {
        let index = try interfaceIndex(of: interface)
        return try allAddresses().filter { $0.interfaceIndex == index }
    }

    /// The address VRRP speaks from: the first IPv4 address of `interface` that is neither in
    /// `excluding` (the configured VIPs) nor labelled as a Ferry VIP; nil when there is none.
    public func primaryAddress(of interface: String, excluding: Set<UInt32> = []) throws(VirtualAddressError) -> UInt32? {
        try addresses(on: interface).first { !excluding.contains($0.address) && !$0.isLabelledVirtualAddress }?.address
    }

    /// Every IPv4 address in the namespace (RTM_GETADDR dump).
    public func allAddresses() throws(VirtualAddressError) -> [InterfaceAddress] {
        try sequence.withLock { (sequence: inout UInt32) throws(VirtualAddressError) -> [InterfaceAddress] in
            sequence &+= 1
            try send(RouteNetlinkMessage.addressDump(sequence: sequence), "list addresses")
            var found: [InterfaceAddress] = []
            while true {
                for (replySequence, reply) in try receive("list addresses") where replySequence == sequence {
                    switch reply {
                    case let .address(address): found.append(address)
                    case .done: return found
                    case let .status(errno) where errno != 0: throw .kernel(request: "list addresses", errno: errno)
                    default: break
                    }
                }
            }
        }
    }

    // MARK: - Netlink I/O

    /// Sends one request with NLM_F_ACK and waits for its acknowledgement or error.
    private func exchange(_ what: String, _ build: (UInt32) -> [UInt8]) throws(VirtualAddressError) {
        try sequence.withLock { (sequence: inout UInt32) throws(VirtualAddressError) in
            sequence &+= 1
            try send(build(sequence), what)
            while true {
                // Replies to earlier requests that timed out carry other sequence numbers.
                for (replySequence, reply) in try receive(what) where replySequence == sequence {
                    if case let .status(errno) = reply {
                        if errno == 0 { return }
                        throw .kernel(request: what, errno: errno)
                    }
                }
            }
        }
    }

    private func send(_ message: [UInt8], _ what: String) throws(VirtualAddressError) {
        while true {
            let sent = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if sent == message.count { return }
            let code = cln_errno()
            if sent < 0 && code == EINTR { continue }
            throw .system(SystemError("netlink send (\(what))", errno: sent < 0 ? code : EMSGSIZE))
        }
    }

    private func receive(_ what: String) throws(VirtualAddressError) -> [(sequence: UInt32, reply: RouteNetlinkMessage.Reply)] {
        // 32 KiB: larger than the kernel's dump chunks (about 8 KiB), so no message is cut.
        var buffer = [UInt8](repeating: 0, count: 32768)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                let code = cln_errno()
                if code == EINTR { continue }
                throw .system(SystemError("netlink receive (\(what))", errno: code))
            }
            return try buffer.withUnsafeBytes { bytes in
                Result { () throws(VirtualAddressError) in
                    try RouteNetlinkMessage.parse(UnsafeRawBufferPointer(rebasing: bytes[..<count]))
                }
            }.get()
        }
    }
}
