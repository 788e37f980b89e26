import Logging
import Synchronization

/// Keeps the lines a server logs, so tests can check that a rejection is logged once, at the
/// right level, with the peer and the reason.
final class CapturedLog: Sendable {
    struct Record: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]

        var description: String { "\(level) \(message) \(metadata.sorted { $0.key < $1.key })" }
    }

    private let store = Mutex<[Record]>([])

    var records: [Record] { store.withLock { $0 } }

    func clear() { store.withLock { $0.removeAll() } }

    /// A logger that writes here, at every level.
    var logger: Logger {
        Logger(label: "stats-test") { _ in Handler(log: self) }
    }

    fileprivate func append(_ record: Record) { store.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Record(level: event.level, message: event.message.description,
                              metadata: merged.mapValues { "\($0)" }))
        }
    }
}
