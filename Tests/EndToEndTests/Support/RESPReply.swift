/// One decoded Redis reply (RESP2, plus RESP3's `_` null).
///
/// The test harness has its own small RESP code on purpose: end-to-end tests must not
/// trust the product's parser to check the product.
enum RESPReply: Sendable, Equatable, CustomStringConvertible {
    /// `+OK`
    case simple(String)
    /// `-ERR …`, `-MOVED 3999 127.0.0.1:7002`
    case error(String)
    /// `:42`
    case integer(Int)
    /// `$3\r\nbar`, binary safe.
    case bulk([UInt8])
    /// `*2 …`
    case array([RESPReply])
    /// A null bulk string (`$-1`), a null array (`*-1`) or RESP3's `_`.
    case null

    /// A bulk reply holding `text` as UTF-8.
    static func bulk(_ text: String) -> RESPReply { .bulk(Array(text.utf8)) }

    /// A simple string or bulk string as text; `nil` for any other reply.
    var string: String? {
        switch self {
        case let .simple(text): text
        case let .bulk(bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// An integer reply's value, or a bulk/simple string that holds a number (`ROLE` mixes both).
    var integer: Int? {
        switch self {
        case let .integer(value): value
        case .simple, .bulk: string.flatMap { Int($0) }
        default: nil
        }
    }

    /// An array reply's elements.
    var array: [RESPReply]? {
        if case let .array(elements) = self { return elements }
        return nil
    }

    /// An error reply's message (`MOVED 3999 127.0.0.1:7002`).
    var errorMessage: String? {
        if case let .error(message) = self { return message }
        return nil
    }

    var isError: Bool { errorMessage != nil }

    var description: String {
        switch self {
        case let .simple(text): "+\(text)"
        case let .error(message): "-\(message)"
        case let .integer(value): ":\(value)"
        case let .bulk(bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case let .array(elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        }
    }

    /// A command as a RESP array of bulk strings, the form every Redis accepts.
    static func encodeCommand(_ arguments: [String]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let bytes = Array(argument.utf8)
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        }
        return out
    }
}
