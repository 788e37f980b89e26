import Synchronization

/// The live ``StatsHTTPCounters``: atomics bumped from the HTTP server's threads and tasks.
final class StatsCounterStore: Sendable {
    private let requests = Atomic<UInt64>(0)
    private let malformed = Atomic<UInt64>(0)
    private let rejectedPaths = Atomic<UInt64>(0)
    private let headTimeouts = Atomic<UInt64>(0)
    private let unauthorized = Atomic<UInt64>(0)
    private let forbidden = Atomic<UInt64>(0)
    private let adminActions = Atomic<UInt64>(0)

    enum Counter { case requests, malformed, rejectedPaths, headTimeouts, unauthorized, forbidden, adminActions }

    func increment(_ counter: Counter) {
        // Atomic is not copyable, so no helper can return the right one: switch here.
        switch counter {
        case .requests: requests.add(1, ordering: .relaxed)
        case .malformed: malformed.add(1, ordering: .relaxed)
        case .rejectedPaths: rejectedPaths.add(1, ordering: .relaxed)
        case .headTimeouts: headTimeouts.add(1, ordering: .relaxed)
        case .unauthorized: unauthorized.add(1, ordering: .relaxed)
        case .forbidden: forbidden.add(1, ordering: .relaxed)
        case .adminActions: adminActions.add(1, ordering: .relaxed)
        }
    }

    var values: StatsHTTPCounters {
        var values = StatsHTTPCounters()
        values.requests = requests.load(ordering: .relaxed)
        values.malformed = malformed.load(ordering: .relaxed)
        values.rejectedPaths = rejectedPaths.load(ordering: .relaxed)
        values.headTimeouts = headTimeouts.load(ordering: .relaxed)
        values.unauthorized = unauthorized.load(ordering: .relaxed)
        values.forbidden = forbidden.load(ordering: .relaxed)
        values.adminActions = adminActions.load(ordering: .relaxed)
        return values
    }
}
