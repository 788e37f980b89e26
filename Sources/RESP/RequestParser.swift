/// Parses client requests, multibulk (`*N\r\n$len\r\narg\r\n…`) and inline (`SET k v\r\n`), exactly
/// as redis-server 7.0 does (`processMultibulkBuffer`, `processInlineBuffer`, `sdssplitargs`,
/// `string2ll` in `networking.c`), into spans of the caller's buffer.
///
/// One value per client connection. It is given the client's unconsumed bytes, always starting at
/// a request boundary, and answers with a ``Step``. On ``Step/needMore`` the caller appends bytes and
/// calls again with the same start: the parser keeps offsets (never pointers) of where it stopped,
/// so the buffer may move between calls and no byte is looked at twice; a 500 MB bulk arriving in
/// 64 KiB reads costs O(total). The spans of a command are only appended to the
/// ``CommandArguments`` on the call that completes it, by one walk over its (already validated)
/// headers that skips the bulk bodies, so the arguments value needs no state between calls and no
/// allocation once its arrays have grown.
///
/// Canonical bytes: lengths are strict like `string2ll` (no `+`, no leading zeros, no spaces, no
/// overflow), so when ``lastIsCanonical`` is true the bytes `bytes[0..<consumed]` of a multibulk
/// command are exactly its re-encoding `*N\r\n$len\r\narg\r\n…` and may be forwarded verbatim.
/// It is false for inline commands (re-encode them) and for the rare multibulk request whose line
/// ends were not CRLF: Redis only skips the byte after each `\r`, and the two bytes after each
/// bulk, without looking at them, and so does this parser.
///
/// The result never depends on how the bytes were split. Where Redis's own answer would (a line
/// longer than `maxInlineLength` that arrives whole), the parser answers what Redis answers when
/// the bytes come one at a time: a line is too big once `maxInlineLength + 1` bytes hold no
/// terminator. Like Redis's `strchr`, a NUL byte before a line's terminator hides the terminator.
public struct RequestParser: Sendable {
    /// What one call found at the start of the buffer.
    public enum Step: Equatable, Sendable {
        /// The request is incomplete: append bytes and call again with the same start.
        case needMore
        /// A command: its spans are in the arguments; drop `consumed` bytes after using them.
        case command(consumed: Int)
        /// Nothing to run (an empty or blank inline line, `*0`, `*-1`, any `*` count ≤ 0, as Redis
        /// does): drop `consumed` bytes.
        case skipped(consumed: Int)
        /// The exact Redis error text, without `-` and CRLF: reply with it, then close the connection.
        case error(String)
    }

    private enum Phase: UInt8 {
        case start, countLine, bulkLine, bulkBody, inlineLine
    }

    /// The bounds enforced.
    public let limits: RequestLimits
    /// Whether the last ``Step/command(consumed:)`` was an inline command (its bytes are not RESP).
    public private(set) var lastWasInline = false
    /// Whether the bytes of the last ``Step/command(consumed:)`` are its canonical multibulk encoding
    /// and may be forwarded verbatim; see the type's documentation.
    public private(set) var lastIsCanonical = false

    private var phase = Phase.start
    /// Next byte to look at.
    private var cursor = 0
    /// Start of the line being searched (the `*` or `$`, or 0 for an inline line).
    private var lineStart = 0
    /// Set when a NUL byte hid the current line's terminator.
    private var blocked = false
    /// Arguments still to read.
    private var remaining = 0
    /// Offset of the first `$` header, after the count line.
    private var firstHeader = 0
    /// End of the bulk body being read.
    private var bodyEnd = 0
    private var canonical = true

    /// A parser for a new connection, at a request boundary.
    public init(limits: RequestLimits = .redis) {
        self.limits = limits
    }

    /// How many bytes (from the request's start) the buffer must hold before the current bulk
    /// argument is complete; `nil` outside a bulk body. Lets the caller grow its buffer once.
    public var bytesNeeded: Int? {
        phase == .bulkBody ? bodyEnd + 2 : nil
    }

    /// Forgets a partly parsed request (the next call starts at a request boundary).
    public mutating func reset() {
        phase = .start
        cursor = 0
        lineStart = 0
        blocked = false
        remaining = 0
        canonical = true
    }

    /// Parses the request at the start of `bytes`. Inline arguments are unquoted in place (decoding
    /// only shrinks them), so `bytes` may be modified when the result is `.command` or `.error`.
    public mutating func parse(_ bytes: UnsafeMutableRawBufferPointer, into arguments: inout CommandArguments) -> Step {
        let input = UnsafeRawBufferPointer(bytes)
        assert(cursor <= input.count, "called again with fewer bytes than before")
        while true {
            switch phase {
            case .start:
                guard !input.isEmpty else { return .needMore }
                if input[0] == UInt8(ascii: "*") {
                    phase = .countLine
                    cursor = 1
                } else {
                    phase = .inlineLine
                    cursor = 0
                }
                lineStart = 0

            case .inlineLine:
                guard let newline = findTerminator(UInt8(ascii: "\n"), in: input) else {
                    if input.count - lineStart > limits.maxInlineLength {
                        return finish(.error("ERR Protocol error: too big inline request"))
                    }
                    return .needMore
                }
                return inline(bytes, lineEnd: newline, into: &arguments)

            case .countLine:
                let lineEnd: Int
                switch findLine(in: input) {
                case .found(let end): lineEnd = end
                case .pending: return .needMore
                case .tooBig: return finish(.error("ERR Protocol error: too big mbulk count string"))
                }
                guard let count = RedisDecimal.parse(UnsafeRawBufferPointer(rebasing: input[1..<lineEnd])), count <= limits.maxArguments else {
                    return finish(.error("ERR Protocol error: invalid multibulk length"))
                }
                canonical = input[lineEnd + 1] == UInt8(ascii: "\n")
                cursor = lineEnd + 2
                guard count > 0 else { return finish(.skipped(consumed: cursor)) }
                remaining = Int(count)
                firstHeader = cursor
                startBulkLine()

            case .bulkLine:
                let lineEnd: Int
                switch findLine(in: input) {
                case .found(let end): lineEnd = end
                case .pending: return .needMore
                case .tooBig: return finish(.error("ERR Protocol error: too big bulk count string"))
                }
                let type = input[lineStart]
                guard type == UInt8(ascii: "$") else {
                    return finish(.error("ERR Protocol error: expected '$', got '" + Self.render(type) + "'"))
                }
                guard let length = RedisDecimal.parse(UnsafeRawBufferPointer(rebasing: input[lineStart + 1..<lineEnd])), length >= 0,
                    length <= limits.maxBulkLength
                else {
                    return finish(.error("ERR Protocol error: invalid bulk length"))
                }
                canonical = canonical && input[lineEnd + 1] == UInt8(ascii: "\n")
                cursor = lineEnd + 2
                bodyEnd = cursor + Int(length)
                phase = .bulkBody

            case .bulkBody:
                guard input.count >= bodyEnd + 2 else { return .needMore }
                canonical =
                    canonical && input[bodyEnd] == UInt8(ascii: "\r") && input[bodyEnd + 1] == UInt8(ascii: "\n")
                cursor = bodyEnd + 2
                remaining -= 1
                guard remaining == 0 else {
                    startBulkLine()
                    continue
                }
                collectBulkSpans(input, into: &arguments)
                lastWasInline = false
                lastIsCanonical = canonical
                return finish(.command(consumed: cursor))
            }
        }
    }

    // MARK: - Lines

    private mutating func startBulkLine() {
        phase = .bulkLine
        lineStart = cursor
        blocked = false
    }

    private enum LineSearch {
        case found(end: Int)
        case pending
        case tooBig
    }

    /// The `\r` ending the current line, once the byte after it has arrived too (Redis skips that
    /// byte unseen). Without its `\r`, a line is too big once it holds more than `maxInlineLength` bytes.
    private mutating func findLine(in input: UnsafeRawBufferPointer) -> LineSearch {
        guard let end = findTerminator(UInt8(ascii: "\r"), in: input) else {
            return input.count - lineStart > limits.maxInlineLength ? .tooBig : .pending
        }
        guard end + 1 < input.count else {
            cursor = end  // found again at once next time
            return .pending
        }
        return .found(end: end)
    }

    /// Resumes the search for `terminator` from `cursor`, stopping at a NUL like `strchr`, and only
    /// within the first `maxInlineLength + 1` bytes of the line.
    private mutating func findTerminator(_ terminator: UInt8, in input: UnsafeRawBufferPointer) -> Int? {
        guard !blocked else { return nil }
        let limit = min(input.count, lineStart + limits.maxInlineLength + 1)
        var index = cursor
        while index < limit {
            let byte = input[index]
            if byte == terminator { return index }
            if byte == 0 {
                blocked = true
                return nil
            }
            index += 1
        }
        cursor = index
        return nil
    }

    /// Resets the state for the next request and returns `step`.
    fileprivate mutating func finish(_ step: Step) -> Step {
        reset()
        return step
    }

    // MARK: - Spans

    /// Appends the spans of the complete multibulk command: its headers are valid, so this only
    /// reads the digits of each `$len` and jumps over the bodies.
    private func collectBulkSpans(_ input: UnsafeRawBufferPointer, into arguments: inout CommandArguments) {
        arguments.reset(base: input)
        var position = firstHeader
        while position < cursor {
            var index = position + 1
            var length = 0
            while input[index] != UInt8(ascii: "\r") {
                length = length &* 10 &+ Int(input[index] &- UInt8(ascii: "0"))
                index += 1
            }
            arguments.append(offset: index + 2, length: length)
            position = index + 2 + length + 2
        }
    }

    // MARK: - Numbers and text

    /// The byte as Redis's `%c` shows it in an error, after it maps CR and LF to spaces. A byte
    /// above 0x7F (sent raw by Redis) cannot be kept in a `String`; it becomes U+FFFD.
    private static func render(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\r"), UInt8(ascii: "\n"): return " "
        case 0..<0x80: return String(UnicodeScalar(byte))
        default: return "\u{FFFD}"
        }
    }
}

// MARK: - Inline commands

extension RequestParser {
    /// Splits the inline line ending with the `\n` at `newline` like `sdssplitargs`, unquoting the
    /// arguments in place: the write position never passes the read position.
    fileprivate mutating func inline(
        _ bytes: UnsafeMutableRawBufferPointer,
        lineEnd newline: Int,
        into arguments: inout CommandArguments
    ) -> Step {
        // A `\r` before the `\n` is not part of the line.
        let end = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
        arguments.reset(base: UnsafeRawBufferPointer(bytes))
        // The line as the NUL-terminated C string `sdssplitargs` sees.
        func at(_ index: Int) -> UInt8 { index < end ? bytes[index] : 0 }
        var read = 0
        var write = 0
        while true {
            while read < end && Self.isSpace(bytes[read]) { read += 1 }
            guard read < end else { break }
            let tokenStart = write
            var inDoubleQuotes = false
            var inSingleQuotes = false
            var done = false
            while !done {
                let byte = at(read)
                if inDoubleQuotes {
                    if byte == UInt8(ascii: "\\") && at(read + 1) == UInt8(ascii: "x"),
                        let high = Self.hexValue(at(read + 2)), let low = Self.hexValue(at(read + 3))
                    {
                        bytes[write] = high << 4 | low
                        write += 1
                        read += 3
                    } else if byte == UInt8(ascii: "\\") && at(read + 1) != 0 {
                        read += 1
                        bytes[write] = Self.unescape(bytes[read])
                        write += 1
                    } else if byte == UInt8(ascii: "\"") {
                        // A closing quote must be followed by a space or nothing at all.
                        guard at(read + 1) == 0 || Self.isSpace(at(read + 1)) else { return unbalanced() }
                        done = true
                    } else if byte == 0 {
                        return unbalanced()
                    } else {
                        bytes[write] = byte
                        write += 1
                    }
                } else if inSingleQuotes {
                    if byte == UInt8(ascii: "\\") && at(read + 1) == UInt8(ascii: "'") {
                        read += 1
                        bytes[write] = UInt8(ascii: "'")
                        write += 1
                    } else if byte == UInt8(ascii: "'") {
                        guard at(read + 1) == 0 || Self.isSpace(at(read + 1)) else { return unbalanced() }
                        done = true
                    } else if byte == 0 {
                        return unbalanced()
                    } else {
                        bytes[write] = byte
                        write += 1
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), 0:
                        done = true
                    case UInt8(ascii: "\""):
                        inDoubleQuotes = true
                    case UInt8(ascii: "'"):
                        inSingleQuotes = true
                    default:
                        bytes[write] = byte
                        write += 1
                    }
                }
                if at(read) != 0 { read += 1 }
            }
            arguments.append(offset: tokenStart, length: write - tokenStart)
        }
        let consumed = newline + 1
        guard arguments.count > 0 else { return finish(.skipped(consumed: consumed)) }
        lastWasInline = true
        lastIsCanonical = false
        return finish(.command(consumed: consumed))
    }

    private mutating func unbalanced() -> Step {
        finish(.error("ERR Protocol error: unbalanced quotes in request"))
    }

    /// C's `isspace` in the C locale.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The byte a backslash escape in double quotes stands for.
    private static func unescape(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "a"): return 0x07
        default: return byte
        }
    }
}
