import Foundation
import Proxy

/// The `/stats;json` document, schema `ferry-stats/1`. Keys are snake_case; fields are only ever
/// added within a schema version, never renamed or removed. Durations are seconds (Double)
/// unless the name says `_ms` or `_us`; counters are unsigned 64-bit integers; `null` means unknown.
/// README.md ("JSON") documents every field.
///
/// Added for cluster mode (all keys always present, so tcp-mode readers see only new keys):
/// - `frontend.commands`, `command_rate`, `command_rate_max`: client commands received, per second
///   over the last second, highest rate since start (0 in tcp mode, which does not parse commands);
/// - `frontend.latency_p50_us`, `latency_p99_us`: command latency quantiles, the upper bound of a
///   power-of-two microsecond bucket (accurate to a factor of two); `null` before the first command
///   and in tcp mode;
/// - `cluster`: `null` in tcp mode, else `masters` and `slot_map` (see ``Cluster``);
/// - `history.command_rate`: one value per sample, like `history.session_rate`.
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
    /// cluster mode's masters and slot map; `null` in tcp mode.
    @NullWhenAbsent public var cluster: Cluster?

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
        /// cluster mode: client commands received (Ferry's own answers included); 0 in tcp mode.
        public var commands: UInt64
        /// cluster mode: commands per second over the last second, and the highest seen since start.
        public var commandRate: Double
        public var commandRateMax: Double
        /// cluster mode: the median and 99th percentile of command latency (arrival to reply queued),
        /// in µs: the upper bound of the power-of-two bucket holding it. Null before any command.
        @NullWhenAbsent public var latencyP50Us: UInt64?
        @NullWhenAbsent public var latencyP99Us: UInt64?
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
        /// cluster mode: commands per second, one value per sample (zeros in tcp mode).
        public var commandRate: [Double]
    }

    /// cluster mode: `{"masters": [...], "slot_map": {...} | null}`.
    public struct Cluster: Codable, Sendable, Equatable {
        /// Every master of the slot map and every master commands were sent to, sorted by host then port.
        public var masters: [Master]
        /// Null until the topology thread has read a map.
        @NullWhenAbsent public var slotMap: SlotMap?
    }

    public struct Master: Codable, Sendable, Equatable {
        /// `host:port` as CLUSTER SHARDS announced it.
        public var name: String
        /// Client commands sent to it (a redirected command counts again at its new master).
        public var commands: UInt64
        /// `MOVED`, `ASK`, `TRYAGAIN` replies Ferry followed.
        public var moved: UInt64
        public var asked: UInt64
        public var tryAgain: UInt64
        /// Commands answered with an error of Ferry's (connect failed, connection lost).
        public var errors: UInt64
        /// Commands that waited for it while it was down or failing over (`cluster.hold`).
        public var held: UInt64
        /// Connections opened to it.
        public var connects: UInt64
        /// Commands sent and not yet answered.
        public var inFlight: Int
        /// Slots the slot map gives it (0 if it is not in the map).
        public var slots: Int
    }

    public struct SlotMap: Codable, Sendable, Equatable {
        /// Slots with a master (16384 when the cluster is fully covered).
        public var coveredSlots: Int
        /// Seconds since the map was read from the cluster.
        public var ageSeconds: Double
        /// Contiguous ranges in slot order, both ends included.
        public var ranges: [SlotRange]
    }

    public struct SlotRange: Codable, Sendable, Equatable {
        public var first: Int
        public var last: Int
        public var master: String
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
            pendingBlocks: proxy.pendingBlocks, commands: proxy.frontend.commands,
            commandRate: snapshot.history.currentCommandRate, commandRateMax: snapshot.history.maxCommandRate,
            latencyP50Us: proxy.frontend.latency.quantileMicroseconds(0.5),
            latencyP99Us: proxy.frontend.latency.quantileMicroseconds(0.99))
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
            },
            commandRate: samples.map(\.commandRate))
        cluster = snapshot.cluster.map { cluster in
            Cluster(
                masters: cluster.masters.map { master in
                    let counters = master.counters
                    return Master(name: master.name, commands: counters.commands, moved: counters.moved,
                                  asked: counters.asked, tryAgain: counters.tryAgain, errors: counters.errors,
                                  held: counters.held, connects: counters.connects, inFlight: counters.inFlight, slots: master.slots)
                },
                slotMap: cluster.slotMap.map { map in
                    SlotMap(coveredSlots: map.coveredSlots, ageSeconds: StatsFormat.seconds(snapshot.slotMapAge(map)),
                            ranges: map.ranges.map { SlotRange(first: $0.first, last: $0.last, master: $0.master) })
                })
        }
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
