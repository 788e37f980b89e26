import RESP

/// Where one key of a split command went: its part, and its position among that part's keys.
public struct KeyPlacement: Sendable, Equatable, CustomStringConvertible {
    /// The part (sub-command) that carries the key.
    public var part: Int
    /// The key's position among the part's keys (0-based), so the element of the part's reply.
    public var position: Int

    public init(part: Int, position: Int) {
        self.part = part
        self.position = position
    }

    public var description: String { "(\(part), \(position))" }
}

/// One multi-key command split by slot (made by ``MultiKeySplitter``): one part per slot, in the
/// order the slots first appear among the keys, each carrying its keys (with their values, for
/// `MSET`) in the client's order.
///
/// A plan outlives the request it was made from: the caller encodes the parts with
/// ``appendRequest(part:from:into:)`` while the request's arguments are valid, then keeps the plan
/// until the parts' replies are merged (``ReplyMerger`` reads ``part(ofKey:)`` and
/// ``keyCount(ofPart:)``). A plan keeps its storage across ``MultiKeySplitter/split(_:as:into:)``
/// calls, so a pool of plans makes splitting allocation-free once they have grown.
///
/// Duplicate keys stay duplicates, in the same part (same key, same slot), as the client sent
/// them: `MGET a a` answers both, `DEL a a` counts `a` once and `MSET a 1 a 2` keeps 2, as Redis does.
public struct SplitPlan: Sendable {
    /// How the keys sit among the request's arguments.
    public private(set) var layout: MultiKeyCommand.Layout = .keys
    /// Per key, in the client's order.
    private var keySlots: [UInt16] = []
    private var keyParts: [UInt16] = []
    private var keyPositions: [Int32] = []
    /// The next key of the same part, or -1.
    private var nextKeys: [Int32] = []
    /// Per part.
    private var partSlots: [UInt16] = []
    private var partFirstKeys: [Int32] = []
    private var partLastKeys: [Int32] = []
    private var partKeyCounts: [Int32] = []

    /// An empty plan; `capacity` keys are made room for.
    public init(capacity: Int = 0) {
        keySlots.reserveCapacity(capacity)
        keyParts.reserveCapacity(capacity)
        keyPositions.reserveCapacity(capacity)
        nextKeys.reserveCapacity(capacity)
    }

    /// Keys in the request (pairs, for `MSET`).
    public var keyCount: Int { keySlots.count }
    /// Parts: one per distinct slot.
    public var partCount: Int { partSlots.count }

    /// The slot of key `key` (0 is the first key, argument 1).
    @inline(__always) public func slot(ofKey key: Int) -> UInt16 { keySlots[key] }
    /// The part that carries key `key`.
    @inline(__always) public func part(ofKey key: Int) -> Int { Int(keyParts[key]) }
    /// Where key `key` went.
    public func placement(ofKey key: Int) -> KeyPlacement {
        KeyPlacement(part: Int(keyParts[key]), position: Int(keyPositions[key]))
    }
    /// The slot every key of part `part` hashes to: where the part is sent.
    @inline(__always) public func slot(ofPart part: Int) -> UInt16 { partSlots[part] }
    /// How many keys part `part` carries.
    @inline(__always) public func keyCount(ofPart part: Int) -> Int { Int(partKeyCounts[part]) }

    /// The argument index of key `key`'s name.
    @inline(__always) public func argumentIndex(ofKey key: Int) -> Int { 1 + key * layout.step }

    /// The keys of part `part`, in the client's order (tests and logs: it allocates).
    public func keys(ofPart part: Int) -> [Int] {
        var keys: [Int] = []
        var key = Int(partFirstKeys[part])
        while key >= 0 {
            keys.append(key)
            key = Int(nextKeys[key])
        }
        return keys
    }

    /// Appends part `part` as a request, `*n` and bulk strings: the command name as the client
    /// spelled it, then the part's keys (and values) in the client's order. `arguments` must be
    /// the request the plan was made from.
    public func appendRequest(part: Int, from arguments: CommandArguments, into buffer: inout [UInt8]) {
        let step = layout.step
        RESPWriter.appendArrayHeader(1 + Int(partKeyCounts[part]) * step, into: &buffer)
        RESPWriter.appendBulk(arguments[0], into: &buffer)
        var key = Int(partFirstKeys[part])
        while key >= 0 {
            let index = 1 + key * step
            RESPWriter.appendBulk(arguments[index], into: &buffer)
            if step == 2 { RESPWriter.appendBulk(arguments[index + 1], into: &buffer) }
            key = Int(nextKeys[key])
        }
    }

    // MARK: - Building (MultiKeySplitter)

    /// Forgets the previous request, keeping the storage.
    mutating func reset(layout: MultiKeyCommand.Layout) {
        self.layout = layout
        keySlots.removeAll(keepingCapacity: true)
        keyParts.removeAll(keepingCapacity: true)
        keyPositions.removeAll(keepingCapacity: true)
        nextKeys.removeAll(keepingCapacity: true)
        partSlots.removeAll(keepingCapacity: true)
        partFirstKeys.removeAll(keepingCapacity: true)
        partLastKeys.removeAll(keepingCapacity: true)
        partKeyCounts.removeAll(keepingCapacity: true)
    }

    /// Records the next key's slot (first pass).
    @inline(__always) mutating func appendKey(slot: UInt16) {
        keySlots.append(slot)
    }

    /// Opens a part for `slot`; returns its number.
    mutating func addPart(slot: UInt16) -> Int {
        partSlots.append(slot)
        partFirstKeys.append(-1)
        partLastKeys.append(-1)
        partKeyCounts.append(0)
        return partSlots.count - 1
    }

    /// Puts the next key (second pass, in order) into `part`.
    mutating func place(nextKeyIn part: Int) {
        let key = Int32(keyParts.count)
        keyParts.append(UInt16(part))
        keyPositions.append(partKeyCounts[part])
        nextKeys.append(-1)
        if partLastKeys[part] >= 0 {
            nextKeys[Int(partLastKeys[part])] = key
        } else {
            partFirstKeys[part] = key
        }
        partLastKeys[part] = key
        partKeyCounts[part] += 1
    }

    /// Makes the plan one part of every key (the single-slot case, which a caller forwards whole).
    mutating func placeAllInOnePart() {
        let part = addPart(slot: keySlots[0])
        for _ in 0..<keySlots.count { place(nextKeyIn: part) }
    }
}
