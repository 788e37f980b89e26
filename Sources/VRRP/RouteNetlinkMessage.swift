import CLinuxNet
import Glibc

/// The rtnetlink address messages ``VirtualAddressManager`` exchanges with the kernel, built
/// and parsed as bytes (pure, so the layout is tested without a kernel).
///
/// Layout (native byte order, every part padded to 4 bytes): `nlmsghdr` (16 bytes), then
/// `ifaddrmsg` (8 bytes), then `rtattr`s (4-byte header + value). Errors come back as
/// `NLMSG_ERROR` carrying a negated errno; a zero errno is the ACK that NLM_F_ACK asks for.
enum RouteNetlinkMessage {
    static let headerLength = 16
    static let addressMessageLength = 8

    // Message types, flags and attributes from <linux/netlink.h>, <linux/rtnetlink.h> and
    // <linux/if_addr.h>: part of the kernel ABI, so fixed.
    static let error: UInt16 = 2          // NLMSG_ERROR
    static let done: UInt16 = 3           // NLMSG_DONE
    static let newAddress: UInt16 = 20    // RTM_NEWADDR
    static let deleteAddress: UInt16 = 21 // RTM_DELADDR
    static let getAddress: UInt16 = 22    // RTM_GETADDR

    static let request: UInt16 = 0x1      // NLM_F_REQUEST
    static let acknowledge: UInt16 = 0x4  // NLM_F_ACK
    static let exclusive: UInt16 = 0x200  // NLM_F_EXCL: EEXIST instead of silently replacing
    static let create: UInt16 = 0x400     // NLM_F_CREATE
    static let dump: UInt16 = 0x300       // NLM_F_ROOT | NLM_F_MATCH

    static let attributeAddress: UInt16 = 1   // IFA_ADDRESS: the prefix (the peer on point-to-point)
    static let attributeLocal: UInt16 = 2     // IFA_LOCAL: the interface's own address
    static let attributeLabel: UInt16 = 3     // IFA_LABEL
    static let attributeFlags: UInt16 = 8     // IFA_FLAGS: 32-bit flags (ifa_flags holds only 8)

    static let flagSecondary: UInt32 = 0x01   // IFA_F_SECONDARY

    /// One decoded message from a reply.
    enum Reply: Equatable {
        /// NLMSG_ERROR: 0 is the acknowledgement, anything else a positive errno.
        case status(errno: Int32)
        case done
        case address(VirtualAddressManager.InterfaceAddress)
        /// Anything else (kept so callers can skip it).
        case other(type: UInt16)
    }

    /// A request that adds (``newAddress``) or removes (``deleteAddress``) one IPv4 address.
    static func addressChange(
        type: UInt16, sequence: UInt32, interfaceIndex: Int32, address: UInt32, prefixLength: UInt8?, label: String?
    ) -> [UInt8] {
        var flags = request | acknowledge
        if type == newAddress { flags |= create | exclusive }
        var body = addressHeader(prefixLength: prefixLength ?? 32, interfaceIndex: interfaceIndex)
        appendAttribute(&body, type: attributeLocal, value: bigEndianBytes(address))
        // Without IFA_ADDRESS the kernel deletes the first address matching IFA_LOCAL whatever its
        // prefix, which is what removing a stale VIP of unknown prefix needs.
        if prefixLength != nil {
            appendAttribute(&body, type: attributeAddress, value: bigEndianBytes(address))
        }
        if let label {
            appendAttribute(&body, type: attributeLabel, value: Array(label.utf8) + [0])
        }
        return message(type: type, flags: flags, sequence: sequence, body: body)
    }

    /// A dump request for every IPv4 address (the kernel ignores the index unless asked for
    /// strict checking, so callers filter).
    static func addressDump(sequence: UInt32) -> [UInt8] {
        message(type: getAddress, flags: request | dump, sequence: sequence,
                body: addressHeader(prefixLength: 0, interfaceIndex: 0))
    }

    /// Splits a datagram from the kernel into its messages.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(VirtualAddressError) -> [(sequence: UInt32, reply: Reply)] {
        var replies: [(UInt32, Reply)] = []
        var offset = 0
        while offset + headerLength <= bytes.count {
            let length = Int(load(UInt32.self, bytes, offset))
            let type = load(UInt16.self, bytes, offset + 4)
            let sequence = load(UInt32.self, bytes, offset + 8)
            guard length >= headerLength, offset + length <= bytes.count else {
                throw .malformedReply("netlink message of length \(length) at \(offset) in \(bytes.count) bytes")
            }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerLength)..<(offset + length)])
            switch type {
            case error:
                guard body.count >= 4 else { throw .malformedReply("NLMSG_ERROR without an error code") }
                replies.append((sequence, .status(errno: -load(Int32.self, body, 0))))
            case done:
                replies.append((sequence, .done))
            case newAddress:
                if let address = try parseAddress(body) { replies.append((sequence, .address(address))) }
            default:
                replies.append((sequence, .other(type: type)))
            }
            offset += align(length)
        }
        return replies
    }

    /// Decodes an RTM_NEWADDR body; nil for non-IPv4 addresses.
    static func parseAddress(_ body: UnsafeRawBufferPointer) throws(VirtualAddressError) -> VirtualAddressManager.InterfaceAddress? {
        guard body.count >= addressMessageLength else { throw .malformedReply("RTM_NEWADDR shorter than ifaddrmsg") }
        guard body[0] == UInt8(AF_INET) else { return nil }
        let prefixLength = body[1]
        var flags = UInt32(body[2])
        let interfaceIndex = Int32(bitPattern: load(UInt32.self, body, 4))
        var local: UInt32?
        var prefixAddress: UInt32?
        var label = ""
        var offset = addressMessageLength
        while offset + 4 <= body.count {
            let length = Int(load(UInt16.self, body, offset))
            let type = load(UInt16.self, body, offset + 2)
            guard length >= 4, offset + length <= body.count else {
                throw .malformedReply("rtattr of length \(length) at \(offset) in \(body.count) bytes")
            }
            let value = UnsafeRawBufferPointer(rebasing: body[(offset + 4)..<(offset + length)])
            switch type {
            case attributeLocal where value.count == 4:
                local = value.reduce(0) { $0 << 8 | UInt32($1) }
            case attributeAddress where value.count == 4:
                prefixAddress = value.reduce(0) { $0 << 8 | UInt32($1) }
            case attributeLabel:
                label = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case attributeFlags where value.count == 4:
                flags = load(UInt32.self, value, 0)
            default:
                break
            }
            offset += align(length)
        }
        guard let address = local ?? prefixAddress else { throw .malformedReply("IPv4 address without IFA_LOCAL or IFA_ADDRESS") }
        return VirtualAddressManager.InterfaceAddress(
            address: address, prefixLength: prefixLength, interfaceIndex: interfaceIndex, label: label, flags: flags
        )
    }

    // MARK: - Layout helpers

    static func align(_ length: Int) -> Int { (length + 3) & ~3 }

    private static func addressHeader(prefixLength: UInt8, interfaceIndex: Int32) -> [UInt8] {
        // ifaddrmsg: family, prefix length, flags, scope (RT_SCOPE_UNIVERSE), interface index.
        [UInt8(AF_INET), prefixLength, 0, 0] + nativeBytes(UInt32(bitPattern: interfaceIndex))
    }

    private static func message(type: UInt16, flags: UInt16, sequence: UInt32, body: [UInt8]) -> [UInt8] {
        // nlmsghdr: length, type, flags, sequence, port id (0: the kernel fills it in).
        nativeBytes(UInt32(headerLength + body.count)) + nativeBytes(type) + nativeBytes(flags)
            + nativeBytes(sequence) + nativeBytes(UInt32(0)) + body
    }

    private static func appendAttribute(_ body: inout [UInt8], type: UInt16, value: [UInt8]) {
        body += nativeBytes(UInt16(4 + value.count)) + nativeBytes(type) + value
        body += [UInt8](repeating: 0, count: align(value.count) - value.count)
    }

    private static func nativeBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    private static func bigEndianBytes(_ address: UInt32) -> [UInt8] {
        withUnsafeBytes(of: address.bigEndian) { Array($0) }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }
}
