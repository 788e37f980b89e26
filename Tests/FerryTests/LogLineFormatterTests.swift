import Foundation
import Logging
import Testing

@testable import ferry

/// The log line formatter of the `ferry` executable.
struct LogLineFormatterTests {
    static let json = LogLineFormatter(format: .json)
    static let text = LogLineFormatter(format: .text)
    static let time = Date(timeIntervalSince1970: 1_795_000_000.125)

    /// The line parsed back, after checking it is one line ending in one `\n`.
    static func parse(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("}\n"))
        #expect(!line.dropLast().contains { $0.isNewline }, "one line: \(line.debugDescription)")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }

    static let awkward: [String] = [
        "", "plain", "quote \" inside", "back\\slash", "new\nline", "carriage\rreturn", "crlf\r\n", "tab\there",
        "nul \u{0} byte", "bell \u{07} and unit separator \u{1F}", "del \u{7F}", "line separator \u{2028} para \u{2029}",
        "backspace \u{08} form feed \u{0C}", "pässwörd ✓ 🚀", "</script><script>", "{\"fake\":\"json\"}", "\\u0041",
    ]

    @Test(arguments: awkward)
    func everyMessageKeyAndValueSurvivesTheRoundTrip(_ text: String) throws {
        let line = Self.json.line(time: Self.time, level: .warning, message: text,
                                  metadata: ["event": "server_down", "reason": "\(text)", "k\(text)": "v"])
        let object = try Self.parse(line)
        #expect(object["message"] as? String == text)
        #expect(object["reason"] as? String == text)
        #expect(object["k\(text)"] as? String == "v")
        #expect(object["event"] as? String == "server_down")
        #expect(object["level"] as? String == "warning")
        #expect(object.count == 6)
    }

    @Test(arguments: awkward)
    func aTextLineIsOneLineToo(_ text: String) throws {
        let line = Self.text.line(time: Self.time, level: .info, message: "m \(text)", metadata: ["detail": "\(text)x"])
        #expect(line.hasSuffix("\n"))
        #expect(!line.dropLast().contains { $0.isNewline }, "\(line.debugDescription)")
    }

    @Test func fixedKeysComeFirstAndFieldsAreSorted() {
        let line = Self.json.line(time: Self.time, level: .notice, message: "server 127.0.0.1:7001 DOWN → UP",
                                  metadata: ["to": "UP", "server": "127.0.0.1:7001", "event": "server_up", "from": "DOWN"])
        #expect(line == #"{"time":"2026-11-18T11:06:40.125Z","level":"notice","event":"server_up","message":"server 127.0.0.1:7001 DOWN → UP","from":"DOWN","server":"127.0.0.1:7001","to":"UP"}"# + "\n")
    }

    @Test func withoutAnEventThereIsNoEventKey() throws {
        let object = try Self.parse(Self.json.line(time: Self.time, level: .info, message: "hello", metadata: [:]))
        #expect(Set(object.keys) == ["time", "level", "message"])
    }

    @Test func theTimeIsISO8601InUTCWithMilliseconds() throws {
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(LogLineFormatter.timestamp(Self.time) == "2026-11-18T11:06:40.125Z")
        let parsed = try Self.parse(Self.json.line(time: Self.time, level: .info, message: "", metadata: [:]))["time"] as? String
        let back = try #require(parsed.flatMap { try? Date($0, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) })
        #expect(abs(back.timeIntervalSince(Self.time)) < 0.001)
    }

    @Test func fieldsKeepTheirJSONTypes() throws {
        let line = Self.json.line(time: Self.time, level: .notice, message: "m", metadata: [
            "count": .stringConvertible(3), "negative": .stringConvertible(-254), "ratio": .stringConvertible(0.25),
            "flag": .stringConvertible(true), "infinite": .stringConvertible(Double.infinity),
            "list": .array(["a\"", .stringConvertible(1)]), "nested": .dictionary(["z": "1", "a": .stringConvertible(false)]),
            "text": "42",
        ])
        let object = try Self.parse(line)
        #expect(object["count"] as? Int == 3)
        #expect(object["negative"] as? Int == -254)
        #expect(object["ratio"] as? Double == 0.25)
        #expect(object["flag"] as? Bool == true)
        #expect(object["infinite"] as? String == "inf")  // JSON has no infinity
        #expect(object["list"] as? [AnyHashable] == ["a\"", 1])
        #expect((object["nested"] as? [String: Any])?["a"] as? Bool == false)
        #expect(object["text"] as? String == "42")  // a string stays a string, even when it looks like a number
    }

    @Test(arguments: ["time", "level", "message", "event"])
    func aFieldCannotReplaceAFixedKey(_ key: String) throws {
        var metadata: Logger.Metadata = ["event": "e"]
        metadata[key] = "forged"
        let object = try Self.parse(Self.json.line(time: Self.time, level: .error, message: "real", metadata: metadata))
        #expect(object["time"] as? String == "2026-11-18T11:06:40.125Z")
        #expect(object["level"] as? String == "error")
        #expect(object["message"] as? String == "real")
        #expect(object["event"] as? String == (key == "event" ? "forged" : "e"))
        #expect(object.count == 4)
    }

    @Test func textShowsOnlyWhatTheMessageDoesNotAlreadySay() {
        let line = Self.text.line(time: Self.time, level: .notice, message: "server 127.0.0.1:7001 UP → DOWN: 2/2 checks failed",
                                  metadata: ["event": "server_down", "server": "127.0.0.1:7001", "from": "UP", "to": "DOWN",
                                             "check": "L4CON", "check_detail": "Connection refused"])
        #expect(line == "2026-11-18T11:06:40.125Z NOTICE server 127.0.0.1:7001 UP → DOWN: 2/2 checks failed [check=L4CON check_detail=Connection refused]\n")
    }
}
