import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One standalone `redis-server` (a master, no cluster) on a free loopback port, for tests that
/// need a healthy master of their own, e.g. to SIGSTOP it without disturbing a shared cluster.
/// Ended (SIGKILL) and its directory removed by ``stop()`` or on release.
final class RedisServer {
    let port: Int
    let process: ChildProcess
    private let directory: URL

    init(extraArguments: [String] = []) throws {
        guard let server = ChildProcess.which("redis-server") else {
            throw RedisCluster.Failure.redisNotInstalled("redis-server")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var attempt = 0
        while true {
            let port = try FreePorts.find(1, alsoFreeAtOffset: nil)[0]
            let process = try ChildProcess(
                server,
                ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", directory.path, "--daemonize", "no"] + extraArguments,
                logFile: directory.appendingPathComponent("redis.log"))
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline {
                if let client = try? RedisClient(port: port, timeout: .milliseconds(500)),
                   (try? client.command(["PING"])) == .simple("PONG") {
                    client.close()
                    self.port = port
                    self.process = process
                    return
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            process.kill()
            attempt += 1
            guard attempt < 3 else {
                let log = process.logTail()
                try? FileManager.default.removeItem(at: directory)
                throw RedisCluster.Failure.nodeDidNotStart(port: port, reason: "no PONG", logTail: log)
            }
        }
    }

    deinit { stop() }

    /// A new client connected straight to the server.
    func client(timeout: Duration = .seconds(5)) throws -> RedisClient {
        try RedisClient(port: port, timeout: timeout)
    }

    func stop() {
        process.kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
