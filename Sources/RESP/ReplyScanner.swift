/// Where one complete reply ends in a backend's byte stream, and the little the proxy needs to know
/// about it, found without building values.
public struct ScannedReply: Equatable, Sendable {
    /// Bytes of the reply from the start of the buffer, attributes before it included.
    public var length: Int
    /// The reply is an error, `-…` or a RESP3 blob error `!…`.
    public var isError: Bool
    /// The reply is a RESP3 push (`>`), an out-of-band message rather than the answer to a command.
    public var isPush: Bool
    /// For an error reply: the offsets of its text (no `-`, no length, no CRLF), to spot
    /// `MOVED`/`ASK` redirections.
    public var errorText: Range<Int>?

    /// A reply of `length` bytes (for tests and callers that build one).
    public init(length: Int, isError: Bool = false, isPush: Bool = false, errorText: Range<Int>? = nil) {
        self.length = length
        self.isError = isError
        self.isPush = isPush
        self.errorText = errorText
    }
}

/// Finds the end of each reply of a backend connection (RESP2 and RESP3, nested aggregates,
/// attributes, `$-1`/`*-1` nulls) so the proxy can forward it without parsing it into values.
///
/// One value per backend connection. ``scan(_:)`` is given the unconsumed bytes, starting at a reply
/// boundary; it returns `nil` while the reply is incomplete, and the caller calls again with the
/// same start and more bytes (the buffer may move: the scanner keeps offsets, never pointers). It
/// resumes where it stopped, never reading a byte twice, with a stack of the counts still expected
/// by the open aggregates; the stack keeps its storage, so a call allocates nothing once it has
/// grown. After a reply is returned the caller drops `length` bytes and the scanner is ready for
/// the next one. After a throw the connection cannot be resynchronised; ``reset()`` before reuse.
///
/// It accepts what ``RESPReader`` accepts, with the same strictness on lines (a CR must be followed
/// by LF, no bare LF) and numbers, and reports the same length.
public struct ReplyScanner: Sendable {
    /// Most aggregates (attributes included) open at once; a top-level array is one.
    public let maxDepth: Int
    /// Longest bulk string, blob error or verbatim string, and longest simple line.
    public let maxBulkLength: Int

    private enum Phase: UInt8 {
        case type, line, body
    }

    /// An aggregate still open: how many values it still expects.
    private struct Frame {
        var remaining: Int
        var isAttribute: Bool
    }

    private var phase = Phase.type
    /// Next byte to look at.
    private var position = 0
    /// The type byte of the current line or body.
    private var type: UInt8 = 0
    /// First byte after the current type byte.
    private var lineStart = 0
    /// End of the current blob's body.
    private var bodyEnd = 0
    private var frames: [Frame] = []
    /// The type byte of the reply itself (not of an attribute before it).
    private var replyType: UInt8 = 0
    private var errorText: Range<Int>?

    /// A length or integer line holds at most `-9223372036854775808`: 20 bytes.
    private static let maxNumberLength = 20

    /// A scanner for a new connection, at a reply boundary; the defaults are Redis's own limits.
    public init(maxDepth: Int = 128, maxBulkLength: Int = 512 << 20) {
        precondition(maxDepth >= 0 && maxBulkLength >= 0, "limits cannot be negative")
        self.maxDepth = maxDepth
        self.maxBulkLength = maxBulkLength
        frames.reserveCapacity(8)
    }

    /// How many bytes (from the reply's start) the buffer must hold before the current blob is
    /// complete; `nil` outside a blob. Lets the caller grow its buffer once for a large value.
    public var bytesNeeded: Int? {
        phase == .body ? bodyEnd + 2 : nil
    }

    /// Forgets a partly scanned reply: the next call starts at a reply boundary.
    public mutating func reset() {
        phase = .type
        position = 0
        frames.removeAll(keepingCapacity: true)
        replyType = 0
        errorText = nil
    }

    /// The reply at the start of `bytes`, or `nil` when more bytes are needed.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(RESPError) -> ScannedReply? {
        assert(position <= bytes.count, "called again with fewer bytes than before")
        while true {
            switch phase {
            case .type:
                guard position < bytes.count else { return nil }
                try self.startValue(bytes[position])
            case .line:
                guard let lineEnd = try self.findLine(bytes) else { return nil }
                guard try self.endLine(bytes, lineStart..<lineEnd) else { continue }
                if let reply = self.valueEnded() { return reply }
            case .body:
                // Check the terminator as soon as each byte arrives, whatever the split.
                if bytes.count > bodyEnd && bytes[bodyEnd] != UInt8(ascii: "\r")
                    || bytes.count > bodyEnd + 1 && bytes[bodyEnd + 1] != UInt8(ascii: "\n")
                {
                    throw .malformed("\(Self.name(type)) not terminated by CRLF")
                }
                guard bytes.count >= bodyEnd + 2 else { return nil }
                let body = lineStart..<bodyEnd
                if type == UInt8(ascii: "=") && (body.count < 4 || bytes[body.lowerBound + 3] != UInt8(ascii: ":")) {
                    throw .malformed("verbatim string without a format prefix")
                }
                if type == UInt8(ascii: "!") && frames.isEmpty { errorText = body }
                position = bodyEnd + 2
                if let reply = self.valueEnded() { return reply }
            }
        }
    }

    // MARK: - Steps

    /// Reads the type byte at `position`.
    private mutating func startValue(_ byte: UInt8) throws(RESPError) {
        switch byte {
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            // Checked at the type byte, so the error does not depend on how much follows.
            guard frames.count < maxDepth else { throw .tooLarge("nested deeper than \(maxDepth) levels") }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "_"),
            UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "="), UInt8(ascii: "!"):
            break
        default:
            throw .malformed("unexpected type byte \(Self.describe(byte))")
        }
        if frames.isEmpty && byte != UInt8(ascii: "|") { replyType = byte }
        type = byte
        position += 1
        lineStart = position
        phase = .line
    }

    /// Resumes the search for the CRLF ending the current line; `nil` when it has not arrived.
    private mutating func findLine(_ bytes: UnsafeRawBufferPointer) throws(RESPError) -> Int? {
        let limit = self.lineLimit
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\r"):
                guard position + 1 < bytes.count else { return nil }
                guard bytes[position + 1] == UInt8(ascii: "\n") else {
                    throw .malformed("carriage return not followed by line feed")
                }
                let end = position
                position += 2
                return end
            case UInt8(ascii: "\n"):
                throw .malformed("line feed without carriage return")
            default:
                guard position - lineStart < limit else { throw self.lineTooLong }
                position += 1
            }
        }
        return nil
    }

    /// Acts on a complete line; true when it ended a value.
    private mutating func endLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(RESPError) -> Bool {
        switch type {
        case UInt8(ascii: "-"):
            if frames.isEmpty { errorText = line }
        case UInt8(ascii: ":"):
            _ = try Self.number(bytes, line, of: "integer")
        case UInt8(ascii: "#"):
            guard line.count == 1, bytes[line.lowerBound] == UInt8(ascii: "t") || bytes[line.lowerBound] == UInt8(ascii: "f")
            else { throw .malformed("boolean is not t or f") }
        case UInt8(ascii: ","):
            // The same test as RESPReader's (the text of a double is at most 64 bytes, and short
            // strings do not allocate), so both agree on every input.
            guard !line.isEmpty, line.count <= 64,
                  Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[line]), as: UTF8.self)) != nil
            else { throw .malformed("invalid double") }
        case UInt8(ascii: "("):
            let digits = line.lowerBound + (line.count > 0 && bytes[line.lowerBound] == UInt8(ascii: "-") ? 1 : 0)
            guard digits < line.upperBound, (digits..<line.upperBound).allSatisfy({ bytes[$0] &- 0x30 < 10 }) else {
                throw .malformed("invalid big number")
            }
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try Self.number(bytes, line, of: "\(Self.name(type)) length")
            if length == -1 && type == UInt8(ascii: "$") { return true }
            guard length >= 0 else { throw .malformed("negative \(Self.name(type)) length \(length)") }
            guard length <= maxBulkLength else {
                throw .tooLarge("\(Self.name(type)) of \(length) bytes exceeds the limit of \(maxBulkLength)")
            }
            lineStart = position
            bodyEnd = position + Int(length)
            phase = .body
            return false
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            return try self.openAggregate(bytes, line)
        default:
            break  // `+` and `_` (whose line limit is 0) need no check
        }
        return true
    }

    /// Pushes the aggregate whose header is `line`; true when it is already complete (empty or null).
    private mutating func openAggregate(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(RESPError) -> Bool
    {
        let count = try Self.number(bytes, line, of: "\(Self.name(type)) length")
        if count == -1 && type == UInt8(ascii: "*") { return true }
        guard count >= 0 else { throw .malformed("negative \(Self.name(type)) length \(count)") }
        let pairs = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
        guard count <= Int64(Int.max / 2) else { throw .tooLarge("\(Self.name(type)) of \(count) elements") }
        let values = pairs ? Int(count) * 2 : Int(count)
        let isAttribute = type == UInt8(ascii: "|")
        phase = .type
        if values > 0 {
            frames.append(Frame(remaining: values, isAttribute: isAttribute))
            return false
        }
        // An empty attribute annotates the value after it: that value is still to come.
        return !isAttribute
    }

    /// Counts the value just ended in the aggregates it closes; returns the reply when it was the last.
    private mutating func valueEnded() -> ScannedReply? {
        phase = .type
        while !frames.isEmpty {
            frames[frames.count - 1].remaining -= 1
            if frames[frames.count - 1].remaining > 0 { return nil }
            // An attribute is not a value of its parent: the value after it is.
            if frames.removeLast().isAttribute { return nil }
        }
        let reply = ScannedReply(
            length: position,
            isError: replyType == UInt8(ascii: "-") || replyType == UInt8(ascii: "!"),
            isPush: replyType == UInt8(ascii: ">"),
            errorText: errorText
        )
        reset()
        return reply
    }

    // MARK: - Helpers

    /// Longest content of the current line, as ``RESPReader`` bounds it.
    private var lineLimit: Int {
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("): return maxBulkLength
        case UInt8(ascii: "_"): return 0
        case UInt8(ascii: "#"): return 1
        case UInt8(ascii: ","): return 64
        default: return Self.maxNumberLength
        }
    }

    private var lineTooLong: RESPError {
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("): return .tooLarge("line longer than \(maxBulkLength) bytes")
        case UInt8(ascii: "_"): return .malformed("null with a payload")
        case UInt8(ascii: "#"): return .malformed("boolean is not t or f")
        case UInt8(ascii: ","): return .malformed("invalid double")
        case UInt8(ascii: ":"): return .malformed("invalid integer")
        default: return .malformed("invalid \(Self.name(type)) length")
        }
    }

    /// A signed decimal line, strict: an optional `-` and at least one digit, within `Int64`.
    /// `kind` names it in an error; an autoclosure, so a valid line (every reply) builds no String.
    private static func number(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>, of kind: @autoclosure () -> String) throws(RESPError)
        -> Int64
    {
        var index = line.lowerBound
        let negative = index < line.upperBound && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < line.upperBound else { throw .malformed("invalid \(kind())") }
        var value: Int64 = 0
        while index < line.upperBound {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .malformed("invalid \(kind())") }
            // Accumulate negative numbers downwards so Int64.min parses too.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1 && !overflow2 else { throw .malformed("\(kind()) out of range") }
            value = next
            index += 1
        }
        return value
    }

    private static func name(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "$"): return "bulk string"
        case UInt8(ascii: "!"): return "blob error"
        case UInt8(ascii: "="): return "verbatim string"
        case UInt8(ascii: "*"): return "array"
        case UInt8(ascii: "%"): return "map"
        case UInt8(ascii: "~"): return "set"
        case UInt8(ascii: ">"): return "push"
        default: return "attribute"
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        let code = "0x" + (hex.count == 1 ? "0" + hex : hex)
        guard (0x21..<0x7F).contains(byte) else { return code }
        return "'\(Character(UnicodeScalar(byte)))' (\(code))"
    }
}
