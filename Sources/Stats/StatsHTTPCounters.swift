/// The stats server's own traffic, shown on the page and in `/metrics`: malformed requests and
/// refused ones are counted so an operator sees a scanner or a broken client.
public struct StatsHTTPCounters: Sendable, Equatable {
    /// Requests answered (any status).
    public var requests: UInt64 = 0
    /// Requests rejected as malformed HTTP (answered 400): what the parser refuses (bad request
    /// line, oversized or broken headers, conflicting lengths) and a `Host` that names no host.
    public var malformed: UInt64 = 0
    /// Requests refused for their target (answered 400 or 414): dot segments, encoded `/`, `\`
    /// or NUL, empty segments, an over-long URI or query. Plain unknown paths are 404 and not counted.
    public var rejectedPaths: UInt64 = 0
    /// Connections closed because the request head did not arrive in time (slow clients).
    public var headTimeouts: UInt64 = 0
    /// 401 answers (missing or wrong credentials).
    public var unauthorized: UInt64 = 0
    /// 403 answers (admin refused: no auth configured, bad CSRF token).
    public var forbidden: UInt64 = 0
    /// Admin actions carried out.
    public var adminActions: UInt64 = 0

    public init() {}
}
