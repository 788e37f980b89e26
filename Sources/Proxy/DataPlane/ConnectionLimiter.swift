import Synchronization

/// `proxy.maxconn` across all data-plane loops: one atomic per accepted connection, never per request.
public final class ConnectionLimiter: Sendable {
    private let maximumAllowed: Atomic<Int>
    private let current = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)

    public init(limit: Int) {
        maximumAllowed = Atomic(limit)
    }

    /// `proxy.maxconn`; a reload may change it.
    public var limit: Int {
        get { maximumAllowed.load(ordering: .relaxed) }
        set { maximumAllowed.store(newValue, ordering: .relaxed) }
    }

    public var count: Int { current.load(ordering: .relaxed) }
    public var maximum: Int { peak.load(ordering: .relaxed) }

    /// Claims a slot before `accept`; false at the limit (the connection then waits in the kernel backlog).
    func reserve() -> Bool {
        var value = current.load(ordering: .relaxed)
        let limit = self.limit
        while value < limit {
            let (exchanged, original) = current.compareExchange(
                expected: value, desired: value + 1, ordering: .relaxed)
            if exchanged {
                var seen = peak.load(ordering: .relaxed)
                while value + 1 > seen {
                    let (done, now) = peak.compareExchange(expected: seen, desired: value + 1, ordering: .relaxed)
                    if done { break }
                    seen = now
                }
                return true
            }
            value = original
        }
        return false
    }

    func release() {
        current.subtract(1, ordering: .relaxed)
    }
}
