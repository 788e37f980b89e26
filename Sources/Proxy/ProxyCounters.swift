/// Client-side counters, in HAProxy's vocabulary (bytes in = from clients).
public struct FrontendCounters: Sendable, Equatable {
    public var sessionsTotal: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Clients answered `-ERR ferry: no backend available`: no server was routable, or the connects
    /// and their retries all failed.
    public var noBackend: UInt64 = 0
    /// Clients answered `-ERR ferry: out of file descriptors, try again`: a connect failed for lack
    /// of local descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), not for the server's sake.
    public var outOfResources: UInt64 = 0
    /// `accept` failures other than "try again" (EMFILE, ENFILE, ...).
    public var acceptErrors: UInt64 = 0
    /// cluster mode: commands received (Ferry's own answers included) and their latencies.
    public var commands: UInt64 = 0
    public var latency = LatencyHistogram()

    public init() {}

    mutating func add(_ other: FrontendCounters) {
        sessionsTotal += other.sessionsTotal
        bytesIn += other.bytesIn
        bytesOut += other.bytesOut
        noBackend += other.noBackend
        outOfResources += other.outOfResources
        acceptErrors += other.acceptErrors
        commands += other.commands
        latency.add(other.latency)
    }

    /// Counts a client refused with a RESP error, on the one counter its reason has.
    mutating func count(_ refusal: Refusal) {
        switch refusal {
        case .noBackend: noBackend += 1
        case .outOfResources: outOfResources += 1
        }
    }
}

/// Per-server counters (bytes in = from clients to this server).
public struct BackendCounters: Sendable, Equatable {
    public var sessionsCurrent = 0
    /// Highest concurrent sessions seen; summed over loops, so an upper bound with several threads.
    public var sessionsMax = 0
    public var sessionsTotal: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var connectErrors: UInt64 = 0
    /// Connects retried on another server after this one failed.
    public var retries: UInt64 = 0
    /// Sessions closed because the server stopped being routable (`on_down: shutdown-sessions`).
    public var sessionsShutDown: UInt64 = 0
    /// Sessions ended by an error on the client socket (reset, broken pipe): HAProxy's `cli_abrt`.
    public var clientAborts: UInt64 = 0
    /// Sessions ended by an error on the server socket: HAProxy's `srv_abrt`.
    public var serverAborts: UInt64 = 0

    public init() {}

    public mutating func add(_ other: BackendCounters) {
        sessionsCurrent += other.sessionsCurrent
        sessionsMax += other.sessionsMax
        sessionsTotal += other.sessionsTotal
        bytesIn += other.bytesIn
        bytesOut += other.bytesOut
        connectErrors += other.connectErrors
        retries += other.retries
        sessionsShutDown += other.sessionsShutDown
        clientAborts += other.clientAborts
        serverAborts += other.serverAborts
    }
}

/// What one data-plane loop has counted; loops publish it periodically, readers sum them.
public struct WorkerCounters: Sendable, Equatable {
    public var frontend = FrontendCounters()
    public var backends: [BackendCounters]
    /// Relay blocks held by sessions waiting on a slow receiver (memory = blocks × 64 KiB).
    public var pendingBlocks = 0
    /// Pipes held by large transfers being spliced.
    public var splicePipes = 0
    /// cluster mode: per master (`host:port`).
    public var masters: [String: MasterCounters] = [:]

    public init(backendCount: Int) {
        backends = Array(repeating: BackendCounters(), count: backendCount)
    }

    mutating func add(_ other: WorkerCounters) {
        frontend.add(other.frontend)
        for index in backends.indices where index < other.backends.count {
            backends[index].add(other.backends[index])
        }
        pendingBlocks += other.pendingBlocks
        splicePipes += other.splicePipes
        for (name, counters) in other.masters { masters[name, default: MasterCounters()].add(counters) }
    }
}
