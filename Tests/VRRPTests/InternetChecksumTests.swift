import Testing

@testable import VRRP

/// A deliberately naive reference: sum 16-bit words in an Int, fold at the end, complement.
/// Written differently from ``InternetChecksum`` (no streaming, no odd-byte carry) so a shared
/// mistake is unlikely.
func referenceChecksum(_ bytes: [UInt8]) -> UInt16 {
    var padded = bytes
    if padded.count % 2 == 1 { padded.append(0) }
    var sum = 0
    for index in stride(from: 0, to: padded.count, by: 2) {
        sum += Int(padded[index]) * 256 + Int(padded[index + 1])
    }
    while sum > 0xFFFF { sum = sum % 65536 + sum / 65536 }
    return UInt16(0xFFFF - sum)
}

@Suite struct InternetChecksumTests {
    /// Vectors computed by hand (the first, RFC 1071 §3's example) or with an independent
    /// implementation, and the classic IPv4 header example whose checksum is b861.
    @Test(arguments: [
        ([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7] as [UInt8], UInt16(0x220D)),
        (hex("450000730000400040110000c0a80001c0a800c7"), 0xB861),
        // VRRPv2 vrid 51 prio 100, 1 address 10.0.0.123, no auth, 1 s: by hand
        // 0x2133 + 0x6401 + 0x0001 + 0x0A00 + 0x007B = 0x8FB0, complement 0x704F.
        (hex("2133640100010000" + "0a00007b" + "0000000000000000"), 0x704F),
        ([], 0xFFFF),
        ([0xFF], 0x00FF),
    ] as [([UInt8], UInt16)])
    func knownVectors(bytes: [UInt8], expected: UInt16) {
        #expect(InternetChecksum.compute(bytes) == expected)
        #expect(referenceChecksum(bytes) == expected)
    }

    @Test(arguments: 0..<40)
    func agreesWithTheReferenceOnPseudoRandomData(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let bytes = (0..<(seed * 7 % 97)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(InternetChecksum.compute(bytes) == referenceChecksum(bytes))
    }

    /// Adding in pieces, including odd-length ones, is the same as adding the concatenation.
    @Test(arguments: 0...21)
    func piecesAtAnySplitPoint(split: Int) {
        let bytes: [UInt8] = Array(0..<21).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var checksum = InternetChecksum()
        checksum.add(bytes[..<split])
        checksum.add(bytes[split...])
        #expect(checksum.value == InternetChecksum.compute(bytes))
    }

    @Test func dataWithItsChecksumVerifies() {
        var header = hex("450000730000400040110000c0a80001c0a800c7")
        let sum = InternetChecksum.compute(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xFF)
        #expect(InternetChecksum.verify(header))
        header[15] ^= 1
        #expect(!InternetChecksum.verify(header))
    }

    @Test func pseudoHeaderLayout() {
        let header = InternetChecksum.pseudoHeader(
            source: IPv4Address(10, 0, 0, 2), destination: .vrrpMulticast, length: 12
        )
        #expect(header == [10, 0, 0, 2, 224, 0, 0, 18, 0, 112, 0, 12])
    }

    /// VRRPv3 checksums from an independent implementation: the destination is part of the sum.
    @Test(arguments: [
        ("10.0.0.2", "224.0.0.18", hex("3133960100640000" + "0a00007b"), UInt16(0x435B)),
        ("10.0.0.2", "10.0.0.1", hex("3133960100640000" + "0a00007b"), 0x196D),
        ("192.168.10.5", "224.0.0.18", hex("31c80103000a0000" + "c0a80a64c0a80a65c0a80a66"), 0xC0BC),
    ])
    func vrrpV3Vectors(source: String, destination: String, message: [UInt8], expected: UInt16) throws {
        let sum = InternetChecksum.vrrpV3(
            source: try #require(IPv4Address(source)), destination: try #require(IPv4Address(destination)), message: message
        )
        #expect(sum == expected)
        let pseudo = InternetChecksum.pseudoHeader(
            source: try #require(IPv4Address(source)), destination: try #require(IPv4Address(destination)), length: message.count
        )
        #expect(referenceChecksum(pseudo + message) == expected)
    }
}

/// Hex text to bytes, for test vectors.
func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var pending: UInt8?
    for character in text where character.isHexDigit {
        let nibble = UInt8(character.hexDigitValue!)
        if let high = pending {
            bytes.append(high << 4 | nibble)
            pending = nil
        } else {
            pending = nibble
        }
    }
    return bytes
}

/// A tiny deterministic generator so "random" tests are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
