import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program started by a test, with its stdout and stderr appended to a log file.
///
/// The process is always ended: by ``stop(grace:)``, ``kill()``, or when the object is
/// released. Only this process's own PID is ever signalled, and only while Foundation
/// still reports it running (so a reaped PID that the kernel reused is never hit).
final class ChildProcess: Sendable {
    /// The reasons starting or running a program can fail.
    enum Failure: Error, CustomStringConvertible {
        case notFound(String)
        case timedOut(command: String, after: Duration, logTail: String)

        var description: String {
            switch self {
            case let .notFound(name):
                "program '\(name)' not found in PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? ""))"
            case let .timedOut(command, after, logTail):
                "'\(command)' did not finish within \(after); it was killed. Output:\n\(logTail)"
            }
        }
    }

    /// The program's absolute path.
    let executable: String
    let arguments: [String]
    /// Where stdout and stderr go (appended to, so a restarted program keeps one log).
    let logFile: URL
    /// The child's process id.
    let pid: pid_t

    private let process: Process

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`.
    init(
        _ executable: String,
        _ arguments: [String],
        logFile: URL,
        workingDirectory: URL? = nil,
        environment: [String: String]? = nil
    ) throws {
        guard let path = ChildProcess.which(executable) else { throw Failure.notFound(executable) }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        if let environment { process.environment = environment }
        try process.run()
        // The child has its own copy of the descriptor now.
        try? log.close()

        self.executable = path
        self.arguments = arguments
        self.logFile = logFile
        self.process = process
        self.pid = process.processIdentifier
    }

    deinit {
        if process.isRunning {
            Glibc.kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
    }

    /// Whether the program has not exited yet (a SIGSTOPped program is still running).
    var isRunning: Bool { process.isRunning }

    /// The exit status, or the signal that ended it; `nil` while it runs.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Whether it ended by a signal rather than by exiting; `nil` while it runs.
    var endedBySignal: Bool? { process.isRunning ? nil : process.terminationReason == .uncaughtSignal }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGTERM, SIGKILL, …) if the program still runs.
    /// Returns whether the signal was sent.
    @discardableResult
    func signal(_ signal: Int32) -> Bool {
        guard process.isRunning else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    /// Waits until the program has exited (and been reaped). Returns `false` on timeout.
    @discardableResult
    func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// Ends the program gently: SIGCONT (a stopped program cannot handle SIGTERM), SIGTERM,
    /// then SIGKILL if it is still there after `grace`.
    func stop(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        signal(SIGCONT)
        signal(SIGTERM)
        if !waitForExit(timeout: grace) { kill() }
    }

    /// Ends the program at once with SIGKILL and waits until it is gone.
    func kill() {
        signal(SIGKILL)
        _ = waitForExit(timeout: .seconds(10))
    }

    /// The last `lines` lines of the log, for failure messages.
    func logTail(lines: Int = 30) -> String {
        ChildProcess.tail(of: logFile, lines: lines)
    }

    // MARK: - Helpers

    /// Runs a program to completion, killing it after `timeout`, and returns its exit status
    /// and output (which is also left in `logFile`).
    static func run(
        _ executable: String,
        _ arguments: [String],
        logFile: URL,
        timeout: Duration
    ) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, logFile: logFile)
        guard child.waitForExit(timeout: timeout) else {
            child.kill()
            throw Failure.timedOut(
                command: ([executable] + arguments).joined(separator: " "),
                after: timeout,
                logTail: child.logTail()
            )
        }
        let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return (child.exitStatus ?? -1, output)
    }

    /// The absolute path of `name`: itself if it contains a `/`, else the first executable
    /// match in `PATH`.
    static func which(_ name: String) -> String? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The last `lines` lines of a text file ("" if it cannot be read).
    static func tail(of file: URL, lines: Int) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .suffix(lines)
            .joined(separator: "\n")
    }
}
