import Foundation

/// `/stats;json`: the ``StatsDocument`` of a snapshot, keys sorted so the output is stable.
/// Schema `ferry-stats/1`; cluster mode's fields (`frontend.commands`, `command_rate`,
/// `command_rate_max`, `latency_p50_us`, `latency_p99_us`, `cluster`, `history.command_rate`) are
/// additions, documented on ``StatsDocument``.
public enum JSONRenderer {
    public static func render(_ snapshot: StatsSnapshot) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail; NaN never occurs (rates divide by elapsed > 0).
        let data = (try? encoder.encode(StatsDocument(snapshot))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The decoder that reads ``render(_:)``'s output back (tests, and anyone scripting in Swift).
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
