extension VRRPPacket {
    /// The VRRP message (no IP header) with its checksum, ready for a raw `IPPROTO_VRRP` socket.
    ///
    /// v2 sums the message alone (RFC 3768 §5.3.8). v3 prepends the IPv4 pseudo-header
    /// (RFC 9568 §5.2.8) with the destination the packet is really sent to: 224.0.0.18, or the
    /// peer's address in unicast mode, which is what keepalived 2.x sends and checks (old
    /// keepalived used the group address even for unicast; that is not reproduced).
    public func encode(source: IPv4Address, destination: IPv4Address) -> [UInt8] {
        precondition(addresses.count <= 255, "the address count is one byte")
        var message: [UInt8] = []
        message.reserveCapacity(length)
        message.append(version.rawValue << 4 | Self.advertisementType)
        message.append(vrid)
        message.append(priority)
        message.append(UInt8(addresses.count))
        switch version {
        case .v2:
            message.append(authType)
            message.append(UInt8(clamping: advertInterval))
        case .v3:
            let field = UInt16(reserved & 0x0F) << 12 | advertInterval & 0x0FFF
            IPv4Header.append(field, to: &message)
        }
        message += [0, 0]  // checksum, filled below
        for address in addresses { message += address.bytes }
        if version == .v2 {
            var data = Array(authData.prefix(Self.authenticationDataLength))
            data += Array(repeating: 0, count: Self.authenticationDataLength - data.count)
            message += data
        }
        let sum = switch version {
        case .v2: InternetChecksum.compute(message)
        case .v3: InternetChecksum.vrrpV3(source: source, destination: destination, message: message)
        }
        message[6] = UInt8(sum >> 8)
        message[7] = UInt8(sum & 0xFF)
        return message
    }

    /// A whole IPv4 packet: a header with TTL 255, protocol 112 and TOS 0xC0, then the message.
    /// For tests and for sending with `IP_HDRINCL`.
    public func encodeIPPacket(
        source: IPv4Address, destination: IPv4Address, identification: UInt16 = 0, timeToLive: UInt8 = IPv4Header.vrrpTTL
    ) -> [UInt8] {
        let message = encode(source: source, destination: destination)
        let header = IPv4Header(
            source: source, destination: destination, payloadLength: message.count,
            timeToLive: timeToLive, identification: identification
        )
        return header.encode() + message
    }

    /// Decodes a received IPv4 packet and performs the receive checks of RFC 9568 §7.1 and
    /// RFC 3768 §7.1 that need no instance state, in the RFC's order: TTL, version (and type),
    /// complete packet, checksum. Instance checks (VRID, version match, peers, authentication,
    /// v2 interval) are ``VRRPAdvertisementFilter``'s.
    ///
    /// - Parameter acceptAnyTTL: skip the TTL check. keepalived does so for unicast peers, which
    ///   may be routed; multicast must always be checked.
    public static func decode(
        ipPacket: ArraySlice<UInt8>, acceptAnyTTL: Bool = false
    ) throws(VRRPDropReason) -> (header: IPv4Header, packet: VRRPPacket) {
        let header: IPv4Header
        let payload: ArraySlice<UInt8>
        do {
            (header, payload) = try IPv4Header.parse(ipPacket)
        } catch {
            throw error == .truncated ? .length : .ipHeader
        }
        guard header.protocolNumber == IPv4Header.vrrpProtocol else { throw .ipProtocol }
        guard acceptAnyTTL || header.timeToLive == IPv4Header.vrrpTTL else { throw .ttl }
        let packet = try decode(message: payload, source: header.source, destination: header.destination)
        return (header, packet)
    }

    /// Convenience for a whole buffer.
    public static func decode(
        ipPacket: [UInt8], acceptAnyTTL: Bool = false
    ) throws(VRRPDropReason) -> (header: IPv4Header, packet: VRRPPacket) {
        try decode(ipPacket: ipPacket[...], acceptAnyTTL: acceptAnyTTL)
    }

    /// Decodes a VRRP message (the IP payload) and verifies its checksum, which for v3 needs the
    /// addresses of the IP header it came in.
    public static func decode(
        message: ArraySlice<UInt8>, source: IPv4Address, destination: IPv4Address
    ) throws(VRRPDropReason) -> VRRPPacket {
        let packet = try parseFields(message)
        guard packet.checksumIsValid(message: message, source: source, destination: destination) else {
            throw .checksum
        }
        return packet
    }

    /// Reads the fields without verifying the checksum: version, type, CARP and length problems
    /// throw, since then the fields cannot be trusted to mean anything. The capture decoder uses
    /// this to show packets that a speaker would drop.
    public static func parseFields(_ message: ArraySlice<UInt8>) throws(VRRPDropReason) -> VRRPPacket {
        let start = message.startIndex
        guard message.count >= fixedHeaderLength else { throw .length }
        let versionNibble = message[start] >> 4
        guard let version = Version(rawValue: versionNibble) else { throw .version }
        guard message[start] & 0x0F == advertisementType else { throw .type }
        if CARPAdvertisement.looksLikeCARP(message) { throw .carp }
        let count = Int(message[start + 3])
        let expected = fixedHeaderLength + 4 * count + (version == .v2 ? authenticationDataLength : 0)
        // keepalived also insists on the exact length; a longer message is not one we understand.
        guard message.count == expected else { throw .length }

        let addresses = (0..<count).map { IPv4Address(bytes: message, at: start + fixedHeaderLength + 4 * $0) }
        let checksum = IPv4Header.word(message, start + 6)
        switch version {
        case .v2:
            let authStart = start + fixedHeaderLength + 4 * count
            return VRRPPacket(
                version: .v2, vrid: message[start + 1], priority: message[start + 2],
                advertInterval: UInt16(message[start + 5]), addresses: addresses,
                authType: message[start + 4], authData: Array(message[authStart..<(authStart + authenticationDataLength)]),
                checksum: checksum
            )
        case .v3:
            let field = IPv4Header.word(message, start + 4)
            return VRRPPacket(
                version: .v3, vrid: message[start + 1], priority: message[start + 2],
                advertInterval: field & 0x0FFF, addresses: addresses,
                reserved: UInt8(field >> 12), checksum: checksum
            )
        }
    }

    /// True when the checksum in `message` (the bytes this packet was parsed from) verifies:
    /// v2 over the message, v3 over the pseudo-header with `source` and `destination` too.
    public func checksumIsValid(message: ArraySlice<UInt8>, source: IPv4Address, destination: IPv4Address) -> Bool {
        switch version {
        case .v2: InternetChecksum.verify(message)
        case .v3: InternetChecksum.vrrpV3(source: source, destination: destination, message: message) == 0
        }
    }
}
