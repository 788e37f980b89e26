import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Sits in each stats connection's pipeline after HTTP decoding: counts and logs requests the
/// parser rejects (Hummingbird then answers 400 and closes), and closes connections whose next
/// request does not arrive, head and body, within `requestTimeout` (a slowloris client, or an
/// idle keep-alive). Together with the connection cap this keeps slow or hostile clients from
/// holding the process's file descriptors, which the proxy needs. A small watcher it puts in
/// front of the decoder tells it when bytes arrive, so a stalled half request is told apart
/// from an idle connection.
final class StatsConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let requestTimeout: TimeAmount
    private let counters: StatsCounterStore
    private let log: RejectionLog
    private var deadline: Scheduled<Void>?
    /// Bytes of a request have arrived but its response has not started.
    private var inRequest = false
    /// This connection's request was refused (or timed out) and the connection is closing: the
    /// decoder may report the same bad bytes again (and a cut-off request at close), which is
    /// not another request.
    private var refused = false

    init(requestTimeout: TimeAmount, counters: StatsCounterStore, log: RejectionLog) {
        self.requestTimeout = requestTimeout
        self.counters = counters
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The watcher goes first, before the HTTP decoder, where bytes are still bytes.
        try? context.pipeline.syncOperations.addHandler(InputWatcher { [self] in inRequest = true }, position: .first)
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
        if let parserError = error as? HTTPParserError, !refused {
            refused = true
            counters.increment(.malformed)
            log.log(.info, "stats: malformed HTTP request, answering 400", peer: Self.peer(context),
                    reason: "\(parserError)")
        }
        context.fireErrorCaught(error)
    }

    static func peer(_ context: ChannelHandlerContext) -> String? {
        context.channel.remoteAddress.map { $0.ipAddress ?? "\($0)" }
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) { [self] in
            let context = loopBound.value
            counters.increment(.headTimeouts)
            refused = true
            if inRequest {
                log.log(.info, "stats: closing connection", peer: Self.peer(context),
                        reason: "request incomplete after \(requestTimeout)")
            } else {  // an idle keep-alive, or a browser's spare connection: routine
                log.logger.debug("stats: closing idle connection", metadata: ["peer": "\(Self.peer(context) ?? "unknown")"])
            }
            context.close(promise: nil)
        }
    }

    /// Passes bytes on untouched, saying that some arrived.
    final class InputWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let arrived: () -> Void

        init(arrived: @escaping () -> Void) { self.arrived = arrived }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if unwrapInboundIn(data).readableBytes > 0 { arrived() }
            context.fireChannelRead(data)
        }
    }
}
