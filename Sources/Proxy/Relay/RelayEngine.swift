import CLinuxNet
import EventLoop
import Glibc
import Logging

/// What the relay needs from the config (timeouts in ns, 0 = none).
struct RelaySettings: Sendable {
    var backends: [SocketAddress]
    var retries: Int
    var timeouts: IdlePolicy
}

/// tcp mode: connects each client to the next routable backend and relays bytes both ways,
/// untouched (copied, or spliced from 16 KiB up). Loop-confined, run by a ``DataPlaneLoop``.
final class RelayEngine: SessionEngine {
    private let context: DataPlaneContext
    private var settings: RelaySettings
    private let sessions = SessionTable()
    private var rotation = RoundRobin()
    private let pipes = PipePool()
    private var buffers: BufferPool { context.buffers }
    private var logger: Logger { context.logger }

    init(context: DataPlaneContext, settings: RelaySettings, routes: [Int32]) {
        self.context = context
        self.settings = settings
        rotation.update(routes)
    }

    /// One extra slot: sessions whose server a reload removed keep counting there, unseen.
    static func counters(backendCount: Int) -> WorkerCounters { WorkerCounters(backendCount: backendCount + 1) }

    // MARK: Events

    func handle(_ token: EpollToken, events: UInt32) {
        let session = sessions.pointer(token.slot)
        guard session.pointee.generation == token.generation, session.pointee.inUse else { return }
        let readable = events & (EpollLoop.readable | EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error) != 0
        let writable = events & (EpollLoop.writable | EpollLoop.hangup | EpollLoop.error) != 0
        let hungUp = events & DataPlaneContext.hangupEvents != 0
        if token.kind == TokenKind.client {
            if readable {
                session.pointee.up.sourceReadable = true
                if hungUp { session.pointee.up.sourceHungUp = true }
            }
            if writable { session.pointee.down.sinkWritable = true }
            switch session.pointee.phase {
            case .refused: drainRefused(token.slot)
            case .established: relay(token.slot)
            case .waiting, .connecting: break
            }
        } else {
            guard session.pointee.server >= 0 else { return }
            if readable {
                session.pointee.down.sourceReadable = true
                if hungUp { session.pointee.down.sourceHungUp = true }
            }
            if writable { session.pointee.up.sinkWritable = true }
            if session.pointee.phase == .connecting {
                if writable { finishConnect(token.slot, failed: events & (EpollLoop.hangup | EpollLoop.error) != 0) }
            } else {
                relay(token.slot)
            }
        }
    }

    func handle(_ message: WorkerMessage) {
        switch message {
        case .routes(let servers):
            rotation.update(servers)
        case .shutDownSessions(let backend):
            for slot in 0..<Int32(sessions.capacity) {
                let session = sessions.pointer(slot)
                if session.pointee.inUse && session.pointee.backend == backend && session.pointee.phase != .connecting {
                    context.counters.backends[Int(backend)].sessionsShutDown += 1
                    closeSession(slot)
                }
            }
        case .reconfigure(let newSettings, let remap, let routes):
            reconfigure(newSettings, remap: remap, routes: routes)
        case .clusterView, .failedServers, .stopAccepting, .stop:
            break  // cluster mode's, and the loop's own
        }
    }

    func closeAll() {
        for slot in 0..<Int32(sessions.capacity) where sessions.pointer(slot).pointee.inUse {
            closeSession(slot)
        }
    }

    func willPublish(_ counters: inout WorkerCounters) {
        counters.splicePipes = pipes.pipesInUse
    }

    /// Moves every session and counter to its server's new index; sessions still connecting to
    /// a removed server start over on a current one.
    private func reconfigure(_ newSettings: RelaySettings, remap: [Int32], routes: [Int32]) {
        var moved = Self.counters(backendCount: newSettings.backends.count)
        moved.frontend = context.counters.frontend
        for (old, new) in remap.enumerated() where old < context.counters.backends.count {
            moved.backends[Int(new)].add(context.counters.backends[old])
        }
        context.counters = moved
        settings = newSettings
        rotation.update(routes)
        let retired = Int32(newSettings.backends.count)
        for slot in 0..<Int32(sessions.capacity) {
            let session = sessions.pointer(slot)
            guard session.pointee.inUse, session.pointee.backend >= 0 else { continue }
            session.pointee.backend = remap[Int(session.pointee.backend)]
            if session.pointee.phase == .connecting && session.pointee.backend == retired {
                close(session.pointee.server)
                session.pointee.server = -1
                session.pointee.phase = .waiting
                session.pointee.backend = -1
                connectToBackend(slot)
            }
        }
    }

    // MARK: Connecting

    func start(client fd: Int32) {
        let slot = sessions.allocate()
        let session = sessions.pointer(slot)
        session.pointee.client = fd
        session.pointee.clientSeen = context.loop.now
        session.pointee.serverSeen = context.loop.now
        do {
            try context.watch(fd, EpollToken(kind: TokenKind.client, slot: slot, generation: session.pointee.generation))
        } catch {
            logger.error("cannot watch client socket", metadata: ["error": "\(error)"])
            closeSession(slot)
            return
        }
        connectToBackend(slot)
    }

    private func connectToBackend(_ slot: Int32) {
        let session = sessions.pointer(slot)
        guard let backend = rotation.next(avoiding: session.pointee.backend) else {
            refuse(slot, .noBackend)
            return
        }
        session.pointee.backend = backend
        session.pointee.attempts += 1
        session.pointee.connectStarted = context.loop.now
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
        session.pointee.phase = .connecting
        do {
            try context.watch(fd, EpollToken(kind: TokenKind.server, slot: slot, generation: session.pointee.generation))
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
        session.pointee.phase = .established
        session.pointee.serverSeen = context.loop.now
        let backend = Int(session.pointee.backend)
        context.counters.backends[backend].sessionsCurrent += 1
        context.counters.backends[backend].sessionsTotal += 1
        context.counters.backends[backend].sessionsMax = max(context.counters.backends[backend].sessionsMax,
                                                             context.counters.backends[backend].sessionsCurrent)
        context.dirty = true
        relay(slot)
    }

    /// Counts the failure on the server, then tries the next routable server while retries remain.
    private func connectFailed(_ slot: Int32, _ error: SystemError) {
        let session = sessions.pointer(slot)
        let backend = Int(session.pointee.backend)
        context.counters.backends[backend].connectErrors += 1
        context.dirty = true
        logger.debug("connect failed", metadata: ["server": "\(settings.backends[backend])", "error": "\(error)"])
        if session.pointee.server >= 0 {
            close(session.pointee.server)
            session.pointee.server = -1
        }
        session.pointee.phase = .waiting
        if CheckResult.isLocalResourceError(error.errno) {
            // Out of descriptors or memory here, not the server's fault: another server would fail alike.
            refuse(slot, .outOfResources)
        } else if Int(session.pointee.attempts) <= settings.retries {
            context.counters.backends[backend].retries += 1
            connectToBackend(slot)
        } else {
            refuse(slot, .noBackend)
        }
    }

    /// Tells the client in RESP that nothing can serve it (and why), counts that on the reason's
    /// own frontend counter, then closes once it has read that.
    private func refuse(_ slot: Int32, _ reason: Refusal) {
        let session = sessions.pointer(slot)
        context.counters.frontend.count(reason)
        context.dirty = true
        session.pointee.phase = .refused
        session.pointee.clientSeen = context.loop.now
        Refusal.send(reason.reply, to: session.pointee.client)
        drainRefused(slot)
    }

    private func drainRefused(_ slot: Int32) {
        if Refusal.drain(sessions.pointer(slot).pointee.client, scratch: buffers.scratch) { closeSession(slot) }
    }

    // MARK: Relaying

    private func relay(_ slot: Int32) {
        let session = sessions.pointer(slot)
        guard pump(up: true, session, slot), pump(up: false, session, slot) else { return }
        if session.pointee.up.sinkShut && session.pointee.down.sinkShut {
            closeSession(slot, abortServer: false)
        }
    }

    /// Moves one direction's bytes (`up`: client → server) and accounts for them; false when a
    /// failure ended the session.
    @inline(__always)
    private func pump(up: Bool, _ session: UnsafeMutablePointer<RelaySession>, _ slot: Int32) -> Bool {
        let client = session.pointee.client, server = session.pointee.server
        let result = up
            ? session.pointee.up.pump(from: client, to: server, buffers: buffers, pipes: pipes,
                                      peerFinished: session.pointee.down.sinkShut)
            : session.pointee.down.pump(from: server, to: client, buffers: buffers, pipes: pipes,
                                        peerFinished: session.pointee.up.sinkShut)
        let backend = Int(session.pointee.backend)
        switch result {
        case .success(let transfer):
            let now = context.loop.now
            if transfer.read > 0 {
                let bytes = UInt64(transfer.read)
                if up {
                    context.counters.frontend.bytesIn &+= bytes
                    context.counters.backends[backend].bytesIn &+= bytes
                    session.pointee.clientSeen = now
                } else {
                    context.counters.frontend.bytesOut &+= bytes
                    context.counters.backends[backend].bytesOut &+= bytes
                    session.pointee.serverSeen = now
                }
                context.dirty = true
            }
            if transfer.written > 0 {
                if up { session.pointee.serverSeen = now } else { session.pointee.clientSeen = now }
            }
            return true
        case .failure(let failure):
            // The server aborted when the failing socket was its own: the sink going up, the source coming down.
            countAbort(backend, byServer: (failure.end == .sink) == up)
            closeSession(slot)
            return false
        }
    }

    private func countAbort(_ backend: Int, byServer: Bool) {
        if byServer { context.counters.backends[backend].serverAborts += 1 } else { context.counters.backends[backend].clientAborts += 1 }
        context.dirty = true
    }

    /// Closes both sockets and frees the slot. Unless the session ended normally (both sides
    /// closed after everything was relayed), the server socket is closed with a RST: bytes the
    /// kernel still queues for an unreachable server (a session shut down because the server
    /// went DOWN, a timeout) would otherwise be delivered when the path returns, applying a
    /// client's abandoned write after newer acknowledged ones.
    private func closeSession(_ slot: Int32, abortServer: Bool = true) {
        let session = sessions.pointer(slot)
        if session.pointee.phase == .established {
            context.counters.backends[Int(session.pointee.backend)].sessionsCurrent -= 1
        }
        if session.pointee.server >= 0 {
            if abortServer { TCPSocket.abort(session.pointee.server) } else { close(session.pointee.server) }
        }
        close(session.pointee.client)
        session.pointee.up.discard(into: buffers, pipes: pipes)
        session.pointee.down.discard(into: buffers, pipes: pipes)
        sessions.free(slot)
        context.sessionEnded()
    }

    // MARK: Timeouts

    func sweep(now: UInt64) {
        guard sessions.activeCount > 0 else { return }
        for slot in 0..<Int32(sessions.capacity) {
            let session = sessions.pointer(slot).pointee
            guard session.inUse,
                  let expiry = settings.timeouts.expiry(session.activity, clientSeen: session.clientSeen,
                                                        serverSeen: session.serverSeen, now: now) else { continue }
            if expiry == .connectTimeout {
                connectFailed(slot, SystemError("connect", errno: ETIMEDOUT))
            } else {
                logger.debug("closing session", metadata: ["reason": "\(expiry.rawValue)"])
                closeSession(slot)
            }
        }
    }
}
