/// What the control loop tells a data-plane loop.
enum WorkerMessage: Sendable {
    /// The backends new connections may use, in rotation order.
    case routes([Int32])
    /// Close every session on this backend (it went down or stopped being selectable).
    case shutDownSessions(backend: Int32)
    /// A configuration reload: new servers and settings. `remap[old]` is each old backend's new
    /// index (the last entry, and removed servers, map to the retired slot at `backends.count`),
    /// so sessions and counters carry over.
    case reconfigure(RelaySettings, remap: [Int32], routes: [Int32])
    /// cluster mode: a new slot map and command table.
    case clusterView(ClusterView)
    /// cluster mode: the servers (`host:port`) the checks show DOWN; nothing is sent to them.
    case failedServers(Set<String>)
    /// Graceful shutdown, step 1: close the listeners, keep the sessions.
    case stopAccepting
    /// Graceful shutdown, step 2: close every session and leave the loop.
    case stop
}
