import Cluster
import RESP
import FuzzSupport

/// ReplyMerger (the merge of a split or fanned-out command's parts) on arbitrary part replies,
/// with every rule, and for `keyOrder` a SplitPlan made by MultiKeySplitter from keys whose slots
/// the input picks.
///
/// Input: byte 0 picks the rule (`ReplyMergeRule.allCases`, modulo); byte 1 the number of parts
/// (1 + b % 16); for `keyOrder`, byte 2 the number of keys (1 + b % 32) and one byte per key
/// naming its slot among 16 (the parts are then the distinct slots, in order of first
/// appearance). Then, per part, a 2-byte big-endian length and that many bytes of reply (missing
/// bytes: an empty reply).
///
/// Beyond "no crash", it checks:
/// - the output is exactly one RESP value, for RESPReader and for ReplyScanner alike;
/// - an error that is not Ferry's own is byte for byte one of the parts' replies; so is any
///   output of `allSucceeded` and `oneSucceeded`;
/// - when every part is a valid reply of the expected shape (`keyOrder`: arrays of as many
///   elements as keys; `sum`: integers), the output is what the rule promises: the elements in
///   key order, or the sum (or Ferry's overflow error);
/// - the parts stored in reverse order, and a second merge with the same (reused) merger, give
///   the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyMerge(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(UnsafeBufferPointer(start: data, count: size))
    let rule = ReplyMergeRule.allCases[Int(input.byte()) % ReplyMergeRule.allCases.count]
    var partCount = 1 + Int(input.byte()) % 16
    var plan: SplitPlan?
    if rule == .keyOrder {
        let keyCount = 1 + Int(input.byte()) % 32
        let keys = (0..<keyCount).map { _ in keys16[Int(input.byte()) % 16] }
        var splitter = MultiKeySplitter()
        var made = SplitPlan()
        _ = CommandArguments.with([Array("MGET".utf8)] + keys) {
            splitter.split($0, as: MultiKeyCommand(layout: .keys, rule: .keyOrder), into: &made)
        }
        partCount = made.partCount
        plan = made
    }
    let parts = (0..<partCount).map { _ in input.part() }

    var merger = ReplyMerger()
    let output = merge(&merger, parts, rule, plan, reversed: false)
    require(merge(&merger, parts, rule, plan, reversed: true) == output, "arrival order or reuse changed the merge")
    check(output, parts, rule, plan)
    return 0
}

struct Input {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func part() -> [UInt8] {
        let length = Int(byte()) << 8 | Int(byte())
        let end = min(bytes.count, offset + length)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// Sixteen keys of sixteen distinct slots.
let keys16: [[UInt8]] = {
    var keys: [[UInt8]] = []
    var slots = Set<UInt16>()
    var number = 0
    while keys.count < 16 {
        let key = Array("k\(number)".utf8)
        if slots.insert(HashSlot.of(key)).inserted { keys.append(key) }
        number += 1
    }
    return keys
}()

/// The merged reply nests the parts' elements one level deeper than the merger's scanner allows them.
let outputReader = RESPReader(maxBulkLength: 512 << 20, maxElements: 1 << 16, maxDepth: 256)
/// The limits of the merger's ReplyScanner (its defaults).
let partReader = RESPReader(maxBulkLength: 512 << 20, maxElements: 1 << 16, maxDepth: 128)

func merge(_ merger: inout ReplyMerger, _ parts: [[UInt8]], _ rule: ReplyMergeRule, _ plan: SplitPlan?, reversed: Bool) -> [UInt8] {
    var replies = PartReplies(parts: parts.count)
    for part in reversed ? Array(parts.indices.reversed()) : Array(parts.indices) {
        replies.store(parts[part], forPart: part)
    }
    var output: [UInt8] = []
    merger.merge(replies, rule: rule, plan: plan, into: &output)
    return output
}

/// The one value `bytes` must hold, or `nil` when they do not hold exactly one.
func value(_ bytes: [UInt8], _ reader: RESPReader) -> RESPValue? {
    guard let (value, consumed) = try? reader.parse(bytes), consumed == bytes.count else { return nil }
    return value
}

func check(_ output: [UInt8], _ parts: [[UInt8]], _ rule: ReplyMergeRule, _ plan: SplitPlan?) {
    let what = "\(rule) of \(parts.map(quoted)) → \(quoted(output))"
    guard let merged = value(output, outputReader) else { fatalError("invariant failed: not one RESP value: \(what)") }
    var scanner = ReplyScanner(maxDepth: 256)
    let scanned = output.withUnsafeBytes { try? scanner.scan($0) }
    require(scanned?.length == output.count, "ReplyScanner disagrees: \(what)")

    let ferryErrors = [ReplyMerger.unreadableMessage, ReplyMerger.unmergeableMessage, ReplyMerger.overflowMessage]
    if case .error(let text) = merged, ferryErrors.contains(text) {
        require(rule == .sum || text != ReplyMerger.overflowMessage, "overflow outside a sum: \(what)")
    } else if case .error = merged {
        require(parts.contains(output), "an error that no part sent: \(what)")
    }
    if rule == .allSucceeded || rule == .oneSucceeded, !ferryErrors.contains(where: { merged == .error($0) }) {
        require(parts.contains(output), "not a part's reply: \(what)")
    }

    // The promised results, when every part is one valid reply (read as the merger reads them:
    // the same depth limit, and no attribute before the reply, which the merger does not look through).
    let values = parts.map { $0.first == UInt8(ascii: "|") ? nil : value($0, partReader) }
    guard values.allSatisfy({ $0 != nil }) else { return }
    let partValues = values.map { $0! }
    switch rule {
    case .keyOrder:
        let plan = plan!
        var elements: [[RESPValue]] = []
        for (part, value) in partValues.enumerated() {
            guard case .array(let list?) = value, list.count == plan.keyCount(ofPart: part) else { return }
            elements.append(list)
        }
        let expected = (0..<plan.keyCount).map { key in
            let placement = plan.placement(ofKey: key)
            return elements[placement.part][placement.position]
        }
        require(merged == .array(expected), "not the elements in key order: \(what)")
    case .sum:
        var total: Int64 = 0
        var overflow = false
        for value in partValues {
            guard case .integer(let number) = value else { return }
            let (sum, over) = total.addingReportingOverflow(number)
            total = sum
            overflow = overflow || over
        }
        // Summed in part order, as the merger does: an overflow on the way is refused.
        require(merged == (overflow ? .error(ReplyMerger.overflowMessage) : .integer(total)), "not the sum \(total): \(what)")
    default:
        break
    }
}
