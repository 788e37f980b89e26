/// How many sessions the process's file-descriptor limit can hold. A tcp-mode session needs two
/// (its client and its server socket), a cluster-mode one only its client (the links to the
/// masters are shared by a loop's clients), and the rest of Ferry needs some of its own, so a `maxconn`
/// above what the limit allows would accept clients only to fail their connects with EMFILE.
/// Capped instead (as HAProxy derives its maxconn from the limit), the extra clients wait in
/// the kernel's backlog until a session ends.
///
/// The limit applies to each descriptor table, and each data-plane loop has its own (see
/// `DescriptorTable.isolate`); budgeting as if all were one table still bounds the worst case,
/// every session on one loop.
public struct DescriptorBudget: Equatable, Sendable {
    /// Standard streams, the control loop and its signalfd and mailboxes, VRRP's sockets, reloads.
    static let processReserve = 32
    /// The stats server's own loop and a few connections: more than that many stats clients at
    /// once get EMFILE on their accept (retried by the stats server), never a session its fds.
    static let statsReserve = 8 + 16
    /// Per data-plane loop: epoll, mailbox eventfd, one splice pipe pair.
    static let perLoop = 4

    /// The soft RLIMIT_NOFILE.
    public var limit: Int
    /// Descriptors kept for everything that is not a session.
    public var reserve: Int
    /// Descriptors one session holds.
    public var perSession: Int

    /// `clusterLinks`: in cluster mode, the links each loop may open to each server (RESP2 and
    /// RESP3 ones, times `connections_per_server`); 0 in tcp mode.
    public init(limit: Int, threads: Int, listenAddresses: Int, servers: Int, clusterLinks: Int = 0) {
        self.limit = limit
        // One health-check connection per server at a time.
        reserve = Self.processReserve + Self.statsReserve + servers
            + threads * (Self.perLoop + listenAddresses + servers * clusterLinks)
        perSession = clusterLinks > 0 ? 1 : 2
    }

    /// Sessions that fit in the limit (at least one).
    public var sessions: Int { max(1, (limit - reserve) / perSession) }

    /// The `maxconn` to enforce: the configured one unless the limit cannot hold it.
    public func maxconn(configured: Int) -> Int { min(configured, sessions) }

    /// Descriptors the configured `maxconn` would need.
    public func needed(forMaxconn maxconn: Int) -> Int { reserve + perSession * maxconn }
}
