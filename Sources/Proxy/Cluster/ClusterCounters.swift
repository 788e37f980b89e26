/// cluster mode's counters for one master, summed over the loops' links to it.
public struct MasterCounters: Sendable, Equatable {
    /// Client commands sent to it (redirected ones count again at their new master).
    public var commands: UInt64 = 0
    /// `MOVED`, `ASK` and `TRYAGAIN` replies Ferry followed instead of passing them on.
    public var moved: UInt64 = 0
    public var asked: UInt64 = 0
    public var tryAgain: UInt64 = 0
    /// Commands answered with an error of Ferry's: connect failed, connection lost.
    public var errors: UInt64 = 0
    /// Commands that waited for it while it was down, failing over or answering CLUSTERDOWN,
    /// TRYAGAIN or LOADING (`cluster.hold`); those that waited too long count as errors too.
    public var held: UInt64 = 0
    /// Connections opened to it.
    public var connects: UInt64 = 0
    /// Commands sent and not yet answered, when published.
    public var inFlight = 0

    public init() {}

    mutating func add(_ other: MasterCounters) {
        commands += other.commands
        moved += other.moved
        asked += other.asked
        tryAgain += other.tryAgain
        errors += other.errors
        held += other.held
        connects += other.connects
        inFlight += other.inFlight
    }
}

/// Command latencies (from a request's arrival to its reply being queued for the client), counted
/// in power-of-two microsecond buckets: bucket `i` holds latencies below 2^i µs (bucket 0: < 1 µs),
/// the last one everything longer. Fixed size: recording allocates nothing, except that the first
/// record after the loop publishes its counters copies the buckets once (copy-on-write).
public struct LatencyHistogram: Sendable, Equatable {
    public static let bucketCount = 28  // up to 2^26 µs ≈ 67 s, then "longer"
    public private(set) var buckets: [UInt64] = Array(repeating: 0, count: bucketCount)
    /// Every latency recorded, added up (for a mean, and Prometheus' `_sum`).
    public private(set) var sumNanoseconds: UInt64 = 0

    public init() {}

    public var count: UInt64 { buckets.reduce(0, +) }

    @inline(__always)
    mutating func record(nanoseconds: UInt64) {
        let microseconds = nanoseconds / 1000
        let bucket = microseconds == 0 ? 0 : min(Self.bucketCount - 1, 64 - microseconds.leadingZeroBitCount)
        buckets[bucket] &+= 1
        sumNanoseconds &+= nanoseconds
    }

    mutating func add(_ other: LatencyHistogram) {
        for index in buckets.indices { buckets[index] &+= other.buckets[index] }
        sumNanoseconds &+= other.sumNanoseconds
    }

    /// The upper bound (µs) of the bucket holding the `fraction` quantile (0.5 for p50), or nil
    /// when nothing was recorded. Accurate to a factor of two, like HAProxy's and Envoy's summaries.
    public func quantileMicroseconds(_ fraction: Double) -> UInt64? {
        let total = count
        guard total > 0 else { return nil }
        let rank = UInt64((Double(total) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (index, value) in buckets.enumerated() {
            seen += value
            if seen >= max(rank, 1) { return 1 << UInt64(index) }
        }
        return 1 << UInt64(Self.bucketCount - 1)
    }
}
