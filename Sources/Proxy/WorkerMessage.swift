/// What the control loop tells a data-plane loop.
enum WorkerMessage: Sendable {
    /// The backends new connections may use, in rotation order.
    case routes([Int32])
    /// Close every session on this backend (it went down or stopped being selectable).
    case shutDownSessions(backend: Int32)
    /// Graceful shutdown, step 1: close the listeners, keep the sessions.
    case stopAccepting
    /// Graceful shutdown, step 2: close every session and leave the loop.
    case stop
}
