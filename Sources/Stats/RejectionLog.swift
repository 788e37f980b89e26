import Logging
import Synchronization

/// The log lines for refused stats requests (malformed, odd paths, wrong credentials, refused
/// admin actions, stalled requests), each with the peer and the reason, at most ``Limiter/burst``
/// per ``Limiter/window``. A scanner sending garbage as fast as it can must not flood the
/// journal: journald's rate limit is per service, so it would then drop Ferry's VRRP and health
/// check lines too. Counters still count every request; the first line after a quiet spell says
/// how many lines were left out.
final class RejectionLog: Sendable {
    /// Fixed windows: up to `burst` lines, then silence until the window ends. Pure, driven by the caller's clock.
    struct Limiter: Sendable {
        var burst = 20
        var window: Duration = .seconds(60)
        private var windowStart: ContinuousClock.Instant?
        private var loggedInWindow = 0
        private var suppressed = 0

        init(burst: Int = 20, window: Duration = .seconds(60)) {
            self.burst = burst
            self.window = window
        }

        /// `nil`: stay silent. Otherwise log, mentioning the returned number of lines left out before this one.
        mutating func admit(at now: ContinuousClock.Instant) -> Int? {
            if windowStart.map({ now - $0 >= window }) ?? true {
                windowStart = now
                loggedInWindow = 0
            }
            guard loggedInWindow < burst else {
                suppressed += 1
                return nil
            }
            loggedInWindow += 1
            defer { suppressed = 0 }
            return suppressed
        }
    }

    let logger: Logger
    private let limiter: Mutex<Limiter>

    init(logger: Logger, limiter: Limiter = Limiter()) {
        self.logger = logger
        self.limiter = Mutex(limiter)
    }

    func log(_ level: Logger.Level, _ message: String, peer: String?, reason: String, metadata: Logger.Metadata = [:]) {
        guard logger.logLevel <= level, let leftOut = limiter.withLock({ $0.admit(at: .now) }) else { return }
        var metadata = metadata
        metadata["peer"] = "\(peer ?? "unknown")"
        metadata["reason"] = "\(reason)"
        if leftOut > 0 { metadata["suppressed"] = "\(leftOut)" }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    /// At most this much of a request's target goes into a log line.
    static func excerpt(_ target: String) -> String {
        target.utf8.count <= 120 ? target : String(decoding: target.utf8.prefix(120), as: UTF8.self) + "…"
    }
}
