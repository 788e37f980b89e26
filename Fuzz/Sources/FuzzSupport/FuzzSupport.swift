/// What every fuzz target shares: stopping on a broken invariant, showing bytes in a message,
/// and deterministic randomness drawn from the input (so a crashing input replays exactly).

/// Stops the fuzzer with a message it saves next to the crashing input.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant failed: \(message())") }
}

/// `bytes` as a quoted string for a message: printable ASCII as is, the rest as `\xNN`; at most
/// `limit` bytes, then their count.
public func quoted(_ bytes: [UInt8], limit: Int) -> String {
    var text = "\""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x20..<0x7F where byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\"): text.unicodeScalars.append(UnicodeScalar(byte))
        default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return text + (bytes.count > limit ? "…(\(bytes.count))\"" : "\"")
}

/// The same, at most 200 bytes (a function to `map` with).
public func quoted(_ bytes: [UInt8]) -> String { quoted(bytes, limit: 200) }

/// FNV-1a: a seed from the input's bytes.
public func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

/// SplitMix64: a small, fast generator seeded from the input.
public struct SplitMix {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Chunk lengths adding up to `total`: mostly short pieces, so boundaries fall inside headers,
/// lengths and CRLFs.
public func randomSplit(_ total: Int, _ random: inout SplitMix) -> [Int] {
    var chunks: [Int] = []
    var left = total
    while left > 0 {
        let bound = random.next() % 4 == 0 ? 64 : 5
        let length = min(left, 1 + Int(random.next() % UInt64(bound)))
        chunks.append(length)
        left -= length
    }
    return chunks
}
