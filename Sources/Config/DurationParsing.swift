/// The duration syntax of the configuration file, HAProxy style.
///
/// `100us`, `500ms`, `2s`, `1.5s`, `1m`, `1h`, `1d`, or a bare integer meaning milliseconds (`2000`,
/// and `0`). No sign, no spaces, no exponent: a value that is not obviously a duration is an error
/// rather than a guess. Values are exact to the nanosecond; anything finer is rejected.
enum DurationSyntax {
    /// What a bad duration is told, and what the example config shows.
    static let expectation = "must be a duration such as 500ms, 2s or 1m"

    /// Suffixes and their length in nanoseconds. Longest first so `ms` is not read as `m`.
    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("us", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    /// Parses `text`, or returns `nil` when it is not a duration (including negative values and
    /// values too large to count in nanoseconds).
    static func parse(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits() -> ArraySlice<UInt8> {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            return bytes[start..<index]
        }

        let whole = digits()
        guard !whole.isEmpty else { return nil }
        var fraction: ArraySlice<UInt8> = []
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
            guard !fraction.isEmpty else { return nil }  // "5." is a typo, not 5
        }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)

        let unit: Int64
        if suffix.isEmpty {
            // A bare number is milliseconds (HAProxy), and only whole ones: "1.5" is ambiguous.
            guard fraction.isEmpty else { return nil }
            unit = 1_000_000
        } else {
            guard let match = units.first(where: { $0.suffix == suffix }) else { return nil }
            unit = match.nanoseconds
        }

        guard let wholeValue = decimal(whole) else { return nil }
        var (total, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }

        if !fraction.isEmpty {
            // Int128 so `1.123456789d` cannot overflow before the exactness check.
            guard fraction.count <= 9, let fractionValue = decimal(fraction) else { return nil }
            var scale: Int128 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            let scaled = Int128(fractionValue) * Int128(unit)
            guard scaled % scale == 0, let part = Int64(exactly: scaled / scale) else { return nil }  // finer than 1ns
            (total, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
        }
        return .nanoseconds(total)
    }

    /// Writes `duration` in the largest unit that holds it exactly: `1s`, `1500ms`, `40950ms`, `0s`.
    /// Used in messages, so the user sees values in the syntax they write.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (secondsInNanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return "\(seconds)s" }  // beyond what the parser produces; keep it readable
        let nanoseconds = secondsInNanoseconds + attoseconds / 1_000_000_000
        if nanoseconds == 0 { return "0s" }
        for (suffix, length) in [("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
                                 ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] as [(String, Int64)]
        where nanoseconds % length == 0 {
            return "\(nanoseconds / length)\(suffix)"
        }
        return "\(nanoseconds)ns"
    }

    /// ASCII digits to a number, `nil` on overflow.
    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for digit in digits {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = added
        }
        return value
    }
}
