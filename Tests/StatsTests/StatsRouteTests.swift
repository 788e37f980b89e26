import Testing

@testable import Stats

/// Paths to routes, with HAProxy's `;csv` / `;json` / `;norefresh` options.
@Suite struct StatsRouteTests {
    @Test(arguments: [
        ("/stats", "/stats", StatsRoute.page(.html, refresh: true)),
        ("/stats;norefresh", "/stats", .page(.html, refresh: false)),
        ("/stats;csv", "/stats", .page(.csv, refresh: true)),
        ("/stats;csv;norefresh", "/stats", .page(.csv, refresh: false)),
        ("/stats;json", "/stats", .page(.json, refresh: true)),
        ("/stats;csv;json", "/stats", .notFound),
        ("/stats;xml", "/stats", .notFound),
        ("/stats;", "/stats", .notFound),
        ("/stats/", "/stats", .notFound),
        ("/statsx", "/stats", .notFound),
        ("/stats/admin", "/stats", .admin),
        ("/metrics", "/stats", .metrics),
        ("/health", "/stats", .health),
        ("/", "/stats", .notFound),
        ("/favicon.ico", "/stats", .notFound),
        ("/lb", "/lb", .page(.html, refresh: true)),
        ("/lb;json", "/lb", .page(.json, refresh: true)),
        ("/lb/admin", "/lb", .admin),
        ("/stats", "/lb", .notFound),
        ("/", "/", .page(.html, refresh: true)),
        ("/admin", "/", .admin),
        ("/;csv", "/", .page(.csv, refresh: true)),
    ])
    func resolves(path: String, statsPath: String, route: StatsRoute) {
        #expect(StatsRoute(path: path, statsPath: statsPath) == route)
    }

    @Test func methods() {
        #expect(StatsRoute.admin.allowedMethods == [.post])
        #expect(StatsRoute.metrics.allowedMethods == [.get, .head])
        #expect(StatsRoute.page(.csv, refresh: true).allowedMethods == [.get, .head])
        #expect(StatsRoute.notFound.allowedMethods.isEmpty)
    }
}
