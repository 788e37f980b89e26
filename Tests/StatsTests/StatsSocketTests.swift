import Foundation
import Glibc
import Testing

@testable import Proxy
@testable import Stats

/// The real server over real sockets: malformed and oversized requests, a slowloris client,
/// the daemon's start/stop, and a port already in use. Behaviour only, never timings.
@Suite struct StatsSocketTests {
    static func withServer(_ options: StatsServer.Options = .init(), auth: Bool = false,
                           _ body: (StatsServer, Int) async throws -> Void) async throws {
        let server = TestServer.make(auth: auth, options: options)
        let port = try await server.start()
        do {
            try await body(server, port)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "GET /stats HTTP/1.1\r\nHost x\r\n\r\n",
        "GET /stats HTTP/9.9\r\n\r\n",
        "GET /sta ts HTTP/1.1\r\n\r\n",
        "\u{0}\u{1}\u{2}\r\n\r\n",
        "GET /stats HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ])
    func malformedRequestsGet400AndAreCounted(request: String) async throws {
        try await Self.withServer { server, port in
            let response = try await onThread {
                let client = try RawHTTPClient(port: port)
                client.send(request)
                return client.readResponse()
            }
            #expect(response.hasPrefix("HTTP/1.1 400"), "\(response.prefix(80))")
            #expect(server.source.counters.values.malformed == 1)
            // And the server is still fine.
            let health = try await onThread { try RawHTTPClient.get("/health", port: port) }
            #expect(health.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test(arguments: [10 * 1024, 60 * 1024])
    func aLargeHeaderBlockIsServed(size: Int) async throws {
        try await Self.withServer { _, port in
            let pad = String(repeating: "x", count: size)
            let response = try await onThread { try RawHTTPClient.get("/stats;csv", port: port, headers: "X-Pad: \(pad)\r\n") }
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(response.contains("# pxname,svname,"))
        }
    }

    @Test func anOversizedHeaderBlockIsRefusedNotFatal() async throws {
        try await Self.withServer { server, port in
            let pad = String(repeating: "x", count: 100 * 1024)
            let response = try await onThread { try RawHTTPClient.get("/stats", port: port, headers: "X-Pad: \(pad)\r\n") }
            #expect(response.hasPrefix("HTTP/1.1 4"), "\(response.prefix(80))")
            #expect(server.source.counters.values.malformed == 1)
            let health = try await onThread { try RawHTTPClient.get("/health", port: port) }
            #expect(health.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A client that sends half a request and waits: others are served meanwhile, and the
    /// request timeout closes it (a short one here; generous waits, no timing asserted).
    @Test func aSlowlorisClientIsClosedAndDoesNotBlockOthers() async throws {
        var options = StatsServer.Options()
        options.requestTimeout = .seconds(1)
        try await Self.withServer(options) { server, port in
            let slow = try RawHTTPClient(port: port, receiveTimeout: 30)
            slow.send("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            for _ in 0..<20 {
                let response = try await onThread { try RawHTTPClient.get("/stats;json", port: port) }
                #expect(response.hasPrefix("HTTP/1.1 200"))
            }
            let closed = try await onThread { slow.seesClose() }
            #expect(closed)
            #expect(server.source.counters.values.headTimeouts >= 1)
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await Self.withServer { _, port in
            let responses = try await onThread {
                let client = try RawHTTPClient(port: port)
                return (0..<3).map { _ in
                    client.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    return client.readResponse()
                }
            }
            #expect(responses.allSatisfy { $0.hasPrefix("HTTP/1.1 200") })
        }
    }

    /// The daemon calls these from its own (non-cooperative) thread; so does this test.
    @Test func theSynchronousStartAndStopTheDaemonUses() async throws {
        let server = TestServer.make(auth: false)
        let port = try await onThread { try server.startInBackground() }
        #expect(port > 0)
        #expect(server.port == port)
        let health = try await onThread { try RawHTTPClient.get("/health", port: port) }
        #expect(health.hasPrefix("HTTP/1.1 200"))
        try await onThread { server.stop() }
        #expect(throws: (any Error).self) { try RawHTTPClient(port: port) }
    }

    @Test func aPortInUseIsAClearStartError() async throws {
        // Hold a listening socket on a free port, then ask the stats server for it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length); return getsockname(holder, $0, &length) }
        }
        listen(holder, 1)
        let port = Int(UInt16(bigEndian: address.sin_port))

        var config = TestServer.config(auth: false)
        config.stats.listen.port = UInt16(port)
        let server = StatsServer(config: config, snapshot: { Fixtures.proxy([]) }, admin: RecordingProxyAdmin(),
                                 version: "t", logger: .init(label: "t"))
        let outcome = try await onThread { () -> String in
            defer { server.stop() }
            do {
                _ = try server.startInBackground()
                return "started"
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome.contains("stats server cannot listen on 127.0.0.1:\(port) (stats.listen)"))
        #expect(outcome.contains("Address already in use"))
    }
}
