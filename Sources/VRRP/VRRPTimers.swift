/// The timer arithmetic of RFC 9568 §6.1 (v3) and RFC 3768 §6.1 (v2), in nanoseconds.
///
/// Exact integer nanoseconds rather than centiseconds, as keepalived computes in microseconds:
/// priority 100 at 1 s gives Skew_Time 0.609375 s and Master_Down_Interval 3.609375 s.
public enum VRRPTimers {
    public static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// Skew_Time: how much longer a lower-priority backup waits before declaring the master down,
    /// so the highest-priority backup takes over first.
    ///
    /// - v3: `((256 − Priority) × Master_Adver_Interval) / 256`
    /// - v2: `(256 − Priority) / 256` seconds, whatever the interval.
    public static func skewTime(version: VRRPPacket.Version, priority: UInt8, masterAdverInterval: UInt64) -> UInt64 {
        let weight = 256 - UInt64(priority)
        switch version {
        case .v3:
            // At most 256 × 40.95 s in nanoseconds: far from overflow; saturate anyway.
            let (product, overflow) = weight.multipliedReportingOverflow(by: masterAdverInterval)
            return overflow ? .max / 256 : product / 256
        case .v2: return weight * nanosecondsPerSecond / 256
        }
    }

    /// Master_Down_Interval: `3 × Master_Adver_Interval + Skew_Time`.
    public static func masterDownInterval(version: VRRPPacket.Version, priority: UInt8, masterAdverInterval: UInt64) -> UInt64 {
        let (triple, overflow) = masterAdverInterval.multipliedReportingOverflow(by: 3)
        if overflow { return .max }
        return adding(triple, skewTime(version: version, priority: priority, masterAdverInterval: masterAdverInterval))
    }

    /// "3.61s": seconds rounded to centiseconds, for log lines and transition reasons.
    public static func describe(_ nanoseconds: UInt64) -> String {
        let centiseconds = (nanoseconds + 5_000_000) / 10_000_000
        let fraction = centiseconds % 100
        return "\(centiseconds / 100).\(fraction < 10 ? "0" : "")\(fraction)s"
    }

    /// `a + b`, saturating instead of trapping (deadlines near the end of time stay there).
    static func adding(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
