import CLinuxNet
import Config
import EventLoop
import Glibc

/// Runs the Redis health check (connect, optional AUTH, PING, ROLE) against every server, every
/// `health.interval`, on the control loop. Each check is a fresh connection, as in HAProxy, so a
/// server that stops accepting is noticed. Results go to `report`.
final class HealthChecker: EventHandler {
    private struct Probe {
        var fd: Int32 = -1
        var generation: UInt32 = 0
        var started: UInt64 = 0
        var connecting = false
        var exchange: HealthCheckExchange
        var timeout: TimerID?
    }

    private let loop: EpollLoop
    private var handler: HandlerID!
    private var servers: [SocketAddress]
    private var interval: UInt64
    private var timeout: Duration
    private var credentials: Credentials?
    private var probes: [Probe]
    /// Bumped by ``reconfigure(servers:config:)``: timers of the previous server list stop.
    private var epoch = 0
    private let report: (Int, CheckResult) -> Void
    private var stopped = false
    /// Where replies are read: one buffer for every check, not one per event.
    private static let readBufferSize = 4096
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: readBufferSize, alignment: 16)

    deinit { readBuffer.deallocate() }

    init(loop: EpollLoop, servers: [SocketAddress], config: HealthConfig,
         report: @escaping (Int, CheckResult) -> Void) {
        self.loop = loop
        self.servers = servers
        interval = config.interval.nanoseconds
        timeout = config.timeout
        credentials = config.auth
        probes = servers.map { _ in Probe(exchange: HealthCheckExchange(credentials: config.auth)) }
        self.report = report
        handler = loop.add(handler: self)
    }

    /// Checks every server now, then every interval; the first round starts at once so the proxy
    /// can serve after `rise` intervals, later rounds are spread over the interval.
    func start() {
        let now = MonotonicClock.now()
        let epoch = epoch
        for server in servers.indices {
            let offset = servers.count > 1 ? interval / UInt64(servers.count) * UInt64(server) / 4 : 0
            loop.schedule(at: now &+ offset) { [unowned self] in check(server, epoch: epoch) }
        }
    }

    /// A reload: abandon running checks and start over with the new list and parameters.
    func reconfigure(servers: [SocketAddress], config: HealthConfig) {
        for server in probes.indices { abandon(server) }
        epoch += 1
        self.servers = servers
        interval = config.interval.nanoseconds
        timeout = config.timeout
        credentials = config.auth
        probes = servers.map { _ in Probe(exchange: HealthCheckExchange(credentials: config.auth)) }
        start()
    }

    func stop() {
        stopped = true
        for server in probes.indices { abandon(server) }
    }

    private func check(_ server: Int, epoch: Int) {
        guard !stopped, epoch == self.epoch else { return }
        let started = MonotonicClock.now()
        loop.schedule(at: started &+ interval) { [unowned self] in check(server, epoch: epoch) }
        // A check still running at the next interval has timed out (timeout == interval, or its
        // timer is due in the same loop turn): report it so, or a silent server would never fail.
        if probes[server].fd >= 0 { timedOut(server) }
        probes[server].exchange = HealthCheckExchange(credentials: credentials)
        probes[server].started = started
        probes[server].generation = EpollToken.next(probes[server].generation)
        probes[server].timeout = loop.schedule(after: timeout) { [unowned self] in timedOut(server) }
        let fd: Int32
        do {
            switch try TCPSocket.connect(to: servers[server]) {
            case .connected(let socket): fd = socket
            case .inProgress(let socket): fd = socket
            }
        } catch {
            let local = CheckResult.isLocalResourceError(error.errno)
            finish(server, .l4con, (local ? "not counted, Ferry is short of resources: " : "") + SystemError.describe(error.errno),
                   isLocalFailure: local)
            return
        }
        probes[server].fd = fd
        probes[server].connecting = true
        do {
            try loop.register(fd: fd, events: EpollLoop.readable | EpollLoop.writable | EpollLoop.readHangup | EpollLoop.edgeTriggered,
                              handler: handler, data: EpollToken(kind: 0, slot: Int32(server), generation: probes[server].generation).data)
        } catch {
            finish(server, .l4con, error.description)
        }
    }

    func handleEvent(data: UInt64, events: UInt32) {
        let token = EpollToken(data: data), server = Int(token.slot)
        guard server < probes.count, probes[server].fd >= 0, token.generation == probes[server].generation else { return }
        let fd = probes[server].fd
        if probes[server].connecting {
            guard events & (EpollLoop.writable | EpollLoop.error | EpollLoop.hangup) != 0 else { return }
            let code = TCPSocket.pendingError(fd)
            guard code == 0 else {
                finish(server, .l4con, SystemError.describe(code))
                return
            }
            probes[server].connecting = false
            let request = probes[server].exchange.request
            let written = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == request.count else {
                finish(server, .l7rsp, "cannot send the check: \(SystemError.describe(cln_errno()))")
                return
            }
        }
        guard events & (EpollLoop.readable | EpollLoop.readHangup | EpollLoop.hangup | EpollLoop.error) != 0 else { return }
        while probes[server].fd == fd {
            let count: Int
            switch SocketIO.recv(fd, into: readBuffer, count: Self.readBufferSize) {
            case .done(let read): count = read
            case .wouldBlock: return
            case .endOfStream:
                finish(server, .l7rsp, "connection closed by server")
                return
            case .failed(let code):
                finish(server, .l7rsp, SystemError.describe(code))
                return
            }
            let progress = probes[server].exchange.receive(UnsafeRawBufferPointer(start: readBuffer, count: count))
            switch progress {
            case .needMore:
                continue
            case .passed(let role, let detail):
                finish(server, .l7ok, detail, role: role)
                return
            case .failed(let detail):
                finish(server, .l7rsp, detail)
                return
            }
        }
    }

    private func timedOut(_ server: Int) {
        let connecting = probes[server].connecting
        finish(server, connecting ? .l4tout : .l7tout, connecting ? "connect timeout" : "no complete reply in time")
    }

    private func finish(_ server: Int, _ code: CheckCode, _ detail: String, role: RedisRole? = nil,
                        isLocalFailure: Bool = false) {
        let elapsed = MonotonicClock.now() &- probes[server].started
        abandon(server)
        report(server, CheckResult(code: code, duration: .nanoseconds(elapsed), detail: detail, role: role,
                                   isLocalFailure: isLocalFailure))
    }

    private func abandon(_ server: Int) {
        if let timer = probes[server].timeout { loop.cancel(timer) }
        probes[server].timeout = nil
        if probes[server].fd >= 0 { close(probes[server].fd) }
        probes[server].fd = -1
        probes[server].connecting = false
    }
}
