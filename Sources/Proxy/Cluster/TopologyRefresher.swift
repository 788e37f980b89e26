import Cluster
import Config
import Glibc
import Dispatch
import EventLoop
import Logging
import RESP
import Synchronization

/// Keeps cluster mode's ``ClusterView`` fresh on a thread of its own, so that a slow or dead
/// node never delays a data-plane loop or a VRRP advertisement: every `cluster.refresh`, and at
/// once when asked (a MOVED, a server going DOWN or changing role).
///
/// It asks up to three nodes (the last map's masters, then the configured seeds) for
/// `CLUSTER SHARDS` (`CLUSTER SLOTS` where SHARDS is missing) and adopts the map most of them
/// agree on. The command table comes from the servers' own `COMMAND`, read once.
final class TopologyRefresher: Sendable {
    private struct State {
        var view: ClusterView?
        var stopped = false
        /// Servers the checks show DOWN (`host:port`): not asked, and their map is not adopted.
        var failed: Set<String> = []

        /// A master is DOWN, or slots have no master: the map is read every
        /// ``TopologyRefresher/degradedInterval`` until the cluster has replaced it.
        var isDegraded: Bool {
            guard let map = view?.slotMap else { return true }
            return map.coveredSlots < HashSlot.count || map.masters.contains { failed.contains("\($0.master.host):\($0.master.port)") }
        }
    }

    /// How often the map is read while degraded: a promotion is seen within this (plus a query),
    /// and the requests held for it (`cluster.hold`) go to the new master then.
    static let degradedInterval: Duration = .milliseconds(50)
    /// The least time between two reads, however often one is asked for (every CLUSTERDOWN asks).
    static let minimumGap: Duration = .milliseconds(10)

    private let seeds: [SocketAddress]
    private let interval: Duration
    private let timeout: Duration
    /// `backends.auth`: `AUTH` before each query.
    private let credentials: Credentials?
    private let logger: Logger
    private let publish: @Sendable (ClusterView) -> Void
    private let state = Mutex(State())
    private let requested = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)

    init(seeds: [SocketAddress], interval: Duration, timeout: Duration, credentials: Credentials?, logger: Logger,
         publish: @escaping @Sendable (ClusterView) -> Void) {
        self.credentials = credentials
        self.seeds = seeds
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
        self.publish = publish
    }

    /// The last view adopted, if any.
    var view: ClusterView? { state.withLock { $0.view } }

    func start() -> LoopThread {
        LoopThread(name: "ferry-topology") { [self] in
            while !state.withLock({ $0.stopped }) {
                refresh()
                let wait = state.withLock { $0.isDegraded } ? Self.degradedInterval : interval
                usleep(UInt32(Self.minimumGap.nanoseconds / 1000))
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(max(.zero, wait - Self.minimumGap).nanoseconds)))
                requested.store(false, ordering: .relaxed)
            }
        }
    }

    /// Refresh now; many requests in a row cost one refresh.
    func refreshNow() {
        if !requested.exchange(true, ordering: .relaxed) { wake.signal() }
    }

    /// The checks' DOWN servers changed: they are not asked any more, and while one of them is a
    /// master the map is read every ``degradedInterval``.
    func serversFailed(_ names: Set<String>) {
        state.withLock { $0.failed = names }
        refreshNow()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    private func refresh() {
        let previous = view
        var router = previous?.router
        var version = previous?.serverVersion ?? Array("7.0.0".utf8)
        var maps: [SlotMap] = []
        var tried = Set<String>()
        let failed = state.withLock { $0.failed }
        // The last map's masters first, then their replicas (who will know first of a promotion), then the seeds.
        let known = (previous?.slotMap.masters.map(\.master) ?? []) + (previous?.slotMap.masters.flatMap(\.replicas) ?? [])
        let candidates = known.compactMap { SocketAddress(host: $0.host, port: $0.port) } + seeds
        for address in candidates where maps.count < 3 && !failed.contains("\(address.host):\(address.port)")
            && tried.insert(address.description).inserted {
            do {
                if router == nil {
                    let replies = try query([["COMMAND"], ["INFO", "server"]], on: address)
                    router = try Router(table: CommandTable(reply: replies[0]))
                    if let info = replies[1].stringValue, let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("redis_version:") }) {
                        version = Array(line.dropFirst("redis_version:".count).utf8)
                    }
                }
                maps.append(try slotMap(from: address))
            } catch let error as CommandTableError {
                logger.warning("cannot read COMMAND", metadata: ["server": "\(address)", "error": "\(error)"])
            } catch {
                logger.debug("topology query failed", metadata: ["server": "\(address)", "error": "\(error)"])
            }
        }
        guard let router, let map = Self.majority(maps) else {
            if maps.isEmpty { logger.warning("no node answered CLUSTER SHARDS", metadata: ["event": "topology_unknown"]) }
            return
        }
        if previous?.slotMap.layout != map.layout {
            let view = ClusterView(slotMap: map, router: router, serverVersion: version, refreshedAt: MonotonicClock.now())
            state.withLock { $0.view = view }
            logger.info("slot map updated", metadata: [
                "event": "topology_changed", "masters": "\(Set(map.ranges.map(\.shard)).count)", "covered_slots": "\(map.coveredSlots)",
            ])
            publish(view)
        }
    }

    private func slotMap(from address: SocketAddress) throws -> SlotMap {
        let from = "\(address.host):\(address.port)"
        let shards = try query([["CLUSTER", "SHARDS"]], on: address)[0]
        if case .error = shards {
            // Redis before 7.0 has no SHARDS.
            return try SlotMap(slotsReply: query([["CLUSTER", "SLOTS"]], on: address)[0], replyFrom: from)
        }
        return try SlotMap(shardsReply: shards, replyFrom: from)
    }

    /// `commands`' replies, after `AUTH` when `backends.auth` is set (a refused AUTH throws).
    private func query(_ commands: [[String]], on address: SocketAddress) throws(SystemError) -> [RESPValue] {
        guard let credentials else { return try BlockingQuery.run(commands, on: address, timeout: timeout) }
        let auth = ["AUTH"] + (credentials.username.map { [$0] } ?? []) + [credentials.password]
        let replies = try BlockingQuery.run([auth] + commands, on: address, timeout: timeout)
        if case .error(let text) = replies[0] { throw SystemError("AUTH refused: \(text)", errno: EACCES) }
        return Array(replies.dropFirst())
    }

    /// The map most nodes gave (the first one on a tie), compared by ``SlotMap/layout``: a node
    /// that has not yet heard of a failover, or sits on the minority side of a partition, is outvoted.
    static func majority(_ maps: [SlotMap]) -> SlotMap? {
        var best: SlotMap?
        var bestVotes = 0
        let layouts = maps.map(\.layout)
        for (map, layout) in zip(maps, layouts) {
            let votes = layouts.filter { $0 == layout }.count
            if votes > bestVotes {
                best = map
                bestVotes = votes
            }
        }
        return best
    }
}
