import Foundation
import Proxy

/// Everything one rendering of the stats page, CSV, JSON or `/metrics` shows: the proxy's
/// snapshot, the VRRP instances, process facts and the recent history. A value, so the
/// renderers are pure functions of it.
public struct StatsSnapshot: Sendable, Equatable {
    public var proxy: ProxySnapshot
    /// Empty until VRRP is configured and running.
    public var vrrp: [VRRPInstanceStatus]
    public var version: String
    /// The configuration file, if the configuration came from one.
    public var configPath: String?
    public var pid: Int32
    public var uptime: Duration
    /// MonotonicClock ns when taken: the clock of ``Proxy/BackendStatus/lastChange``.
    public var monotonicNow: UInt64
    /// Wall-clock time when taken, for the page header and the JSON.
    public var generatedAt: Date
    public var history: StatsHistory
    /// The stats server's own request counters.
    public var http: StatsHTTPCounters

    public init(proxy: ProxySnapshot, vrrp: [VRRPInstanceStatus] = [], version: String, configPath: String?,
                pid: Int32, uptime: Duration, monotonicNow: UInt64, generatedAt: Date,
                history: StatsHistory = StatsHistory(), http: StatsHTTPCounters = StatsHTTPCounters()) {
        self.proxy = proxy
        self.vrrp = vrrp
        self.version = version
        self.configPath = configPath
        self.pid = pid
        self.uptime = uptime
        self.monotonicNow = monotonicNow
        self.generatedAt = generatedAt
        self.history = history
        self.http = http
    }

    /// Servers in rotation now.
    public var routableCount: Int { proxy.backends.filter(\.status.routable).count }

    /// Time since the server's status or routability last changed.
    public func sinceLastChange(_ backend: ProxySnapshot.Backend) -> Duration {
        since(backend.status.lastChange)
    }

    /// Total time DOWN, including the current DOWN period.
    public func downtime(_ backend: ProxySnapshot.Backend) -> Duration {
        let current = backend.status.status == .down ? sinceLastChange(backend) : .zero
        return backend.status.downtimeBeforeCurrent + current
    }

    /// Time since the instance's last state change.
    public func sinceTransition(_ instance: VRRPInstanceStatus) -> Duration? {
        instance.lastTransition.map(since)
    }

    /// Sum of the servers' connect errors (the backend row).
    public var connectErrorsTotal: UInt64 { proxy.backends.reduce(0) { $0 + $1.counters.connectErrors } }

    /// The servers' counters added up: the backend row of the page and the CSV.
    public var backendTotals: BackendCounters {
        proxy.backends.reduce(into: BackendCounters()) { $0.add($1.counters) }
    }

    private func since(_ moment: UInt64) -> Duration {
        .nanoseconds(Int64(clamping: monotonicNow >= moment ? monotonicNow - moment : 0))
    }
}
