import CLinuxNet
import EventLoop
import Glibc

/// A loop's SO_REUSEPORT listeners: accepts in batches of 64, reserves each client's maxconn slot
/// first (at maxconn, clients wait in the kernel backlog), and backs off on EMFILE and its kin
/// instead of spinning. Both engines get their clients from here.
final class Acceptor {
    private struct Listener {
        var fd: Int32
        var readable = true
    }

    /// Pause after EMFILE/ENFILE before trying `accept` again, instead of spinning.
    private static var backoff: Duration { .milliseconds(100) }

    /// Gets each accepted client socket.
    var accepted: (Int32) -> Void = { _ in }

    private let context: DataPlaneContext
    private let limiter: ConnectionLimiter
    private var listeners: [Listener]
    private var blockedUntilSlotFrees = false
    private var backingOff = false
    /// Since when accepts have been failing (EMFILE…), and how often: one event when they start
    /// failing and one when they work again, not a line every 100 ms.
    private var pausedSince: UInt64?
    private var failures = 0

    init(listenFDs: [Int32], limiter: ConnectionLimiter, context: DataPlaneContext) {
        listeners = listenFDs.map { Listener(fd: $0) }
        self.limiter = limiter
        self.context = context
    }

    func register() throws(SystemError) {
        for (index, listener) in listeners.enumerated() {
            try context.loop.register(fd: listener.fd, events: EpollLoop.readable | EpollLoop.edgeTriggered,
                                      handler: context.handler, data: EpollToken(kind: TokenKind.listener, slot: Int32(index)).data)
        }
    }

    func becameReadable(_ index: Int) {
        // A readiness event from the same epoll batch can follow `closeListeners`: ignore it.
        guard index < listeners.count else { return }
        listeners[index].readable = true
        acceptClients()
    }

    func closeListeners() {
        for listener in listeners { close(listener.fd) }
        listeners.removeAll()
    }

    /// A session ended: give its maxconn slot back, and accept again if that slot was awaited.
    func sessionEnded() {
        limiter.release()
        context.dirty = true
        resumeIfBelowLimit()
    }

    /// Accepts again if maxconn stopped it and a slot is free (here or on another loop).
    func resumeIfBelowLimit() {
        if blockedUntilSlotFrees && limiter.count < limiter.limit {
            blockedUntilSlotFrees = false
            acceptClients()
        }
    }

    private func acceptClients() {
        var budget = 64  // then let other events run; the loop calls us again right after
        for index in listeners.indices {
            while index < listeners.count && listeners[index].readable && !blockedUntilSlotFrees && !backingOff {
                guard budget > 0 else {
                    context.loop.runSoon { [unowned self] in acceptClients() }
                    return
                }
                guard limiter.reserve() else {
                    // At maxconn: leave clients in the kernel backlog until a slot frees.
                    blockedUntilSlotFrees = true
                    return
                }
                switch SocketIO.accept(listeners[index].fd) {
                case .client(let fd):
                    if pausedSince != nil { resumed() }
                    budget -= 1
                    context.counters.frontend.sessionsTotal += 1
                    context.dirty = true
                    TCPSocket.spreadKeepAlive(fd, offset: Int32(truncatingIfNeeded: context.counters.frontend.sessionsTotal % 31))
                    accepted(fd)
                case .wouldBlock:
                    limiter.release()
                    if pausedSince != nil { resumed() }
                    listeners[index].readable = false
                case .failed(let code):
                    // EMFILE, ENFILE, ENOBUFS, ENOMEM: back off instead of spinning on a full table.
                    limiter.release()
                    pause(code)
                    return
                }
            }
        }
    }

    private func pause(_ code: Int32) {
        context.counters.frontend.acceptErrors += 1
        context.dirty = true
        failures += 1
        if pausedSince == nil {
            pausedSince = context.loop.now
            context.logger.warning("accept failed: pausing accepts, retrying every 100 ms",
                                   metadata: ["event": "accept_paused", "error": "\(SystemError.describe(code))"])
        }
        backingOff = true
        context.loop.schedule(after: Self.backoff) { [unowned self] in
            backingOff = false
            acceptClients()
        }
    }

    private func resumed() {
        let pausedMilliseconds = (context.loop.now &- (pausedSince ?? context.loop.now)) / 1_000_000
        context.logger.notice("accepting again after \(pausedMilliseconds) ms",
                              metadata: ["event": "accept_resumed", "paused_ms": .stringConvertible(pausedMilliseconds),
                                         "failures": .stringConvertible(failures)])
        pausedSince = nil
        failures = 0
    }
}
