import Foundation
import Proxy

/// The `/stats;json` document, schema `ferry-stats/1`. Keys are snake_case; fields are only ever
/// added within a schema version, never renamed or removed. Durations are seconds (Double)
/// unless the name says `_ms`; counters are unsigned 64-bit integers; `null` means unknown.
/// docs/stats.md documents every field.
public struct StatsDocument: Codable, Sendable, Equatable {
    public static let schemaName = "ferry-stats/1"

    public var schema: String
    public var process: Process
    public var frontend: Frontend
    public var backends: [Backend]
    public var backendsRoutable: Int
    public var vrrp: [VRRPInstance]
    public var statsServer: StatsServerCounters
    public var history: History

    public struct Process: Codable, Sendable, Equatable {
        public var version: String
        public var pid: Int32
        @NullWhenAbsent public var configPath: String?
        public var uptimeSeconds: Double
        /// RFC 3339 UTC, when the snapshot was taken.
        public var generatedAt: String
    }

    public struct Frontend: Codable, Sendable, Equatable {
        public var sessionsCurrent: Int
        public var sessionsMax: Int
        public var sessionsLimit: Int
        public var sessionsTotal: UInt64
        /// Sessions per second over the last second, and the highest seen since start.
        public var sessionRate: Double
        public var sessionRateMax: Double
        public var bytesIn: UInt64
        public var bytesOut: UInt64
        /// Clients refused with `-ERR ferry: no backend available` (the page's "denied").
        public var noBackend: UInt64
        /// `accept` failures such as EMFILE (the page's "errors").
        public var acceptErrors: UInt64
        /// Clients refused with `-ERR ferry: out of file descriptors, try again`: a connect failed
        /// for lack of local descriptors or memory (the page's "Resources", under "errors").
        public var outOfResources: UInt64
        /// 64 KiB relay blocks held for slow receivers.
        public var pendingBlocks: Int
    }

    public struct Check: Codable, Sendable, Equatable {
        /// `L4OK`, `L4TOUT`, `L4CON`, `L7OK`, `L7RSP`, `L7TOUT`.
        public var code: String
        public var passed: Bool
        public var durationMs: Double
        public var detail: String
    }

    public struct Backend: Codable, Sendable, Equatable {
        /// Position in `backends.servers`: what admin actions name.
        public var index: Int
        public var address: String
        /// `master`, `slave`, `sentinel`, or null before a check reported one.
        @NullWhenAbsent public var role: String?
        /// `up`, `up_not_routable`, `going_up`, `going_down`, `down`, `not_checked`, `drain`, `maint`.
        public var state: String
        /// What the page shows: `UP`, `DOWN, going up 1/2`, `DRAIN`, ...
        public var status: String
        /// The health checks alone: `UP` or `DOWN`.
        public var health: String
        /// `READY`, `DRAIN`, `MAINT`.
        public var adminState: String
        public var routable: Bool
        @NullWhenAbsent public var lastCheck: Check?
        public var sessionsCurrent: Int
        public var sessionsMax: Int
        public var sessionsTotal: UInt64
        public var bytesIn: UInt64
        public var bytesOut: UInt64
        public var connectionErrors: UInt64
        public var retries: UInt64
        public var sessionsShutDown: UInt64
        public var clientAborts: UInt64
        public var serverAborts: UInt64
        public var checkFailures: UInt64
        public var downs: Int
        public var downtimeSeconds: Double
        public var lastChangeSecondsAgo: Double
    }

    public struct VRRPInstance: Codable, Sendable, Equatable {
        public var name: String
        public var interface: String
        public var vrid: Int
        /// `INIT`, `BACKUP`, `MASTER`, `FAULT`.
        public var state: String
        public var configuredPriority: Int
        public var effectivePriority: Int
        public var steppedDown: Bool
        public var virtualIps: [String]
        @NullWhenAbsent public var masterAddress: String?
        public var advertsSent: UInt64
        public var advertsReceived: UInt64
        /// Sorted by reason; an array rather than an object so reasons are data, not keys.
        public var drops: [Drop]
        public var dropsTotal: UInt64
        public var mismatches: UInt64
        @NullWhenAbsent public var lastTransitionSecondsAgo: Double?
        @NullWhenAbsent public var lastTransitionReason: String?
    }

    public struct Drop: Codable, Sendable, Equatable {
        public var reason: String
        public var count: UInt64
    }

    public struct StatsServerCounters: Codable, Sendable, Equatable {
        public var requests: UInt64
        public var malformed: UInt64
        public var rejectedPaths: UInt64
        public var headTimeouts: UInt64
        public var unauthorized: UInt64
        public var forbidden: UInt64
        public var adminActions: UInt64
    }

    public struct History: Codable, Sendable, Equatable {
        /// Seconds between samples; the last sample is the newest.
        public var intervalSeconds: Int
        public var sessionRate: [Double]
        /// Per server index, one value per sample; null before the server's first check.
        public var checkLatencyMs: [[Double?]]
    }
}

/// An optional written as an explicit `null` (the synthesized encoders would leave the key out),
/// so every documented key is always present.
@propertyWrapper
public struct NullWhenAbsent<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension StatsDocument {
    /// The document for a snapshot.
    public init(_ snapshot: StatsSnapshot) {
        let proxy = snapshot.proxy
        schema = Self.schemaName
        process = Process(version: snapshot.version, pid: snapshot.pid, configPath: snapshot.configPath,
                          uptimeSeconds: StatsFormat.seconds(snapshot.uptime),
                          generatedAt: Self.rfc3339(snapshot.generatedAt))
        frontend = Frontend(
            sessionsCurrent: proxy.sessionsCurrent, sessionsMax: proxy.sessionsMax, sessionsLimit: proxy.sessionsLimit,
            sessionsTotal: proxy.frontend.sessionsTotal, sessionRate: snapshot.history.currentSessionRate,
            sessionRateMax: snapshot.history.maxSessionRate, bytesIn: proxy.frontend.bytesIn,
            bytesOut: proxy.frontend.bytesOut, noBackend: proxy.frontend.noBackend,
            acceptErrors: proxy.frontend.acceptErrors, outOfResources: proxy.frontend.outOfResources,
            pendingBlocks: proxy.pendingBlocks)
        backends = proxy.backends.enumerated().map { index, backend in
            let status = backend.status, counters = backend.counters, state = ServerState(status)
            return Backend(
                index: index, address: status.address, role: status.role?.rawValue, state: state.key,
                status: state.label, health: status.status.rawValue, adminState: status.adminState.rawValue,
                routable: status.routable,
                lastCheck: status.lastCheck.map {
                    Check(code: $0.code.rawValue, passed: $0.code.passed,
                          durationMs: StatsFormat.seconds($0.duration) * 1000, detail: $0.detail)
                },
                sessionsCurrent: counters.sessionsCurrent, sessionsMax: counters.sessionsMax,
                sessionsTotal: counters.sessionsTotal, bytesIn: counters.bytesIn, bytesOut: counters.bytesOut,
                connectionErrors: counters.connectErrors, retries: counters.retries,
                sessionsShutDown: counters.sessionsShutDown, clientAborts: counters.clientAborts,
                serverAborts: counters.serverAborts, checkFailures: status.checksFailed,
                downs: status.downTransitions, downtimeSeconds: StatsFormat.seconds(snapshot.downtime(backend)),
                lastChangeSecondsAgo: StatsFormat.seconds(snapshot.sinceLastChange(backend)))
        }
        backendsRoutable = snapshot.routableCount
        vrrp = snapshot.vrrp.map { instance in
            VRRPInstance(
                name: instance.name, interface: instance.interface, vrid: instance.vrid, state: instance.state.rawValue,
                configuredPriority: instance.configuredPriority, effectivePriority: instance.effectivePriority,
                steppedDown: instance.steppedDown, virtualIps: instance.virtualIPs,
                masterAddress: instance.masterAddress, advertsSent: instance.advertsSent,
                advertsReceived: instance.advertsReceived,
                drops: instance.drops.sorted { $0.key < $1.key }.map { Drop(reason: $0.key, count: $0.value) }, dropsTotal: instance.dropsTotal,
                mismatches: instance.mismatches,
                lastTransitionSecondsAgo: snapshot.sinceTransition(instance).map(StatsFormat.seconds),
                lastTransitionReason: instance.lastTransitionReason)
        }
        let http = snapshot.http
        statsServer = StatsServerCounters(
            requests: http.requests, malformed: http.malformed, rejectedPaths: http.rejectedPaths, headTimeouts: http.headTimeouts,
            unauthorized: http.unauthorized, forbidden: http.forbidden, adminActions: http.adminActions)
        let samples = snapshot.history.samples
        history = History(
            intervalSeconds: 1, sessionRate: samples.map(\.sessionRate),
            checkLatencyMs: proxy.backends.indices.map { server in
                samples.map { sample in
                    server < sample.checkLatencies.count ? sample.checkLatencies[server].map { StatsFormat.seconds($0) * 1000 } : nil
                }
            })
    }

    /// `2025-01-31T12:00:00Z`, without Foundation's locale-dependent formatters.
    static func rfc3339(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { String(value).leftPadded(to: 2) }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }
}
