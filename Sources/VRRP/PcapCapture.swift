import CPcap
import EventLoop
import Glibc

/// A libpcap handle: a live capture on an interface, or a saved `.pcap` file being read, for
/// `ferry capture` and the tests.
///
/// Live captures open in the calling thread's network namespace (libpcap resolves the interface
/// name on its own packet socket) and can then be read from any one thread at a time.
/// Not `Sendable`: one owner reads it.
public final class PcapCapture {
    /// The filter `ferry capture` uses: VRRP (and CARP, which shares protocol 112) and ARP.
    public static let defaultFilter = "ip proto 112 or arp"

    /// One captured packet.
    public struct Packet: Sendable, Equatable {
        /// Capture time: seconds since the epoch, and the microseconds past that second.
        public var seconds: Int
        public var microseconds: Int
        /// Length on the wire; more than `bytes.count` when the snapshot length cut it.
        public var originalLength: Int
        /// The captured bytes, starting with the link-layer header (see ``PcapCapture/linkType``).
        public var bytes: [UInt8]

        public init(seconds: Int, microseconds: Int, originalLength: Int, bytes: [UInt8]) {
            self.seconds = seconds
            self.microseconds = microseconds
            self.originalLength = originalLength
            self.bytes = bytes
        }
    }

    /// A DLT_* link-layer header type, which says how to find the IP packet in ``Packet/bytes``.
    public struct LinkType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// DLT_EN10MB: a 14-byte Ethernet header (veth, bridges, real NICs).
        public static let ethernet = LinkType(rawValue: 1)
        /// DLT_LINUX_SLL: Linux "cooked" 16-byte header (captures on `any`).
        public static let linuxCooked = LinkType(rawValue: 113)
        /// DLT_LINUX_SLL2: the 20-byte successor of ``linuxCooked``.
        public static let linuxCooked2 = LinkType(rawValue: 276)
        /// DLT_RAW: the packet starts with its IP header (tun devices).
        public static let raw = LinkType(rawValue: 12)

        /// libpcap's name for it, e.g. "EN10MB".
        public var description: String {
            guard let name = pcap_datalink_val_to_name(rawValue) else { return "DLT \(rawValue)" }
            return String(cString: name)
        }
    }

    /// Counters of a live capture (pcap_stats).
    public struct Statistics: Sendable, Equatable {
        /// Packets that passed the filter.
        public var received: UInt32
        /// Packets dropped because the buffer was full (the reader was too slow).
        public var dropped: UInt32
        /// Packets the interface or its driver dropped.
        public var droppedByInterface: UInt32
    }

    /// The link-layer header type of every packet.
    public let linkType: LinkType
    /// The interface, for a live capture; the path, for a file.
    public let source: String
    /// Whether the last ``next()`` on a file reached its end.
    public private(set) var reachedEnd = false

    private var handle: OpaquePointer?

    /// Starts a live capture on `interface`, in the calling thread's network namespace.
    ///
    /// - Parameters:
    ///   - filter: a BPF expression (`tcpdump` syntax); nil captures everything.
    ///   - snapshotLength: bytes kept of each packet.
    ///   - promiscuous: also see unicast frames for other hosts (off: a diagnostic tool should
    ///     not change what the interface accepts).
    ///   - immediate: deliver each packet at once rather than when the kernel's block fills up.
    ///   - timeout: how long ``next()`` waits for a packet before returning nil.
    public init(
        interface: String, filter: String? = defaultFilter, snapshotLength: Int32 = 65535,
        promiscuous: Bool = false, immediate: Bool = true, timeout: Duration = .milliseconds(200)
    ) throws(PcapError) {
        var errorText = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &errorText) else {
            throw PcapError(function: "pcap_create(\(interface))", errorBuffer: errorText)
        }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        _ = pcap_set_snaplen(handle, snapshotLength)
        _ = pcap_set_promisc(handle, promiscuous ? 1 : 0)
        _ = pcap_set_immediate_mode(handle, immediate ? 1 : 0)
        _ = pcap_set_timeout(handle, max(1, milliseconds))
        let status = pcap_activate(handle)
        // Positive values are warnings (e.g. promiscuous mode not supported); the capture works.
        if status < 0 {
            let error = PcapError(function: "pcap_activate(\(interface))", status: status, handle: handle)
            pcap_close(handle)
            throw error
        }
        self.handle = handle
        source = interface
        linkType = LinkType(rawValue: pcap_datalink(handle))
        if let filter { try setFilter(filter) }
    }

    /// Opens a saved capture file (pcap or pcapng) for reading.
    public init(file path: String, filter: String? = nil) throws(PcapError) {
        var errorText = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errorText) else {
            throw PcapError(function: "pcap_open_offline(\(path))", errorBuffer: errorText)
        }
        self.handle = handle
        source = path
        linkType = LinkType(rawValue: pcap_datalink(handle))
        if let filter { try setFilter(filter) }
    }

    deinit {
        close()
    }

    /// Replaces the BPF filter.
    public func setFilter(_ expression: String) throws(PcapError) {
        let handle = try openHandle()
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw PcapError(function: "pcap_compile(\"\(expression)\")", status: PCAP_ERROR, handle: handle)
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw PcapError(function: "pcap_setfilter(\"\(expression)\")", status: PCAP_ERROR, handle: handle)
        }
    }

    /// The next packet; nil when none came within the timeout (live), none is waiting
    /// (non-blocking), or the file has ended (then ``reachedEnd`` is true).
    public func next() throws(PcapError) -> Packet? {
        let handle = try openHandle()
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return nil }
            let captured = Int(header.pointee.caplen)
            return Packet(
                seconds: Int(header.pointee.ts.tv_sec), microseconds: Int(header.pointee.ts.tv_usec),
                originalLength: Int(header.pointee.len), bytes: Array(UnsafeBufferPointer(start: data, count: captured))
            )
        case 0:
            return nil
        case PCAP_ERROR_BREAK:
            reachedEnd = true
            return nil
        default:
            throw PcapError(function: "pcap_next_ex(\(source))", status: status, handle: handle)
        }
    }

    /// Every remaining packet of a file (for a live capture: until the first timeout).
    public func readAll() throws(PcapError) -> [Packet] {
        var packets: [Packet] = []
        while let packet = try next() { packets.append(packet) }
        return packets
    }

    /// A descriptor that becomes readable when packets wait, for an `EpollLoop`; use it with
    /// ``setNonBlocking(_:)`` and call ``next()`` until it returns nil. -1 for files.
    public var selectableFD: Int32 {
        guard let handle else { return -1 }
        return pcap_get_selectable_fd(handle)
    }

    /// Makes ``next()`` return nil at once instead of waiting for the timeout.
    public func setNonBlocking(_ nonBlocking: Bool) throws(PcapError) {
        let handle = try openHandle()
        var errorText = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard pcap_setnonblock(handle, nonBlocking ? 1 : 0, &errorText) == 0 else {
            throw PcapError(function: "pcap_setnonblock(\(source))", errorBuffer: errorText)
        }
    }

    /// Counters of a live capture since it started.
    public func statistics() throws(PcapError) -> Statistics {
        let handle = try openHandle()
        var counters = pcap_stat()
        guard pcap_stats(handle, &counters) == 0 else {
            throw PcapError(function: "pcap_stats(\(source))", status: PCAP_ERROR, handle: handle)
        }
        return Statistics(received: counters.ps_recv, dropped: counters.ps_drop, droppedByInterface: counters.ps_ifdrop)
    }

    /// Creates (truncates) a capture file at `path` with this capture's link type and snapshot length.
    public func dump(to path: String) throws(PcapError) -> DumpFile {
        let handle = try openHandle()
        guard let dumper = pcap_dump_open(handle, path) else {
            throw PcapError(function: "pcap_dump_open(\(path))", status: PCAP_ERROR, handle: handle)
        }
        return DumpFile(dumper: dumper, path: path, deadHandle: nil)
    }

    /// Closes the handle (also done on deinit).
    public func close() {
        guard let handle else { return }
        pcap_close(handle)
        self.handle = nil
    }

    private func openHandle() throws(PcapError) -> OpaquePointer {
        guard let handle else { throw PcapError(function: "pcap (\(source))", message: "capture is closed") }
        return handle
    }

    /// A `.pcap` file being written (pcap_dump). Not `Sendable`: one owner writes it.
    public final class DumpFile {
        public let path: String
        private var dumper: OpaquePointer?
        /// The pcap_open_dead handle of a file not tied to a capture.
        private var deadHandle: OpaquePointer?

        fileprivate init(dumper: OpaquePointer, path: String, deadHandle: OpaquePointer?) {
            self.dumper = dumper
            self.path = path
            self.deadHandle = deadHandle
        }

        /// Creates (truncates) a capture file for packets of `linkType` not read from a capture.
        public convenience init(path: String, linkType: LinkType, snapshotLength: Int32 = 65535) throws(PcapError) {
            guard let dead = pcap_open_dead(linkType.rawValue, snapshotLength) else {
                throw PcapError(function: "pcap_open_dead(\(linkType))", message: "out of memory")
            }
            guard let dumper = pcap_dump_open(dead, path) else {
                let error = PcapError(function: "pcap_dump_open(\(path))", status: PCAP_ERROR, handle: dead)
                pcap_close(dead)
                throw error
            }
            self.init(dumper: dumper, path: path, deadHandle: dead)
        }

        deinit {
            close()
        }

        /// Appends one packet (buffered; see ``flush()``).
        public func write(_ packet: Packet) {
            guard let dumper else { preconditionFailure("write to a closed pcap dump file \(path)") }
            var header = pcap_pkthdr()
            header.ts.tv_sec = packet.seconds
            header.ts.tv_usec = packet.microseconds
            header.caplen = UInt32(packet.bytes.count)
            header.len = UInt32(max(packet.originalLength, packet.bytes.count))
            packet.bytes.withUnsafeBufferPointer { bytes in
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, bytes.baseAddress)
            }
        }

        /// Writes buffered packets to the file, so it can be read while still open.
        public func flush() throws(PcapError) {
            guard let dumper else { return }
            guard pcap_dump_flush(dumper) == 0 else {
                throw PcapError(function: "pcap_dump_flush(\(path))", message: SystemError.describe(errno))
            }
        }

        /// Flushes and closes the file (also done on deinit).
        public func close() {
            if let dumper { pcap_dump_close(dumper) }
            if let deadHandle { pcap_close(deadHandle) }
            dumper = nil
            deadHandle = nil
        }
    }
}
