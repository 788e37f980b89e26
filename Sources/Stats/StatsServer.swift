import Config
import Dispatch
import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Proxy
import ServiceLifecycle
import Synchronization

/// The embedded HTTP server on `stats.listen` (7020): `/stats` (HTML, `;csv`, `;json`),
/// `/metrics`, `/health` and admin POSTs, served by Hummingbird on its own event-loop thread
/// and Swift tasks. It only reads ``Proxy/ProxyMonitor`` snapshots (a copy under a short lock)
/// and queues admin requests through ``Proxy/ProxyControl``: it never blocks a data-plane loop.
///
/// The daemon, which runs on a synchronous control loop, uses ``startInBackground(timeout:)``
/// and ``stop(timeout:)``; async callers use ``start()`` and ``shutdown()``.
public final class StatsServer: Sendable {
    /// Limits that protect the process from slow or hostile stats clients.
    public struct Options: Sendable {
        /// A request (head and body) must arrive within this, or the connection is closed (slowloris).
        public var requestTimeout: Duration = .seconds(10)
        /// Open connections at most; more wait in the kernel's backlog (file descriptors are shared with the proxy).
        public var maxConnections: Int = 128
        /// Reachable without credentials when `stats.auth` is set (load balancers and scrapers).
        public var publicEndpoints: Set<StatsEndpoint> = [.health, .metrics]
        /// Samples of history kept, one per second.
        public var historySeconds: Int = 600

        public init() {}
    }

    /// Why the server could not start.
    public enum Failure: Error, CustomStringConvertible {
        case cannotListen(Endpoint, underlying: String)
        case alreadyStarted
        case stoppedBeforeListening

        public var description: String {
            switch self {
            case .cannotListen(let endpoint, let underlying):
                return "stats server cannot listen on \(endpoint) (stats.listen): \(underlying)"
            case .alreadyStarted: return "stats server already started"
            case .stoppedBeforeListening: return "stats server stopped before it was listening"
            }
        }
    }

    private struct Running: Sendable {
        var group: ServiceGroup?
        var task: Task<Void, any Error>?
        var port: Int?
        /// Set by the first stop: a run that has not registered its group yet must not start.
        var stopping = false
        var eventLoopsShutDown = false
    }

    let source: StatsSource
    let settings: StatsResponder.Settings
    private let proxyAdmin: any ProxyAdmin
    private let listen: Endpoint
    private let options: Options
    private let logger: Logger
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let renderQueue: StatsRenderQueue
    private let rejections: RejectionLog
    private let state = Mutex(Running())

    /// `vrrp` is `nil` until the VRRP speaker exists; the page then says "not configured".
    public convenience init(config: FerryConfig, monitor: ProxyMonitor, control: ProxyControl, version: String,
                            logger: Logger, vrrp: (any VRRPAdmin)? = nil, options: Options = Options()) {
        self.init(config: config, snapshot: { monitor.snapshot() }, admin: control, version: version, logger: logger,
                  vrrp: vrrp, options: options)
    }

    /// The seam for tests: any snapshot source and any admin sink.
    init(config: FerryConfig, snapshot: @escaping @Sendable () -> ProxySnapshot, admin: any ProxyAdmin, version: String,
         logger: Logger, vrrp: (any VRRPAdmin)? = nil, options: Options = Options()) {
        source = StatsSource(proxySnapshot: snapshot, vrrp: vrrp, version: version, configPath: config.path,
                             historyCapacity: options.historySeconds)
        settings = StatsResponder.Settings(
            statsPath: config.stats.path, refresh: config.stats.refresh,
            authenticator: config.stats.auth.map(BasicAuthenticator.init), publicEndpoints: options.publicEndpoints,
            csrf: .random())
        proxyAdmin = admin
        listen = config.stats.listen
        self.options = options
        self.logger = logger
        rejections = RejectionLog(logger: logger)
        // One thread is plenty for a stats page; it is ours, not the data plane's nor NIO's shared
        // singleton, and it runs at nice 10 so that under CPU contention the data plane wins.
        eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = eventLoopGroup.next()
        // On Linux the nice value is per thread, and `who` = 0 names the calling thread.
        loop.execute { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness) }
        renderQueue = StatsRenderQueue(loop: loop)
    }

    /// The stats thread's nice value (the data plane runs at the process's, normally 0).
    static let niceness: Int32 = 10

    /// The bound port once listening (useful with port 0).
    public var port: Int? { state.withLock { $0.port } }

    /// The Hummingbird application; `onRunning` gets the bound port. Internal so tests can drive
    /// it with HummingbirdTesting.
    func makeApplication(onRunning: @escaping @Sendable (Int) -> Void = { _ in })
        -> Application<StatsResponder>
    {
        let responder = StatsResponder(source: source, renderQueue: renderQueue, proxyAdmin: proxyAdmin, settings: settings,
                                       logger: logger, rejections: rejections)
        let timeout = TimeAmount.nanoseconds(Int64(clamping: options.requestTimeout.components.seconds * 1_000_000_000
                                                    + options.requestTimeout.components.attoseconds / 1_000_000_000))
        let counters = source.counters, rejections = rejections
        return Application(
            responder: responder,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [StatsConnectionGuard(requestTimeout: timeout, counters: counters, log: rejections)])),
            configuration: ApplicationConfiguration(
                address: .hostname(listen.host, port: Int(listen.port)), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(options.maxConnections, logger: logger)),
            services: [StatsSampler(source: source)],
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }

    /// Runs until ``shutdown()`` (or the task is cancelled); throws ``Failure/cannotListen(_:underlying:)``
    /// when the port cannot be bound.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let listening = Atomic<Bool>(false)
        let app = makeApplication { [self] port in
            state.withLock { $0.port = port }
            listening.store(true, ordering: .releasing)
            logger.info("stats server listening", metadata: ["listen": "\(listen.host):\(port)"])
            onListening(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let stopped = state.withLock { running in
            if !running.stopping { running.group = group }
            return running.stopping
        }
        guard !stopped else { throw Failure.stoppedBeforeListening }
        do {
            try await group.run()
        } catch {
            if listening.load(ordering: .acquiring) { throw error }
            throw Failure.cannotListen(listen, underlying: Self.describe(error))
        }
    }

    /// Starts serving in the background; returns the bound port once listening.
    @discardableResult
    public func start() async throws -> Int {
        let (stream, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        try launch { continuation.yield($0); continuation.finish() }
        for await result in stream { return try result.get() }
        throw Failure.stoppedBeforeListening
    }

    /// For the synchronous daemon: starts serving on the server's own threads and blocks the
    /// caller until it listens (returns the port) or fails (throws, e.g. port 7020 in use).
    @discardableResult
    public func startInBackground(timeout: Duration = .seconds(10)) throws -> Int {
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        try launch { result in
            outcome.withLock { $0 = result }
            ready.signal()
        }
        guard ready.wait(timeout: .now() + Self.dispatch(timeout)) == .success, let result = outcome.withLock({ $0 }) else {
            stop()
            throw Failure.cannotListen(listen, underlying: "not listening after \(timeout)")
        }
        return try result.get()
    }

    /// Graceful stop: no new connections, in-flight requests finish. Waits for the end. A
    /// server is started once: after this it cannot start again.
    public func shutdown() async {
        let (group, task) = beginStopping()
        await group?.triggerGracefulShutdown()
        if group == nil { task?.cancel() }  // not running yet: nothing graceful to wait for
        _ = await task?.result
        await shutDownEventLoops()
    }

    /// For the synchronous daemon: ``shutdown()``, then cancellation if it takes longer than
    /// `timeout` (a client in the middle of a slow request).
    public func stop(timeout: Duration = .seconds(3)) {
        let (group, task) = beginStopping()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await group?.triggerGracefulShutdown()
            if group == nil { task?.cancel() }
            _ = await task?.result
            done.signal()
        }
        if done.wait(timeout: .now() + Self.dispatch(timeout)) == .timedOut {
            task?.cancel()
            guard done.wait(timeout: .now() + .seconds(5)) == .success else {
                // Still running: shutting its event loop down under it would crash; the process is exiting anyway.
                logger.warning("stats server did not stop in time")
                return
            }
        }
        if claimEventLoopShutdown() { try? eventLoopGroup.syncShutdownGracefully() }
        logger.info("stats server stopped")
    }

    private func beginStopping() -> (ServiceGroup?, Task<Void, any Error>?) {
        state.withLock { running in
            running.stopping = true
            return (running.group, running.task)
        }
    }

    /// Once, and only after the server's task is over (nothing may schedule on a closed loop).
    private func shutDownEventLoops() async {
        if claimEventLoopShutdown() { try? await eventLoopGroup.shutdownGracefully() }
    }

    private func claimEventLoopShutdown() -> Bool {
        state.withLock { running in
            defer { running.eventLoopsShutDown = true }
            return !running.eventLoopsShutDown
        }
    }

    private static func dispatch(_ duration: Duration) -> DispatchTimeInterval {
        .milliseconds(Int(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }

    /// Runs ``run(onListening:)`` in a task of its own; `report` gets the port or the failure, once.
    private func launch(report: @escaping @Sendable (Result<Int, any Error>) -> Void) throws {
        let reported = Atomic<Bool>(false)
        let once: @Sendable (Result<Int, any Error>) -> Void = { result in
            if !reported.exchange(true, ordering: .acquiringAndReleasing) { report(result) }
        }
        try state.withLock { running throws(Failure) in
            guard running.task == nil, !running.stopping else { throw .alreadyStarted }
            running.task = Task.detached { [self] in
                do {
                    try await run { once(.success($0)) }
                    once(.failure(Failure.stoppedBeforeListening))
                } catch {
                    logger.error("stats server stopped: \(error)")
                    once(.failure(error))
                    throw error
                }
            }
        }
    }

    /// NIO's bind errors name the syscall and errno; operators want the errno text.
    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(io.description)" }
        return "\(error)"
    }
}
