/// One value of the Redis serialization protocol (RESP2, plus the RESP3 types).
///
/// The health checker speaks RESP2 (it never sends `HELLO 3`), but a server or a
/// proxy in front of it may still answer with RESP3 types, so ``RESPReader``
/// understands all of them rather than calling them malformed:
///
/// | wire | case                 |
/// |------|----------------------|
/// | `+`  | ``simpleString(_:)`` |
/// | `-`, `!` | ``error(_:)`` (a RESP3 blob error is still an error) |
/// | `:`  | ``integer(_:)``      |
/// | `$`  | ``bulkString(_:)``, `nil` for `$-1` |
/// | `*`  | ``array(_:)``, `nil` for `*-1` |
/// | `_`  | ``null``             |
/// | `#`  | ``boolean(_:)``      |
/// | `,`  | ``double(_:)``       |
/// | `(`  | ``bigNumber(_:)``    |
/// | `=`  | ``verbatimString(format:text:)`` |
/// | `%`  | ``map(_:)``          |
/// | `~`  | ``set(_:)``          |
/// | `>`  | ``push(_:)``         |
/// | `\|`  | skipped: an attribute only annotates the value that follows it |
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8]?)
    case array([RESPValue]?)
    /// RESP3 `_`.
    case null
    /// RESP3 `#t` / `#f`.
    case boolean(Bool)
    /// RESP3 `,` (`inf`, `-inf` and `nan` included).
    case double(Double)
    /// RESP3 `(`: the decimal digits, kept as text because they may not fit any integer type.
    case bigNumber(String)
    /// RESP3 `=`: a three-letter format (`txt`, `mkd`) and the text.
    case verbatimString(format: String, text: [UInt8])
    /// RESP3 `%`, in wire order.
    case map([MapEntry])
    /// RESP3 `~`, in wire order.
    case set([RESPValue])
    /// RESP3 `>`: an out-of-band message (pub/sub, client tracking).
    case push([RESPValue])

    /// One key/value pair of a RESP3 map.
    public struct MapEntry: Sendable, Equatable {
        public var key: RESPValue
        public var value: RESPValue

        public init(key: RESPValue, value: RESPValue) {
            self.key = key
            self.value = value
        }
    }

    /// The text of a simple string, bulk string or verbatim string (bulk bytes decoded
    /// as UTF-8, invalid sequences replaced); `nil` for every other value.
    public var stringValue: String? {
        switch self {
        case .simpleString(let text):
            return text
        case .bulkString(let bytes?), .verbatimString(_, let bytes):
            return String(decoding: bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    /// True for `$-1`, `*-1` and RESP3 `_`.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil), .null:
            return true
        default:
            return false
        }
    }
}

extension RESPValue: CustomStringConvertible {
    /// A one-line rendering close to the wire format (`+PONG`, `-ERR …`, `:1`, `"bulk"`,
    /// `[…]`), for log lines and check details; binary bytes are escaped as `\xNN`.
    public var description: String {
        switch self {
        case .simpleString(let text):
            return "+" + text
        case .error(let text):
            return "-" + text
        case .integer(let value):
            return ":\(value)"
        case .bulkString(nil):
            return "$-1"
        case .bulkString(let bytes?):
            return Self.quoted(bytes)
        case .array(nil):
            return "*-1"
        case .array(let elements?):
            return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null:
            return "_"
        case .boolean(let value):
            return value ? "#t" : "#f"
        case .double(let value):
            return ",\(value)"
        case .bigNumber(let digits):
            return "(" + digits
        case .verbatimString(let format, let text):
            return "=" + format + ":" + Self.quoted(text)
        case .map(let entries):
            return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .set(let elements):
            return "~[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .push(let elements):
            return ">[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }

    private static func quoted(_ bytes: [UInt8]) -> String {
        var result = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                result += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F:
                result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                // Escape everything else so a reply can never inject control characters into a log line.
                let hex = String(byte, radix: 16, uppercase: false)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result + "\""
    }
}
