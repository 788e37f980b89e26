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
    /// in a warning as needing a restart (VRRP is never disturbed by a reload).
    static func reload(_ path: String?, proxy: ProxyServer?, running: FerryConfig, logger: Logger) {
        guard let path, let proxy else { return }
        let new: FerryConfig
        do {
            new = try ConfigLoader.load(path: path)
        } catch {
            logger.error("SIGHUP: configuration rejected, keeping the running one: \(error)", metadata: ["event": "reload"])
            return
        }
        do {
            var notApplied = try proxy.reload(new)
            if new.vrrp != running.vrrp { notApplied.append("vrrp") }
            if new.stats != running.stats { notApplied.append("stats") }
            if new.log != running.log { notApplied.append("log") }
            if !notApplied.isEmpty {
                logger.warning("SIGHUP: changes to \(notApplied.joined(separator: ", ")) need a restart and were not applied",
                               metadata: ["event": "reload"])
            }
        } catch {
            logger.error("SIGHUP: cannot apply the configuration: \(error)", metadata: ["event": "reload"])
        }
    }

    static func run(config: FerryConfig) throws -> Int32 {
        let logger = Logger(label: "ferry")
        signal(SIGPIPE, SIG_IGN)  // a peer closing mid-write is an EPIPE to handle, not a process kill
        let loop = try EpollLoop()
        var proxy: ProxyServer?
        var vrrp: VRRPService?
        var stopping = false
        var exitCode: Int32 = 0
        // Before any thread starts, so every thread inherits the blocked mask.
        let signals = try SignalWatcher(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP]) { signal in
            switch signal {
            case SIGHUP:
                reload(config.path, proxy: proxy, running: config, logger: logger)
            case _ where stopping:
                logger.notice("second stop signal: exiting now")
                exitCode = 130
                loop.stop()
            default:
                stopping = true
                logger.notice("\(signal == SIGTERM ? "SIGTERM" : "SIGINT"): shutting down")
                // The VIP moves first (priority-0 advert: the peer takes over after Skew_Time),
                // then the sessions still here get their grace period.
                vrrp?.stop()
                proxy?.shutdown(grace: config.proxy.shutdownGrace) { loop.stop() }
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
        logger.info("ferry \(FerryVersion.current) started", metadata: ["config": "\(config.path ?? "-")"])
        withExtendedLifetime(signals) { loop.run() }
        vrrp?.stop()  // after a second signal; a no-op when already stopped
        logger.info("ferry stopped")
        return exitCode
    }
}
