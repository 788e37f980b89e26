import CLinuxNet
import EventLoop
import Glibc
import Logging

/// Settings a data-plane loop needs, resolved from the config (timeouts in ns, 0 = none).
struct WorkerSettings: Sendable {
    var listenFDs: [Int32]
    var backends: [SocketAddress]
    var retries: Int
    var connectTimeout: UInt64
    var clientIdle: UInt64
    var serverIdle: UInt64
    var clientFin: UInt64
}

/// One data-plane loop: accepts clients on its own SO_REUSEPORT listeners, connects each to the
/// next routable backend and relays bytes both ways. Loop-confined; reached through its mailbox.
final class ProxyWorker: EventHandler {
    private enum Token: UInt64 {
        case listener = 0, client = 1, server = 2, mailbox = 3
    }

    private struct Listener {
        var fd: Int32
        var readable = true
    }

    static let noBackendReply: [UInt8] = Array("-ERR ferry: no backend available\r\n".utf8)
    static let noResourcesReply: [UInt8] = Array("-ERR ferry: out of file descriptors, try again\r\n".utf8)
    /// How long a refused client may keep its connection open while we wait for it to read the error.
    private static let refusedLinger: UInt64 = 2_000_000_000
    private static let sweepInterval: Duration = .milliseconds(100)
    private static let publishInterval: UInt64 = 250_000_000
    /// Pause after EMFILE/ENFILE before trying `accept` again, instead of spinning.
    private static let acceptBackoff: Duration = .milliseconds(100)

    private let loop: EpollLoop
    private var handler: HandlerID!
    private let mailbox: Mailbox<WorkerMessage>
    private let limiter: ConnectionLimiter
    private let stats: WorkerStats
    private var settings: WorkerSettings
    private let logger: Logger
    private var listeners: [Listener]
    private var acceptBlockedUntilSweep = false
    private var acceptBackingOff = false
    /// Since when accepts have been failing (EMFILE…), and how often: one event when they start
    /// failing and one when they work again, not a line every 100 ms.
    private var acceptPausedSince: UInt64?
    private var acceptFailures = 0
    private let sessions = SessionTable()
    private var rotation = RoundRobin()
    private var counters: WorkerCounters
    private var dirty = false
    private var lastPublish: UInt64 = 0
    private let buffers = BufferPool()
    private let pipes = PipePool()
    private var stopped = false

    init(loop: EpollLoop, mailbox: Mailbox<WorkerMessage>, limiter: ConnectionLimiter, stats: WorkerStats,
         settings: WorkerSettings, routes: [Int32], logger: Logger) throws(SystemError) {
        self.loop = loop
        self.mailbox = mailbox
        self.limiter = limiter
        self.stats = stats
        self.settings = settings
        self.logger = logger
        listeners = settings.listenFDs.map { Listener(fd: $0) }
        // One extra slot: sessions whose server a reload removed keep counting there, unseen.
        counters = WorkerCounters(backendCount: settings.backends.count + 1)
        rotation.update(routes)
        handler = loop.add(handler: self)
        try loop.watch(mailbox, handler: handler, data: Self.token(.mailbox, slot: 0, generation: 0))
        for (index, listener) in listeners.enumerated() {
            try loop.register(fd: listener.fd, events: EpollLoop.readable | EpollLoop.edgeTriggered,
                              handler: handler, data: Self.token(.listener, slot: Int32(index), generation: 0))
        }
        scheduleSweep()
    }

    // MARK: Events

    private static func token(_ kind: Token, slot: Int32, generation: UInt32) -> UInt64 {
        kind.rawValue << 54 | UInt64(generation) << 32 | UInt64(UInt32(bitPattern: slot))
    }

    func handleEvent(data: UInt64, events: UInt32) {
        let slot = Int32(bitPattern: UInt32(truncatingIfNeeded: data))
        switch Token(rawValue: data >> 54 & 3)! {
        case .listener:
            // A readiness event from the same epoll batch can follow `stopAccepting`, which
            // closed the listeners: ignore it.
            guard Int(slot) < listeners.count else { return }
            listeners[Int(slot)].readable = true
            acceptClients()
        case .mailbox:
            for message in mailbox.receive() { handle(message) }
        case .client:
            let session = sessions.pointer(slot)
            guard session.pointee.generation == UInt32(data >> 32) & SessionTable.generationMask,
                  session.pointee.inUse else { return }
            if events & (EpollLoop.readable | EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error) != 0 {
                session.pointee.up.sourceReadable = true
                if events & Self.hangupEvents != 0 { session.pointee.up.sourceHungUp = true }
            }
            if events & (EpollLoop.writable | EpollLoop.hangup | EpollLoop.error) != 0 {
                session.pointee.down.sinkWritable = true
            }
            if session.pointee.refused {
                drainRefused(slot)
            } else if !session.pointee.connecting {
                relay(slot)
            }
        case .server:
            let session = sessions.pointer(slot)
            guard session.pointee.generation == UInt32(data >> 32) & SessionTable.generationMask,
                  session.pointee.inUse, session.pointee.server >= 0 else { return }
            if events & (EpollLoop.readable | EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error) != 0 {
                session.pointee.down.sourceReadable = true
                if events & Self.hangupEvents != 0 { session.pointee.down.sourceHungUp = true }
            }
            let writable = events & (EpollLoop.writable | EpollLoop.hangup | EpollLoop.error) != 0
            if writable { session.pointee.up.sinkWritable = true }
            if !session.pointee.connecting {
                relay(slot)
            } else if writable {
                finishConnect(slot, failed: events & (EpollLoop.hangup | EpollLoop.error) != 0)
            }
        }
    }

    private func handle(_ message: WorkerMessage) {
        switch message {
        case .routes(let servers):
            rotation.update(servers)
        case .shutDownSessions(let backend):
            for slot in 0..<Int32(sessions.capacity) {
                let session = sessions.pointer(slot)
                if session.pointee.inUse && session.pointee.backend == backend && !session.pointee.connecting {
                    counters.backends[Int(backend)].sessionsShutDown += 1
                    closeSession(slot)
                }
            }
            publish()
        case .reconfigure(let newSettings, let remap, let routes):
            reconfigure(newSettings, remap: remap, routes: routes)
        case .stopAccepting:
            for listener in listeners { close(listener.fd) }
            listeners.removeAll()
        case .stop:
            stopped = true
            for slot in 0..<Int32(sessions.capacity) where sessions.pointer(slot).pointee.inUse {
                closeSession(slot)
            }
            publish()
            loop.stop()
        }
    }

    /// Moves every session and counter to its server's new index; sessions still connecting to
    /// a removed server start over on a current one.
    private func reconfigure(_ newSettings: WorkerSettings, remap: [Int32], routes: [Int32]) {
        var moved = WorkerCounters(backendCount: newSettings.backends.count + 1)
        moved.frontend = counters.frontend
        for (old, new) in remap.enumerated() where old < counters.backends.count {
            moved.backends[Int(new)].add(counters.backends[old])
        }
        counters = moved
        let listenFDs = settings.listenFDs
        settings = newSettings
        settings.listenFDs = listenFDs
        rotation.update(routes)
        let retired = Int32(newSettings.backends.count)
        for slot in 0..<Int32(sessions.capacity) {
            let session = sessions.pointer(slot)
            guard session.pointee.inUse, session.pointee.backend >= 0 else { continue }
            session.pointee.backend = remap[Int(session.pointee.backend)]
            if session.pointee.connecting && session.pointee.backend == retired {
                close(session.pointee.server)
                session.pointee.server = -1
                session.pointee.connecting = false
                session.pointee.backend = -1
                connectToBackend(slot)
            }
        }
        publish()
    }

    // MARK: Accepting

    private func acceptClients() {
        var budget = 64  // then let other events run; the loop calls us again right after
        for index in listeners.indices {
            while listeners[index].readable && !acceptBlockedUntilSweep && !acceptBackingOff {
                guard budget > 0 else {
                    loop.runSoon { [unowned self] in acceptClients() }
                    return
                }
                guard limiter.reserve() else {
                    // At maxconn: leave clients in the kernel backlog; the sweep retries.
                    acceptBlockedUntilSweep = true
                    return
                }
                let fd = cln_accept4(listeners[index].fd, nil, nil)
                if fd >= 0 {
                    if acceptPausedSince != nil { acceptsResumed() }
                    budget -= 1
                    startSession(client: fd)
                    continue
                }
                limiter.release()
                switch cln_errno() {
                case EAGAIN:
                    if acceptPausedSince != nil { acceptsResumed() }
                    listeners[index].readable = false
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case let code:
                    // EMFILE, ENFILE, ENOBUFS, ENOMEM: back off instead of spinning on a full table.
                    counters.frontend.acceptErrors += 1
                    dirty = true
                    acceptFailures += 1
                    if acceptPausedSince == nil {
                        acceptPausedSince = loop.now
                        logger.warning("accept failed: pausing accepts, retrying every 100 ms",
                                       metadata: ["event": "accept_paused", "error": "\(SystemError.describe(code))"])
                    }
                    acceptBackingOff = true
                    loop.schedule(after: Self.acceptBackoff) { [unowned self] in
                        acceptBackingOff = false
                        acceptClients()
                    }
                    return
                }
            }
        }
    }

    private func acceptsResumed() {
        let pausedMilliseconds = (loop.now &- (acceptPausedSince ?? loop.now)) / 1_000_000
        logger.notice("accepting again after \(pausedMilliseconds) ms",
                      metadata: ["event": "accept_resumed", "paused_ms": .stringConvertible(pausedMilliseconds),
                                 "failures": .stringConvertible(acceptFailures)])
        acceptPausedSince = nil
        acceptFailures = 0
    }

    private func startSession(client fd: Int32) {
        let slot = sessions.allocate()
        let session = sessions.pointer(slot)
        session.pointee.client = fd
        session.pointee.clientSeen = loop.now
        session.pointee.serverSeen = loop.now
        counters.frontend.sessionsTotal += 1
        dirty = true
        TCPSocket.spreadKeepAlive(fd, offset: Int32(truncatingIfNeeded: counters.frontend.sessionsTotal % 31))
        do {
            try loop.register(fd: fd, events: Self.socketEvents, handler: handler,
                              data: Self.token(.client, slot: slot, generation: session.pointee.generation))
        } catch {
            logger.error("cannot watch client socket", metadata: ["error": "\(error)"])
            closeSession(slot)
            return
        }
        connectToBackend(slot)
    }

    private static let hangupEvents = EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error
    private static let socketEvents = EpollLoop.readable | EpollLoop.writable | EpollLoop.readHangup | EpollLoop.edgeTriggered

    // MARK: Connecting

    private func connectToBackend(_ slot: Int32) {
        let session = sessions.pointer(slot)
        guard let backend = rotation.next(avoiding: session.pointee.backend) else {
            refuse(slot, .noBackend)
            return
        }
        session.pointee.backend = backend
        session.pointee.attempts += 1
        session.pointee.connectStarted = loop.now
        let start: TCPSocket.ConnectStart
        do {
            start = try TCPSocket.connect(to: settings.backends[Int(backend)])
        } catch {
            connectFailed(slot, error)
            return
        }
        let fd: Int32
        switch start {
        case .connected(let socket): fd = socket
        case .inProgress(let socket): fd = socket
        }
        session.pointee.server = fd
        session.pointee.connecting = true
        do {
            try loop.register(fd: fd, events: Self.socketEvents, handler: handler,
                              data: Self.token(.server, slot: slot, generation: session.pointee.generation))
        } catch {
            connectFailed(slot, error)
            return
        }
        if case .connected = start { finishConnect(slot) }
    }

    /// `failed`: epoll reported an error or hang-up with the writability; only then is SO_ERROR
    /// read (a writable socket without either has connected: one getsockopt less per session).
    private func finishConnect(_ slot: Int32, failed: Bool = false) {
        let session = sessions.pointer(slot)
        if failed {
            let code = TCPSocket.pendingError(session.pointee.server)
            guard code == 0 else {
                connectFailed(slot, SystemError("connect", errno: code))
                return
            }
        }
        session.pointee.connecting = false
        session.pointee.serverSeen = loop.now
        let backend = Int(session.pointee.backend)
        counters.backends[backend].sessionsCurrent += 1
        counters.backends[backend].sessionsTotal += 1
        counters.backends[backend].sessionsMax = max(counters.backends[backend].sessionsMax,
                                                     counters.backends[backend].sessionsCurrent)
        dirty = true
        relay(slot)
    }

    /// Counts the failure on the server, then tries the next routable server while retries remain.
    private func connectFailed(_ slot: Int32, _ error: SystemError) {
        let session = sessions.pointer(slot)
        let backend = Int(session.pointee.backend)
        counters.backends[backend].connectErrors += 1
        dirty = true
        logger.debug("connect failed", metadata: ["server": "\(settings.backends[backend])", "error": "\(error)"])
        if session.pointee.server >= 0 {
            close(session.pointee.server)
            session.pointee.server = -1
        }
        session.pointee.connecting = false
        if CheckResult.isLocalResourceError(error.errno) {
            // Out of descriptors or memory here, not the server's fault: another server would fail alike.
            refuse(slot, .outOfResources)
        } else if Int(session.pointee.attempts) <= settings.retries {
            counters.backends[backend].retries += 1
            connectToBackend(slot)
        } else {
            refuse(slot, .noBackend)
        }
    }

    /// Tells the client in RESP that nothing can serve it (and why), counts that on the reason's
    /// own frontend counter, then closes once it has read that.
    private func refuse(_ slot: Int32, _ reason: Refusal) {
        let session = sessions.pointer(slot)
        let reply = switch reason {
        case .noBackend: Self.noBackendReply
        case .outOfResources: Self.noResourcesReply
        }
        counters.frontend.count(reason)
        dirty = true
        session.pointee.refused = true
        session.pointee.clientSeen = loop.now
        let fd = session.pointee.client
        _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        // FIN after the reply; draining what the client sent avoids a RST that could discard the reply.
        _ = shutdown(fd, Int32(SHUT_WR))
        drainRefused(slot)
    }

    private func drainRefused(_ slot: Int32) {
        let fd = sessions.pointer(slot).pointee.client
        while true {
            let count = read(fd, buffers.scratch, BufferPool.blockSize)
            if count > 0 { continue }
            if count < 0 && cln_errno() == EINTR { continue }
            if count < 0 && cln_errno() == EAGAIN { return }
            closeSession(slot)
            return
        }
    }

    // MARK: Relaying

    private func relay(_ slot: Int32) {
        let session = sessions.pointer(slot)
        let client = session.pointee.client, server = session.pointee.server
        let backend = Int(session.pointee.backend)

        switch session.pointee.up.pump(from: client, to: server, buffers: buffers, pipes: pipes,
                                       peerFinished: session.pointee.down.sinkShut) {
        case .success(let transfer):
            if transfer.read > 0 {
                counters.frontend.bytesIn &+= UInt64(transfer.read)
                counters.backends[backend].bytesIn &+= UInt64(transfer.read)
                session.pointee.clientSeen = loop.now
                dirty = true
            }
            if transfer.written > 0 { session.pointee.serverSeen = loop.now }
        case .failure(let failure):
            countAbort(backend, byServer: failure.end == .sink)
            closeSession(slot)
            return
        }
        switch session.pointee.down.pump(from: server, to: client, buffers: buffers, pipes: pipes,
                                         peerFinished: session.pointee.up.sinkShut) {
        case .success(let transfer):
            if transfer.read > 0 {
                counters.frontend.bytesOut &+= UInt64(transfer.read)
                counters.backends[backend].bytesOut &+= UInt64(transfer.read)
                session.pointee.serverSeen = loop.now
                dirty = true
            }
            if transfer.written > 0 { session.pointee.clientSeen = loop.now }
        case .failure(let failure):
            countAbort(backend, byServer: failure.end == .source)
            closeSession(slot)
            return
        }
        if session.pointee.up.sinkShut && session.pointee.down.sinkShut {
            closeSession(slot, abortServer: false)
        }
    }

    private func countAbort(_ backend: Int, byServer: Bool) {
        if byServer { counters.backends[backend].serverAborts += 1 } else { counters.backends[backend].clientAborts += 1 }
        dirty = true
    }

    /// Closes both sockets and frees the slot. Unless the session ended normally (both sides
    /// closed after everything was relayed), the server socket is closed with a RST: bytes the
    /// kernel still queues for an unreachable server (a session shut down because the server
    /// went DOWN, a timeout) would otherwise be delivered when the path returns, applying a
    /// client's abandoned write after newer acknowledged ones.
    private func closeSession(_ slot: Int32, abortServer: Bool = true) {
        let session = sessions.pointer(slot)
        if session.pointee.established {
            counters.backends[Int(session.pointee.backend)].sessionsCurrent -= 1
        }
        if session.pointee.server >= 0 {
            if abortServer { TCPSocket.abort(session.pointee.server) } else { close(session.pointee.server) }
        }
        close(session.pointee.client)
        session.pointee.up.discard(into: buffers, pipes: pipes)
        session.pointee.down.discard(into: buffers, pipes: pipes)
        sessions.free(slot)
        limiter.release()
        dirty = true
        if acceptBlockedUntilSweep && limiter.count < limiter.limit {
            acceptBlockedUntilSweep = false
            acceptClients()
        }
    }

    // MARK: Timeouts and publishing

    private func scheduleSweep() {
        loop.schedule(every: Self.sweepInterval) { [unowned self] in
            guard !stopped else { return }
            sweep()
        }
    }

    /// Every 100 ms: timeouts (so their precision is ±100 ms), counters, and resuming accepts
    /// another loop's closes made possible.
    private func sweep() {
        let now = loop.now
        if sessions.activeCount > 0 {
            for slot in 0..<Int32(sessions.capacity) {
                let session = sessions.pointer(slot).pointee
                guard session.inUse else { continue }
                if let reason = expired(session, now: now) {
                    if session.connecting {
                        connectFailed(slot, SystemError("connect", errno: ETIMEDOUT))
                    } else {
                        logger.debug("closing session", metadata: ["reason": "\(reason)"])
                        closeSession(slot)
                    }
                }
            }
        }
        if acceptBlockedUntilSweep && limiter.count < limiter.limit {
            acceptBlockedUntilSweep = false
            acceptClients()
        }
        if dirty && now &- lastPublish >= Self.publishInterval { publish() }
    }

    private func expired(_ session: Session, now: UInt64) -> String? {
        if session.refused {
            return now &- session.clientSeen > Self.refusedLinger ? "refused client lingered" : nil
        }
        if session.connecting {
            let timeout = settings.connectTimeout
            return timeout > 0 && now &- session.connectStarted > timeout ? "connect timeout" : nil
        }
        if settings.clientIdle > 0 && now &- session.clientSeen > settings.clientIdle { return "client idle timeout" }
        if settings.serverIdle > 0 && now &- session.serverSeen > settings.serverIdle { return "server idle timeout" }
        if session.halfClosed && settings.clientFin > 0
            && now &- max(session.clientSeen, session.serverSeen) > settings.clientFin {
            return "client-fin timeout"
        }
        return nil
    }

    private func publish() {
        counters.pendingBlocks = buffers.blocksInUse
        counters.splicePipes = pipes.pipesInUse
        stats.publish(counters)
        lastPublish = loop.now
        dirty = false
    }
}
