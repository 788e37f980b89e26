import EventLoop
import Synchronization

/// Read-only, thread-safe view of a running proxy: builds ``ProxySnapshot``s from what the loops
/// and the health checks last published. Never blocks a data-plane loop for longer than a copy.
public final class ProxyMonitor: Sendable {
    let limiter: ConnectionLimiter
    let workers: [WorkerStats]
    private let statuses: Mutex<[BackendStatus]>
    /// `proxy.mode: cluster`.
    let clusterMode: Bool
    /// cluster mode: the slot map in use, set by the topology thread.
    let slotMap = Mutex<SlotMapSummary?>(nil)

    init(limiter: ConnectionLimiter, workers: [WorkerStats], statuses: [BackendStatus], clusterMode: Bool = false) {
        self.clusterMode = clusterMode
        self.limiter = limiter
        self.workers = workers
        self.statuses = Mutex(statuses)
    }

    /// A reload replaced the server list.
    func replace(_ all: [BackendStatus]) {
        statuses.withLock { $0 = all }
    }

    /// Called by the backend pool on the control loop after each health-check result.
    func publish(_ status: BackendStatus, server: Int) {
        statuses.withLock { $0[server] = status }
    }

    /// At least one server takes new connections (VRRP tracking reads this every 100 ms).
    public var hasRoutableBackend: Bool {
        statuses.withLock { $0.contains { $0.routable } }
    }

    public func snapshot() -> ProxySnapshot {
        var total = WorkerCounters(backendCount: workers.first?.latest.backends.count ?? 0)
        for worker in workers { total.add(worker.latest) }
        let health = statuses.withLock { $0 }
        let backends = health.indices.map { index in
            ProxySnapshot.Backend(status: health[index],
                                  counters: index < total.backends.count ? total.backends[index] : BackendCounters())
        }
        var snapshot = ProxySnapshot(sessionsCurrent: limiter.count, sessionsMax: limiter.maximum, sessionsLimit: limiter.limit,
                                     frontend: total.frontend, backends: backends, pendingBlocks: total.pendingBlocks)
        snapshot.masters = total.masters
        snapshot.clusterMode = clusterMode
        if var map = slotMap.withLock({ $0 }) {
            map.ageSeconds = Double(MonotonicClock.now() &- map.readAt) / 1e9
            snapshot.slotMap = map
        }
        return snapshot
    }
}
