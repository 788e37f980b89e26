import Hummingbird
import NIOCore

/// Hummingbird's per-request context plus the peer's address (for admin logs).
struct StatsRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// `10.0.0.5`; `nil` when the transport has none (router tests).
    let peer: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress.map { $0.ipAddress ?? "\($0)" }
    }
}
