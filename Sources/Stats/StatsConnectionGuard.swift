import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Sits in each stats connection's pipeline after HTTP decoding: counts and logs requests the
/// parser rejects (Hummingbird then answers 400 and closes), and closes connections whose next
/// request does not arrive, head and body, within `requestTimeout` (a slowloris client, or an
/// idle keep-alive). Together with the connection cap this keeps slow or hostile clients from
/// holding the process's file descriptors, which the proxy needs.
final class StatsConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let requestTimeout: TimeAmount
    private let counters: StatsCounterStore
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    /// Bytes of a request have been decoded (a head) but its response has not started.
    private var inRequest = false

    init(requestTimeout: TimeAmount, counters: StatsCounterStore, logger: Logger) {
        self.requestTimeout = requestTimeout
        self.counters = counters
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inRequest = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            // The response has started: the client did its part in time.
            deadline?.cancel()
            inRequest = false
        case .end:
            arm(context)  // the next request on this keep-alive connection gets a fresh deadline
        case .body:
            break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            counters.increment(.malformed)
            logger.info("stats: malformed HTTP request, answering 400", metadata: [
                "peer": "\(context.channel.remoteAddress?.description ?? "unknown")", "error": "\(parserError)",
            ])
        }
        context.fireErrorCaught(error)
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) { [self] in
            let context = loopBound.value
            counters.increment(.headTimeouts)
            let level: Logger.Level = inRequest ? .info : .debug  // an idle keep-alive closing is routine
            logger.log(level: level, "stats: closing connection, no complete request in \(requestTimeout)", metadata: [
                "peer": "\(context.channel.remoteAddress?.description ?? "unknown")",
            ])
            context.close(promise: nil)
        }
    }
}
