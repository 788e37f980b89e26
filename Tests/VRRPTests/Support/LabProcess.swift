import Foundation
import Glibc

/// A program a lab test started, with stdout and stderr appended to a log file.
///
/// Ended by ``stop(grace:)``, ``kill()`` or on release. Only this process's own PID is
/// signalled, and only while Foundation still reports it running (so a reaped PID the kernel
/// reused is never hit).
final class LabProcess: @unchecked Sendable {
    /// Why a program could not be started or did not finish.
    enum Failure: Error, CustomStringConvertible {
        case notFound(String)
        case timedOut(command: String, after: Duration, output: String)

        var description: String {
            switch self {
            case let .notFound(name): "program '\(name)' not found in PATH"
            case let .timedOut(command, after, output): "'\(command)' did not finish within \(after); killed. Output:\n\(output)"
            }
        }
    }

    /// What a finished command printed and how it ended.
    struct Outcome: Sendable, CustomStringConvertible {
        var status: Int32
        var output: String
        var succeeded: Bool { status == 0 }
        var description: String { "exit \(status): \(output)" }
    }

    let command: [String]
    let logFile: URL
    let pid: pid_t
    private let process: Process

    /// Starts `command` (the first element a path or a name found in `PATH`).
    init(_ command: [String], logFile: URL) throws {
        guard let executable = command.first.flatMap(LabProcess.which) else { throw Failure.notFound(command.first ?? "") }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        self.command = command
        self.logFile = logFile
        self.process = process
        pid = process.processIdentifier
    }

    deinit {
        if process.isRunning {
            Glibc.kill(pid, SIGKILL)
            waitForExit(timeout: .seconds(5))
        }
    }

    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Sends `signal` if the program still runs; returns whether it was sent.
    @discardableResult
    func signal(_ signal: Int32) -> Bool {
        guard process.isRunning else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    /// Waits until the program has exited and been reaped; false on timeout.
    @discardableResult
    func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// SIGCONT (a stopped program cannot handle SIGTERM), SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        signal(SIGCONT)
        signal(SIGTERM)
        if !waitForExit(timeout: grace) { kill() }
    }

    func kill() {
        signal(SIGKILL)
        waitForExit(timeout: .seconds(10))
    }

    /// Everything the program has logged so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Polls the log until it contains `text`; false on timeout.
    func waitForLog(containing text: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return log.contains(text)
    }

    /// Runs `command` to completion (killed after `timeout`), output in `logFile`.
    static func run(_ command: [String], logFile: URL, timeout: Duration = .seconds(20)) throws -> Outcome {
        try? FileManager.default.removeItem(at: logFile)
        let child = try LabProcess(command, logFile: logFile)
        guard child.waitForExit(timeout: timeout) else {
            child.kill()
            throw Failure.timedOut(command: command.joined(separator: " "), after: timeout, output: child.log)
        }
        return Outcome(status: child.exitStatus ?? -1, output: child.log)
    }

    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        // keepalived and ip live in sbin, which a non-login PATH may lack.
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
