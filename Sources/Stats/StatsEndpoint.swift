/// The stats server's endpoints, for the auth policy (which ones stay public under `stats.auth`).
public enum StatsEndpoint: String, Sendable, Hashable, CaseIterable {
    /// `/stats` in every format.
    case page
    case metrics
    case health
    /// POST `/stats/admin`.
    case admin
}
