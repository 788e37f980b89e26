/// Per-second samples of the frontend session rate and each server's check latency over the
/// last few minutes, for the page's charts. A value: the sampler owns one and records into it
/// once a second; snapshots copy it.
public struct StatsHistory: Sendable, Equatable {
    /// One second of history.
    public struct Sample: Sendable, Equatable {
        /// New client sessions per second over the sampling interval.
        public var sessionRate: Double
        /// Each server's last check duration at sampling time, by server index; `nil` before its first check.
        public var checkLatencies: [Duration?]

        public init(sessionRate: Double, checkLatencies: [Duration?]) {
            self.sessionRate = sessionRate
            self.checkLatencies = checkLatencies
        }
    }

    /// Samples kept (one per second): 600 = 10 minutes.
    public let capacity: Int
    /// Oldest first, at most ``capacity``.
    public private(set) var samples: [Sample] = []
    /// Highest ``Sample/sessionRate`` since the start, not only over the kept window.
    public private(set) var maxSessionRate: Double = 0
    private var lastSessionsTotal: UInt64?

    public init(capacity: Int = 600) {
        precondition(capacity > 0, "a history keeps at least one sample")
        self.capacity = capacity
    }

    /// The rate of the latest sample (0 before the second one: a rate needs two readings).
    public var currentSessionRate: Double { samples.last?.sessionRate ?? 0 }

    /// Records one reading. The first reading only sets the base for the next rate; `elapsed`
    /// is the time since the previous reading (a late timer must not inflate the rate).
    public mutating func record(sessionsTotal: UInt64, checkLatencies: [Duration?], elapsed: Duration) {
        defer { lastSessionsTotal = sessionsTotal }
        guard let previous = lastSessionsTotal else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // A counter never goes back; if it did (a restart of the counting side), restart the rate from 0.
        let delta = sessionsTotal >= previous ? Double(sessionsTotal - previous) : 0
        let rate = seconds > 0 ? delta / seconds : 0
        samples.append(Sample(sessionRate: rate, checkLatencies: checkLatencies))
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        maxSessionRate = max(maxSessionRate, rate)
    }
}
