/// An operator's override of a server, as on HAProxy's stats page.
public enum AdminState: String, Sendable, Equatable, CaseIterable {
    /// Follows its health checks.
    case ready = "READY"
    /// No new sessions; established ones stay until they end.
    case drain = "DRAIN"
    /// No new sessions, and established ones are closed.
    case maint = "MAINT"
}
