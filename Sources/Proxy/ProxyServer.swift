import Cluster
import Config
import Dispatch
import EventLoop
import Glibc
import Logging
import Synchronization

/// The proxy as a whole: N data-plane loops on their own threads, plus the backend pool and
/// health checks on the caller's control loop.
///
/// Create and use it on the control loop's thread; read ``monitor`` from anywhere.
public final class ProxyServer {
    /// Thread-safe read access to the proxy's state.
    public let monitor: ProxyMonitor
    /// Thread-safe admin requests (READY / DRAIN / MAINT), applied on the control loop.
    public let control: ProxyControl
    private var config: FerryConfig
    private let controlLoop: EpollLoop
    private let logger: Logger
    private let limiter: ConnectionLimiter
    private let descriptors: DescriptorBudget
    private var pool: BackendPool!
    private var checker: HealthChecker!
    private var mailboxes: [Mailbox<WorkerMessage>] = []
    private var threads: [LoopThread] = []
    /// This table's references to the listeners of loops with their own table (closed at shutdown).
    private var listenerCopies: [Int32] = []
    private let threadCount: Int
    /// cluster mode: the slot map and command table, kept fresh on their own thread.
    private var refresher: TopologyRefresher?
    private var refresherThread: LoopThread?
    private var discovery: NodeDiscovery?
    /// cluster mode: nodes the slot map names beyond `backends.servers`, checked like them; a
    /// node that leaves the map (`redis-cli --cluster del-node`) leaves this list and the checks.
    private var discovered: [Endpoint] = []
    /// `backends.servers` as the file says (``config`` holds the discovered nodes too).
    private var configuredServers: [Endpoint]
    public private(set) var listenAddresses: [SocketAddress] = []

    public init(config: FerryConfig, controlLoop: EpollLoop, logger: Logger) throws(SystemError) {
        self.config = config
        configuredServers = config.backends.servers
        self.controlLoop = controlLoop
        self.logger = logger
        threadCount = config.proxy.threads > 0 ? config.proxy.threads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        descriptors = DescriptorBudget(limit: Self.raiseDescriptorLimit(), threads: threadCount,
                                       listenAddresses: config.proxy.listen.count, servers: config.backends.servers.count,
                                       clusterLinks: config.proxy.mode == .cluster ? 2 * config.cluster.connectionsPerServer : 0)
        limiter = ConnectionLimiter(limit: descriptors.maxconn(configured: config.proxy.maxconn))
        let stats = (0..<threadCount).map { _ in WorkerStats(backendCount: config.backends.servers.count) }
        control = try ProxyControl()
        monitor = ProxyMonitor(limiter: limiter, workers: stats, statuses: BackendPool.initialStatuses(config),
                               clusterMode: config.proxy.mode == .cluster)
        warnIfCapped(config.proxy.maxconn)
    }

    /// Raises the soft file-descriptor limit to the hard one (as HAProxy does) and returns it.
    private static func raiseDescriptorLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = min(limits.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return Int(clamping: limits.rlim_cur)
    }

    private func warnIfCapped(_ configured: Int) {
        let enforced = descriptors.maxconn(configured: configured)
        guard enforced < configured else { return }
        logger.warning(
            "proxy.maxconn \(configured) needs \(descriptors.needed(forMaxconn: configured)) file descriptors but the limit is \(descriptors.limit) (ulimit -n, LimitNOFILE): using maxconn \(enforced); more clients wait in the backlog",
            metadata: ["event": "maxconn_capped", "configured": .stringConvertible(configured),
                       "enforced": .stringConvertible(enforced), "descriptor_limit": .stringConvertible(descriptors.limit)])
    }

    /// Binds the listeners (one per loop and address, SO_REUSEPORT), starts the loops and the health checks.
    public func start() throws(SystemError) {
        let backends = try Self.addresses(of: config.backends.servers)
        var listenFDs: [[Int32]] = []
        do throws(SystemError) {
            for _ in 0..<threadCount {
                var fds: [Int32] = []
                for endpoint in config.proxy.listen {
                    guard let address = SocketAddress(host: endpoint.host, port: endpoint.port) else {
                        throw SystemError("address \(endpoint)", errno: EINVAL)
                    }
                    // Port 0 (tests): the first socket picks a port and the others join it.
                    let bound = listenAddresses.count == config.proxy.listen.count
                        ? listenAddresses[fds.count] : address
                    let fd = try TCPSocket.listen(on: bound)
                    fds.append(fd)
                    if listenAddresses.count < config.proxy.listen.count {
                        listenAddresses.append(TCPSocket.localAddress(fd) ?? address)
                    }
                }
                listenFDs.append(fds)
            }
        } catch {
            for fd in listenFDs.joined() { close(fd) }
            throw error
        }

        mailboxes = try (0..<threadCount).map { _ throws(SystemError) in try Mailbox<WorkerMessage>() }
        pool = try BackendPool(
            config: config, monitor: monitor, control: control, loop: controlLoop, logger: logger,
            publishRoutes: { [mailboxes, unowned self] routes in
                for mailbox in mailboxes { mailbox.send(.routes(routes)) }
                guard let refresher else { return }
                // A server went DOWN or changed role: its slots may have moved, and it gets nothing meanwhile.
                let failed = pool.failedServers
                for mailbox in mailboxes { mailbox.send(.failedServers(failed)) }
                refresher.serversFailed(failed)
            },
            shutDownSessions: { [mailboxes] server in for mailbox in mailboxes { mailbox.send(.shutDownSessions(backend: server)) } })

        if config.proxy.mode == .cluster {
            let discovery = try NodeDiscovery(loop: controlLoop) { [unowned self] nodes in adopt(discovered: nodes) }
            self.discovery = discovery
            let topology = TopologyRefresher(
                seeds: backends, interval: config.cluster.refresh, timeout: config.proxy.timeouts.connect ?? .seconds(2),
                credentials: config.backends.auth, logger: logger
            ) { [mailboxes, monitor, discoveries = discovery.mailbox] view in
                monitor.slotMap.withLock { $0 = SlotMapSummary(view) }
                for mailbox in mailboxes { mailbox.send(.clusterView(view)) }
                discoveries.send(NodeDiscovery.endpoints(of: view.slotMap))
            }
            refresher = topology
            refresherThread = topology.start()
        }
        let isolation = IsolationReports(count: threadCount)
        for index in 0..<threadCount {
            let settings = Self.relaySettings(config, backends: backends)
            let mailbox = mailboxes[index], limiter = limiter, stats = monitor.workers[index], logger = logger
            let listeners = listenFDs[index], counters = RelayEngine.counters(backendCount: backends.count)
            let mode = config.proxy.mode, clusterSettings = Self.clusterSettings(config)
            let refresher = self.refresher
            let keep = [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, mailbox.wakeFD] + listenFDs[index]
            threads.append(LoopThread(name: "ferry-proxy-\(index)") {
                do {
                    try DescriptorTable.isolate(keeping: keep)
                    isolation.report(index, isolated: true)
                } catch {
                    logger.notice("data-plane loop \(index) shares the descriptor table: \(error)")
                    isolation.report(index, isolated: false)
                }
                do {
                    let loop = try EpollLoop(precise: false)
                    // The engine is picked here, once: the loop is generic over it, so nothing on the
                    // hot path asks which mode it is in.
                    switch mode {
                    case .tcp:
                        let dataPlane = try DataPlaneLoop(
                            loop: loop, mailbox: mailbox, limiter: limiter, stats: stats, listenFDs: listeners,
                            counters: counters, logger: logger) { context in
                            RelayEngine(context: context, settings: settings, routes: [])
                        }
                        withExtendedLifetime(dataPlane) { loop.run() }
                    case .cluster:
                        let dataPlane = try DataPlaneLoop(
                            loop: loop, mailbox: mailbox, limiter: limiter, stats: stats, listenFDs: listeners,
                            counters: counters, logger: logger) { context in
                            ClusterEngine(context: context, settings: clusterSettings, view: refresher?.view,
                                          requestRefresh: { refresher?.refreshNow() })
                        }
                        withExtendedLifetime(dataPlane) { loop.run() }
                    }
                } catch {
                    logger.critical("data-plane loop \(index) cannot start: \(error)")
                    exit(1)
                }
            })
        }
        // A loop with its own table holds its own reference to its listeners. This table keeps one
        // too, so `ss -ltnp` still names Ferry; shutdown() closes it with the loop's stop-accepting
        // (and must not for a loop that shares this table: hence the wait for every answer).
        for (index, isolated) in isolation.wait().enumerated() where isolated {
            listenerCopies += listenFDs[index]
        }
        checker = HealthChecker(loop: controlLoop, servers: backends, config: config.health) { [unowned self] server, result in
            pool.record(server: server, result: result)
        }
        checker.start()
        logger.info("proxy listening", metadata: [
            "listen": "\(listenAddresses.map(\.description).joined(separator: ", "))",
            "threads": "\(threadCount)", "servers": "\(config.backends.servers.count)",
        ])
    }

    /// Each data-plane thread's answer to "do you have your own descriptor table?", awaited by start().
    private final class IsolationReports: Sendable {
        private let answers: Mutex<[Bool]>
        private let answered = DispatchSemaphore(value: 0)

        init(count: Int) { answers = Mutex(Array(repeating: false, count: count)) }

        func report(_ index: Int, isolated: Bool) {
            answers.withLock { $0[index] = isolated }
            answered.signal()
        }

        func wait() -> [Bool] {
            for _ in 0..<answers.withLock({ $0.count }) { answered.wait() }
            return answers.withLock { $0 }
        }
    }

    private static func addresses(of endpoints: [Endpoint]) throws(SystemError) -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for endpoint in endpoints {
            guard let address = SocketAddress(host: endpoint.host, port: endpoint.port) else {
                throw SystemError("address \(endpoint)", errno: EINVAL)
            }
            addresses.append(address)
        }
        return addresses
    }

    private static func relaySettings(_ config: FerryConfig, backends: [SocketAddress]) -> RelaySettings {
        RelaySettings(backends: backends, retries: config.backends.retries, timeouts: idlePolicy(config.proxy.timeouts))
    }

    private static func clusterSettings(_ config: FerryConfig) -> ClusterSettings {
        let users = config.proxy.auth.map {
            ClientAuthenticator.User(name: $0.username.map { Array($0.utf8) } ?? ClientAuthenticator.defaultUserName, password: Array($0.password.utf8))
        }
        return ClusterSettings(timeouts: idlePolicy(config.proxy.timeouts), authenticator: ClientAuthenticator(users: users),
                               hold: config.cluster.hold.nanoseconds, connectionsPerServer: config.cluster.connectionsPerServer,
                               credentials: config.backends.auth)
    }

    private static func idlePolicy(_ timeouts: Timeouts) -> IdlePolicy {
        IdlePolicy(connect: timeouts.connect?.nanoseconds ?? 0, clientIdle: timeouts.clientIdle?.nanoseconds ?? 0,
                   serverIdle: timeouts.serverIdle?.nanoseconds ?? 0, clientFin: timeouts.clientFin?.nanoseconds ?? 0)
    }

    /// Applies a new configuration (SIGHUP) without dropping sessions or resetting counters:
    /// servers added or removed, check parameters, timeouts, retries, maxconn, select, on_down.
    /// Returns what it could not apply (listeners, threads), which needs a restart.
    public func reload(_ new: FerryConfig) throws(SystemError) -> [String] {
        configuredServers = new.backends.servers
        return try apply(new)
    }

    /// Applies `new` with the discovered nodes added (they stay checked whatever the file says).
    private func apply(_ new: FerryConfig) throws(SystemError) -> [String] {
        var new = new
        new.backends.servers += discovered.filter { !new.backends.servers.contains($0) }
        var notApplied: [String] = []
        if new.proxy.listen != config.proxy.listen { notApplied.append("proxy.listen") }
        if new.proxy.threads != config.proxy.threads { notApplied.append("proxy.threads") }
        let backends = try Self.addresses(of: new.backends.servers)
        // Old index → new index; removed servers (and the retired slot) → the new retired slot.
        let oldServers = config.backends.servers
        let retired = new.backends.servers.count
        let remap = oldServers.map { new.backends.servers.firstIndex(of: $0) ?? retired } + [retired]
        limiter.limit = descriptors.maxconn(configured: new.proxy.maxconn)
        warnIfCapped(new.proxy.maxconn)
        pool.reconfigure(new, remap: Array(remap.dropLast()))
        let routes = pool.routable
        let settings = Self.relaySettings(new, backends: backends)
        for mailbox in mailboxes {
            mailbox.send(.reconfigure(settings, remap: remap.map(Int32.init), routes: routes))
        }
        checker.reconfigure(servers: backends, config: new.health)
        // The daemon logs the one `config_reloaded` event, with what changed.
        let listen = config.proxy.listen, threads = config.proxy.threads
        config = new
        config.proxy.listen = listen  // what is actually bound
        config.proxy.threads = threads
        return notApplied
    }

    /// cluster mode: checks the nodes of a new slot map that are not configured, and stops
    /// checking those it no longer names.
    private func adopt(discovered nodes: [Endpoint]) {
        let wanted = nodes.filter { !configuredServers.contains($0) }
        guard wanted != discovered else { return }
        let added = wanted.filter { !discovered.contains($0) }, removed = discovered.filter { !wanted.contains($0) }
        discovered = wanted
        if !added.isEmpty {
            logger.notice("checking \(added.count) nodes the cluster named", metadata: [
                "event": "nodes_discovered", "servers": "\(added.map(\.description).joined(separator: ", "))",
            ])
        }
        if !removed.isEmpty {
            logger.notice("no longer checking \(removed.count) nodes the cluster stopped naming", metadata: [
                "event": "nodes_forgotten", "servers": "\(removed.map(\.description).joined(separator: ", "))",
            ])
        }
        var new = config
        new.backends.servers = configuredServers
        do {
            _ = try apply(new)
        } catch {
            logger.warning("cannot check discovered nodes: \(error)")
        }
    }

    /// Graceful stop: close the listeners at once, let sessions finish for up to `grace`, then
    /// close the rest, join the loops and call `completion` on the control loop.
    public func shutdown(grace: Duration, completion: @escaping () -> Void) {
        for mailbox in mailboxes { mailbox.send(.stopAccepting) }
        for fd in listenerCopies { close(fd) }
        listenerCopies.removeAll()
        let deadline = MonotonicClock.now() &+ grace.nanoseconds
        logger.info("stopped accepting; waiting for \(limiter.count) sessions (grace \(grace))")
        func poll() {
            if limiter.count == 0 || MonotonicClock.now() >= deadline {
                if limiter.count > 0 { logger.notice("grace period over, closing \(limiter.count) sessions") }
                checker?.stop()
                refresher?.stop()
                refresherThread?.join()
                for mailbox in mailboxes { mailbox.send(.stop) }
                for thread in threads { thread.join() }
                threads.removeAll()
                completion()
            } else {
                controlLoop.schedule(after: .milliseconds(50)) { poll() }
            }
        }
        poll()
    }
}
