import Config
import EventLoop
import Glibc
import Logging
import Proxy
import Stats
import VRRP

/// `ferry run`: wires the control loop, the proxy and the signals, and runs until stopped.
enum Daemon {
    /// SIGHUP: read the file again; an invalid file is rejected and the running configuration
    /// stays. Servers, checks, timeouts, retries and maxconn change in place; the rest is named
    /// in the event as needing a restart (VRRP is never disturbed by a reload). One event either
    /// way: `config_reloaded` or `config_rejected`. `running` is the configuration in force: the
    /// one started with, with the proxy's part updated by every reload applied since.
    static func reload(_ path: String?, proxy: ProxyServer?, running: inout FerryConfig, logger: Logger) {
        guard let path, let proxy else { return }
        let new: FerryConfig
        do {
            new = try ConfigLoader.load(path: path)
        } catch {
            logger.error("SIGHUP: configuration rejected, keeping the running one: \(error)",
                         metadata: ["event": "config_rejected", "config": "\(path)", "error": "\(error)"])
            return
        }
        do {
            var notApplied = try proxy.reload(new)
            if new.vrrp != running.vrrp { notApplied.append("vrrp") }
            if new.stats != running.stats { notApplied.append("stats") }
            if new.log != running.log { notApplied.append("log") }
            let added = new.backends.servers.filter { !running.backends.servers.contains($0) }.map(\.description)
            let removed = running.backends.servers.filter { !new.backends.servers.contains($0) }.map(\.description)
            // What a restart would still change stays as it was, so the next reload names it again.
            let (listen, threads, vrrp, stats, log) = (running.proxy.listen, running.proxy.threads, running.vrrp, running.stats, running.log)
            running = new
            (running.proxy.listen, running.proxy.threads, running.vrrp, running.stats, running.log) = (listen, threads, vrrp, stats, log)
            let restart = notApplied.isEmpty ? "" : "; changes to \(notApplied.joined(separator: ", ")) need a restart and were not applied"
            logger.log(level: notApplied.isEmpty ? .notice : .warning,
                       "SIGHUP: configuration reloaded, servers added: \(list(added)), removed: \(list(removed))\(restart)",
                       metadata: ["event": "config_reloaded", "config": "\(path)",
                                  "servers_added": .array(added.map { .string($0) }),
                                  "servers_removed": .array(removed.map { .string($0) }),
                                  "restart_needed": .array(notApplied.map { .string($0) })])
        } catch {
            logger.error("SIGHUP: configuration rejected, cannot apply it: \(error)",
                         metadata: ["event": "config_rejected", "config": "\(path)", "error": "\(error)"])
        }
    }

    private static func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: ", ") }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    static func run(config: FerryConfig) throws -> Int32 {
        let logger = Logger(label: "ferry")
        signal(SIGPIPE, SIG_IGN)  // a peer closing mid-write is an EPIPE to handle, not a process kill
        let loop = try EpollLoop()
        var proxy: ProxyServer?
        var vrrp: VRRPService?
        var stopping = false
        var running = config
        var exitCode: Int32 = 0
        // Before any thread starts, so every thread inherits the blocked mask.
        let signals = try SignalWatcher(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP]) { signal in
            switch signal {
            case SIGHUP:
                reload(config.path, proxy: proxy, running: &running, logger: logger)
            case _ where stopping:
                logger.notice("second stop signal: exiting now", metadata: ["event": "stop_forced", "signal": "\(signalName(signal))"])
                exitCode = 130
                loop.stop()
            default:
                stopping = true
                logger.notice("\(signalName(signal)): shutting down",
                              metadata: ["event": "stopping", "signal": "\(signalName(signal))",
                                         "grace_seconds": .stringConvertible(Double(running.proxy.shutdownGrace.nanoseconds) / 1e9)])
                // The VIP moves first (priority-0 advert: the peer takes over after Skew_Time),
                // then the sessions still here get their grace period.
                vrrp?.stop()
                proxy?.shutdown(grace: running.proxy.shutdownGrace) { loop.stop() }
            }
        }
        let server = try ProxyServer(config: config, controlLoop: loop, logger: logger)
        try server.start()
        proxy = server
        if !config.vrrp.isEmpty {
            let monitor = server.monitor
            let service = try VRRPService(configs: config.vrrp, loop: loop, logger: logger) { monitor.hasRoutableBackend }
            service.start()
            vrrp = service
        }
        // Stats on its own threads; a port it cannot bind (7020 in use) stops the start with exit 1.
        let stats = StatsServer(config: config, monitor: server.monitor, control: server.control,
                                version: FerryVersion.current, logger: logger,
                                vrrp: vrrp.map { VRRPStatsAdapter(monitor: $0.monitor) })
        try stats.startInBackground()
        defer { stats.stop() }
        logger.notice("ferry \(FerryVersion.current) started",
                      metadata: ["event": "start", "version": "\(FerryVersion.current)", "config": "\(config.path ?? "-")",
                                 "pid": .stringConvertible(Int(getpid()))])
        withExtendedLifetime(signals) { loop.run() }
        vrrp?.stop()  // after a second signal; a no-op when already stopped
        logger.notice("ferry stopped", metadata: ["event": "stop", "exit_code": .stringConvertible(Int(exitCode))])
        return exitCode
    }
}
