import Config
import EventLoop
import Logging

/// Applies health-check results to every server's ``ServerHealth``, logs each change, and tells the
/// data plane which servers are routable and whose sessions to close; also applies operators'
/// READY/DRAIN/MAINT requests. Control-loop confined.
///
/// Every change is one log line with an `event` field (`server_up`, `server_down`, `server_role`,
/// `server_routable`, `server_unroutable`, `server_admin`, `backends_unavailable`,
/// `backends_available`) and the server, from, to and reason as fields.
final class BackendPool: EventHandler {
    private var servers: [Endpoint]
    private var selection: BackendSelection
    private var onDown: OnDownAction
    private let logger: Logger
    private var health: [ServerHealth]
    private var adminStates: [AdminState]
    private let control: ProxyControl
    private var statuses: [BackendStatus]
    private let monitor: ProxyMonitor
    private let publishRoutes: ([Int32]) -> Void
    private let shutDownSessions: (Int32) -> Void
    /// Whether any server was routable at the last change, for `backends_unavailable`/`available`.
    /// None is at start, so the first server entering the rotation logs `backends_available`.
    private var anyRoutable = false

    init(config: FerryConfig, monitor: ProxyMonitor, control: ProxyControl, loop: EpollLoop, logger: Logger,
         publishRoutes: @escaping ([Int32]) -> Void, shutDownSessions: @escaping (Int32) -> Void) throws(SystemError) {
        servers = config.backends.servers
        selection = config.backends.select
        onDown = config.backends.onDown
        self.logger = logger
        health = Array(repeating: ServerHealth(rise: config.health.rise, fall: config.health.fall),
                       count: servers.count)
        adminStates = Array(repeating: .ready, count: servers.count)
        statuses = Self.initialStatuses(config)
        self.monitor = monitor
        self.control = control
        self.publishRoutes = publishRoutes
        self.shutDownSessions = shutDownSessions
        try loop.watch(control.mailbox, handler: loop.add(handler: self), data: 0)
    }

    /// Servers the checks show DOWN after failing (not merely not yet UP after a start or an
    /// addition), as `host:port`: cluster mode sends them nothing.
    var failedServers: Set<String> {
        Set(statuses.indices.filter {
            statuses[$0].status == .down && (statuses[$0].downTransitions > 0 || statuses[$0].lastCheck?.code.passed == false)
        }.map { "\(servers[$0].host):\(servers[$0].port)" })
    }

    /// The servers new connections may go to, in configuration order.
    var routable: [Int32] {
        health.indices.filter(isRoutable).map(Int32.init)
    }

    private func isRoutable(_ server: Int) -> Bool {
        adminStates[server] == .ready && health[server].isRoutable(for: selection)
    }

    func handleEvent(data: UInt64, events: UInt32) {
        for request in control.mailbox.receive() {
            switch request {
            case .setAdminState(let state, let server, let by):
                setAdminState(state, server: server, by: by)
            }
        }
    }

    /// READY / DRAIN / MAINT from an operator: DRAIN and MAINT take the server out of rotation,
    /// MAINT also closes its sessions.
    func setAdminState(_ state: AdminState, server: Int, by: String) {
        guard adminStates.indices.contains(server), adminStates[server] != state else { return }
        let address = servers[server].description
        let wasRoutable = isRoutable(server)
        let from = adminStates[server]
        adminStates[server] = state
        logger.notice("server \(address) admin state \(from.rawValue) → \(state.rawValue) by \(by)",
                      metadata: ["event": "server_admin", "server": "\(address)", "from": "\(from.rawValue)", "to": "\(state.rawValue)",
                                 "by": "\(by)", "routable": .stringConvertible(isRoutable(server))])
        statuses[server].adminState = state
        statuses[server].routable = isRoutable(server)
        if wasRoutable != statuses[server].routable {
            statuses[server].lastChange = MonotonicClock.now()
            publishRoutes(routable)
            logAvailability()
        }
        monitor.publish(statuses[server], server: server)
        if state == .maint { shutDownSessions(Int32(server)) }
    }

    /// A reload: servers kept (same address) keep their health, admin state and counters under
    /// the new thresholds; new ones start DOWN. The caller tells the data plane.
    func reconfigure(_ config: FerryConfig, remap: [Int]) {
        let fresh = Self.initialStatuses(config)
        var newHealth: [ServerHealth] = [], newAdmin: [AdminState] = [], newStatuses: [BackendStatus] = []
        for index in config.backends.servers.indices {
            if let old = remap.firstIndex(of: index) {
                newHealth.append(health[old].withThresholds(rise: config.health.rise, fall: config.health.fall))
                newAdmin.append(adminStates[old])
                newStatuses.append(statuses[old])
            } else {
                newHealth.append(ServerHealth(rise: config.health.rise, fall: config.health.fall))
                newAdmin.append(.ready)
                newStatuses.append(fresh[index])
            }
        }
        servers = config.backends.servers
        selection = config.backends.select
        onDown = config.backends.onDown
        health = newHealth
        adminStates = newAdmin
        statuses = newStatuses
        for index in statuses.indices {
            statuses[index].statusDescription = health[index].statusDescription
            statuses[index].routable = isRoutable(index)
        }
        monitor.replace(statuses)
        logAvailability()  // removing the last routable server (or adding one) is a change too
    }

    /// `backends_unavailable` when the last routable server leaves the rotation (clients get
    /// `-ERR ferry: no backend available`), `backends_available` when one is back.
    private func logAvailability() {
        let routable = self.routable
        guard routable.isEmpty == anyRoutable else { return }
        anyRoutable = !routable.isEmpty
        let fields: Logger.Metadata = [
            "event": anyRoutable ? "backends_available" : "backends_unavailable",
            "routable": .stringConvertible(routable.count), "servers": .stringConvertible(servers.count),
        ]
        if anyRoutable {
            logger.notice("backends available again: \(routable.count) of \(servers.count) servers routable", metadata: fields)
        } else {
            logger.error("no backend routable: all \(servers.count) servers are out of rotation, clients are refused", metadata: fields)
        }
    }

    /// Every server before its first check: DOWN, not routable.
    static func initialStatuses(_ config: FerryConfig) -> [BackendStatus] {
        let initial = ServerHealth(rise: config.health.rise, fall: config.health.fall)
        let now = MonotonicClock.now()
        return config.backends.servers.map {
            BackendStatus(address: $0.description, status: initial.status, statusDescription: initial.statusDescription,
                          role: nil, routable: false, lastCheck: nil, lastChange: now)
        }
    }

    func record(server: Int, result: CheckResult) {
        let events = health[server].record(result, selection: selection)
        let now = MonotonicClock.now()
        var status = statuses[server]
        status.lastCheck = result
        if !result.code.passed { status.checksFailed += 1 }
        status.statusDescription = health[server].statusDescription
        status.role = health[server].role
        status.routable = isRoutable(server)
        var routesChanged = false
        for event in events {
            let address = servers[server].description
            switch event {
            case .statusChanged(let from, let to, let reason):
                var fields: Logger.Metadata = [
                    "event": to == .up ? "server_up" : "server_down", "server": "\(address)", "from": "\(from.rawValue)",
                    "to": "\(to.rawValue)", "reason": "\(reason)", "check": "\(result.code.rawValue)",
                    "check_duration_ms": .stringConvertible(Double(result.duration.nanoseconds / 1000) / 1000),
                ]
                if !result.detail.isEmpty { fields["check_detail"] = "\(result.detail)" }
                if let role = health[server].role { fields["role"] = "\(role.rawValue)" }
                logger.log(level: to == .up ? .notice : .warning, "server \(address) \(from.rawValue) → \(to.rawValue): \(reason)",
                           metadata: fields)
                if from == .down { status.downtimeBeforeCurrent += .nanoseconds(now &- status.lastChange) }
                if to == .down { status.downTransitions += 1 }
                status.status = to
                status.lastChange = now
            case .roleChanged(let from, let to):
                logger.notice("server \(address) role \(from?.rawValue ?? "unknown") → \(to.rawValue)",
                              metadata: ["event": "server_role", "server": "\(address)", "from": "\(from?.rawValue ?? "unknown")",
                                         "to": "\(to.rawValue)"])
            case .routableChanged(let routable, let reason):
                guard adminStates[server] == .ready else { continue }  // already out of rotation
                logger.notice("server \(address) \(routable ? "enters" : "leaves") rotation: \(reason)",
                              metadata: ["event": routable ? "server_routable" : "server_unroutable", "server": "\(address)",
                                         "reason": "\(reason)"])
                routesChanged = true
                if !routable && onDown == .shutdownSessions { shutDownSessions(Int32(server)) }
            }
        }
        statuses[server] = status
        monitor.publish(status, server: server)
        if routesChanged {
            publishRoutes(routable)
            logAvailability()
        }
    }
}
