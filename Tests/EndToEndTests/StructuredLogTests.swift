import Foundation
import Glibc
import Testing

/// `log.format: json` from the real daemon: one JSON object per line, one event per state change,
/// with the fields a log shipper indexes. The backends are plain redis-servers this test starts,
/// kills and restarts itself.
@Suite(.serialized)
struct StructuredLogTests {
    /// A standalone redis-server on `port` (a master: routable with `select: master`).
    static func redis(_ port: Int, in directory: URL) throws -> ChildProcess {
        let server = try ChildProcess("redis-server", [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
        ], logFile: directory.appendingPathComponent("redis-\(port).log"), workingDirectory: directory)
        try E2E.waitUntil("redis-server on \(port) to answer", timeout: .seconds(10)) {
            let client = try RedisClient(port: port, timeout: .milliseconds(500))
            defer { client.close() }
            return try client.command(["PING"]) == .simple("PONG")
        }
        return server
    }

    /// Every line of the log as a JSON object; a line that is not one fails the test.
    static func events(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            return object
        }
    }

    static func events(_ log: String, named names: Set<String>, server: String) -> [[String: Any]] {
        events(log).filter { names.contains($0["event"] as? String ?? "") && $0["server"] as? String == server }
    }

    @Test func aServerThatDiesAndComesBackLogsOneDownAndOneUpEvent() throws {
        guard ChildProcess.which("redis-server") != nil else {
            print("skipped: redis-server is not installed")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-structured-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try FreePorts.find(2, alsoFreeAtOffset: nil)
        let (victimPort, steadyPort) = (ports[0], ports[1])
        var victim = try Self.redis(victimPort, in: directory)
        let steady = try Self.redis(steadyPort, in: directory)
        defer {
            victim.kill()
            steady.kill()
        }
        let ferry = try FerryProcess(servers: [victimPort, steadyPort], extra: """
            health:
              interval: 100ms
              timeout: 100ms
              rise: 2
              fall: 2
            log:
              format: json
            """)
        try ferry.waitUntilRoutable(2)
        let server = "127.0.0.1:\(victimPort)"

        victim.kill()
        try E2E.waitUntil("the DOWN event", timeout: .seconds(10)) {
            !Self.events(ferry.log, named: ["server_down"], server: server).isEmpty
        }
        victim = try Self.redis(victimPort, in: directory)
        try E2E.waitUntil("the server back in rotation", timeout: .seconds(10)) {
            Self.events(ferry.log, named: ["server_routable"], server: server).count == 2
        }
        // A few more checks, so a duplicate event would have had the time to appear.
        Thread.sleep(forTimeInterval: 0.5)
        ferry.process.stop(grace: .seconds(5))
        let log = ferry.log

        // Every line is one JSON object with an ISO 8601 UTC time, a level and a message.
        let all = Self.events(log)
        #expect(all.count == log.split(separator: "\n").count)
        for event in all {
            let time = event["time"] as? String ?? ""
            #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "time \(time)")
            #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(event["level"] as? String ?? ""))
            #expect(event["message"] is String)
        }

        // The victim: UP at start, DOWN once, UP once more; in and out of rotation to match.
        let changes = Self.events(log, named: ["server_up", "server_down"], server: server)
        #expect(changes.map { $0["event"] as? String } == ["server_up", "server_down", "server_up"], "\(changes)")
        let rotation = Self.events(log, named: ["server_routable", "server_unroutable"], server: server)
        #expect(rotation.map { $0["event"] as? String } == ["server_routable", "server_unroutable", "server_routable"])
        if changes.count == 3 {
            let down = changes[1], up = changes[2]
            #expect(down["level"] as? String == "warning")
            #expect(down["from"] as? String == "UP" && down["to"] as? String == "DOWN")
            #expect(down["reason"] as? String == "2/2 checks failed, last L4CON: Connection refused", "\(down)")
            #expect(down["check"] as? String == "L4CON")
            #expect(down["check_detail"] as? String == "Connection refused")
            #expect(down["check_duration_ms"] is Double || down["check_duration_ms"] is Int)
            #expect(up["level"] as? String == "notice")
            #expect(up["from"] as? String == "DOWN" && up["to"] as? String == "UP")
            #expect(up["reason"] as? String == "2/2 checks passed, role master")
            #expect(up["check"] as? String == "L7OK")
            #expect(up["role"] as? String == "master")
            #expect((up["message"] as? String)?.contains(server) == true)
        }

        // The other server never changed after start; the pool as a whole never lost every server.
        let other = Self.events(log, named: ["server_up", "server_down"], server: "127.0.0.1:\(steadyPort)")
        #expect(other.map { $0["event"] as? String } == ["server_up"])
        let names = all.compactMap { $0["event"] as? String }
        #expect(names.filter { $0 == "backends_available" }.count == 1)
        #expect(!names.contains("backends_unavailable"))

        // Start and stop, once each.
        #expect(names.filter { $0 == "start" }.count == 1)
        #expect(names.filter { $0 == "stopping" }.count == 1)
        #expect(names.filter { $0 == "stop" }.count == 1)
        let start = all.first { $0["event"] as? String == "start" }
        #expect(start?["config"] as? String == ferry.configFile.path)
        #expect(start?["pid"] as? Int == Int(ferry.process.pid))
        let stopping = all.first { $0["event"] as? String == "stopping" }
        #expect(stopping?["signal"] as? String == "SIGTERM")
    }

    @Test func losingEveryServerIsOneEventAndSoIsTheRecovery() throws {
        guard ChildProcess.which("redis-server") != nil else {
            print("skipped: redis-server is not installed")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-structured-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try FreePorts.find(1, alsoFreeAtOffset: nil)[0]
        let redis = try Self.redis(port, in: directory)
        defer { redis.kill() }
        let ferry = try FerryProcess(servers: [port], extra: """
            health: {interval: 100ms, timeout: 100ms, rise: 2, fall: 2}
            log: {format: json}
            """)
        try ferry.waitUntilRoutable(1)

        // Frozen, not killed: the checks time out (L4TOUT or L7TOUT) instead of being refused.
        #expect(redis.signal(SIGSTOP))
        try E2E.waitUntil("backends_unavailable", timeout: .seconds(10)) {
            Self.events(ferry.log).contains { $0["event"] as? String == "backends_unavailable" }
        }
        #expect(redis.signal(SIGCONT))
        try E2E.waitUntil("backends_available again", timeout: .seconds(10)) {
            Self.events(ferry.log).filter { $0["event"] as? String == "backends_available" }.count == 2
        }
        Thread.sleep(forTimeInterval: 0.5)
        let events = Self.events(ferry.log)
        let pool = events.filter { ($0["event"] as? String)?.hasPrefix("backends_") == true }
        #expect(pool.map { $0["event"] as? String } == ["backends_available", "backends_unavailable", "backends_available"])
        #expect(pool[1]["level"] as? String == "error")
        #expect(pool[1]["routable"] as? Int == 0 && pool[1]["servers"] as? Int == 1)
        #expect(pool[2]["routable"] as? Int == 1)
        let down = events.first { $0["event"] as? String == "server_down" }
        #expect(["L4TOUT", "L7TOUT"].contains(down?["check"] as? String ?? ""), "\(String(describing: down))")
    }

    /// Under systemd (`JOURNAL_STREAM` names stderr) every line starts with its syslog priority,
    /// which journald strips and stores as PRIORITY; the rest of the line is the JSON object.
    @Test func theJournalGetsEachLinesSyslogPriority() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try FreePorts.find(2, alsoFreeAtOffset: nil)
        let config = directory.appendingPathComponent("ferry.yaml")
        try """
            proxy: {listen: ["127.0.0.1:\(ports[0])"], threads: 1}
            stats: {listen: "127.0.0.1:\(ports[1])"}
            backends: {servers: ["127.0.0.1:1"]}
            log: {format: json}
            """.write(to: config, atomically: true, encoding: .utf8)
        let logFile = directory.appendingPathComponent("ferry.log")
        try #require(FileManager.default.createFile(atPath: logFile.path, contents: nil))
        var info = stat()
        try #require(stat(logFile.path, &info) == 0)
        var environment = ProcessInfo.processInfo.environment
        environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
        let ferry = try ChildProcess(FerryProcess.binary, ["run", "--config", config.path], logFile: logFile, environment: environment)
        defer { ferry.kill() }
        let read = { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        try E2E.waitUntil("the start event", timeout: .seconds(10)) { read().contains(#""event":"start""#) }
        ferry.stop(grace: .seconds(5))

        let priorities = ["trace": 7, "debug": 7, "info": 6, "notice": 5, "warning": 4, "error": 3, "critical": 2]
        let lines = read().split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            guard let match = line.wholeMatch(of: /<([0-7])>(\{.*\})/) else {
                Issue.record("no priority prefix: \(line)")
                continue
            }
            let object = try JSONSerialization.jsonObject(with: Data(match.2.utf8)) as? [String: Any]
            #expect(priorities[object?["level"] as? String ?? ""] == Int(match.1), "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix(#"<5>{"time":"#) && $0.contains(#""event":"start""#) })
    }
}
