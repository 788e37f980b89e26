import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Proxy
@testable import Stats

/// The endpoints through Hummingbird's testing support, in router mode (no sockets) and live
/// mode (a real server on a loopback port).
@Suite struct StatsHTTPTests {
    enum Mode: String, CaseIterable, Sendable { case router, live }

    static func setup(_ mode: Mode) -> TestingSetup { mode == .router ? .router : .live }

    static func headers(auth: Bool, _ more: HTTPFields = [:]) -> HTTPFields {
        var headers = more
        if auth { headers[.authorization] = TestServer.basic }
        return headers
    }

    @Test(arguments: Mode.allCases, [
        ("/stats", "text/html; charset=utf-8", "<!DOCTYPE html>"),
        ("/stats;norefresh", "text/html; charset=utf-8", "<!DOCTYPE html>"),
        ("/stats;csv", "text/plain; charset=utf-8", "# pxname,svname,"),
        ("/stats;json", "application/json", "{\"backends\""),
        ("/metrics", "text/plain; version=0.0.4; charset=utf-8", "# HELP ferry_info"),
        ("/health", "text/plain; charset=utf-8", "UP "),
    ])
    func everyEndpointAnswers(mode: Mode, endpoint: (path: String, type: String, start: String)) async throws {
        let server = TestServer.make(auth: false)
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let response = try await client.execute(uri: endpoint.path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == endpoint.type)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(String(buffer: response.body).hasPrefix(endpoint.start))
            let head = try await client.execute(uri: endpoint.path, method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test(arguments: Mode.allCases, ["/", "/nope", "/stats;xml", "/stats/", "/favicon.ico", "/metrics/x", "/stats;csv;json"])
    func unknownPathsAre404(mode: Mode, path: String) async throws {
        try await TestServer.make(auth: false).makeApplication().test(Self.setup(mode)) { client in
            let status1 = try await client.execute(uri: path, method: .get).status
            #expect(status1 == .notFound)
        }
    }

    @Test(arguments: Mode.allCases, [
        ("/stats", HTTPRequest.Method.post, "GET, HEAD"), ("/stats;csv", .delete, "GET, HEAD"),
        ("/metrics", .put, "GET, HEAD"), ("/health", .post, "GET, HEAD"), ("/stats/admin", .get, "POST"),
    ])
    func wrongMethodsAre405(mode: Mode, request: (path: String, method: HTTPRequest.Method, allow: String)) async throws {
        try await TestServer.make(auth: true).makeApplication().test(Self.setup(mode)) { client in
            let response = try await client.execute(uri: request.path, method: request.method, headers: Self.headers(auth: true))
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == request.allow)
        }
    }

    /// With `stats.auth`, everything but /health and /metrics needs credentials, even unknown paths.
    @Test(arguments: Mode.allCases, [
        ("/stats", true), ("/stats;csv", true), ("/stats;json", true), ("/stats/admin", true), ("/nope", true),
        ("/metrics", false), ("/health", false),
    ])
    func authProtectsAllButHealthAndMetrics(mode: Mode, path: (String, protected: Bool)) async throws {
        try await TestServer.make(auth: true).makeApplication().test(Self.setup(mode)) { client in
            let method: HTTPRequest.Method = path.0.hasSuffix("/admin") ? .post : .get
            let anonymous = try await client.execute(uri: path.0, method: method)
            #expect((anonymous.status == .unauthorized) == path.protected)
            if path.protected {
                #expect(anonymous.headers[.wwwAuthenticate] == "Basic realm=\"Ferry stats\", charset=\"UTF-8\"")
            }
            var wrong = HTTPFields()
            wrong[.authorization] = "Basic " + Data("admin:nope".utf8).base64EncodedString()
            #expect((try await client.execute(uri: path.0, method: method, headers: wrong).status == .unauthorized) == path.protected)
            let authorized = try await client.execute(uri: path.0, method: method, headers: Self.headers(auth: true))
            #expect(authorized.status != .unauthorized)
        }
    }

    @Test(arguments: Mode.allCases)
    func metricsCanBeProtectedToo(mode: Mode) async throws {
        var options = StatsServer.Options()
        options.publicEndpoints = [.health]
        try await TestServer.make(auth: true, options: options).makeApplication().test(Self.setup(mode)) { client in
            let status2 = try await client.execute(uri: "/metrics", method: .get).status
            #expect(status2 == .unauthorized)
            let status3 = try await client.execute(uri: "/health", method: .get).status
            #expect(status3 == .ok)
        }
    }

    @Test(arguments: Mode.allCases, [true, false])
    func healthFollowsRoutability(mode: Mode, routable: Bool) async throws {
        let statuses = [Fixtures.status("127.0.0.1:7001", routable: routable), Fixtures.status("127.0.0.1:7002", routable: false)]
        try await TestServer.make(auth: false, statuses: statuses).makeApplication().test(Self.setup(mode)) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == (routable ? .ok : .serviceUnavailable))
            #expect(String(buffer: response.body) == (routable ? "UP 1/2 servers routable\n" : "DOWN 0/2 servers routable\n"))
        }
    }

    @Test(arguments: Mode.allCases)
    func pageHeadersForbidScriptsAndFraming(mode: Mode) async throws {
        try await TestServer.make(auth: false).makeApplication().test(Self.setup(mode)) { client in
            let response = try await client.execute(uri: "/stats", method: .get)
            let csp = try #require(response.headers[.contentSecurityPolicy])
            #expect(csp.contains("default-src 'none'"))
            #expect(!csp.contains("script-src"))
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            let page = String(buffer: response.body)
            #expect(page.contains("<meta http-equiv=\"refresh\" content=\"3;url=/stats\">"))
            #expect(page.contains("version = 9.9.9"))
            #expect(page.contains("config = <code>/etc/ferry/test.yaml</code>"))
        }
    }

    // MARK: - Admin

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = headers(auth: true, [.contentType: "application/x-www-form-urlencoded"])

    @Test(arguments: Mode.allCases)
    func adminIsRefusedWithoutStatsAuthAndThePageHasNoButtons(mode: Mode) async throws {
        let admin = RecordingProxyAdmin()
        let server = TestServer.make(auth: false, admin: admin)
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let page = String(buffer: try await client.execute(uri: "/stats", method: .get).body)
            #expect(!page.contains("<form"))
            let response = try await client.execute(
                uri: "/stats/admin", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: Self.form(["action": "drain", "server": "0", "csrf": server.settings.csrf.value]))
            #expect(response.status == .forbidden)
        }
        #expect(admin.calls.isEmpty)
        #expect(server.source.counters.values.forbidden == 1)
    }

    @Test(arguments: Mode.allCases, AdminState.allCases)
    func adminSetsAServerAndRedirectsBack(mode: Mode, state: AdminState) async throws {
        let admin = RecordingProxyAdmin()
        let server = TestServer.make(auth: true, admin: admin)
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let page = String(buffer: try await client.execute(uri: "/stats", method: .get, headers: Self.headers(auth: true)).body)
            // The token the page embeds is the one the server accepts.
            let token = try #require(page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(64))
            let response = try await client.execute(
                uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                body: Self.form(["action": state.rawValue.lowercased(), "server": "3", "csrf": String(token)]))
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location == "/stats?done=\(state.rawValue.lowercased())&server=3")
            let after = String(buffer: try await client.execute(uri: location, method: .get, headers: Self.headers(auth: true)).body)
            #expect(after.contains("\(state.rawValue) requested for 127.0.0.1:7004."))
        }
        #expect(admin.calls.count == 1)
        #expect(admin.calls.first?.state == state)
        #expect(admin.calls.first?.server == 3)
        #expect(admin.calls.first?.by.hasPrefix("admin from ") == true)
        #expect(server.source.counters.values.adminActions == 1)
    }

    @Test(arguments: Mode.allCases, [
        (["action": "drain", "server": "0"], HTTPResponse.Status.forbidden),                 // no token
        (["action": "drain", "server": "0", "csrf": "00"], .forbidden),                     // wrong token
        (["action": "drain", "server": "99", "csrf": "TOKEN"], .badRequest),                // no such server
        (["action": "explode", "server": "0", "csrf": "TOKEN"], .badRequest),
        (["action": "vrrp-step-down", "instance": "redis-vip", "csrf": "TOKEN"], .notFound),  // no VRRP
    ])
    func badAdminRequestsChangeNothing(mode: Mode, request: ([String: String], HTTPResponse.Status)) async throws {
        let admin = RecordingProxyAdmin()
        let server = TestServer.make(auth: true, admin: admin)
        var form = request.0
        if form["csrf"] == "TOKEN" { form["csrf"] = server.settings.csrf.value }
        let fields = form
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let response = try await client.execute(uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                                                    body: Self.form(fields))
            #expect(response.status == request.1)
        }
        #expect(admin.calls.isEmpty)
    }

    @Test(arguments: Mode.allCases)
    func adminRefusesOtherContentTypesAndHugeForms(mode: Mode) async throws {
        let admin = RecordingProxyAdmin()
        let server = TestServer.make(auth: true, admin: admin)
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let json = try await client.execute(uri: "/stats/admin", method: .post,
                                                headers: Self.headers(auth: true, [.contentType: "application/json"]),
                                                body: ByteBuffer(string: "{}"))
            #expect(json.status == .unsupportedMediaType)
            let huge = try await client.execute(uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                                                body: ByteBuffer(string: "action=drain&pad=" + String(repeating: "x", count: 20_000)))
            #expect(huge.status == .contentTooLarge)
        }
        #expect(admin.calls.isEmpty)
    }

    @Test(arguments: Mode.allCases)
    func vrrpStepDownAndRestore(mode: Mode) async throws {
        let vrrp = FakeVRRP([Fixtures.vrrp(name: "redis vip")])
        let server = TestServer.make(auth: true, vrrp: vrrp)
        let token = server.settings.csrf.value
        try await server.makeApplication().test(Self.setup(mode)) { client in
            let page = String(buffer: try await client.execute(uri: "/stats", method: .get, headers: Self.headers(auth: true)).body)
            #expect(page.contains("value=\"vrrp-step-down\""))
            let down = try await client.execute(uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                                                body: Self.form(["action": "vrrp-step-down", "instance": "redis+vip", "csrf": token]))
            #expect(down.status == .seeOther)
            #expect(down.headers[.location] == "/stats?done=vrrp-step-down&instance=redis%20vip")
            let after = String(buffer: try await client.execute(uri: down.headers[.location]!, method: .get,
                                                                headers: Self.headers(auth: true)).body)
            #expect(after.contains("Step-down requested for VRRP instance redis vip."))
            #expect(after.contains("value=\"vrrp-restore\""))
            let restore = try await client.execute(uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                                                   body: Self.form(["action": "vrrp-restore", "instance": "redis%20vip", "csrf": token]))
            #expect(restore.status == .seeOther)
            let unknown = try await client.execute(uri: "/stats/admin", method: .post, headers: Self.formHeaders,
                                                   body: Self.form(["action": "vrrp-restore", "instance": "other", "csrf": token]))
            #expect(unknown.status == .notFound)
        }
        #expect(vrrp.actions.count == 2)
        #expect(vrrp.actions.first?.hasPrefix("step-down redis vip by admin from ") == true)
        #expect(vrrp.actions.last?.hasPrefix("restore redis vip by admin from ") == true)
    }

    @Test(arguments: Mode.allCases)
    func aConfiguredPathMovesEverything(mode: Mode) async throws {
        try await TestServer.make(auth: false, path: "/lb").makeApplication().test(Self.setup(mode)) { client in
            let status4 = try await client.execute(uri: "/lb;csv", method: .get).status
            #expect(status4 == .ok)
            let status5 = try await client.execute(uri: "/stats", method: .get).status
            #expect(status5 == .notFound)
            let page = String(buffer: try await client.execute(uri: "/lb", method: .get).body)
            #expect(page.contains("href=\"/lb;json\""))
        }
    }
}
