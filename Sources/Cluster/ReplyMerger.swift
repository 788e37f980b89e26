import RESP

/// Turns the replies of a split or fanned-out command's parts into the client's one reply.
///
/// The parts' replies are RESP2 or RESP3 as their links speak (a RESP3 client's parts travel on
/// RESP3 links), and the merged reply keeps their types: elements, errors and keys are copied
/// byte for byte (an `MGET` element is `$-1` or `_` as the server sent it, a `KEYS` merge of sets
/// stays a set), and only the numbers Ferry computes are written anew.
///
/// Errors, in this order:
/// 1. A part that is not exactly one complete reply (or is a RESP3 push) makes the whole reply
///    ``unreadableMessage``: the data plane only stores what ``RESP/ReplyScanner`` delimited, so
///    this is a guard, not an expected path.
/// 2. ``ReplyMergeRule/oneSucceeded`` answers the first success, else the first error;
///    ``ReplyMergeRule/allSucceeded`` the first error, else part 0's reply.
/// 3. Every other rule answers the **first error in part order** as the whole reply, as Redis
///    Cluster client libraries do for `MGET`/`DEL` (redis-py, go-redis): a partial `MGET` would
///    pass a missing value off as a null. Part 0 holds the first key, so this is the error of the
///    earliest key among the failed parts.
/// 4. A success of the wrong shape (an `MGET` part that is not an array of as many elements as it
///    was given keys, a non-integer for a sum, arrays of different lengths…) makes the whole
///    reply ``unmergeableMessage``, and a sum past `Int64` ``overflowMessage``.
///
/// One per data-plane loop: it keeps a ``RESP/ReplyScanner`` and per-part cursors, so merging
/// allocates nothing beyond the output buffer's growth once they have grown.
public struct ReplyMerger: Sendable {
    private var scanner = ReplyScanner()
    /// Per part: the offset (in the replies' buffer) of its next element.
    private var cursors: [Int] = []
    /// Reads one integer or boolean (Ferry checks the type byte first, so it never builds more).
    private let reader = RESPReader(maxBulkLength: 0, maxElements: 0, maxDepth: 0)

    public init() {}

    /// Ferry's reply when a part's bytes are not one complete reply.
    public static let unreadableMessage = "ERR ferry: a master's reply to part of this command could not be read"
    /// Ferry's reply when the parts' successes cannot be combined.
    public static let unmergeableMessage = "ERR ferry: the masters' replies to the parts of this command cannot be merged"
    /// Ferry's reply when a sum does not fit a signed 64-bit integer.
    public static let overflowMessage = "ERR ferry: the sum of the masters' replies overflows a 64-bit integer"

    private enum Failure: Error {
        case unreadable, unmergeable, overflow

        var message: String {
            switch self {
            case .unreadable: return ReplyMerger.unreadableMessage
            case .unmergeable: return ReplyMerger.unmergeableMessage
            case .overflow: return ReplyMerger.overflowMessage
            }
        }
    }

    /// Appends to `output` the client's reply merged from `replies` by `rule`. `replies` must be
    /// complete and hold at least one part; ``ReplyMergeRule/keyOrder`` needs the `plan` the parts
    /// were made from (as many parts).
    public mutating func merge(
        _ replies: PartReplies, rule: ReplyMergeRule, plan: SplitPlan? = nil, into output: inout [UInt8]
    ) {
        precondition(replies.count > 0, "nothing to merge")
        precondition(rule != .keyOrder || plan?.partCount == replies.count, "keyOrder needs the plan of these parts")
        let start = output.count
        do {
            try replies.withBytes { buffer in
                try self.merge(Parts(buffer: buffer, replies: replies), rule, plan, &output)
            }
        } catch let failure as Failure {
            output.removeSubrange(start...)
            RESPWriter.appendError(failure.message, into: &output)
        } catch {
            preconditionFailure("unexpected \(error)")
        }
    }

    /// The replies' buffer and where each part's reply lies in it.
    private struct Parts {
        let buffer: UnsafeRawBufferPointer
        let replies: PartReplies

        var count: Int { replies.count }
        func range(_ part: Int) -> Range<Int> { replies.range(part) }

        func bytes(_ part: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[range(part)]) }
    }

    private mutating func merge(
        _ parts: Parts, _ rule: ReplyMergeRule, _ plan: SplitPlan?, _ output: inout [UInt8]
    ) throws(Failure) {
        var firstError = -1
        var firstSuccess = -1
        for part in 0..<parts.count {
            let bytes = parts.bytes(part)
            guard let reply = scanOne(bytes), reply.length == bytes.count, !reply.isPush else { throw .unreadable }
            if reply.isError {
                if firstError < 0 { firstError = part }
            } else if firstSuccess < 0 {
                firstSuccess = part
            }
        }
        switch rule {
        case .oneSucceeded:
            output.append(contentsOf: parts.bytes(firstSuccess >= 0 ? firstSuccess : firstError))
            return
        case .allSucceeded:
            output.append(contentsOf: parts.bytes(firstError >= 0 ? firstError : 0))
            return
        default:
            if firstError >= 0 {
                output.append(contentsOf: parts.bytes(firstError))
                return
            }
        }
        switch rule {
        case .keyOrder: try mergeInKeyOrder(parts, plan!, &output)
        case .concatenate: try concatenate(parts, &output)
        default: try aggregate(parts, rule, &output)
        }
    }

    // MARK: - Rules

    private mutating func mergeInKeyOrder(_ parts: Parts, _ plan: SplitPlan, _ output: inout [UInt8]) throws(Failure) {
        cursors.removeAll(keepingCapacity: true)
        for part in 0..<parts.count {
            guard let header = Self.header(parts.bytes(part)), header.type == UInt8(ascii: "*"),
                header.count == plan.keyCount(ofPart: part)
            else { throw .unmergeable }
            cursors.append(parts.range(part).lowerBound + header.length)
        }
        RESPWriter.appendArrayHeader(plan.keyCount, into: &output)
        for key in 0..<plan.keyCount {
            let part = plan.part(ofKey: key)
            let element = try nextElement(parts, part)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: parts.buffer[element]))
        }
    }

    private mutating func concatenate(_ parts: Parts, _ output: inout [UInt8]) throws(Failure) {
        cursors.removeAll(keepingCapacity: true)
        var type: UInt8 = 0
        var total = 0
        for part in 0..<parts.count {
            let bytes = parts.bytes(part)
            let end = parts.range(part).upperBound
            if bytes[0] == UInt8(ascii: "_") {
                cursors.append(end)  // a RESP3 null: nothing to add
                continue
            }
            guard let header = Self.header(bytes) else { throw .unmergeable }
            if header.count < 0 {
                cursors.append(end)  // `*-1`
                continue
            }
            if type == 0 {
                type = header.type
            } else if (type == UInt8(ascii: "%")) != (header.type == UInt8(ascii: "%")) {
                throw .unmergeable  // a map's entries are pairs: they do not mix with elements
            }
            total += header.count
            cursors.append(parts.range(part).lowerBound + header.length)
        }
        switch type {
        case UInt8(ascii: "%"): RESPWriter.appendMapHeader(total, resp3: true, into: &output)
        case UInt8(ascii: "~"): RESPWriter.appendSetHeader(total, resp3: true, into: &output)
        default: RESPWriter.appendArrayHeader(total, into: &output)
        }
        for part in 0..<parts.count {
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: parts.buffer[cursors[part]..<parts.range(part).upperBound]))
        }
    }

    /// Sum, minimum, maximum, logical AND and OR: of integers, or element-wise of arrays of them.
    private mutating func aggregate(_ parts: Parts, _ rule: ReplyMergeRule, _ output: inout [UInt8]) throws(Failure) {
        cursors.removeAll(keepingCapacity: true)
        guard let first = Self.header(parts.bytes(0)) else {
            // Scalars: each part is one integer (or boolean).
            for part in 0..<parts.count { cursors.append(parts.range(part).lowerBound) }
            try aggregateElement(parts, rule, &output)
            return
        }
        guard first.type == UInt8(ascii: "*"), first.count >= 0 else { throw .unmergeable }
        for part in 0..<parts.count {
            guard let header = Self.header(parts.bytes(part)), header.type == UInt8(ascii: "*"), header.count == first.count
            else { throw .unmergeable }
            cursors.append(parts.range(part).lowerBound + header.length)
        }
        RESPWriter.appendArrayHeader(first.count, into: &output)
        for _ in 0..<first.count { try aggregateElement(parts, rule, &output) }
    }

    /// Combines the scalar at every part's cursor, advancing the cursors, and appends the result.
    private mutating func aggregateElement(_ parts: Parts, _ rule: ReplyMergeRule, _ output: inout [UInt8]) throws(Failure) {
        var result: Int64 = 0
        var allBooleans = true
        for part in 0..<parts.count {
            let (value, isBoolean) = try nextScalar(parts, part)
            allBooleans = allBooleans && isBoolean
            switch rule {
            case .logicalAnd:
                result = (part == 0 || result != 0) && value != 0 ? 1 : 0
            case .logicalOr:
                result = (part > 0 && result != 0) || value != 0 ? 1 : 0
            case .sum, .minimum, .maximum:
                guard !isBoolean else { throw .unmergeable }
                if part == 0 {
                    result = value
                } else if rule == .sum {
                    let (sum, overflow) = result.addingReportingOverflow(value)
                    guard !overflow else { throw .overflow }
                    result = sum
                } else {
                    result = rule == .minimum ? min(result, value) : max(result, value)
                }
            default:
                preconditionFailure("\(rule) is not an aggregation")
            }
        }
        if allBooleans {
            output.append(contentsOf: result != 0 ? Self.trueReply : Self.falseReply)
        } else {
            RESPWriter.appendInteger(result, into: &output)
        }
    }

    private static let trueReply: [UInt8] = Array("#t\r\n".utf8)
    private static let falseReply: [UInt8] = Array("#f\r\n".utf8)

    // MARK: - Reading the parts

    /// The one reply at the start of `bytes`, or `nil` when there is none (incomplete or invalid).
    private mutating func scanOne(_ bytes: UnsafeRawBufferPointer) -> ScannedReply? {
        scanner.reset()
        return try? scanner.scan(bytes)
    }

    /// The element at part `part`'s cursor (attributes before it included), moving the cursor past it.
    private mutating func nextElement(_ parts: Parts, _ part: Int) throws(Failure) -> Range<Int> {
        let start = cursors[part]
        let rest = UnsafeRawBufferPointer(rebasing: parts.buffer[start..<parts.range(part).upperBound])
        guard let element = scanOne(rest) else { throw .unreadable }
        cursors[part] = start + element.length
        return start..<cursors[part]
    }

    /// The integer (`:`) or boolean (`#`, as 1 or 0) at part `part`'s cursor, moving the cursor past it.
    private mutating func nextScalar(_ parts: Parts, _ part: Int) throws(Failure) -> (value: Int64, isBoolean: Bool) {
        let start = cursors[part]
        let end = parts.range(part).upperBound
        guard start < end, parts.buffer[start] == UInt8(ascii: ":") || parts.buffer[start] == UInt8(ascii: "#") else {
            throw .unmergeable
        }
        let parsed: (value: RESPValue, consumed: Int)??
        do {
            parsed = try reader.parse(UnsafeRawBufferPointer(rebasing: parts.buffer[start..<end]))
        } catch {
            throw .unreadable
        }
        guard let (value, consumed) = parsed ?? nil else { throw .unreadable }
        cursors[part] = start + consumed
        switch value {
        case .integer(let number): return (number, false)
        case .boolean(let flag): return (flag ? 1 : 0, true)
        default: throw .unmergeable
        }
    }

    /// The header of an aggregate reply (`*`, `~`, `%`; count -1 for `*-1`) and its length in
    /// bytes; `nil` for any other type. `bytes` is a whole reply the scanner accepted, so its
    /// header line is a valid number.
    private static func header(_ bytes: UnsafeRawBufferPointer) -> (type: UInt8, count: Int, length: Int)? {
        guard let type = bytes.first, type == UInt8(ascii: "*") || type == UInt8(ascii: "~") || type == UInt8(ascii: "%")
        else { return nil }
        var index = 1
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var count = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "\r") {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = count.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(Int(digit))
            guard !overflow1 && !overflow2 else { return nil }
            count = next
            index += 1
        }
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else { return nil }
        return (type, negative ? -count : count, index + 2)
    }
}
