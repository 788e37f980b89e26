import Foundation
import Glibc

/// The real `ferry` binary (built next to the test bundle) run with a config the test writes.
final class FerryProcess {
    enum Failure: Error, CustomStringConvertible {
        case binaryMissing(String)
        case notReady(String)
        var description: String {
            switch self {
            case .binaryMissing(let path): "ferry binary not found at \(path): build the package first (swift build)"
            case .notReady(let log): "ferry did not become ready; log:\n\(log)"
            }
        }
    }

    let port: Int
    /// The stats server's port (each instance gets its own, so tests never fight over 7020).
    let statsPort: Int
    let directory: URL
    let configFile: URL
    let process: ChildProcess

    /// The `ferry` executable in the same build folder as this test bundle.
    static var binary: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("ferry").path
    }

    /// Starts Ferry on a free loopback port in front of `servers`; `extra` is YAML appended to the
    /// config (indented sections such as `health:`), `timeouts` goes under `proxy.timeouts`, `stats`
    /// (YAML lines such as `auth: {...}`) under `stats:`; `statsPort` picks the stats port instead of a free one;
    /// `launcher` is a command that execs ferry after it (e.g. `["prlimit", "--nofile=256:256", "--"]`),
    /// so the process id stays ferry's.
    init(servers: [Int], threads: Int = 2, timeouts: String = "", extra: String = "", maxconn: Int = 10000,
         stats: String = "", statsPort: Int? = nil, launcher: [String] = [], mode: String = "tcp") throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw Failure.binaryMissing(Self.binary) }
        let ports = try FreePorts.find(2, alsoFreeAtOffset: nil)
        port = ports[0]
        self.statsPort = statsPort ?? ports[1]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configFile = directory.appendingPathComponent("ferry.yaml")
        let yaml = """
            proxy:
              mode: \(mode)
              listen: ["127.0.0.1:\(port)"]
              threads: \(threads)
              maxconn: \(maxconn)
              shutdown_grace: 2s
              timeouts: {\(timeouts)}
            stats:
              listen: "127.0.0.1:\(self.statsPort)"
            \(stats.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            backends:
              servers: [\(servers.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            \(extra)
            """
        try yaml.write(to: configFile, atomically: true, encoding: .utf8)
        let command = launcher + [Self.binary, "run", "--config", configFile.path]
        process = try ChildProcess(command[0], Array(command.dropFirst()),
                                   logFile: directory.appendingPathComponent("ferry.log"))
    }

    deinit {
        process.stop(grace: .seconds(3))
        try? FileManager.default.removeItem(at: directory)
    }

    var log: String { (try? String(contentsOf: process.logFile, encoding: .utf8)) ?? "" }

    /// Waits until `count` servers have entered rotation (from the log).
    func waitUntilRoutable(_ count: Int, timeout: Duration = .seconds(15)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let entered = log.components(separatedBy: "enters rotation").count - 1
            let left = log.components(separatedBy: "leaves rotation").count - 1
            if entered - left >= count { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure.notReady(process.logTail(lines: 40))
    }

    /// Ferry's descriptor tables as /proc directories: the process's, and each data-plane loop's
    /// private one (the loops unshare theirs; a loop's sessions are listed only under its task).
    var descriptorTables: [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")) ?? []
        let loops = tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("ferry-proxy-")
        }
        return ["/proc/\(process.pid)/fd"] + loops.sorted().map { "/proc/\(process.pid)/task/\($0)/fd" }
    }

    /// Open sockets in Ferry's process (listeners + sessions + checks), from /proc.
    var openSockets: Int {
        descriptorTables.reduce(0) { count, table in
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: table)) ?? []
            return count + fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(table)/\($0)"))?.hasPrefix("socket:") == true }.count
        }
    }

    /// Open descriptors in each of Ferry's tables (sockets, pipes, epoll, eventfds, files), from /proc.
    var openDescriptorsPerTable: [Int] {
        descriptorTables.map { ((try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []).count }
    }

    /// Every open descriptor in Ferry's process, all tables together.
    var openDescriptors: Int { openDescriptorsPerTable.reduce(0, +) }

    /// CPU time used so far (user + system), from /proc/PID/stat.
    var cpuTime: Duration {
        let stat = (try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8)) ?? ""
        // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
        guard let close = stat.lastIndex(of: ")") else { return .zero }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return .zero }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return .milliseconds((user + system) * 1000 / max(ticks, 1))
    }

    /// Resident memory in KiB, from /proc/PID/status.
    var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

extension FerryProcess {
    /// Ferry in cluster mode in front of every node of `cluster`, once each master is in rotation;
    /// `extra` as for ``init(servers:threads:timeouts:extra:maxconn:stats:statsPort:launcher:mode:)``.
    static func clusterMode(_ cluster: RedisCluster, threads: Int = 2, extra: String = "") throws -> FerryProcess {
        let ferry = try FerryProcess(servers: cluster.ports, threads: threads, extra: extra, mode: "cluster")
        try ferry.waitUntilRoutable(cluster.masters().count)
        return ferry
    }

    /// Runs `script` with python3 (the tests' redis-py) next to this Ferry; true when it exited 0
    /// and printed `ok`, with its output for the failure message.
    func runPython(_ script: String, name: String) throws -> (succeeded: Bool, output: String) {
        let file = directory.appendingPathComponent("\(name).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run("python3", [file.path], logFile: directory.appendingPathComponent("\(name).log"),
                                          timeout: .seconds(60))
        return (result.status == 0 && result.output.contains("ok"), result.output)
    }
}
