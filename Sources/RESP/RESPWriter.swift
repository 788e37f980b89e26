/// Appends RESP to an output buffer: replies Ferry makes itself and commands it sends to backends.
///
/// Numbers are formatted digit by digit into the buffer, without creating `String`s, so nothing
/// here allocates beyond the buffer's own growth (the variadic `appendCommand` of `StaticString`s
/// builds its small argument array; it is meant for Ferry's own, rare commands).
public enum RESPWriter {
    private static let crlf: (UInt8, UInt8) = (0x0D, 0x0A)

    // MARK: - Commands

    /// `*N\r\n$len\r\narg\r\n…`: the canonical encoding of a parsed request, to forward an inline
    /// command (or a non-canonical multibulk one) to a backend.
    public static func appendCommand(_ arguments: CommandArguments, into buffer: inout [UInt8]) {
        appendArrayHeader(arguments.count, into: &buffer)
        for index in 0..<arguments.count {
            appendBulk(arguments[index], into: &buffer)
        }
    }

    /// A command of constant words, such as `ASKING` or `CLUSTER SLOTS`.
    public static func appendCommand(_ arguments: StaticString..., into buffer: inout [UInt8]) {
        appendArrayHeader(arguments.count, into: &buffer)
        for argument in arguments {
            appendBulk(argument, into: &buffer)
        }
    }

    // MARK: - Aggregate headers

    /// `*count\r\n`; the elements follow.
    public static func appendArrayHeader(_ count: Int, into buffer: inout [UInt8]) {
        appendLine(UInt8(ascii: "*"), count, into: &buffer)
    }

    /// RESP3 `%count\r\n`, or for a RESP2 client the flat array of keys and values `*2count\r\n` that
    /// Redis sends instead; the `count` key/value pairs follow.
    public static func appendMapHeader(_ count: Int, resp3: Bool, into buffer: inout [UInt8]) {
        if resp3 {
            appendLine(UInt8(ascii: "%"), count, into: &buffer)
        } else {
            appendLine(UInt8(ascii: "*"), count * 2, into: &buffer)
        }
    }

    /// RESP3 `~count\r\n`, or `*count\r\n` for a RESP2 client; the elements follow.
    public static func appendSetHeader(_ count: Int, resp3: Bool, into buffer: inout [UInt8]) {
        appendLine(resp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), count, into: &buffer)
    }

    // MARK: - Scalars

    /// `$len\r\nbytes\r\n`.
    public static func appendBulk(_ bytes: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        appendLine(UInt8(ascii: "$"), bytes.count, into: &buffer)
        buffer.append(contentsOf: bytes)
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    /// `$len\r\nbytes\r\n`.
    public static func appendBulk(_ bytes: [UInt8], into buffer: inout [UInt8]) {
        bytes.withUnsafeBytes { appendBulk($0, into: &buffer) }
    }

    /// `$len\r\ntext\r\n`.
    public static func appendBulk(_ text: StaticString, into buffer: inout [UInt8]) {
        appendBulk(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), into: &buffer)
    }

    /// A bulk string holding `value` in decimal, as commands take numbers (`CLUSTER COUNTKEYSINSLOT 7`).
    public static func appendBulk(integer value: Int, into buffer: inout [UInt8]) {
        appendLine(UInt8(ascii: "$"), decimalLength(Int64(value)), into: &buffer)
        RedisDecimal.append(Int64(value), to: &buffer)
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    /// The null bulk string: `$-1\r\n` in RESP2, `_\r\n` in RESP3.
    public static func appendNullBulk(resp3: Bool, into buffer: inout [UInt8]) {
        if resp3 {
            buffer.append(contentsOf: [UInt8(ascii: "_"), crlf.0, crlf.1])
        } else {
            buffer.append(contentsOf: [UInt8(ascii: "$"), UInt8(ascii: "-"), UInt8(ascii: "1"), crlf.0, crlf.1])
        }
    }

    /// The null array: `*-1\r\n` in RESP2, `_\r\n` in RESP3.
    public static func appendNullArray(resp3: Bool, into buffer: inout [UInt8]) {
        if resp3 {
            buffer.append(contentsOf: [UInt8(ascii: "_"), crlf.0, crlf.1])
        } else {
            buffer.append(contentsOf: [UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "1"), crlf.0, crlf.1])
        }
    }

    /// `+text\r\n`, such as `+OK`.
    public static func appendSimpleString(_ text: StaticString, into buffer: inout [UInt8]) {
        appendText(UInt8(ascii: "+"), UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), into: &buffer)
    }

    /// `+text\r\n`; CR and LF in `text` become spaces so the line stays one line.
    public static func appendSimpleString(_ text: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        appendText(UInt8(ascii: "+"), text, into: &buffer)
    }

    /// `-text\r\n`, text such as `ERR unknown command`; CR and LF in it become spaces, as Redis
    /// does in its own errors.
    public static func appendError(_ text: StaticString, into buffer: inout [UInt8]) {
        appendText(UInt8(ascii: "-"), UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), into: &buffer)
    }

    /// `-text\r\n` for a composed message, such as a ``RequestParser/Step/error(_:)`` text (error
    /// paths only: the `String` is already made).
    public static func appendError(_ text: String, into buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendText(UInt8(ascii: "-"), UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// `-text\r\n` from raw bytes, such as an error relayed from a backend.
    public static func appendError(_ text: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        appendText(UInt8(ascii: "-"), text, into: &buffer)
    }

    /// `:value\r\n`.
    public static func appendInteger(_ value: Int64, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: ":"))
        RedisDecimal.append(value, to: &buffer)
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    /// `:value\r\n`.
    public static func appendInteger(_ value: Int, into buffer: inout [UInt8]) {
        appendInteger(Int64(value), into: &buffer)
    }

    // MARK: - Helpers

    /// `<type><value>\r\n`.
    private static func appendLine(_ type: UInt8, _ value: Int, into buffer: inout [UInt8]) {
        buffer.append(type)
        RedisDecimal.append(Int64(value), to: &buffer)
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    private static func appendText(_ type: UInt8, _ text: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        buffer.append(type)
        let start = buffer.count
        buffer.append(contentsOf: text)
        for index in start..<buffer.count where buffer[index] == crlf.0 || buffer[index] == crlf.1 {
            buffer[index] = UInt8(ascii: " ")
        }
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    /// How many bytes `RedisDecimal.append` writes for `value`.
    private static func decimalLength(_ value: Int64) -> Int {
        var magnitude = value.magnitude
        var length = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }
}
