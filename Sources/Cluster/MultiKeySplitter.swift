import RESP

/// What ``MultiKeySplitter/split(_:as:into:)`` found.
public enum SplitOutcome: Sendable, Equatable {
    /// Every key hashes to this slot: forward the request unchanged (the plan holds one part).
    case oneSlot(UInt16)
    /// The keys hash to several slots: the plan holds one part per slot.
    case split
    /// The arguments do not fit the layout (no key, or `MSET` with a key and no value): send the
    /// request unchanged to any master, which answers Redis's own error. The plan is empty.
    case invalid
}

/// Splits a multi-key request (``MultiKeyCommand``) into one sub-request per slot.
///
/// One per data-plane loop: it keeps a slot → part table of 16,384 entries (32 KiB), made once
/// and cleaned after each split by visiting only the slots used, so a split costs the keys' CRC16s
/// and a few appends to the plan's arrays, and allocates nothing once the plan has grown.
///
/// Parts are per slot, not per master: Redis answers `CROSSSLOT` to keys of two slots even when
/// one node holds both, and a part of one slot is redirected (`MOVED`, `ASK`) as a whole during a
/// resharding. The caller may still write the parts of one master back to back on its link.
///
/// ```swift
/// // route(arguments) == .crossSlot, and MultiKeyCommand(info) != nil:
/// switch splitter.split(arguments, as: command, into: &plan) {
/// case .oneSlot(let slot): forward(arguments, to: slot)          // not reached after the router
/// case .invalid: forward(arguments, toAnyMaster: ())              // the server answers the error
/// case .split:
///     for part in 0..<plan.partCount {
///         plan.appendRequest(part: part, from: arguments, into: &linkBuffer(for: plan.slot(ofPart: part)))
///     }
///     // keep plan (and a PartReplies of plan.partCount) until every part has answered, then
///     // merger.merge(replies, rule: command.rule, plan: plan, into: &clientBuffer)
/// }
/// ```
public struct MultiKeySplitter: Sendable {
    /// Slot → part number, ``noPart`` when the slot has no part yet.
    private var partOfSlot: [UInt16]
    private static let noPart = UInt16.max

    public init() {
        partOfSlot = [UInt16](repeating: Self.noPart, count: HashSlot.count)
    }

    /// Splits `arguments` (the command name first) into `plan`, which is reset first.
    public mutating func split(
        _ arguments: CommandArguments, as command: MultiKeyCommand, into plan: inout SplitPlan
    ) -> SplitOutcome {
        let step = command.layout.step
        let count = arguments.count
        plan.reset(layout: command.layout)
        guard count >= 2, (count - 1) % step == 0 else { return .invalid }
        let first = HashSlot.of(arguments[1])
        var oneSlot = true
        var index = 1
        while index < count {
            let slot = index == 1 ? first : HashSlot.of(arguments[index])
            if slot != first { oneSlot = false }
            plan.appendKey(slot: slot)
            index += step
        }
        if oneSlot {
            plan.placeAllInOnePart()
            return .oneSlot(first)
        }
        partOfSlot.withUnsafeMutableBufferPointer { table in
            for key in 0..<plan.keyCount {
                let slot = Int(plan.slot(ofKey: key))
                var part = table[slot]
                if part == Self.noPart {
                    part = UInt16(plan.addPart(slot: UInt16(slot)))
                    table[slot] = part
                }
                plan.place(nextKeyIn: Int(part))
            }
            for part in 0..<plan.partCount { table[Int(plan.slot(ofPart: part))] = Self.noPart }
        }
        return .split
    }
}
