/// One client connection and its server connection, stored by value in a ``SessionTable``.
struct RelaySession {
    /// Where the session is; only `.established` relays bytes.
    enum Phase: Equatable {
        /// No server socket: before the first connect, or between a failed one and its retry.
        case waiting
        case connecting
        case established
        /// Answered "no backend available": only waiting for the client to go away.
        case refused
    }

    /// Bumped when the slot is freed, so events for a closed session's fds are recognised as stale.
    var generation: UInt32 = 0
    var client: Int32 = -1
    var server: Int32 = -1
    /// Index of the chosen backend; -1 before the first choice.
    var backend: Int32 = -1
    var attempts: Int32 = 0
    var phase = Phase.waiting
    /// Client → server.
    var up = Flow()
    /// Server → client.
    var down = Flow()
    /// Last progress on each socket (MonotonicClock ns), for the idle and FIN timeouts.
    var clientSeen: UInt64 = 0
    var serverSeen: UInt64 = 0
    var connectStarted: UInt64 = 0

    var inUse: Bool { client >= 0 }
    var halfClosed: Bool { up.sourceClosed || down.sourceClosed }

    /// What the timeouts look at.
    var activity: IdlePolicy.Activity {
        switch phase {
        case .refused: .refused
        case .waiting, .connecting: .connecting(since: connectStarted)
        case .established: .open(halfClosed: halfClosed)
        }
    }
}
