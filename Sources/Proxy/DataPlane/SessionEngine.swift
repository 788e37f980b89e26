import EventLoop
import Logging

/// The protocol side of a data-plane loop's sessions: the byte relay (``RelayEngine``), or
/// cluster mode. The loop (``DataPlaneLoop``) accepts, enforces maxconn, sweeps and publishes;
/// the engine owns each client from the moment it is accepted.
protocol SessionEngine: AnyObject {
    /// Takes over an accepted client socket (its maxconn slot is already reserved).
    func start(client fd: Int32)
    /// A readiness event for one of the engine's own registrations (kinds from ``TokenKind/client`` on).
    func handle(_ token: EpollToken, events: UInt32)
    /// A control-loop message that is not the loop's own (stop, stop accepting).
    func handle(_ message: WorkerMessage)
    /// Every sweep (100 ms): time out what has waited too long.
    func sweep(now: UInt64)
    /// Closes every session (the last step of a stop).
    func closeAll()
    /// Just before the loop publishes the counters: fill in the engine's own gauges.
    func willPublish(_ counters: inout WorkerCounters)
}

/// What the kinds of a data-plane loop's registrations are, in their ``EpollToken``.
enum TokenKind {
    static let listener: UInt8 = 0
    static let mailbox: UInt8 = 1
    static let client: UInt8 = 2
    static let server: UInt8 = 3
    static let backendLink: UInt8 = 4
}

/// What a loop shares with its engine: the epoll loop and its registrations, the scratch
/// buffers, the counters, and the maxconn slot that a closed session gives back.
final class DataPlaneContext {
    let loop: EpollLoop
    let logger: Logger
    let buffers = BufferPool()
    var counters: WorkerCounters
    /// Counters changed since the last publish.
    var dirty = false
    fileprivate(set) var handler: HandlerID!
    /// Set by the loop: releases the session's maxconn slot and resumes accepting if it had to stop.
    fileprivate(set) var sessionEnded: () -> Void = {}

    init(loop: EpollLoop, logger: Logger, counters: WorkerCounters) {
        self.loop = loop
        self.logger = logger
        self.counters = counters
    }

    static let socketEvents = EpollLoop.readable | EpollLoop.writable | EpollLoop.readHangup | EpollLoop.edgeTriggered
    static let hangupEvents = EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error

    /// Registers a socket edge-triggered for reading and writing, its events coming back as `token`.
    func watch(_ fd: Int32, _ token: EpollToken) throws(SystemError) {
        try loop.register(fd: fd, events: Self.socketEvents, handler: handler, data: token.data)
    }
}

extension DataPlaneContext {
    fileprivate func attach(handler: HandlerID, sessionEnded: @escaping () -> Void) {
        self.handler = handler
        self.sessionEnded = sessionEnded
    }
}

/// One data-plane loop: its mailbox, listeners (``Acceptor``), the 100 ms sweep and publishing,
/// around an engine that handles the sessions. Generic so that dispatch to the engine is static.
/// Loop-confined; reached through its mailbox.
final class DataPlaneLoop<Engine: SessionEngine>: EventHandler {
    private static var sweepInterval: Duration { .milliseconds(100) }
    private static var publishInterval: UInt64 { 250_000_000 }

    private let context: DataPlaneContext
    private let mailbox: Mailbox<WorkerMessage>
    private let stats: WorkerStats
    private var acceptor: Acceptor!
    private var engine: Engine!
    private var lastPublish: UInt64 = 0
    private var stopped = false

    init(loop: EpollLoop, mailbox: Mailbox<WorkerMessage>, limiter: ConnectionLimiter, stats: WorkerStats,
         listenFDs: [Int32], counters: WorkerCounters, logger: Logger,
         engine makeEngine: (DataPlaneContext) -> Engine) throws(SystemError) {
        self.mailbox = mailbox
        self.stats = stats
        context = DataPlaneContext(loop: loop, logger: logger, counters: counters)
        let handler = loop.add(handler: self)
        acceptor = Acceptor(listenFDs: listenFDs, limiter: limiter, context: context)
        context.attach(handler: handler) { [unowned self] in acceptor.sessionEnded() }
        engine = makeEngine(context)
        acceptor.accepted = { [unowned self] fd in engine.start(client: fd) }
        try loop.watch(mailbox, handler: handler, data: EpollToken(kind: TokenKind.mailbox, slot: 0).data)
        try acceptor.register()
        loop.schedule(every: Self.sweepInterval) { [unowned self] in
            guard !stopped else { return }
            sweep()
        }
    }

    func handleEvent(data: UInt64, events: UInt32) {
        let token = EpollToken(data: data)
        switch token.kind {
        case TokenKind.listener: acceptor.becameReadable(Int(token.slot))
        case TokenKind.mailbox: for message in mailbox.receive() { handle(message) }
        default: engine.handle(token, events: events)
        }
    }

    private func handle(_ message: WorkerMessage) {
        switch message {
        case .stopAccepting:
            acceptor.closeListeners()
        case .stop:
            stopped = true
            engine.closeAll()
            publish()
            context.loop.stop()
        default:
            engine.handle(message)
            publish()
        }
    }

    /// Every 100 ms: timeouts (so their precision is ±100 ms), counters, and resuming accepts
    /// another loop's closes made possible.
    private func sweep() {
        let now = context.loop.now
        engine.sweep(now: now)
        acceptor.resumeIfBelowLimit()
        if context.dirty && now &- lastPublish >= Self.publishInterval { publish() }
    }

    private func publish() {
        context.counters.pendingBlocks = context.buffers.blocksInUse
        engine.willPublish(&context.counters)
        stats.publish(context.counters)
        lastPublish = context.loop.now
        context.dirty = false
    }
}
