import CLinuxNet

/// Nanoseconds on CLOCK_MONOTONIC; the loops use plain integers so the hot path does no
/// arithmetic on `Duration`.
public enum MonotonicClock {
    public static func now() -> UInt64 { cln_monotonic_ns() }
}

extension Duration {
    /// Whole nanoseconds, saturating at the ends of UInt64 (negative durations become 0).
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// Builds a duration from nanoseconds measured with ``MonotonicClock``.
    public static func nanoseconds(_ value: UInt64) -> Duration {
        .nanoseconds(Int64(clamping: value))
    }
}
