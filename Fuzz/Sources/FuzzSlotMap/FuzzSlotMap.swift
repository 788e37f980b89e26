import Cluster
import RESP
import FuzzSupport

/// SlotMap's topology parsers (`CLUSTER SHARDS`, `CLUSTER SLOTS`) on arbitrary replies.
///
/// Input: one control byte choosing the address the reply came from (`replyFrom`: IPv4, IPv6 with
/// and without brackets, a host name, no port, empty), then a reply stream. Every value the
/// reader takes off the stream (RESP2 or RESP3) goes to both `SlotMap(shardsReply:replyFrom:)`
/// and `SlotMap(slotsReply:replyFrom:)`.
///
/// Beyond "no crash" (and only `SlotMapError` thrown), it checks every map built:
/// - `owner` has 16384 entries, each -1 or the index of one of `masters`; `shard(of:)` and
///   `master(of:)` agree with it, and slots past 16383 have no shard;
/// - `coveredSlots` counts the owned slots, `isFullyCovered` is true exactly for 16384;
/// - each shard's ranges are sorted, within 0…16383, neither overlapping nor touching, and each of
///   their slots is owned by that shard, `slotCount` adding up to `coveredSlots`;
/// - `ranges` are in slot order, maximal runs of one shard, covering exactly the owned slots;
/// - masters have the master role, every node a port.
/// Parsing twice gives the same map (or the same error).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSlotMap(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let replyFrom = replyFroms[Int(data[0]) % replyFroms.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var start = 0
    while start < bytes.count {
        let parsed: (value: RESPValue, consumed: Int)?
        do throws(RESPError) {
            parsed = try reader.parse(bytes[start...])
        } catch {
            return 0
        }
        guard let (value, consumed) = parsed else { return 0 }
        start += consumed
        let shards = Result { () throws(SlotMapError) in try SlotMap(shardsReply: value, replyFrom: replyFrom) }
        let slots = Result { () throws(SlotMapError) in try SlotMap(slotsReply: value, replyFrom: replyFrom) }
        if case .success(let map) = shards { check(map, "CLUSTER SHARDS") }
        if case .success(let map) = slots { check(map, "CLUSTER SLOTS") }
        require(shards == Result { () throws(SlotMapError) in try SlotMap(shardsReply: value, replyFrom: replyFrom) },
                "CLUSTER SHARDS parsed twice differs")
        require(slots == Result { () throws(SlotMapError) in try SlotMap(slotsReply: value, replyFrom: replyFrom) },
                "CLUSTER SLOTS parsed twice differs")
    }
    return 0
}

let replyFroms = ["127.0.0.1:7001", "[::1]:7001", "::1:7001", "redis-1.example:6379", "10.0.0.1", ""]

/// The topology thread's reader: the default limits.
let reader = RESPReader()

func check(_ map: SlotMap, _ what: String) {
    let slotCount = 16384
    let masters = map.masters.count
    require(map.owner.count == slotCount, "\(what): owner has \(map.owner.count) entries")
    // One pass over the table (through its buffer: this runs for every input, under ASan).
    var owned = 0
    var perShard = [Int](repeating: 0, count: masters)
    map.owner.withUnsafeBufferPointer { owner in
        for slot in 0..<slotCount {
            let index = Int(owner[slot])
            if index < 0 {
                require(index == -1, "\(what): slot \(slot) owned by \(index)")
                continue
            }
            require(index < masters, "\(what): slot \(slot) owned by \(index) of \(masters) masters")
            owned += 1
            perShard[index] += 1
        }
    }
    // The accessors, at every range boundary and a spread of other slots.
    var probes: [Int] = [0, 1, 8191, 8192, 16383] + stride(from: 0, to: slotCount, by: 127)
    for run in map.ranges { probes += [Int(run.slots.lowerBound), Int(run.slots.upperBound)] }
    for slot in probes {
        let owner = Int(map.owner[slot])
        let shard = map.shard(of: UInt16(slot))
        require(shard == (owner < 0 ? nil : owner), "\(what): shard(of: \(slot)) = \(String(describing: shard)), owner \(owner)")
        require(map.master(of: UInt16(slot)) == shard.map { map.masters[$0].master }, "\(what): master(of: \(slot))")
    }
    for slot in [16384, 16385, 32767, 65535] {
        require(map.shard(of: UInt16(slot)) == nil, "\(what): slot \(slot) has a shard")
    }
    require(map.coveredSlots == owned, "\(what): coveredSlots \(map.coveredSlots), \(owned) owned")
    require(map.isFullyCovered == (owned == slotCount), "\(what): isFullyCovered with \(owned) slots")
    for (index, shard) in map.masters.enumerated() {
        require(shard.master.role == .master, "\(what): master \(index) has role \(shard.master.role)")
        for node in [shard.master] + shard.replicas {
            require(node.port > 0, "\(what): node \(node.address) without a port")
        }
        var previous: ClosedRange<UInt16>?
        for range in shard.slots {
            require(Int(range.upperBound) < slotCount, "\(what): shard \(index) range \(range) past 16383")
            if let previous {
                require(Int(previous.upperBound) + 1 < Int(range.lowerBound), "\(what): shard \(index) ranges \(previous) and \(range) not merged")
            }
            previous = range
        }
        // Its slots are exactly the ones the table gives it.
        require(shard.slotCount == perShard[index], "\(what): shard \(index) has \(shard.slotCount) slots, owns \(perShard[index])")
        for range in shard.slots {
            require(Int(map.owner[Int(range.lowerBound)]) == index && Int(map.owner[Int(range.upperBound)]) == index,
                    "\(what): shard \(index) range \(range) owned by others")
        }
    }
    var next = 0
    var previous: SlotMap.SlotRange?
    var inRanges = 0
    map.owner.withUnsafeBufferPointer { owner in
        for run in map.ranges {
            require(Int(run.slots.lowerBound) >= next, "\(what): range \(run.slots) out of order")
            require(run.shard >= 0 && run.shard < masters, "\(what): range \(run.slots) of shard \(run.shard)")
            for slot in run.slots where Int(owner[Int(slot)]) != run.shard {
                fatalError("invariant failed: \(what): range \(run.slots) slot \(slot) owned by \(owner[Int(slot)])")
            }
            if let previous, previous.shard == run.shard {
                require(Int(previous.slots.upperBound) + 1 < Int(run.slots.lowerBound), "\(what): runs \(previous.slots) and \(run.slots) not joined")
            }
            inRanges += run.slots.count
            next = Int(run.slots.upperBound) + 1
            previous = run
        }
    }
    require(inRanges == owned, "\(what): ranges cover \(inRanges) slots, \(owned) owned")
}
