/// When a session has waited too long, from `proxy.timeouts` (nanoseconds, 0 = none): a pure rule,
/// shared by both engines and tested without sockets or sleeps.
struct IdlePolicy: Sendable, Equatable {
    /// What a session is doing, as far as timeouts care.
    enum Activity: Equatable {
        /// Answered with an error, waiting for the client to read it and go.
        case refused
        /// Connecting to a server since the given time.
        case connecting(since: UInt64)
        /// Relaying; `halfClosed` once either side has sent its FIN.
        case open(halfClosed: Bool)
    }

    /// Why a session is closed (or its connect failed).
    enum Expiry: String, Equatable, Sendable {
        case refusedLingered = "refused client lingered"
        case connectTimeout = "connect timeout"
        case clientIdle = "client idle timeout"
        case serverIdle = "server idle timeout"
        case clientFin = "client-fin timeout"
    }

    /// How long a refused client may keep its connection open while we wait for it to read the error.
    static let refusedLinger: UInt64 = 2_000_000_000

    var connect: UInt64 = 0
    var clientIdle: UInt64 = 0
    var serverIdle: UInt64 = 0
    var clientFin: UInt64 = 0

    /// The first timeout that has passed at `now`, or nil. `clientSeen`/`serverSeen`: the last
    /// progress on each socket.
    func expiry(_ activity: Activity, clientSeen: UInt64, serverSeen: UInt64, now: UInt64) -> Expiry? {
        switch activity {
        case .refused:
            return now &- clientSeen > Self.refusedLinger ? .refusedLingered : nil
        case .connecting(let since):
            return connect > 0 && now &- since > connect ? .connectTimeout : nil
        case .open(let halfClosed):
            if clientIdle > 0 && now &- clientSeen > clientIdle { return .clientIdle }
            if serverIdle > 0 && now &- serverSeen > serverIdle { return .serverIdle }
            if halfClosed && clientFin > 0 && now &- max(clientSeen, serverSeen) > clientFin { return .clientFin }
            return nil
        }
    }
}
