import Synchronization

/// The counters one data-plane loop last published; read by snapshots from any thread.
final class WorkerStats: Sendable {
    private let counters: Mutex<WorkerCounters>

    init(backendCount: Int) {
        counters = Mutex(WorkerCounters(backendCount: backendCount))
    }

    func publish(_ value: WorkerCounters) {
        counters.withLock { $0 = value }
    }

    var latest: WorkerCounters { counters.withLock { $0 } }
}
