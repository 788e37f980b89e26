/// Decodes ``RESPReply`` values from the front of a byte buffer, incrementally: a reply
/// that has not fully arrived yet decodes as `nil` and costs nothing but a rescan.
enum RESPDecoder {
    /// Bytes that cannot be a RESP reply.
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var description: String { "malformed RESP reply: \(reason)" }
    }

    // Bounds that a test server never needs; they stop a garbage length from allocating gigabytes.
    static let maxBulkLength = 512 * 1024 * 1024
    static let maxDepth = 64

    /// The reply at the start of `bytes` and how many bytes it used, or `nil` if more are needed.
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> (reply: RESPReply, consumed: Int)? {
        var index = bytes.startIndex
        guard let reply = try decodeOne(bytes, at: &index, depth: 0) else { return nil }
        return (reply, index - bytes.startIndex)
    }

    private static func decodeOne(_ bytes: ArraySlice<UInt8>, at index: inout Int, depth: Int) throws -> RESPReply? {
        guard depth <= maxDepth else { throw Malformed(reason: "nested deeper than \(maxDepth)") }
        guard index < bytes.endIndex else { return nil }
        let type = bytes[index]
        var cursor = index + 1
        guard let line = try readLine(bytes, at: &cursor) else { return nil }

        let reply: RESPReply
        switch type {
        case UInt8(ascii: "+"):
            reply = .simple(line)
        case UInt8(ascii: "-"):
            reply = .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int(line) else { throw Malformed(reason: "bad integer '\(line)'") }
            reply = .integer(value)
        case UInt8(ascii: "_"):
            reply = .null
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maxBulkLength else {
                throw Malformed(reason: "bad bulk length '\(line)'")
            }
            if length == -1 {
                reply = .null
                break
            }
            // The payload plus its CRLF must all be there.
            guard bytes.endIndex - cursor >= length + 2 else { return nil }
            let end = cursor + length
            guard bytes[end] == 13, bytes[end + 1] == 10 else {
                throw Malformed(reason: "bulk string of \(length) bytes not followed by CRLF")
            }
            reply = .bulk(Array(bytes[cursor..<end]))
            cursor = end + 2
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1 else { throw Malformed(reason: "bad array length '\(line)'") }
            if count == -1 {
                reply = .null
                break
            }
            var elements: [RESPReply] = []
            elements.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let element = try decodeOne(bytes, at: &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            reply = .array(elements)
        default:
            throw Malformed(reason: "unknown type byte \(type) ('\(Character(Unicode.Scalar(type)))')")
        }
        index = cursor
        return reply
    }

    /// The text up to the next CRLF (moving `index` past it), or `nil` if no CRLF has arrived.
    private static func readLine(_ bytes: ArraySlice<UInt8>, at index: inout Int) throws -> String? {
        var i = index
        while i + 1 < bytes.endIndex {
            if bytes[i] == 13 {
                guard bytes[i + 1] == 10 else { throw Malformed(reason: "CR not followed by LF") }
                let line = String(decoding: bytes[index..<i], as: UTF8.self)
                index = i + 2
                return line
            }
            i += 1
        }
        return nil
    }
}
