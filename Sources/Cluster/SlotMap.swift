/// Which master serves each of the 16384 slots: the routing table of cluster mode.
///
/// Built from a `CLUSTER SHARDS` or `CLUSTER SLOTS` reply (see `SlotMap+Parsing.swift`) or
/// from shards directly. A value type: the control plane builds a new map and hands it to the data
/// plane, which only ever reads it.
public struct SlotMap: Sendable, Equatable {
    /// A master and its replicas, with the slots the master serves.
    public struct Shard: Sendable, Equatable {
        /// The node that serves the slots.
        public var master: ClusterNode
        /// Its replicas, in reply order.
        public var replicas: [ClusterNode]
        /// The slots it serves, sorted, adjacent ranges merged; empty for a master without slots
        /// (a node just added to the cluster).
        public internal(set) var slots: [ClosedRange<UInt16>]

        /// A shard; `slots` is sorted and merged, and checked by ``SlotMap/init(masters:)``.
        public init(master: ClusterNode, replicas: [ClusterNode] = [], slots: [ClosedRange<UInt16>]) {
            self.master = master
            self.replicas = replicas
            self.slots = Self.normalized(slots)
        }

        /// Number of slots the shard serves.
        public var slotCount: Int {
            slots.reduce(0) { $0 + $1.count }
        }

        /// Sorted by lower bound, overlapping or touching ranges joined.
        static func normalized(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
            var merged: [ClosedRange<UInt16>] = []
            for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = merged.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                    merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
                } else {
                    merged.append(range)
                }
            }
            return merged
        }
    }

    /// A run of consecutive slots served by one shard, for the stats page.
    public struct SlotRange: Sendable, Equatable {
        /// The slots of the run.
        public var slots: ClosedRange<UInt16>
        /// Index of the serving shard in ``SlotMap/masters``.
        public var shard: Int

        /// A run of `slots` served by `masters[shard]`.
        public init(slots: ClosedRange<UInt16>, shard: Int) {
            self.slots = slots
            self.shard = shard
        }
    }

    /// The shards, in reply order; masters without slots included.
    public private(set) var masters: [Shard]
    /// For each of the 16384 slots, the index of its shard in ``masters``, or -1 when no master
    /// serves it. `Int16` keeps the table at 32 KiB.
    public private(set) var owner: [Int16]
    /// Number of slots some master serves; 16384 when the cluster covers every slot.
    public private(set) var coveredSlots: Int
    /// The served slots as maximal runs of one shard, in slot order; unserved slots are left out.
    public private(set) var ranges: [SlotRange]

    /// An empty map: no master, no slot served (before the first topology refresh).
    public init() {
        masters = []
        owner = Array(repeating: -1, count: HashSlot.count)
        coveredSlots = 0
        ranges = []
    }

    /// A map from shards. Throws when a slot is out of range or claimed by two shards: a reply
    /// that says so cannot be routed by.
    public init(masters: [Shard]) throws(SlotMapError) {
        guard masters.count <= Int(Int16.max) else {
            throw .malformed("\(masters.count) shards; at most \(Int16.max) are supported")
        }
        // Every range with its shard, in slot order: overlaps are then between neighbours, and the
        // runs for the stats page are the neighbours of one shard that touch.
        var claims: [(slots: ClosedRange<UInt16>, shard: Int)] = []
        for (index, shard) in masters.enumerated() {
            for range in shard.slots {
                guard Int(range.upperBound) < HashSlot.count else {
                    throw .malformed(
                        "slot range \(range.lowerBound)-\(range.upperBound) of \(shard.master.address) exceeds 16383")
                }
                claims.append((range, index))
            }
        }
        claims.sort { $0.slots.lowerBound < $1.slots.lowerBound }
        var owner = [Int16](repeating: -1, count: HashSlot.count)
        var ranges: [SlotRange] = []
        var covered = 0
        for (position, claim) in claims.enumerated() {
            if position > 0, claim.slots.lowerBound <= claims[position - 1].slots.upperBound {
                let (other, this) = (masters[claims[position - 1].shard].master.address, masters[claim.shard].master.address)
                throw .conflict("slot \(claim.slots.lowerBound) is claimed by both \(other) and \(this)")
            }
            owner.withUnsafeMutableBufferPointer { table in
                UnsafeMutableBufferPointer(rebasing: table[Int(claim.slots.lowerBound)...Int(claim.slots.upperBound)])
                    .update(repeating: Int16(claim.shard))
            }
            covered += claim.slots.count
            if let last = ranges.last, last.shard == claim.shard,
                Int(last.slots.upperBound) + 1 == Int(claim.slots.lowerBound)
            {
                ranges[ranges.count - 1].slots = last.slots.lowerBound...claim.slots.upperBound
            } else {
                ranges.append(SlotRange(slots: claim.slots, shard: claim.shard))
            }
        }
        self.masters = masters
        self.owner = owner
        self.coveredSlots = covered
        self.ranges = ranges
    }

    /// Index in ``masters`` of the shard serving `slot`; `nil` when no master serves it (or
    /// `slot` is past 16383). Called for every keyed request: a bounds check and a load.
    @inline(__always)
    public func shard(of slot: UInt16) -> Int? {
        guard Int(slot) < HashSlot.count else { return nil }
        let index = owner[Int(slot)]
        return index < 0 ? nil : Int(index)
    }

    /// The master serving `slot`, if any.
    public func master(of slot: UInt16) -> ClusterNode? {
        shard(of: slot).map { masters[$0].master }
    }

    /// True when every slot is served: what `cluster_state:ok` means with the default
    /// `cluster-require-full-coverage yes`.
    public var isFullyCovered: Bool { coveredSlots == HashSlot.count }
}

/// Why a topology reply cannot become a ``SlotMap``.
public enum SlotMapError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server answered with an error: before Redis 7.0, `CLUSTER SHARDS` gives
    /// `ERR unknown subcommand 'shards'`, and the caller falls back to `CLUSTER SLOTS`.
    case serverError(String)
    /// The reply does not have the shape of the command's reply.
    case malformed(String)
    /// Two shards claim the same slot.
    case conflict(String)

    /// The explanation without the case name.
    public var message: String {
        switch self {
        case .serverError(let text): return "the server answered with an error: " + text
        case .malformed(let text), .conflict(let text): return text
        }
    }

    /// Same as ``message``.
    public var description: String { message }
}

extension SlotMap {
    /// Where each slot goes and which replicas each master has, whatever order the shards were
    /// listed in (every node lists them in its own order) and leaving out node health and ids:
    /// two maps with the same layout route every command alike, so a refresh that reads the
    /// same layout changes nothing.
    public var layout: [String] {
        let served = ranges.map { range in
            let shard = masters[range.shard]
            return "\(range.slots.lowerBound)-\(range.slots.upperBound) \(shard.master.address)"
                + " replicas \(shard.replicas.map(\.address).sorted().joined(separator: ","))"
        }
        let idle = masters.filter { $0.slots.isEmpty }.map { "no slots \($0.master.address)" }.sorted()
        return served + idle
    }
}
