import Proxy

/// cluster mode's part of a snapshot, as all four formats show it: one entry per master (from the
/// traffic counters and the slot map together) and the slot map. ``StatsSnapshot/cluster`` is
/// `nil` in tcp mode. Master names are `host:port` as CLUSTER SHARDS announced them: network
/// data, escaped by every renderer.
public struct ClusterStats: Sendable, Equatable {
    /// Slots in a Redis Cluster.
    public static let slotCount = 16_384

    public struct Master: Sendable, Equatable {
        /// `host:port`.
        public var name: String
        /// All zero for a master of the slot map that no command has reached yet.
        public var counters: MasterCounters
        /// Slots the slot map gives it; 0 for one that is no longer (or not yet) in the map.
        public var slots: Int
    }

    /// Sorted by host, then port (numerically), so `:7002` comes before `:7010`.
    public var masters: [Master]
    /// `nil` until the topology thread has read a map.
    public var slotMap: SlotMapSummary?

    /// Reads the proxy snapshot; `nil` in tcp mode (no masters, no slot map).
    public init?(_ proxy: ProxySnapshot) {
        guard proxy.clusterMode || proxy.slotMap != nil || !proxy.masters.isEmpty else { return nil }
        var slots: [String: Int] = [:]
        for range in proxy.slotMap?.ranges ?? [] {
            slots[range.master, default: 0] += max(0, range.last - range.first + 1)
        }
        let names = Set(proxy.masters.keys).union(slots.keys)
        masters = names.sorted(by: Self.addressOrder).map {
            Master(name: $0, counters: proxy.masters[$0] ?? MasterCounters(), slots: slots[$0] ?? 0)
        }
        slotMap = proxy.slotMap.map { map in
            var sorted = map
            sorted.ranges.sort { $0.first < $1.first }
            return sorted
        }
    }

    /// The masters' counters added up (the totals row of the page and the CSV).
    public var totals: MasterCounters {
        masters.reduce(into: MasterCounters()) { sum, master in
            let counters = master.counters
            sum.commands &+= counters.commands
            sum.moved &+= counters.moved
            sum.asked &+= counters.asked
            sum.tryAgain &+= counters.tryAgain
            sum.errors &+= counters.errors
            sum.held &+= counters.held
            sum.connects &+= counters.connects
            sum.inFlight &+= counters.inFlight
        }
    }

    /// Slots some master serves now (0 before the first map).
    public var coveredSlots: Int { slotMap?.coveredSlots ?? 0 }

    /// Every slot has a master.
    public var fullyCovered: Bool { coveredSlots >= Self.slotCount }

    /// `0-5460`, or `10923` for a one-slot range.
    public static func label(_ range: SlotMapSummary.Range) -> String {
        range.first == range.last ? "\(range.first)" : "\(range.first)-\(range.last)"
    }

    /// The master's ranges in slot order, as `0-5460 10923`.
    public func rangeList(of master: String) -> String {
        (slotMap?.ranges ?? []).filter { $0.master == master }.map(Self.label).joined(separator: " ")
    }

    /// Host order, then numeric port: `10.0.0.1:7002` < `10.0.0.1:7010` < `10.0.0.2:7001`.
    static func addressOrder(_ left: String, _ right: String) -> Bool {
        func split(_ address: String) -> (host: Substring, port: Int?) {
            guard let colon = address.lastIndex(of: ":") else { return (address[...], nil) }
            return (address[..<colon], Int(address[address.index(after: colon)...]))
        }
        let a = split(left), b = split(right)
        if a.host != b.host { return a.host < b.host }
        if let portA = a.port, let portB = b.port, portA != portB { return portA < portB }
        return left < right
    }
}

extension StatsSnapshot {
    /// cluster mode's masters and slot map; `nil` in tcp mode.
    public var cluster: ClusterStats? { ClusterStats(proxy) }

    /// How old the slot map was when the snapshot was taken (never negative).
    public func slotMapAge(_ map: SlotMapSummary) -> Duration {
        let seconds = map.ageSeconds.isFinite ? max(0, map.ageSeconds) : 0
        return .milliseconds(Int64(min(seconds, 1e12) * 1000))
    }
}

extension LatencyHistogram {
    /// Bucket `i`'s upper bound in seconds (2^i µs); the last bucket has none (+Inf).
    static func upperBoundSeconds(_ index: Int) -> Double? {
        index < bucketCount - 1 ? Double(UInt64(1) << UInt64(index)) / 1_000_000 : nil
    }
}
