import Cluster
import EventLoop
import RESP

/// Blocking commands (`BLPOP`, `BRPOP`, `BLMOVE`, `BZPOPMIN`, `XREAD … BLOCK`…): each runs on a
/// link of the client's own to its slot's master, for as long as it blocks, so no other client
/// waits behind it. The server keeps the timeout. Meanwhile the client's next requests are not
/// read (a blocked client's are not, on one Redis either). A client that leaves resets that link,
/// so the server pops nothing for it. Idle exclusive links are pooled per master and protocol
/// (``maxIdleExclusive`` kept open), so a client that blocks in a loop does not connect each time.
extension ClusterEngine {
    /// Idle exclusive links kept connected per master and protocol; more are closed when freed.
    static let maxIdleExclusive = 16

    func sendBlocking(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, slot: UInt16) {
        guard let master = liveMaster(of: slot, for: client) else { return }
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .blocking, hashSlot: Int16(slot), queuedAt: context.loop.now)
        client.nextSequence &+= 1
        withRequest(arguments, raw: raw) { sendBlocking($0, waiter, to: master, asking: false) }
    }

    /// Sends a blocking command on an exclusive link to `master` (after `ASKING` for an ASK).
    func sendBlocking(_ bytes: UnsafeRawBufferPointer, _ waiter: BackendLink.Waiter, to master: BackendLink, asking: Bool) {
        guard let client = clients[Int(waiter.client)], client.generation == waiter.generation else { return }
        let link = exclusiveLink(to: master, for: client)
        client.blockedOn = link.index
        link.counters.commands &+= 1
        if asking {
            var ask = waiter
            ask.kind = .asking
            Self.askingCommand.withUnsafeBytes { enqueue($0, for: ask, on: link) }
            // The connect failed and the link went back to the pool: not on it, then.
            guard link.owner == client.slot else { return deliver(waiter, error: "ERR ferry: cannot connect to \(link.name)") }
        }
        enqueue(bytes, for: waiter, on: link)
    }

    /// The (RESP2) link of the master of `slot` (any master for `nil`), to open an exclusive link
    /// to; nil, and the client answered, when there is none or the checks show it DOWN.
    func liveMaster(of slot: UInt16?, for client: ClusterClient) -> BackendLink? {
        let index = slot.map { slotLinks[Int($0)] } ?? anyMaster() ?? -1
        guard index >= 0 else {
            reply(client, error: Self.slotNotServed)
            return nil
        }
        guard !links[Int(index)].failed else {
            reply(client, error: Self.clusterIsDown)
            return nil
        }
        return links[Int(index)]
    }

    /// An idle exclusive link to `master`'s address in the client's protocol, or a new one, now
    /// the client's.
    func exclusiveLink(to master: BackendLink, for client: ClusterClient) -> BackendLink {
        let resp3 = client.state.isRESP3
        let key = ExclusiveKey(name: master.name, resp3: resp3)
        let link = idleExclusive[key]?.popLast().map { links[Int($0)] }
            ?? links[Int(addLink(host: master.host, port: master.port, address: master.address, resp3: resp3, exclusive: true))]
        link.owner = client.slot
        return link
    }

    /// The blocking command on `link` has its reply (or the client left): the link goes back to
    /// the pool, still connected unless the pool is full or it was reset, and the client is read
    /// again.
    func releaseExclusive(_ link: BackendLink) {
        guard link.owner >= 0 else { return }
        if let client = clients[Int(link.owner)] {
            if client.blockedOn == link.index {
                client.blockedOn = -1
                queueFlush(client)  // its next requests are read once its replies are written
            }
            if client.pinnedTo == link.index {  // the link failed: the server dropped the transaction
                client.pinnedTo = -1
                client.multiAnswered = false
            }
            if client.subscribedVia == link.index {
                // Its subscriptions are gone with the link: it is closed once its replies are
                // written, and subscribes again on reconnecting, as clients do after a lost connection.
                client.subscribedVia = -1
                client.finished = true
                queueFlush(client)
            }
        }
        link.owner = -1
        link.subscriber = false
        let key = ExclusiveKey(name: link.name, resp3: link.resp3)
        if idleExclusive[key, default: []].count >= Self.maxIdleExclusive && link.fd >= 0 { failLink(link, .stopping) }
        idleExclusive[key, default: []].append(link.index)
    }

    /// A link whose last reply has come: back to the pool, unless a transaction still holds it.
    func releaseIfIdle(_ link: BackendLink) {
        guard link.owner >= 0, !link.subscriber, clients[Int(link.owner)]?.pinnedTo != link.index else { return }
        releaseExclusive(link)
    }

    /// The client is closing (or resetting) while blocked or in a transaction: its link is reset
    /// (the server then unblocks it and pops nothing for it, or drops the transaction) and pooled,
    /// to connect again when next needed.
    func abandonExclusive(_ client: ClusterClient) {
        client.multiAnswered = false
        // At most one of them holds a link (EXEC's blocks the client, and the pin is gone then).
        let index = max(client.blockedOn, client.pinnedTo, client.subscribedVia)
        client.blockedOn = -1
        client.pinnedTo = -1
        client.subscribedVia = -1
        guard index >= 0 else { return }
        let link = links[Int(index)]
        if link.fd >= 0 { failLink(link, .stopping) } else { releaseExclusive(link) }
    }

    struct ExclusiveKey: Hashable {
        var name: String
        var resp3: Bool
    }
}
