import EventLoop
import Foundation
import Glibc
import Proxy
import Synchronization

/// Builds ``StatsSnapshot``s: the proxy's snapshot (copied under its short lock), the VRRP
/// instances, the history and the server's counters. Used from the HTTP handlers and the
/// sampler, never from a data-plane thread.
final class StatsSource: Sendable {
    private let proxySnapshot: @Sendable () -> ProxySnapshot
    let vrrp: (any VRRPAdmin)?
    let version: String
    let configPath: String?
    let counters: StatsCounterStore
    private let started: ContinuousClock.Instant
    private let history: Mutex<StatsHistory>

    init(proxySnapshot: @escaping @Sendable () -> ProxySnapshot, vrrp: (any VRRPAdmin)?, version: String,
         configPath: String?, counters: StatsCounterStore = StatsCounterStore(),
         started: ContinuousClock.Instant = .now, historyCapacity: Int = 600) {
        self.proxySnapshot = proxySnapshot
        self.vrrp = vrrp
        self.version = version
        self.configPath = configPath
        self.counters = counters
        self.started = started
        self.history = Mutex(StatsHistory(capacity: historyCapacity))
    }

    /// Just the proxy part, for `/health` (no need to copy the history for a probe).
    func proxy() -> ProxySnapshot { proxySnapshot() }

    func snapshot() -> StatsSnapshot {
        StatsSnapshot(
            proxy: proxySnapshot(), vrrp: vrrp?.vrrpStatus() ?? [], version: version, configPath: configPath,
            pid: getpid(), uptime: ContinuousClock.now - started, monotonicNow: MonotonicClock.now(),
            generatedAt: Date(), history: history.withLock { $0 }, http: counters.values)
    }

    /// One history sample: called once a second by ``StatsSampler``.
    func sample(elapsed: Duration) {
        let proxy = proxySnapshot()
        let latencies = proxy.backends.map { $0.status.lastCheck?.duration }
        history.withLock {
            $0.record(sessionsTotal: proxy.frontend.sessionsTotal, commandsTotal: proxy.frontend.commands,
                      checkLatencies: latencies, elapsed: elapsed)
        }
    }
}
