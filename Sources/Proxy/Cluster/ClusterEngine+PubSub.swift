import Cluster
import EventLoop
import RESP

/// Pub/Sub: `SUBSCRIBE`, `PSUBSCRIBE` (any master: a cluster's `PUBLISH` reaches every node) and
/// `SSUBSCRIBE` (its shard channels' master) move the client to an exclusive link of its own, for
/// good: from then on everything it sends goes there as it came, and everything the server sends
/// there (confirmations, messages, RESP3 pushes, the replies to its later commands) reaches it
/// in arrival order, after the replies it was owed before. The server decides what a subscribed
/// client may run, as for a direct client. A client that lets 4 MiB of messages pile up unread is
/// closed (Redis's own `client-output-buffer-limit pubsub` does the same); if the link fails, the
/// client is closed, and subscribes again when it reconnects.
extension ClusterEngine {
    static let subscribedElsewhere = "ERR ferry: this connection subscribed on one master; a key of another master needs another connection"

    func subscribe(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, slot: UInt16?) {
        guard let master = liveMaster(of: slot, for: client) else { return }
        let link = exclusiveLink(to: master, for: client)
        link.subscriber = true
        client.subscribedVia = link.index
        sendSubscribed(client, arguments, raw: raw, route: .subscribe(slot))
    }

    /// A subscribed client's request: to its link, except `QUIT` and `RESET` (answered by Ferry;
    /// `RESET` resets the link too, which ends the subscriptions).
    func sendSubscribed(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, route: Route) {
        if case .local = route, arguments.matches(0, "quit") || arguments.matches(0, "reset") || arguments.matches(0, "hello")
            || arguments.matches(0, "auth") {
            if !arguments.matches(0, "auth") && !arguments.matches(0, "hello") { abandonExclusive(client) }
            return dispatchLocally(client, arguments)
        }
        let link = links[Int(client.subscribedVia)]
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: 0, length: 0,
                                        hops: 0, kind: .pushed, hashSlot: -1, queuedAt: context.loop.now)
        link.counters.commands &+= 1
        withRequest(arguments, raw: raw) { enqueue($0, for: waiter, on: link) }
    }

    /// Whether a reply on a subscriber link is the server's own (a confirmation, a message, a
    /// reply to a subscribed client's command) rather than the reply to Ferry's handshake. The
    /// subscribed client's requests already written are forgotten first.
    func isPushed(_ reply: UnsafeRawBufferPointer, _ scanned: ScannedReply, on link: BackendLink) -> Bool {
        while let waiter = link.oldestWaiter(), waiter.kind == .pushed, link.written >= Int(waiter.length) {
            link.acknowledge(waiter)
        }
        return link.oldestWaiter().map { $0.kind == .pushed } ?? true
    }

    /// Hands what the server sent a subscriber to it, after every reply it was owed before; false
    /// when the client was closed for leaving too much unread.
    func forwardPushed(_ reply: UnsafeRawBufferPointer, _ scanned: ScannedReply, from link: BackendLink) -> Bool {
        guard let client = clients[Int(link.owner)], client.subscribedVia == link.index else { return true }
        if client.output.count > settings.maxUnreadReplyBytes {
            logger.info("closing a subscriber that does not read its messages", metadata: ["unread": "\(client.output.count)"])
            closeClient(client)  // resets the link too
            return false
        }
        let sequence = client.nextSequence
        client.nextSequence &+= 1
        if let range = scanned.errorText, let redirect = Redirect(error: UnsafeRawBufferPointer(rebasing: reply[range])),
           redirect.isRedirection {
            // A key of another master: not followed on a subscriber's link.
            scratch.removeAll(keepingCapacity: true)
            RESPWriter.appendError(Self.subscribedElsewhere, into: &scratch)
            scratch.withUnsafeBytes { client.deliver(sequence, $0) }
        } else {
            client.deliver(sequence, reply)
        }
        client.serverSeen = context.loop.now
        queueFlush(client)
        return true
    }
}
