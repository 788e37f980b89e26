/// Something on the wire that explains (or predicts) a VRRP failure, found by
/// ``CaptureAnomalyDetector``.
public enum CaptureAnomaly: Sendable, Hashable, CustomStringConvertible {
    /// Two sources kept advertising as master for one virtual router: each advertised again
    /// after the other did, within the window. Protocol names the group ("VRRP" or "CARP").
    case splitBrain(protocol: String, id: UInt8, sources: [IPv4Address])
    /// Sources of one VRID advertise different intervals (nanoseconds).
    case intervalMismatch(vrid: UInt8, intervals: [IPv4Address: UInt64])
    /// Sources of one VRID advertise different virtual address lists.
    case addressMismatch(vrid: UInt8, addresses: [IPv4Address: [IPv4Address]])
    /// Sources of one VRID speak different VRRP versions (keepalived v2 vs a v3 peer).
    case versionMismatch(vrid: UInt8, versions: [IPv4Address: VRRPPacket.Version])
    /// An advertisement with TTL ≠ 255: receivers drop it.
    case badTTL(source: IPv4Address, ttl: UInt8)
    /// An advertisement whose checksum does not verify: receivers drop it.
    case badChecksum(protocol: String, source: IPv4Address)
    /// Protocol 112 that is neither readable VRRP nor CARP.
    case malformed(source: IPv4Address, reason: VRRPDropReason)

    public var description: String {
        switch self {
        case .splitBrain(let proto, let id, let sources):
            return "SPLIT BRAIN: \(proto) \(proto == "CARP" ? "vhid" : "vrid") \(id) has \(sources.count) masters "
                + VRRPMismatch.list(sources)
        case .intervalMismatch(let vrid, let intervals):
            return "interval mismatch on vrid \(vrid): "
                + Self.perSource(intervals) { VRRPTimers.describe($0) }
        case .addressMismatch(let vrid, let addresses):
            return "address list mismatch on vrid \(vrid): " + Self.perSource(addresses) { VRRPMismatch.list($0) }
        case .versionMismatch(let vrid, let versions):
            return "version mismatch on vrid \(vrid): " + Self.perSource(versions) { "v\($0.rawValue)" }
        case .badTTL(let source, let ttl):
            return "TTL \(ttl) from \(source) (must be 255; receivers drop it)"
        case .badChecksum(let proto, let source):
            return "bad \(proto) checksum from \(source) (receivers drop it)"
        case .malformed(let source, let reason):
            return "malformed protocol-112 packet from \(source): \(reason)"
        }
    }

    private static func perSource<Value>(_ values: [IPv4Address: Value], _ format: (Value) -> String) -> String {
        values.keys.sorted().map { "\($0) \(format(values[$0]!))" }.joined(separator: ", ")
    }
}

/// Watches decoded capture events and reports anomalies as they appear. A value fed in time
/// order; each multi-source anomaly is reported once when it starts and again only after it has
/// cleared (its sources fell silent for a window), so a persistent problem does not flood the
/// output. Per-packet problems (TTL, checksum, malformed) are reported for every packet, next
/// to the packet they concern.
public struct CaptureAnomalyDetector: Sendable {
    /// How long a source counts as advertising after its last packet, in microseconds.
    public var window: Int64

    private struct GroupKey: Hashable { var proto: String; var id: UInt8 }

    /// What one source last advertised for a group.
    private struct Advertiser {
        var lastSeen: Int64
        /// When it advertised before that (to see interleaving).
        var previousSeen: Int64?
        var priorityZero: Bool
        var interval: UInt64
        var addresses: [IPv4Address]
        var version: VRRPPacket.Version?
    }

    private var groups: [GroupKey: [IPv4Address: Advertiser]] = [:]
    /// Anomalies already reported and not yet cleared, by group.
    private var reported: [GroupKey: Set<CaptureAnomaly>] = [:]

    /// - Parameter window: default 5 s, more than a Master_Down_Interval at the usual 1 s.
    public init(window: Duration = .seconds(5)) {
        let (seconds, attoseconds) = window.components
        self.window = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// Feeds one event; returns the anomalies it reveals.
    public mutating func observe(_ event: CapturedEvent) -> [CaptureAnomaly] {
        let now = event.timestamp.totalMicroseconds
        switch event.kind {
        case .vrrp(let header, let packet, let checksumValid):
            var found: [CaptureAnomaly] = []
            if header.timeToLive != IPv4Header.vrrpTTL { found.append(.badTTL(source: header.source, ttl: header.timeToLive)) }
            if !checksumValid { found.append(.badChecksum(protocol: "VRRP", source: header.source)) }
            let advertiser = Advertiser(
                lastSeen: now, priorityZero: packet.priority == VRRPPacket.stopPriority,
                interval: packet.advertIntervalNanoseconds, addresses: packet.addresses.sorted(), version: packet.version
            )
            found += record(advertiser, from: header.source, in: GroupKey(proto: "VRRP", id: packet.vrid), now: now)
            return found
        case .carp(let header, let advert, let checksumValid):
            var found: [CaptureAnomaly] = []
            if header.timeToLive != IPv4Header.vrrpTTL { found.append(.badTTL(source: header.source, ttl: header.timeToLive)) }
            if !checksumValid { found.append(.badChecksum(protocol: "CARP", source: header.source)) }
            // CARP's advskew is part of the interval by design; only split brain is meaningful.
            let advertiser = Advertiser(lastSeen: now, priorityZero: false, interval: 0, addresses: [], version: nil)
            found += record(advertiser, from: header.source, in: GroupKey(proto: "CARP", id: advert.vhid), now: now)
            return found
        case .malformedVRRP(let header, let reason):
            return [.malformed(source: header.source, reason: reason)]
        case .arp, .other:
            return []
        }
    }

    private mutating func record(_ advertiser: Advertiser, from source: IPv4Address, in key: GroupKey, now: Int64) -> [CaptureAnomaly] {
        var members = groups[key, default: [:]]
        var entry = advertiser
        entry.previousSeen = members[source]?.lastSeen
        // Forget sources that fell silent, and anything reported about them.
        members = members.filter { now - $0.value.lastSeen <= window }
        members[source] = entry
        groups[key] = members
        var current = Set<CaptureAnomaly>()

        // Split brain: two live masters whose adverts interleave — one advertised between the
        // other's last two adverts — which a clean handover (the old master stops, the new one
        // starts) never shows. A priority-0 advert is a resignation, not a claim.
        let live = members.filter { !$0.value.priorityZero }
        var involved = Set<IPv4Address>()
        for (address, advertiser) in live {
            guard let previous = advertiser.previousSeen, advertiser.lastSeen - previous <= window else { continue }
            for (other, rival) in live where other != address && rival.lastSeen > previous && rival.lastSeen < advertiser.lastSeen {
                involved.insert(address)
                involved.insert(other)
            }
        }
        if !involved.isEmpty {
            current.insert(.splitBrain(protocol: key.proto, id: key.id, sources: involved.sorted()))
        }
        if key.proto == "VRRP" {
            let speaking = members.filter { !$0.value.priorityZero }
            let intervals = speaking.mapValues(\.interval)
            if Set(intervals.values).count > 1 { current.insert(.intervalMismatch(vrid: key.id, intervals: intervals)) }
            let lists = speaking.mapValues(\.addresses)
            if Set(lists.values).count > 1 { current.insert(.addressMismatch(vrid: key.id, addresses: lists)) }
            let versions = members.compactMapValues(\.version)
            if Set(versions.values).count > 1 { current.insert(.versionMismatch(vrid: key.id, versions: versions)) }
        }

        // Report what is new; keep what is still true so it is not repeated.
        let previouslyReported = reported[key, default: []]
        let stillTrue = previouslyReported.filter { old in current.contains { Self.sameKind(old, $0) } }
        let new = current.filter { anomaly in !stillTrue.contains { Self.sameKind($0, anomaly) } }
        reported[key] = stillTrue.union(new)
        return new.sorted { $0.description < $1.description }
    }

    /// Two anomalies of one group count as the same report when their kind and the set of
    /// sources involved agree (a split brain between A and B is one report however long it
    /// lasts; C joining makes a new one).
    private static func sameKind(_ a: CaptureAnomaly, _ b: CaptureAnomaly) -> Bool {
        switch (a, b) {
        case (.splitBrain(_, _, let x), .splitBrain(_, _, let y)): Set(x) == Set(y)
        case (.intervalMismatch(_, let x), .intervalMismatch(_, let y)): x == y
        case (.addressMismatch(_, let x), .addressMismatch(_, let y)): x == y
        case (.versionMismatch(_, let x), .versionMismatch(_, let y)): x == y
        default: false
        }
    }
}
