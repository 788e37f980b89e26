import VRRP
import FuzzSupport

/// The VRRP/CARP receive path on arbitrary bytes.
///
/// Input: one control byte, then either an IPv4 packet as a raw `IPPROTO_VRRP` socket delivers it
/// (control bit 0x80 clear: the speaker's path) or a sequence of captured frames, each a 2-byte
/// length and its bytes (bit 0x80 set: `ferry capture`'s path; bits 0-1 choose the link type).
///
/// Beyond "no crash", it checks:
/// - a packet the speaker accepts re-encodes to the bytes it came from (checksum aside when the
///   received one is the other zero of one's-complement arithmetic), and the re-encoded packet,
///   alone and in a fresh IP header, decodes to the same value;
/// - the capture decoder agrees with the speaker's decoder on every IPv4 packet: same fields,
///   checksum verdict, CARP and malformed classification;
/// - the advertisement filter: a filter configured from the packet accepts it without mismatches,
///   an accepted packet has the filter's VRID and version, a dropped interval mismatch is v2;
/// - CARP and IPv4 headers whose checksums verify re-encode to their bytes;
/// - every event renders a line and goes through the anomaly detector.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVRRP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if control & 0x80 == 0 {
        checkSpeakerPath(bytes, acceptAnyTTL: control & 0x01 != 0)
    } else {
        checkCapturePath(bytes, linkType: CapturedFrame.LinkType.allCases[Int(control & 0x03) % CapturedFrame.LinkType.allCases.count])
    }
    return 0
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// True when `a` and `b` are equal except that the checksum words at `offset` are 0x0000 in one
/// and 0xFFFF in the other: both verify (RFC 1071's two zeros), and an encoder writes 0x0000.
func sameModuloChecksumZero(_ a: [UInt8], _ b: [UInt8], checksumAt offset: Int) -> Bool {
    guard a.count == b.count else { return false }
    if a == b { return true }
    var a = a, b = b
    let words = [UInt16(a[offset]) << 8 | UInt16(a[offset + 1]), UInt16(b[offset]) << 8 | UInt16(b[offset + 1])]
    guard Set(words) == [0x0000, 0xFFFF] else { return false }
    a[offset] = 0; a[offset + 1] = 0; b[offset] = 0; b[offset + 1] = 0
    return a == b
}

// MARK: - Speaker path

func checkSpeakerPath(_ bytes: [UInt8], acceptAnyTTL: Bool) {
    let outcome: Result<(header: IPv4Header, packet: VRRPPacket), VRRPDropReason>
    do throws(VRRPDropReason) {
        outcome = .success(try VRRPPacket.decode(ipPacket: bytes, acceptAnyTTL: acceptAnyTTL))
    } catch {
        outcome = .failure(error)
    }
    checkIPv4Header(bytes)
    checkAgainstCaptureDecoder(bytes, speaker: outcome, acceptAnyTTL: acceptAnyTTL)
    guard case .success(let (header, packet)) = outcome else { return }

    require(header.protocolNumber == IPv4Header.vrrpProtocol, "accepted protocol \(header.protocolNumber)")
    require(acceptAnyTTL || header.timeToLive == IPv4Header.vrrpTTL, "accepted TTL \(header.timeToLive)")
    let payload = Array(bytes[header.headerLength..<Int(header.totalLength)])
    require(payload.count == packet.length, "length \(packet.length) for a \(payload.count)-byte message")

    // Byte-exact re-encoding: the value keeps every field it was decoded from.
    let encoded = packet.encode(source: header.source, destination: header.destination)
    require(sameModuloChecksumZero(encoded, payload, checksumAt: 6), "re-encoded \(hex(encoded)) from \(hex(payload))")
    var fresh = packet
    fresh.checksum = UInt16(encoded[6]) << 8 | UInt16(encoded[7])
    do throws(VRRPDropReason) {
        let again = try VRRPPacket.decode(message: encoded[...], source: header.source, destination: header.destination)
        require(again == fresh, "message round trip \(again) != \(fresh)")
        let ip = packet.encodeIPPacket(source: header.source, destination: header.destination)
        let (ipHeader, viaIP) = try VRRPPacket.decode(ipPacket: ip)
        require(viaIP == fresh, "IP round trip \(viaIP) != \(fresh)")
        require(ipHeader.source == header.source && ipHeader.destination == header.destination, "IP round trip addresses")
    } catch {
        require(false, "re-encoded packet dropped: \(error) (\(hex(encoded)))")
    }
    checkFilters(packet, source: header.source)
}

func checkFilters(_ packet: VRRPPacket, source: IPv4Address) {
    // Configured exactly like the sender (addresses in another order): accepted, nothing to report.
    let matching = VRRPAdvertisementFilter(
        vrid: packet.vrid, version: packet.version, advertInterval: packet.advertIntervalNanoseconds,
        virtualAddresses: packet.addresses.reversed(), localAddresses: [], authType: packet.authType, authData: packet.authData
    )
    require(matching.check(packet, source: source) == .accept(mismatches: []), "matching filter: \(matching.check(packet, source: source))")
    var unicast = matching
    unicast.unicastPeers = [source]
    require(unicast.check(packet, source: source) == .accept(mismatches: []), "unicast peer filter")
    var own = matching
    own.localAddresses = [source]
    require(own.check(packet, source: source) == .drop(.ownAddress), "own address not dropped")

    // Fixed configurations like the seeds': whatever the verdict, it must be consistent.
    for filter in fixedFilters {
        switch filter.check(packet, source: source) {
        case .accept(let mismatches):
            require(packet.vrid == filter.vrid && packet.version == filter.version, "accepted another VRID/version")
            if packet.version == .v2 {
                require(packet.advertIntervalNanoseconds == filter.advertInterval, "v2 interval mismatch accepted")
            }
            let addressesDiffer = packet.addresses.sorted() != filter.virtualAddresses.sorted()
            let reported = mismatches.contains { if case .addressList = $0 { true } else { false } }
            require(addressesDiffer == reported, "address mismatch reported \(reported), differs \(addressesDiffer)")
        case .drop(let reason, let mismatch):
            require(reason != .intervalMismatch || (packet.version == .v2 && mismatch != nil), "interval drop \(packet)")
        }
    }
    _ = CapturedEvent(timestamp: .init(seconds: 0, microseconds: 0), kind: .vrrp(
        header: IPv4Header(source: source, destination: .vrrpMulticast, payloadLength: packet.length),
        packet: packet, checksumValid: true
    )).description
}

let vip = IPv4Address(10, 0, 0, 123)
let fixedFilters = [
    VRRPAdvertisementFilter(vrid: 51, version: .v3, advertInterval: 1_000_000_000, virtualAddresses: [vip], localAddresses: []),
    VRRPAdvertisementFilter(vrid: 51, version: .v2, advertInterval: 1_000_000_000, virtualAddresses: [vip], localAddresses: []),
    VRRPAdvertisementFilter(
        vrid: 51, version: .v2, advertInterval: 1_000_000_000, virtualAddresses: [vip], localAddresses: [],
        authType: 1, authData: Array("secret".utf8)
    ),
]

// MARK: - The capture decoder against the speaker's

func ethernetFrame(_ ipPacket: [UInt8]) -> CapturedFrame {
    let header: [UInt8] = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5E, 0x00, 0x01, 0x33, 0x08, 0x00]
    return CapturedFrame(timestamp: .init(seconds: 1, microseconds: 0), linkType: .ethernet, bytes: header + ipPacket)
}

func checkAgainstCaptureDecoder(
    _ bytes: [UInt8], speaker: Result<(header: IPv4Header, packet: VRRPPacket), VRRPDropReason>, acceptAnyTTL: Bool
) {
    let event = CaptureDecoder().decode(ethernetFrame(bytes))
    _ = event.description
    let ttlIsFine = { (header: IPv4Header) in acceptAnyTTL || header.timeToLive == IPv4Header.vrrpTTL }
    switch (speaker, event.kind) {
    case (.success(let (header, packet)), .vrrp(let captured, let capturedPacket, let checksumValid)):
        require(captured == header && capturedPacket == packet && checksumValid, "capture decoded \(event) for \(packet)")
    case (.success, _):
        require(false, "speaker accepted, capture says \(event)")
    // The speaker checks the TTL before the VRRP fields; the capture decoder shows both.
    case (.failure(.ttl), .vrrp(let header, _, _)), (.failure(.ttl), .carp(let header, _, _)),
         (.failure(.ttl), .malformedVRRP(let header, _)):
        require(!ttlIsFine(header), "TTL drop with TTL \(header.timeToLive)")
    case (.failure(.checksum), .vrrp(let header, _, let checksumValid)):
        require(!checksumValid && ttlIsFine(header), "checksum drop, capture says \(event)")
    case (.failure(.carp), .carp(let header, _, _)):
        require(ttlIsFine(header), "CARP drop after TTL check, capture says \(event)")
    case (.failure(let reason), .malformedVRRP(let header, let captured)):
        require(reason == captured && ttlIsFine(header), "speaker \(reason), capture \(captured)")
    case (.failure(.ipProtocol), .other), (.failure(.ipHeader), .other), (.failure(.length), .other):
        break
    case (.failure(let reason), _):
        require(false, "speaker dropped for \(reason), capture says \(event)")
    }
    if case .carp(_, let advert, let checksumValid) = event.kind, checksumValid,
       let (_, message) = try? IPv4Header.parse(bytes) {
        require(sameModuloChecksumZero(advert.encode(), Array(message), checksumAt: 6), "CARP re-encoding of \(hex(message))")
    }
}

/// A header whose checksum verifies re-encodes to its bytes.
func checkIPv4Header(_ bytes: [UInt8]) {
    guard let (header, payload) = try? IPv4Header.parse(bytes) else { return }
    require(payload.count == header.payloadLength, "payload \(payload.count) != \(header.payloadLength)")
    guard header.hasValidChecksum else { return }
    let original = Array(bytes.prefix(header.headerLength))
    require(sameModuloChecksumZero(header.encode(), original, checksumAt: 10), "IPv4 header re-encoding of \(hex(original))")
}

// MARK: - Capture path

/// Frames of `[length: 2 bytes][bytes]`, decoded and fed to one anomaly detector, 0.4 s apart.
func checkCapturePath(_ bytes: [UInt8], linkType: CapturedFrame.LinkType) {
    let decoder = CaptureDecoder(utcOffset: 3600)
    var detector = CaptureAnomalyDetector()
    var index = 0
    var time = CaptureTimestamp(seconds: 1_700_000_000, microseconds: 0)
    while index + 2 <= bytes.count {
        let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
        index += 2
        let end = min(bytes.count, index + length)
        let frame = CapturedFrame(timestamp: time, linkType: linkType, bytes: Array(bytes[index..<end]))
        index = end
        let event = decoder.decode(frame)
        _ = event.description
        for anomaly in detector.observe(event) { _ = "\(anomaly)" }
        time.microseconds += 400_000
        if time.microseconds >= 1_000_000 {
            time.seconds += 1
            time.microseconds -= 1_000_000
        }
    }
}
