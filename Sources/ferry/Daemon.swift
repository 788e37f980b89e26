import Config
import EventLoop
import Glibc
import Logging
import Proxy
import Stats
import VRRP

/// `ferry run`: wires the control loop, the proxy and the signals, and runs until stopped.
enum Daemon {
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
                logger.warning("SIGHUP: configuration reload is not implemented yet; keeping the running configuration")
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
