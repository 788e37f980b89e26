import Foundation
import Glibc
import Logging

/// Writes one line per event to stderr, as text for people or as JSON for journald and log
/// shippers (see ``LogLineFormatter``).
///
/// Under systemd, when stderr is the journal (`JOURNAL_STREAM` names it), each line starts with
/// the syslog priority in `sd-daemon(3)` form (`<5>`), which journald strips and stores as
/// `PRIORITY`, so `journalctl -p warning` works and the stored `MESSAGE` is exactly the JSON object.
struct FerryLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let formatter: LogLineFormatter
    let priorityPrefix: Bool

    init(logLevel: Logger.Level, label: String, format: LogLineFormatter.Format,
         priorityPrefix: Bool = FerryLogHandler.stderrIsJournal()) {
        self.logLevel = logLevel
        self.label = label
        self.formatter = LogLineFormatter(format: format)
        self.priorityPrefix = priorityPrefix
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var line = formatter.line(time: Date(), level: event.level, message: "\(event.message)", metadata: fields)
        if priorityPrefix { line = "<\(Self.syslogPriority(event.level))>" + line }
        Self.writeToStderr(line)
    }

    /// syslog(3) priorities: swift-log has no `alert`/`emerg`, and `trace` is debug to syslog.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// systemd sets `JOURNAL_STREAM=DEVICE:INODE` for a service whose stdout/stderr is the journal
    /// (systemd.exec(5)); it is inherited by children whose stderr is elsewhere, hence the check.
    static func stderrIsJournal() -> Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return stream == "\(info.st_dev):\(info.st_ino)"
    }

    /// write(2), not FileHandle: a closed stderr (a pipe whose reader died) must not crash the
    /// daemon. A partial write is continued, so a long line is not cut.
    private static func writeToStderr(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
