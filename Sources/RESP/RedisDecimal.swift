/// Integers as Redis reads and writes them, on bytes (no `String`, no allocation): the one
/// implementation of `string2ll` that the request parser, the key specs and the local commands share.
public enum RedisDecimal {
    /// Redis's `string2ll`: an optional `-`, then `0` alone or digits not starting with `0`, at most
    /// 20 bytes, within `Int64`; anything else (empty, `+`, spaces, `00`, `-0`, overflow) is `nil`.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count > 0 && count < 21 else { return nil }
        if count == 1 && bytes[0] == UInt8(ascii: "0") { return 0 }
        let negative = bytes[0] == UInt8(ascii: "-")
        var index = negative ? 1 : 0
        guard index < count, bytes[index] &- UInt8(ascii: "1") < 9 else { return nil }
        var magnitude: UInt64 = 0
        while index < count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = next
            index += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Appends `value` in decimal.
    @inline(__always)
    public static func append(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = buffer.count
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        buffer[start...].reverse()
    }
}
