import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Proxy

/// Answers every request of the stats server: routing, Basic auth, the four renderings,
/// `/health`, and admin POSTs. Pure request → response (plus the admin calls), so it is
/// tested in Hummingbird's router mode without sockets.
struct StatsResponder: HTTPResponder {
    typealias Context = StatsRequestContext

    /// What the responder needs from the configuration.
    struct Settings: Sendable {
        var statsPath: String
        var refresh: Duration
        var authenticator: BasicAuthenticator?
        /// Endpoints that stay reachable without credentials when ``authenticator`` is set.
        var publicEndpoints: Set<StatsEndpoint>
        var csrf: CSRFToken

        var adminPath: String { statsPath == "/" ? "/admin" : statsPath + "/admin" }
    }

    /// An admin POST body larger than this is refused (the forms send well under 200 bytes).
    static let maxAdminBody = 16 * 1024

    let source: StatsSource
    let renderQueue: StatsRenderQueue
    let proxyAdmin: any ProxyAdmin
    let settings: Settings
    let logger: Logger
    /// Refused requests, rate-limited (shared with the connections' guards).
    let rejections: RejectionLog

    func respond(to request: Request, context: Context) async throws -> Response {
        source.counters.increment(.requests)
        let response = try await route(request, context: context)
        return request.method == .head ? response.createHeadResponse() : response
    }

    private func route(_ request: Request, context: Context) async throws -> Response {
        // The request's form first: a traversal attempt or a garbage Host is refused the same
        // with or without credentials, and says nothing about what exists here.
        if let rejection = StatsRequestCheck.rejection(target: request.uri.string, authority: request.head.authority,
                                                       headers: request.headers) {
            source.counters.increment(rejection.counter)
            rejections.log(.info, "stats: request refused, answering \(rejection.status.code)", peer: context.peer,
                           reason: rejection.reason, metadata: ["target": "\(RejectionLog.excerpt(request.uri.string))"])
            return Self.text(rejection.status, "\(rejection.status.reasonPhrase.lowercased()): \(rejection.reason)\n")
        }
        let route = StatsRoute(path: request.uri.path, statsPath: settings.statsPath)
        // Credentials before anything else, so unknown paths and wrong methods reveal nothing.
        var user: String?
        if let authenticator = settings.authenticator, !(route.endpoint.map(settings.publicEndpoints.contains) ?? false) {
            switch authenticator.check(authorization: request.headers[.authorization]) {
            case .authenticated(let name):
                user = name
            case .missing:
                return unauthorized()  // a browser's first request: not worth a line
            case .rejected(let why):
                rejections.log(.warning, "stats: wrong credentials", peer: context.peer, reason: why.rawValue,
                               metadata: ["path": "\(RejectionLog.excerpt(request.uri.path))"])
                return unauthorized()
            }
        }
        if route == .notFound {
            return Self.text(.notFound, "not found\n")
        }
        guard route.allowedMethods.contains(request.method) else {
            var response = Self.text(.methodNotAllowed, "method not allowed\n")
            response.headers[.allow] = route.allowedMethods.map(\.rawValue).joined(separator: ", ")
            return response
        }
        switch route {
        case .page(.html, let refresh):
            return await html(request, refresh: refresh, user: user)
        case .page(.csv, _):
            let text = await renderQueue.run { [source] in CSVRenderer.render(source.snapshot()) }
            return Self.body(text, contentType: "text/plain; charset=utf-8")
        case .page(.json, _):
            let text = await renderQueue.run { [source] in JSONRenderer.render(source.snapshot()) }
            return Self.body(text, contentType: "application/json")
        case .metrics:
            let text = await renderQueue.run { [source] in PrometheusRenderer.render(source.snapshot()) }
            return Self.body(text, contentType: PrometheusRenderer.contentType)
        case .health:
            return health()
        case .admin:
            return try await admin(request, context: context, user: user)
        case .notFound:
            return Self.text(.notFound, "not found\n")
        }
    }

    // MARK: - Endpoints

    private func html(_ request: Request, refresh: Bool, user: String?) async -> Response {
        var options = HTMLPageOptions(statsPath: settings.statsPath, refresh: refresh ? settings.refresh : nil,
                                      configuredRefresh: settings.refresh)
        // Buttons only for an authenticated operator: without stats.auth there is no admin at all.
        if settings.authenticator != nil && user != nil {
            options.admin = .init(actionPath: settings.adminPath, csrfToken: settings.csrf.value)
        }
        let query = AdminRequest.formFields(request.uri.query ?? "")
        let page = await renderQueue.run { [source, options] in
            let snapshot = source.snapshot()
            var options = options
            options.notice = Self.notice(query, snapshot)
            return HTMLRenderer.render(snapshot, options: options)
        }
        var response = Self.body(page, contentType: "text/html; charset=utf-8")
        // No scripts at all; inline CSS and SVG only; forms post back here; no framing (clickjacking).
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[Self.xFrameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }

    /// The page's line after an admin redirect (`?done=drain&server=1`); fixed wording, names from the snapshot.
    private static func notice(_ query: [String: String], _ snapshot: StatsSnapshot) -> String? {
        guard let done = query["done"] else { return nil }
        if let state = AdminState(rawValue: done.uppercased()), let text = query["server"], let index = Int(text),
           snapshot.proxy.backends.indices.contains(index) {
            return "\(state.rawValue) requested for \(snapshot.proxy.backends[index].status.address)."
        }
        if let instance = query["instance"], snapshot.vrrp.contains(where: { $0.name == instance }) {
            switch done {
            case "vrrp-step-down": return "Step-down requested for VRRP instance \(instance)."
            case "vrrp-restore": return "Priority restore requested for VRRP instance \(instance)."
            default: return nil
            }
        }
        return nil
    }

    private func health() -> Response {
        let proxy = source.proxy()
        let routable = proxy.backends.filter(\.status.routable).count
        let ok = routable > 0
        var response = Self.text(ok ? .ok : .serviceUnavailable,
                                 "\(ok ? "UP" : "DOWN") \(routable)/\(proxy.backends.count) servers routable\n")
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func admin(_ request: Request, context: Context, user: String?) async throws -> Response {
        let peer = context.peer ?? "unknown"
        guard settings.authenticator != nil, let user else {
            source.counters.increment(.forbidden)
            rejections.log(.warning, "stats: admin action refused", peer: peer, reason: "stats.auth is not configured")
            return Self.text(.forbidden, "admin actions need stats.auth in the configuration\n")
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return Self.text(.unsupportedMediaType, "expected application/x-www-form-urlencoded\n")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxAdminBody)
        } catch is NIOTooManyBytesError {
            return Self.text(.contentTooLarge, "form too large\n")
        }
        let fields = AdminRequest.formFields(String(buffer: body))
        guard settings.csrf.matches(fields["csrf"]) else {
            source.counters.increment(.forbidden)
            rejections.log(.warning, "stats: admin action refused", peer: peer, reason: "bad CSRF token",
                           metadata: ["user": "\(user)"])
            return Self.text(.forbidden, "bad or missing csrf token: reload the stats page\n")
        }
        let action: AdminRequest
        do {
            action = try AdminRequest(fields: fields)
        } catch {
            return Self.text(.badRequest, "\(error)\n")
        }
        let by = "admin from \(peer)"
        let metadata: Logger.Metadata = ["peer": "\(peer)", "user": "\(user)", "event": "admin_request"]
        var location = settings.statsPath
        switch action {
        case .setServer(let state, let server):
            let backends = source.proxy().backends
            guard backends.indices.contains(server) else { return Self.text(.badRequest, "no server \(server)\n") }
            // The request; the state change itself is the pool's `server_admin` event.
            logger.info("stats: \(user) from \(peer) sets server \(backends[server].status.address) \(state.rawValue)",
                          metadata: metadata.merging(["server": "\(backends[server].status.address)",
                                                      "to": "\(state.rawValue)"]) { $1 })
            proxyAdmin.setAdminState(state, server: server, by: by)
            location += "?done=\(state.rawValue.lowercased())&server=\(server)"
        case .vrrpStepDown(let instance), .vrrpRestore(let instance):
            let stepDown = action == .vrrpStepDown(instance: instance)
            guard let vrrp = source.vrrp else { return Self.text(.notFound, "VRRP is not configured\n") }
            logger.info("stats: \(user) from \(peer) \(stepDown ? "steps down" : "restores") VRRP instance \(instance)",
                          metadata: metadata.merging(["instance": "\(instance)"]) { $1 })
            let known = stepDown ? vrrp.stepDown(instance: instance, by: by) : vrrp.restore(instance: instance, by: by)
            guard known else { return Self.text(.notFound, "no VRRP instance \(instance)\n") }
            let encoded = instance.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            location += "?done=\(stepDown ? "vrrp-step-down" : "vrrp-restore")&instance=\(encoded)"
        }
        source.counters.increment(.adminActions)
        // Post/Redirect/Get: a reload of the page does not repeat the action.
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func unauthorized() -> Response {
        source.counters.increment(.unauthorized)
        var response = Self.text(.unauthorized, "authentication required\n")
        response.headers[.wwwAuthenticate] = BasicAuthenticator.challenge
        return response
    }

    // MARK: - Responses

    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func body(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = body(text, contentType: "text/plain; charset=utf-8")
        response.status = status
        return response
    }
}
