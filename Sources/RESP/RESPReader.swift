/// Why a byte stream is not acceptable RESP.
public enum RESPError: Error, Equatable, Sendable {
    /// The bytes break the protocol; the connection cannot be resynchronised.
    case malformed(String)
    /// The bytes are valid RESP but exceed a limit of the ``RESPReader``.
    case tooLarge(String)

    /// The explanation without the case name, e.g. `unexpected type byte 'A' (0x41)`.
    public var message: String {
        switch self {
        case .malformed(let message), .tooLarge(let message):
            return message
        }
    }
}

/// An incremental RESP parser: it is given all the bytes received so far and either
/// returns the first complete value and how many bytes it used, returns `nil` when
/// the value is not complete yet, or throws when the bytes can never become valid.
///
/// The reader is stateless, so the caller keeps the buffer and calls again with more
/// bytes. Errors are decided strictly left to right: a prefix of malformed input
/// either needs more bytes or throws the same error as the whole input, so how the
/// bytes were split by the network never changes the outcome.
///
/// The limits bound what a misbehaving server can make us allocate or recurse into.
public struct RESPReader: Sendable {
    /// Longest bulk string, and longest simple string / error line, in bytes.
    public let maxBulkLength: Int
    /// Most elements in one aggregate (entries, for a map).
    public let maxElements: Int
    /// Most aggregates nested inside each other; a top-level array is depth 1.
    public let maxDepth: Int

    /// A length or integer line holds at most `-9223372036854775808`: 20 bytes.
    private static let maxNumberLength = 20

    public init(maxBulkLength: Int = 512 * 1024, maxElements: Int = 4096, maxDepth: Int = 8) {
        precondition(maxBulkLength >= 0 && maxElements >= 0 && maxDepth >= 0, "RESP limits cannot be negative")
        self.maxBulkLength = maxBulkLength
        self.maxElements = maxElements
        self.maxDepth = maxDepth
    }

    /// One value from the start of `bytes`; `nil` when more bytes are needed.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(RESPError) -> (value: RESPValue, consumed: Int)? {
        var index = 0
        guard let value = try self.value(bytes, &index, depth: 0) else { return nil }
        return (value, index)
    }

    /// One value from the start of `bytes`; `nil` when more bytes are needed.
    public func parse(_ bytes: [UInt8]) throws(RESPError) -> (value: RESPValue, consumed: Int)? {
        // `withUnsafeBytes` only rethrows untyped errors, so carry the typed one out in a Result.
        try bytes.withUnsafeBytes { buffer in Result { () throws(RESPError) in try self.parse(buffer) } }.get()
    }

    /// One value from the start of `bytes`; `nil` when more bytes are needed.
    public func parse(_ bytes: ArraySlice<UInt8>) throws(RESPError) -> (value: RESPValue, consumed: Int)? {
        try bytes.withUnsafeBytes { buffer in Result { () throws(RESPError) in try self.parse(buffer) } }.get()
    }

    // MARK: - Values

    /// Parses the value starting at `index`; advances `index` past it only when it is complete.
    private func value(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, depth: Int) throws(RESPError) -> RESPValue?
    {
        var cursor = index
        // An attribute annotates the value after it; nothing here needs one, so skip it.
        // A loop rather than recursion, so a long chain of attributes cannot exhaust the stack.
        while cursor < bytes.count, bytes[cursor] == UInt8(ascii: "|") {
            cursor += 1
            guard try self.entries(bytes, &cursor, depth: depth, of: "attribute") != nil else { return nil }
        }
        guard cursor < bytes.count else { return nil }
        let type = bytes[cursor]
        cursor += 1
        let value: RESPValue?
        switch type {
        case UInt8(ascii: "+"):
            value = try self.textLine(bytes, &cursor).map { .simpleString(Self.string(bytes, $0)) }
        case UInt8(ascii: "-"):
            value = try self.textLine(bytes, &cursor).map { .error(Self.string(bytes, $0)) }
        case UInt8(ascii: ":"):
            value = try self.number(bytes, &cursor, of: "integer").map { .integer($0) }
        case UInt8(ascii: "$"):
            value = try self.blob(bytes, &cursor, of: "bulk string", nullable: true).map { range in
                .bulkString(range.map { Array(bytes[$0]) })
            }
        case UInt8(ascii: "!"):
            value = try self.blob(bytes, &cursor, of: "blob error", nullable: false).map {
                .error(Self.string(bytes, $0!))
            }
        case UInt8(ascii: "="):
            value = try self.verbatim(bytes, &cursor)
        case UInt8(ascii: "_"):
            value = try self.null(bytes, &cursor)
        case UInt8(ascii: "#"):
            value = try self.boolean(bytes, &cursor)
        case UInt8(ascii: ","):
            value = try self.double(bytes, &cursor)
        case UInt8(ascii: "("):
            value = try self.bigNumber(bytes, &cursor)
        case UInt8(ascii: "*"):
            value = try self.elements(bytes, &cursor, depth: depth, of: "array", nullable: true).map { .array($0) }
        case UInt8(ascii: "~"):
            value = try self.elements(bytes, &cursor, depth: depth, of: "set", nullable: false).map { .set($0!) }
        case UInt8(ascii: ">"):
            value = try self.elements(bytes, &cursor, depth: depth, of: "push", nullable: false).map { .push($0!) }
        case UInt8(ascii: "%"):
            value = try self.entries(bytes, &cursor, depth: depth, of: "map").map { .map($0) }
        case let other:
            throw .malformed("unexpected type byte \(Self.describe(byte: other))")
        }
        guard let value else { return nil }
        index = cursor
        return value
    }

    private func null(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> RESPValue? {
        guard let line = try Self.line(bytes, &cursor, limit: 0, tooLong: .malformed("null with a payload")) else {
            return nil
        }
        assert(line.isEmpty)
        return .null
    }

    private func boolean(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> RESPValue? {
        let invalid = RESPError.malformed("boolean is not t or f")
        guard let line = try Self.line(bytes, &cursor, limit: 1, tooLong: invalid) else { return nil }
        switch line.count == 1 ? bytes[line.lowerBound] : 0 {
        case UInt8(ascii: "t"): return .boolean(true)
        case UInt8(ascii: "f"): return .boolean(false)
        default: throw invalid
        }
    }

    private func double(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> RESPValue? {
        // 64 bytes is far more than any shortest-round-trip double needs.
        let invalid = RESPError.malformed("invalid double")
        guard let line = try Self.line(bytes, &cursor, limit: 64, tooLong: invalid) else { return nil }
        guard let value = Double(Self.string(bytes, line)) else { throw invalid }
        return .double(value)
    }

    private func bigNumber(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> RESPValue? {
        guard let line = try self.textLine(bytes, &cursor) else { return nil }
        let text = Self.string(bytes, line)
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .malformed("invalid big number")
        }
        return .bigNumber(text)
    }

    private func verbatim(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> RESPValue? {
        guard let blob = try self.blob(bytes, &cursor, of: "verbatim string", nullable: false) else { return nil }
        let range = blob!
        // `txt:` — a three-byte format and a colon come before the text.
        guard range.count >= 4, bytes[range.lowerBound + 3] == UInt8(ascii: ":") else {
            throw .malformed("verbatim string without a format prefix")
        }
        let format = Self.string(bytes, range.lowerBound..<range.lowerBound + 3)
        return .verbatimString(format: format, text: Array(bytes[(range.lowerBound + 4)..<range.upperBound]))
    }

    // MARK: - Length-prefixed parts

    /// A `$`-style body: `.some(nil)` for a null (`-1`), `nil` when more bytes are needed.
    private func blob(
        _ bytes: UnsafeRawBufferPointer,
        _ cursor: inout Int,
        of kind: String,
        nullable: Bool
    ) throws(RESPError) -> Range<Int>?? {
        guard let length = try self.length(bytes, &cursor, of: kind, nullable: nullable, limit: self.maxBulkLength)
        else { return nil }
        guard let length else { return .some(nil) }
        let start = cursor
        let end = start + length
        // Check the terminator byte by byte as it arrives, so a bad one is reported
        // as soon as it is seen, whatever the split.
        if bytes.count > end, bytes[end] != UInt8(ascii: "\r") {
            throw .malformed("\(kind) not terminated by CRLF")
        }
        if bytes.count > end + 1, bytes[end + 1] != UInt8(ascii: "\n") {
            throw .malformed("\(kind) not terminated by CRLF")
        }
        guard bytes.count >= end + 2 else { return nil }
        cursor = end + 2
        return .some(start..<end)
    }

    /// `count` elements after a `*`, `~` or `>` header.
    private func elements(
        _ bytes: UnsafeRawBufferPointer,
        _ cursor: inout Int,
        depth: Int,
        of kind: String,
        nullable: Bool
    ) throws(RESPError) -> [RESPValue]?? {
        try self.checkDepth(depth)
        guard let count = try self.length(bytes, &cursor, of: kind, nullable: nullable, limit: self.maxElements)
        else { return nil }
        guard let count else { return .some(nil) }
        var elements: [RESPValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            guard let element = try self.value(bytes, &cursor, depth: depth + 1) else { return nil }
            elements.append(element)
        }
        return .some(elements)
    }

    /// `count` key/value pairs after a `%` or `|` header.
    private func entries(
        _ bytes: UnsafeRawBufferPointer,
        _ cursor: inout Int,
        depth: Int,
        of kind: String
    ) throws(RESPError) -> [RESPValue.MapEntry]? {
        try self.checkDepth(depth)
        guard let count = try self.length(bytes, &cursor, of: kind, nullable: false, limit: self.maxElements) else {
            return nil
        }
        var entries: [RESPValue.MapEntry] = []
        entries.reserveCapacity(count!)
        for _ in 0..<count! {
            guard let key = try self.value(bytes, &cursor, depth: depth + 1),
                let value = try self.value(bytes, &cursor, depth: depth + 1)
            else { return nil }
            entries.append(.init(key: key, value: value))
        }
        return entries
    }

    /// Checked at the type byte, before the header, so the error does not depend on how much follows.
    private func checkDepth(_ depth: Int) throws(RESPError) {
        guard depth < self.maxDepth else {
            throw .tooLarge("nested deeper than \(self.maxDepth) levels")
        }
    }

    /// A length header: `.some(nil)` for `-1` when `nullable`, `nil` when more bytes are needed.
    private func length(
        _ bytes: UnsafeRawBufferPointer,
        _ cursor: inout Int,
        of kind: String,
        nullable: Bool,
        limit: Int
    ) throws(RESPError) -> Int?? {
        guard let value = try self.number(bytes, &cursor, of: "\(kind) length") else { return nil }
        if value == -1 && nullable { return .some(nil) }
        guard value >= 0 else {
            throw .malformed("negative \(kind) length \(value)")
        }
        guard value <= limit else {
            let unit: String
            switch kind {
            case "bulk string", "blob error", "verbatim string": unit = "bytes"
            case "map", "attribute": unit = "entries"
            default: unit = "elements"
            }
            throw .tooLarge("\(kind) of \(value) \(unit) exceeds the limit of \(limit)")
        }
        return .some(Int(value))
    }

    // MARK: - Lines

    /// A line of text (simple string, error, big number), bounded by `maxBulkLength`.
    private func textLine(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws(RESPError) -> Range<Int>? {
        try Self.line(
            bytes,
            &cursor,
            limit: self.maxBulkLength,
            tooLong: .tooLarge("line longer than \(self.maxBulkLength) bytes")
        )
    }

    /// A signed decimal line: an integer or a length.
    private func number(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, of kind: String) throws(RESPError)
        -> Int64?
    {
        let invalid = RESPError.malformed("invalid \(kind)")
        guard let line = try Self.line(bytes, &cursor, limit: Self.maxNumberLength, tooLong: invalid) else {
            return nil
        }
        var index = line.lowerBound
        let negative = index < line.upperBound && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < line.upperBound else { throw invalid }
        var value: Int64 = 0
        while index < line.upperBound {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw invalid }
            // Accumulate negative numbers downwards so Int64.min parses too.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative
                ? shifted.subtractingReportingOverflow(Int64(digit))
                : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1 && !overflow2 else { throw .malformed("\(kind) out of range") }
            value = next
            index += 1
        }
        return value
    }

    /// The content of a CRLF-terminated line starting at `cursor`, which moves past the CRLF.
    ///
    /// A bare CR or LF is an error: RESP lines cannot contain them, and accepting them
    /// would let a server make two values out of what it meant as one.
    private static func line(
        _ bytes: UnsafeRawBufferPointer,
        _ cursor: inout Int,
        limit: Int,
        tooLong: RESPError
    ) throws(RESPError) -> Range<Int>? {
        let start = cursor
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\r"):
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == UInt8(ascii: "\n") else {
                    throw .malformed("carriage return not followed by line feed")
                }
                cursor = index + 2
                return start..<index
            case UInt8(ascii: "\n"):
                throw .malformed("line feed without carriage return")
            default:
                guard index - start < limit else { throw tooLong }
                index += 1
            }
        }
        return nil
    }

    // MARK: - Helpers

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func describe(byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        let code = "0x" + (hex.count == 1 ? "0" + hex : hex)
        guard (0x21..<0x7F).contains(byte) else { return code }
        return "'\(Character(UnicodeScalar(byte)))' (\(code))"
    }
}
