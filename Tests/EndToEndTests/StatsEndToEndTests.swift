import Foundation
import Glibc
import Synchronization
import Testing

/// The real `ferry` binary's stats server on its own port, in front of a real cluster: what a
/// browser, a scraper, an operator's admin click and a hostile client see, and that none of it
/// disturbs the proxy.
@Suite(.serialized, .sharedCluster)
struct StatsEndToEndTests {
    /// A tiny HTTP/1.1 client over a blocking loopback socket (this target has no HTTP library).
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let browserInstalled = ["chromium", "chromium-browser", "google-chrome"].contains { ChildProcess.which($0) != nil }
    static let password = "e2e-s3cret"

    /// A password file for `stats.auth` and the YAML that points at it.
    static func auth() throws -> (yaml: String, file: URL) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-stats-\(UUID().uuidString).secret")
        try (password + "\n").write(to: file, atomically: true, encoding: .utf8)
        // A secret other users can read is refused at load time, like an SSH key.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return ("auth: { username: admin, password_file: \(file.path) }", file)
    }

    static var basic: String { "Basic " + Data("admin:\(password)".utf8).base64EncodedString() }

    static func request(_ method: String = "GET", _ path: String, port: Int, headers: [String: String] = [:],
                        body: String = "") throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.utf8.count)\r\n" }
        let bytes = Array((head + "\r\n" + body).utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { break }
            offset += sent
        }
        var data: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data += chunk[0..<count]
        }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func json(_ ferry: FerryProcess) throws -> [String: Any] {
        let response = try request("GET", "/stats;json", port: ferry.statsPort, headers: ["Authorization": basic])
        try #require(response.status == 200, "\(response.status) \(response.body.prefix(200))")
        return try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
    }

    static func backends(_ ferry: FerryProcess) throws -> [[String: Any]] {
        try #require(try json(ferry)["backends"] as? [[String: Any]])
    }

    /// `/metrics` through prometheus_client's parser: sample name + sorted labels → value.
    static func metrics(_ port: Int) throws -> [String: Double] {
        let text = try request("GET", "/metrics", port: port).body
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value
            print(json.dumps(out))
            """]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "prometheus_client could not parse /metrics")
        return try JSONDecoder().decode([String: Double].self, from: data)
    }

    // MARK: - Tests

    @Test(.enabled(if: browserInstalled, "chromium is not installed (scripts/test installs it)"))
    func pageOpensInAHeadlessBrowserWithoutConsoleErrors() throws {
        let cluster = try SharedCluster.cluster
        let (auth, secret) = try Self.auth()
        defer { try? FileManager.default.removeItem(at: secret) }
        let ferry = try FerryProcess(servers: cluster.ports, stats: auth)
        try ferry.waitUntilRoutable(3)
        // Some sessions and a few seconds of samples, so the charts have lines.
        for index in 0..<60 {
            let client = try RedisClient(port: ferry.port)
            _ = try client.command(["SET", "stats-e2e-\(index % 7)", "x"])
            client.close()
        }
        Thread.sleep(forTimeInterval: 3)

        let script = Self.repository.appendingPathComponent("scripts/screenshot-stats").path
        let png = ferry.directory.appendingPathComponent("stats.png")
        let url = "http://127.0.0.1:\(ferry.statsPort)/stats"
        let result = try ChildProcess.run(script, ["--user", "admin", "--password-file", secret.path, "--output", png.path, url],
                                          logFile: ferry.directory.appendingPathComponent("screenshot.log"),
                                          timeout: .seconds(120))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"errors\": []"), "\(result.output)")
        #expect(result.output.contains("\"status\": 200"))
        let image = try Data(contentsOf: png)
        #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        #expect(image.count > 10_000)

        // The checker itself sees a failure: without credentials the page is a 401.
        let anonymous = try ChildProcess.run(script, ["--output", ferry.directory.appendingPathComponent("401.png").path, url],
                                             logFile: ferry.directory.appendingPathComponent("screenshot-401.log"),
                                             timeout: .seconds(120))
        #expect(anonymous.status == 1, "\(anonymous.output)")
        #expect(anonymous.output.contains("\"status\": 401"))
    }

    @Test func everyFormatReflectsTheRunningProxy() throws {
        let cluster = try SharedCluster.cluster
        let (auth, secret) = try Self.auth()
        defer { try? FileManager.default.removeItem(at: secret) }
        let ferry = try FerryProcess(servers: cluster.ports, stats: auth)
        try ferry.waitUntilRoutable(3)
        let port = ferry.statsPort

        let health = try Self.request("GET", "/health", port: port)
        #expect(health.status == 200)
        #expect(health.body == "UP 3/6 servers routable\n")
        #expect(try Self.request("GET", "/stats", port: port).status == 401)
        #expect(try Self.request("GET", "/stats;json", port: port).headers["www-authenticate"]?.hasPrefix("Basic") == true)
        #expect(try Self.request("GET", "/nope", port: port, headers: ["Authorization": Self.basic]).status == 404)
        #expect(try Self.request("DELETE", "/stats", port: port, headers: ["Authorization": Self.basic]).status == 405)

        // Masters are in rotation; wait for the replicas' checks to settle too (UP, wrong role).
        try E2E.waitUntil("all six servers UP", timeout: .seconds(15)) {
            try Self.backends(ferry).allSatisfy { $0["health"] as? String == "UP" && ($0["status"] as? String)?.contains("going") == false }
        }
        let backends = try Self.backends(ferry)
        #expect(backends.count == 6)
        let masters = Set(cluster.masters().map { "127.0.0.1:\($0)" })
        for backend in backends {
            let address = try #require(backend["address"] as? String)
            let isMaster = masters.contains(address)
            #expect(backend["role"] as? String == (isMaster ? "master" : "slave"))
            #expect(backend["routable"] as? Bool == isMaster)
            #expect(backend["state"] as? String == (isMaster ? "up" : "up_not_routable"))
            #expect((backend["last_check"] as? [String: Any])?["code"] as? String == "L7OK")
        }

        let metrics = try Self.metrics(port)
        #expect(metrics["ferry_backends_routable{}"] == 3)
        for address in masters {
            #expect(metrics["ferry_backend_routable{\"server\": \"\(address)\"}"] == 1)
        }

        let csv = try Self.request("GET", "/stats;csv", port: port, headers: ["Authorization": Self.basic]).body
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 1 + 1 + 6 + 1)
        #expect(lines.first?.hasPrefix("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,") == true)
        // Fields per line, commas inside quoted values (check details) not counted.
        func fields(_ line: Substring) -> Int {
            var count = 1, quoted = false
            for character in line {
                if character == "\"" { quoted.toggle() } else if character == "," && !quoted { count += 1 }
            }
            return count
        }
        #expect(lines.dropFirst().allSatisfy { fields($0) == fields(lines[0]) })

        let page = try Self.request("GET", "/stats", port: port, headers: ["Authorization": Self.basic])
        #expect(page.status == 200)
        #expect(page.body.contains("VRRP: not configured."))
        #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
    }

    /// An operator drains a master: new sessions avoid it, the page says so, READY brings it back.
    @Test func adminDrainAndReadyFromTheStatsPage() throws {
        let cluster = try SharedCluster.cluster
        let (auth, secret) = try Self.auth()
        defer { try? FileManager.default.removeItem(at: secret) }
        let ferry = try FerryProcess(servers: cluster.ports, stats: auth)
        try ferry.waitUntilRoutable(3)
        let port = ferry.statsPort
        let page = try Self.request("GET", "/stats", port: port, headers: ["Authorization": Self.basic]).body
        let token = try #require(page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first.map { String($0.prefix(64)) })
        let backends = try Self.backends(ferry)
        let drained = try #require(backends.first { $0["routable"] as? Bool == true })
        let index = try #require(drained["index"] as? Int)
        let drainedPort = try #require((drained["address"] as? String)?.split(separator: ":").last.flatMap { Int($0) })
        let form = ["Authorization": Self.basic, "Content-Type": "application/x-www-form-urlencoded"]

        // A forged form (no token) changes nothing.
        #expect(try Self.request("POST", "/stats/admin", port: port, headers: form, body: "action=drain&server=\(index)").status == 403)

        let drain = try Self.request("POST", "/stats/admin", port: port, headers: form,
                                     body: "action=drain&server=\(index)&csrf=\(token)")
        #expect(drain.status == 303)
        #expect(drain.headers["location"] == "/stats?done=drain&server=\(index)")
        try E2E.waitUntil("DRAIN applied", timeout: .seconds(10)) {
            let server = try Self.backends(ferry)[index]
            return server["admin_state"] as? String == "DRAIN" && server["routable"] as? Bool == false
        }
        #expect(ferry.log.contains("admin state READY → DRAIN by admin from 127.0.0.1"))
        for _ in 0..<24 {
            let client = try RedisClient(port: ferry.port)
            defer { client.close() }
            #expect(try E2E.nodePort(of: client) != drainedPort)
        }
        let health = try Self.request("GET", "/health", port: port)
        #expect(health.body == "UP 2/6 servers routable\n")

        let ready = try Self.request("POST", "/stats/admin", port: port, headers: form,
                                     body: "action=ready&server=\(index)&csrf=\(token)")
        #expect(ready.status == 303)
        try E2E.waitUntil("READY applied", timeout: .seconds(10)) { try Self.backends(ferry)[index]["routable"] as? Bool == true }
    }

    /// A client holding a half-sent request and another sending 10 KB header blocks, garbage and
    /// page loads in a loop: a redis-benchmark burst through the proxy still completes cleanly.
    /// The rates are printed for the README, never asserted.
    @Test func slowAndHugeStatsClientsDoNotDisturbProxying() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports)
        try ferry.waitUntilRoutable(3)
        // PING only: a plain benchmark's SET/GET would get MOVED from a cluster.
        let arguments = ["-p", "\(ferry.port)", "-t", "ping", "-n", "50000", "-c", "20", "-q"]
        let quiet = try ChildProcess.run("redis-benchmark", arguments, logFile: ferry.directory.appendingPathComponent("quiet.log"),
                                         timeout: .seconds(120))
        #expect(quiet.status == 0, "\(quiet.output)")

        // The slowloris: half a request head, then nothing.
        let slow = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(slow) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(ferry.statsPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(slow, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        _ = "GET /stats HTTP/1.1\r\nHost: x\r\nX-Slow: ".withCString { send(slow, $0, strlen($0), Int32(MSG_NOSIGNAL)) }

        // The hammer: large header blocks, garbage and page loads, until the benchmark is done.
        let stop = Atomic(false)
        let outcomes = Mutex<[Int: Int]>([:])
        let statsPort = ferry.statsPort
        let hammer = Thread {
            let pad = String(repeating: "h", count: 10 * 1024)
            var round = 0
            while !stop.load(ordering: .relaxed) {
                round += 1
                let response: Response? = switch round % 3 {
                case 0: try? Self.request("GET", "/stats", port: statsPort, headers: ["X-Pad": pad])
                case 1: try? Self.request("GET", "/stats;json", port: statsPort)
                default: try? Self.request("BREW", "/\u{7f}", port: statsPort)
                }
                outcomes.withLock { $0[response?.status ?? -1, default: 0] += 1 }
            }
        }
        hammer.start()
        let busy = try ChildProcess.run("redis-benchmark", arguments, logFile: ferry.directory.appendingPathComponent("busy.log"),
                                        timeout: .seconds(120))
        stop.store(true, ordering: .relaxed)
        #expect(busy.status == 0, "\(busy.output)")
        #expect(!busy.output.lowercased().contains("error"), "\(busy.output)")
        #expect(!quiet.output.lowercased().contains("error"), "\(quiet.output)")
        #expect(busy.output.components(separatedBy: "requests per second").count - 1 == 2)

        let seen = outcomes.withLock { $0 }
        #expect((seen[200] ?? 0) > 0, "stats answered while the benchmark ran: \(seen)")
        #expect(seen[-1] == nil, "no stats request failed outright: \(seen)")
        let malformed = try Self.metrics(ferry.statsPort)["ferry_stats_malformed_requests_total{}"] ?? 0
        #expect(malformed > 0 || (seen[400] ?? 0) > 0 || seen.keys.contains { (400..<500).contains($0) })

        // The slowloris is cut off by the request timeout (10 s by default; generous wait).
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        #expect(recv(slow, &byte, 1, 0) <= 0, "the half-sent request's connection is closed")

        func rates(_ output: String) -> String {
            output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).filter { $0.contains("requests per second") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
        }
        print("stats-e2e: redis-benchmark through the proxy, stats idle: \(rates(quiet.output))")
        print("stats-e2e: redis-benchmark through the proxy, stats hammered (\(seen.values.reduce(0, +)) requests \(seen)): \(rates(busy.output))")
    }

    @Test func healthIs503WithoutARoutableServer() throws {
        let dead = try FreePorts.find(1)[0]
        let ferry = try FerryProcess(servers: [dead])
        try E2E.waitUntil("stats listening", timeout: .seconds(15)) { ferry.log.contains("stats server listening") }
        let health = try Self.request("GET", "/health", port: ferry.statsPort)
        #expect(health.status == 503)
        #expect(health.body == "DOWN 0/1 servers routable\n")
    }

    @Test func aStatsPortInUseMakesFerryExit1WithAClearMessage() throws {
        let cluster = try SharedCluster.cluster
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length); return getsockname(holder, $0, &length) }
        }
        #expect(listen(holder, 1) == 0)
        let taken = Int(UInt16(bigEndian: address.sin_port))

        let ferry = try FerryProcess(servers: cluster.ports, statsPort: taken)
        #expect(ferry.process.waitForExit(timeout: .seconds(20)))
        #expect(ferry.process.exitStatus == 1)
        #expect(ferry.log.contains("stats server cannot listen on 127.0.0.1:\(taken) (stats.listen)"), "\(ferry.log)")
        #expect(ferry.log.contains("Address already in use"), "\(ferry.log)")
    }
}
