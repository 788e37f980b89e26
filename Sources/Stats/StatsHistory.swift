/// Per-second samples of the frontend session rate, the command rate (cluster mode) and each
/// server's check latency over the last few minutes, for the page's charts. A value: the sampler
/// owns one and records into it once a second; snapshots copy it.
public struct StatsHistory: Sendable, Equatable {
    /// One second of history.
    public struct Sample: Sendable, Equatable {
        /// New client sessions per second over the sampling interval.
        public var sessionRate: Double
        /// Each server's last check duration at sampling time, by server index; `nil` before its first check.
        public var checkLatencies: [Duration?]
        /// cluster mode: client commands received per second over the sampling interval (0 in tcp mode).
        public var commandRate: Double

        public init(sessionRate: Double, checkLatencies: [Duration?], commandRate: Double = 0) {
            self.sessionRate = sessionRate
            self.checkLatencies = checkLatencies
            self.commandRate = commandRate
        }
    }

    /// Samples kept (one per second): 600 = 10 minutes.
    public let capacity: Int
    /// Oldest first, at most ``capacity``.
    public private(set) var samples: [Sample] = []
    /// Highest ``Sample/sessionRate`` since the start, not only over the kept window.
    public private(set) var maxSessionRate: Double = 0
    /// Highest ``Sample/commandRate`` since the start.
    public private(set) var maxCommandRate: Double = 0
    private var lastSessionsTotal: UInt64?
    private var lastCommandsTotal: UInt64 = 0

    public init(capacity: Int = 600) {
        precondition(capacity > 0, "a history keeps at least one sample")
        self.capacity = capacity
    }

    /// The rate of the latest sample (0 before the second one: a rate needs two readings).
    public var currentSessionRate: Double { samples.last?.sessionRate ?? 0 }
    /// The command rate of the latest sample (0 before the second one, and in tcp mode).
    public var currentCommandRate: Double { samples.last?.commandRate ?? 0 }

    /// Records one reading. The first reading only sets the base for the next rates; `elapsed`
    /// is the time since the previous reading (a late timer must not inflate the rate).
    /// `commandsTotal` is the frontend's command counter (cluster mode; always 0 in tcp mode).
    public mutating func record(sessionsTotal: UInt64, commandsTotal: UInt64 = 0, checkLatencies: [Duration?],
                                elapsed: Duration) {
        defer {
            lastSessionsTotal = sessionsTotal
            lastCommandsTotal = commandsTotal
        }
        guard let previous = lastSessionsTotal else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Self.rate(from: previous, to: sessionsTotal, seconds: seconds)
        let commandRate = Self.rate(from: lastCommandsTotal, to: commandsTotal, seconds: seconds)
        samples.append(Sample(sessionRate: rate, checkLatencies: checkLatencies, commandRate: commandRate))
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        maxSessionRate = max(maxSessionRate, rate)
        maxCommandRate = max(maxCommandRate, commandRate)
    }

    /// Per second; a counter never goes back, and if it did (a restart of the counting side),
    /// the rate restarts from 0 rather than going negative.
    private static func rate(from previous: UInt64, to current: UInt64, seconds: Double) -> Double {
        let delta = current >= previous ? Double(current - previous) : 0
        return seconds > 0 ? delta / seconds : 0
    }
}
