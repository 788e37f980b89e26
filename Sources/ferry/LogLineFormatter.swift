import Foundation
import Logging

/// Turns one log event into one line: readable text, or one JSON object for journald and log
/// shippers. Pure (the time is passed in), so every escaping rule is tested without a process.
///
/// JSON: `{"time":"2026-11-21T05:07:02.123Z","level":"notice","event":"server_down","message":"…",…}`
/// — `time` (ISO 8601, UTC, milliseconds), `level` (swift-log's names), `event` when the call site
/// names one, `message`, then every metadata field sorted by name. Strings are strings; integers,
/// floating-point numbers and booleans passed as `.stringConvertible` stay numbers and booleans;
/// arrays and dictionaries nest. A field named like one of the fixed keys is left out (the fixed
/// key wins). Whatever the content, the line holds exactly one object and ends with one `\n`.
///
/// Text: `TIME LEVEL message [field=value …]`, where the bracket repeats only the fields whose value
/// the message does not already show (and never `event`, which is for machines); line breaks in the
/// message or a value are written `\n` so that one event stays one line.
struct LogLineFormatter: Sendable {
    enum Format: Sendable { case text, json }

    let format: Format

    /// The keys every JSON line starts with, in this order.
    static let fixedKeys = ["time", "level", "event", "message"]

    func line(time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let timestamp = Self.timestamp(time)
        switch format {
        case .text:
            let extra = metadata.filter { $0.key != "event" && !message.contains("\($0.value)") }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let text = "\(timestamp) \(level.rawValue.uppercased()) \(message)\(extra.isEmpty ? "" : " [\(extra)]")"
            return Self.oneLine(text) + "\n"
        case .json:
            var json = "{\"time\":\(Self.quoted(timestamp)),\"level\":\(Self.quoted(level.rawValue))"
            if let event = metadata["event"] { json += ",\"event\":" + Self.json(event) }
            json += ",\"message\":" + Self.quoted(message)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !Self.fixedKeys.contains(key) {
                json += "," + Self.quoted(key) + ":" + Self.json(value)
            }
            return json + "}\n"
        }
    }

    /// `2026-11-21T05:07:02.123Z`: what journald, Loki and Elasticsearch parse without a hint.
    static func timestamp(_ time: Date) -> String {
        time.formatted(.iso8601.year().month().day().timeZone(separator: .omitted).time(includingFractionalSeconds: true))
    }

    /// Text lines: a line break inside an event must not start what looks like another event
    /// (`\n`, `\r`, and the rarer breaks — form feed, U+2028… — as `\u{…}`).
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "\n", "\r\n": out += "\\n"
            case "\r": out += "\\r"
            case _ where character.isNewline:
                out += character.unicodeScalars.map { "\\u{" + String($0.value, radix: 16) + "}" }.joined()
            default: out.append(character)
            }
        }
        return out
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string):
            return quoted(string)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: return flag ? "true" : "false"
            case let number as any BinaryInteger: return "\(number)"
            case let number as Double where number.isFinite: return "\(number)"
            default: return quoted(convertible.description)
            }
        case .array(let items):
            return "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let fields):
            return "{" + fields.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string (RFC 8259 §7): `"` and `\` escaped, control characters as `\n`, `\t`… or
    /// `\u00XX`, U+2028/U+2029 escaped for consumers that treat them as line ends; the rest as UTF-8.
    static func quoted(_ string: String) -> String {
        var out = "\""
        out.reserveCapacity(string.utf8.count + 2)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
