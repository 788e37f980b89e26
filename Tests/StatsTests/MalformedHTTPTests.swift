import Foundation
import Glibc
import Logging
import Testing

@testable import Proxy
@testable import Stats

/// Issue 7, "Bad input": hostile and broken HTTP sent over a raw socket to a real stats server
/// with `stats.auth` configured. Each request gets a 4xx (or, where HTTP cannot answer, a
/// close), never a 200, a 5xx or a hang; it bumps exactly one of the server's counters; it is
/// logged once with the peer and the reason; and the server goes on serving.
@Suite struct MalformedHTTPTests {
    /// The counter a case must bump (and every other problem counter must stay at zero).
    enum Counter: String, Sendable, CaseIterable {
        case malformed, rejectedPaths, unauthorized, headTimeouts, forbidden

        func value(_ counters: StatsHTTPCounters) -> UInt64 {
            switch self {
            case .malformed: return counters.malformed
            case .rejectedPaths: return counters.rejectedPaths
            case .unauthorized: return counters.unauthorized
            case .headTimeouts: return counters.headTimeouts
            case .forbidden: return counters.forbidden
            }
        }

        /// The level of the one line logged: a password guess is a warning; garbage, odd paths
        /// and stalled requests are information (scanners and broken clients are routine).
        var level: Logger.Level { self == .unauthorized ? .warning : .info }
    }

    enum Answer: Sendable, Equatable, CustomStringConvertible {
        /// This status line.
        case status(Int)
        /// No HTTP answer is possible: the server closes the connection.
        case close

        var description: String {
            switch self {
            case .status(let code): return "\(code)"
            case .close: return "close"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Written one after the other, with a short pause between them when there are several.
        var writes: [[UInt8]]
        var answer: Answer
        /// `nil`: a request that is fine after all (counted nowhere, logged nowhere).
        var counter: Counter?

        var testDescription: String { name }
    }

    // MARK: - The table

    static let host = "Host: 127.0.0.1\r\n"
    static let auth = "Authorization: \(TestServer.basic)\r\n"

    /// A complete request; `headers` end with CRLF each.
    static func request(_ target: String, _ headers: String = host + auth, method: String = "GET",
                        version: String = "HTTP/1.1", body: String = "") -> String {
        "\(method) \(target) \(version)\r\n\(headers)Connection: close\r\n\r\n\(body)"
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func authorization(_ value: [UInt8]) -> [UInt8] {
        bytes("GET /stats HTTP/1.1\r\n\(host)Authorization: ") + value + bytes("\r\nConnection: close\r\n\r\n")
    }

    static func base64(_ credentials: [UInt8]) -> [UInt8] { bytes("Basic " + Data(credentials).base64EncodedString()) }

    static func c(_ name: String, _ text: String, _ answer: Answer, _ counter: Counter?) -> Case {
        Case(name: name, writes: [bytes(text)], answer: answer, counter: counter)
    }

    static func c(_ name: String, bytes: [UInt8], _ answer: Answer, _ counter: Counter?) -> Case {
        Case(name: name, writes: [bytes], answer: answer, counter: counter)
    }

    static let badRequestLines: [Case] = [
        c("garbage", "GARBAGE\r\n\r\n", .status(400), .malformed),
        c("binary garbage", "\u{16}\u{3}\u{1}\u{0}\u{a5}\u{1}\u{0}\u{0}\u{a1}\u{3}\u{3}\r\n\r\n", .status(400), .malformed),
        c("missing version", "GET /stats\r\n\(host)\(auth)\r\n", .status(400), .malformed),
        c("HTTP/9.9", request("/stats", version: "HTTP/9.9"), .status(400), .malformed),
        c("HTTP/1.1.1", request("/stats", version: "HTTP/1.1.1"), .status(400), .malformed),
        c("unknown method", request("/stats", method: "FROBNICATE"), .status(400), .malformed),
        c("lower-case method", request("/stats", method: "get"), .status(400), .malformed),
        c("8 KB method", request("/stats", method: String(repeating: "A", count: 8192)), .status(400), .malformed),
        c("CONNECT to the proxy port", request("127.0.0.1:7010", "Host: 127.0.0.1:7010\r\n\(auth)", method: "CONNECT"),
          .status(400), .rejectedPaths),
        // RFC 9112 §3 lets a recipient split the request line on any run of spaces; the parser does.
        c("two spaces in the request line", "GET  /stats HTTP/1.1\r\n\(host)\(auth)Connection: close\r\n\r\n", .status(200), nil),
        c("NUL in the target", bytes: bytes("GET /st") + [0] + bytes("ats HTTP/1.1\r\n\(host)\(auth)\r\n"), .status(400), .malformed),
        c("NUL in a header value", bytes: bytes("GET /stats HTTP/1.1\r\n\(host)\(auth)X-A: a") + [0] + bytes("b\r\n\r\n"),
          .status(400), .malformed),
        c("bare LF line ends", "GET /stats HTTP/1.1\n\(host.dropLast(2))\n\(auth.dropLast(2))\nConnection: close\n\n",
          .status(400), .malformed),
        // Beyond the parser's 80 KB head limit: refused as malformed before any route is looked at.
        c("100 KB URI", request("/" + String(repeating: "a", count: 100 * 1024)), .status(400), .malformed),
        c("5 KB URI", request("/" + String(repeating: "a", count: 5 * 1024)), .status(414), .rejectedPaths),
        Case(name: "request line in 1-byte writes, then stalled",
             writes: "GET /stats HT".utf8.map { [$0] }, answer: .close, counter: .headTimeouts),
    ]

    static let badHeaders: [Case] = [
        c("one 100 KB header", request("/stats", host + auth + "X-Pad: \(String(repeating: "x", count: 100 * 1024))\r\n"),
          .status(400), .malformed),
        c("10 000 small headers", request("/stats", host + auth + String(repeating: "X-A: b\r\n", count: 10_000)),
          .status(400), .malformed),
        c("header without colon", request("/stats", host + auth + "X-No-Colon\r\n"), .status(400), .malformed),
        c("space before the colon", request("/stats", host + "Authorization : \(TestServer.basic)\r\n"), .status(400), .malformed),
        c("obs-fold", request("/stats", host + auth + "X-Folded: a\r\n  b\r\n"), .status(400), .malformed),
        c("duplicate Content-Length on an admin POST",
          request("/stats/admin", host + auth + "Content-Type: application/x-www-form-urlencoded\r\n"
                  + "Content-Length: 13\r\nContent-Length: 13\r\n", method: "POST", body: "action=drain&"), .status(400), .malformed),
        c("Transfer-Encoding and Content-Length on an admin POST",
          request("/stats/admin", host + auth + "Content-Type: application/x-www-form-urlencoded\r\n"
                  + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", method: "POST", body: "d\r\naction=drain&\r\n0\r\n\r\n"),
          .status(400), .malformed),
        c("Transfer-Encoding not ending in chunked on an admin POST",
          request("/stats/admin", host + auth + "Content-Type: application/x-www-form-urlencoded\r\n"
                  + "Transfer-Encoding: chunked, identity\r\n", method: "POST", body: "d\r\naction=drain&\r\n0\r\n\r\n"),
          .status(400), .malformed),
    ]

    static let badCredentials: [Case] = [
        c("no Basic prefix", bytes: authorization(bytes(Data("admin:\(TestServer.password)".utf8).base64EncodedString())),
          .status(401), .unauthorized),
        c("Bearer scheme", bytes: authorization(bytes("Bearer abc.def.ghi")), .status(401), .unauthorized),
        c("Basic and nothing else", bytes: authorization(bytes("Basic")), .status(401), .unauthorized),
        c("invalid base64", bytes: authorization(bytes("Basic !!!not*base64")), .status(401), .unauthorized),
        c("base64 without a colon", bytes: authorization(base64(bytes("admin\(TestServer.password)"))), .status(401), .unauthorized),
        c("empty user", bytes: authorization(base64(bytes(":\(TestServer.password)"))), .status(401), .unauthorized),
        c("user not UTF-8", bytes: authorization(base64([0xff, 0xfe, 0x3a] + bytes(TestServer.password))), .status(401), .unauthorized),
        c("header bytes not UTF-8", bytes: authorization(bytes("Basic ") + [0xff, 0xfe, 0xc3, 0x28]), .status(401), .unauthorized),
        c("64 KB credential", bytes: authorization(base64(bytes("admin:" + String(repeating: "p", count: 48 * 1024)))),
          .status(401), .unauthorized),
        c("right user, wrong password", bytes: authorization(base64(bytes("admin:\(TestServer.password)x"))), .status(401), .unauthorized),
        c("BASIC scheme, wrong password", bytes: authorization(bytes("BASIC ") + base64(bytes("admin:nope")).dropFirst(6)),
          .status(401), .unauthorized),
        // RFC 9110 §11.1: the scheme is case-insensitive, so the right credentials pass.
        c("bASIC scheme, right password", bytes: authorization(bytes("bASIC ") + base64(bytes("admin:\(TestServer.password)")).dropFirst(6)),
          .status(200), nil),
        c("right credentials, then wrong ones", request("/stats", host + auth + "Authorization: Basic Zm9vOmJhcg==\r\n"),
          .status(401), .unauthorized),
    ]

    static let badTargets: [Case] = [
        c("dot-dot segments", request("/stats/../../etc/passwd"), .status(400), .rejectedPaths),
        c("dot segment", request("/./stats"), .status(400), .rejectedPaths),
        c("encoded dot-dots", request("/stats/%2e%2e/%2E%2E/etc/passwd"), .status(400), .rejectedPaths),
        c("encoded dot-dot-slash", request("/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), .status(400), .rejectedPaths),
        c("encoded slash", request("/stats%2fadmin"), .status(400), .rejectedPaths),
        c("encoded backslash", request("/stats%5c..%5c..%5cwin.ini"), .status(400), .rejectedPaths),
        c("double-encoded dot-dot", request("/stats/%252e%252e/etc/passwd"), .status(400), .rejectedPaths),
        c("broken escape", request("/stats%zz"), .status(400), .rejectedPaths),
        c("leading //", request("//stats"), .status(400), .rejectedPaths),
        c("encoded NUL", request("/stats%00"), .status(400), .rejectedPaths),
        c("encoded NUL in an option", request("/stats;csv%00"), .status(400), .rejectedPaths),
        c("dot-dot as an option", request("/stats;csv;../"), .status(400), .rejectedPaths),
        c("asterisk-form", request("*", method: "OPTIONS"), .status(400), .rejectedPaths),
        c("absolute-form with dot-dots", request("http://127.0.0.1/../../etc/passwd"), .status(400), .rejectedPaths),
        // RFC 9112 §3.2.2: a server MUST accept the absolute form; the path in it is checked like any other.
        c("absolute-form", request("http://127.0.0.1:7020/stats"), .status(200), nil),
        c("Host with garbage", request("/stats", "Host: <script>alert(1)</script>\r\n\(auth)"), .status(400), .malformed),
        c("Host with a space", request("/stats", "Host: 127.0.0.1 evil\r\n\(auth)"), .status(400), .malformed),
        c("Host with a bad port", request("/stats", "Host: 127.0.0.1:70x0\r\n\(auth)"), .status(400), .malformed),
        c("two Host headers", request("/stats", host + "Host: evil.example\r\n\(auth)"), .status(400), .malformed),
        c("100 KB query", request("/stats?x=" + String(repeating: "y", count: 100 * 1024)), .status(400), .malformed),
        c("10 KB query", request("/stats?x=" + String(repeating: "y", count: 10 * 1024)), .status(414), .rejectedPaths),
        // The control: a polite request through the same harness.
        c("a polite request", request("/stats;csv"), .status(200), nil),
    ]

    // MARK: - The test

    struct Outcome: Sendable {
        var response: String
        var closed: Bool
    }

    @Test(arguments: badRequestLines + badHeaders + badCredentials + badTargets)
    func isRefusedCountedLoggedOnceAndHarmless(_ request: Case) async throws {
        let log = CapturedLog()
        let admin = RecordingProxyAdmin()
        var options = StatsServer.Options()
        if request.answer == .close { options.requestTimeout = .seconds(1) }
        let proxy = Fixtures.proxy(Fixtures.statesByServer.map(\.0))
        let server = StatsServer(config: TestServer.config(auth: true), snapshot: { proxy }, admin: admin, version: "t",
                                 logger: log.logger, options: options)
        let port = try await server.start()
        log.clear()  // the start-up lines
        do {
            try await check(request, server: server, port: port, log: log)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        #expect(admin.calls.isEmpty)
    }

    private func check(_ request: Case, server: StatsServer, port: Int, log: CapturedLog) async throws {
        let outcome = try await onThread { () -> Outcome in
            let client = try RawHTTPClient(port: port, receiveTimeout: 30)
            for write in request.writes {
                client.send(bytes: write)
                if request.writes.count > 1 { usleep(10_000) }
            }
            let response = client.readResponse()
            return Outcome(response: response, closed: response.isEmpty && client.seesClose())
        }
        let statusLine = outcome.response.prefix { $0 != "\r" && $0 != "\n" }
        switch request.answer {
        case .status(let code):
            #expect(statusLine.hasPrefix("HTTP/1.1 \(code) "), "got \(statusLine.isEmpty ? "no answer" : String(statusLine))")
        case .close:
            #expect(outcome.response.isEmpty, "\(statusLine)")
            #expect(outcome.closed)
        }

        let counters = server.source.counters.values
        for counter in Counter.allCases {
            #expect(counter.value(counters) == (counter == request.counter ? 1 : 0), "\(counter)")
        }

        let lines = log.records.filter { $0.level >= .info }
        if let counter = request.counter {
            #expect(lines.count == 1, "\(lines)")
            if let line = lines.first {
                #expect(line.level == counter.level, "\(line)")
                #expect(line.metadata["peer"] == "127.0.0.1", "\(line)")
                #expect(!(line.metadata["reason"] ?? "").isEmpty, "\(line)")
            }
        } else {
            #expect(lines.isEmpty, "\(lines)")
        }

        // The server is still fine.
        let health = try await onThread { try RawHTTPClient.get("/health", port: port) }
        #expect(health.hasPrefix("HTTP/1.1 200"))
    }
}
