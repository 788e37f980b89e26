import Proxy

/// Numbers as an operator reads them on the page (the CSV, JSON and metrics keep raw values).
enum StatsFormat {
    /// HAProxy's compact durations: `0s`, `59s`, `4m12s`, `3h05m`, `2d4h`.
    static func duration(_ duration: Duration) -> String {
        let total = max(0, duration.components.seconds)
        let days = total / 86_400, hours = total % 86_400 / 3600, minutes = total % 3600 / 60, seconds = total % 60
        if days > 0 { return "\(days)d\(hours)h" }
        if hours > 0 { return "\(hours)h\(String(minutes).leftPadded(to: 2))m" }
        if minutes > 0 { return "\(minutes)m\(String(seconds).leftPadded(to: 2))s" }
        return "\(seconds)s"
    }

    /// Milliseconds with one decimal below 10 ms (checks on loopback take well under 1 ms).
    static func milliseconds(_ duration: Duration) -> String {
        let ms = seconds(duration) * 1000
        if ms < 10 { return fixed(ms, decimals: 1) + " ms" }
        return "\(Int(ms.rounded())) ms"
    }

    /// `1 234 567` (thin spaces keep big counters readable without a locale).
    static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value)
        let negative = digits.hasPrefix("-")
        let body = negative ? Array(digits.dropFirst()) : Array(digits)
        var out = ""
        for (index, digit) in body.enumerated() {
            if index > 0 && (body.count - index) % 3 == 0 { out += "\u{2009}" }
            out.append(digit)
        }
        return negative ? "-" + out : out
    }

    /// `812 B`, `1.5 KiB`, `23.4 MiB`, `1.2 GiB`.
    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : fixed(amount, decimals: amount < 100 ? 1 : 0) + " " + units[unit]
    }

    /// A latency quantile given as its bucket's upper bound (µs, a power of two): `< 256 µs`,
    /// `< 2.0 ms`, `< 1.0 s`; the last bucket has no bound (`≥ 67.1 s`); `–` without samples.
    static func latency(upperBoundMicroseconds bound: UInt64?) -> String {
        guard let bound else { return "–" }
        let open = UInt64(1) << UInt64(LatencyHistogram.bucketCount - 1)
        if bound >= open { return "≥ " + fixed(Double(open / 2) / 1_000_000, decimals: 1) + " s" }
        if bound < 1000 { return "< \(bound) µs" }
        if bound < 1_000_000 { return "< " + milliseconds(.microseconds(Int64(bound))) }
        return "< " + fixed(Double(bound) / 1_000_000, decimals: 1) + " s"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `value` with exactly `decimals` digits after the point, without Foundation's locale-aware formatting.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(String(fraction).leftPadded(to: decimals))"
    }
}
