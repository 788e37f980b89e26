import Foundation
import Glibc
import Logging

/// Writes one line per event to stderr, as text for people or as JSON for journald and log shippers.
struct FerryLogHandler: LogHandler {
    enum Format: Sendable { case text, json }

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let line: String
        switch format {
        case .text:
            // Structured fields are for JSON; text repeats only those not already in the message.
            let message = "\(event.message)"
            let extra = fields.filter { !message.contains("\($0.value)") }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue.uppercased()) \(message)\(extra.isEmpty ? "" : " [\(extra)]")\n"
        case .json:
            var object: [String: String] = ["time": time, "level": event.level.rawValue, "message": "\(event.message)"]
            for (key, value) in fields where object[key] == nil { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        // write(2), not FileHandle: a closed stderr (a pipe whose reader died) must not crash the daemon.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
