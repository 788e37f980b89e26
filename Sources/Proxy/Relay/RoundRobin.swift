/// Round-robin over the backends that are routable right now.
///
/// Each data-plane loop has its own copy (no shared cursor, no lock); the control loop
/// replaces the list when health checks change it.
struct RoundRobin: Equatable {
    private(set) var routable: [Int32] = []
    private var cursor = 0

    init(routable: [Int32] = []) {
        self.routable = routable
    }

    /// Installs a new routable list, keeping the rotation going rather than restarting at the first server.
    mutating func update(_ servers: [Int32]) {
        routable = servers
        if cursor >= servers.count { cursor = 0 }
    }

    /// The next server in turn, skipping `avoiding` when another server exists (used after a
    /// failed connect, like HAProxy's `redispatch`). Nil when nothing is routable.
    mutating func next(avoiding: Int32 = -1) -> Int32? {
        guard !routable.isEmpty else { return nil }
        for _ in 0..<routable.count {
            let server = routable[cursor]
            cursor = cursor + 1 == routable.count ? 0 : cursor + 1
            if server != avoiding || routable.count == 1 { return server }
        }
        return nil
    }
}
