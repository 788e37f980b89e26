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
        let index = slotLinks[Int(slot)]
        guard index >= 0 else { return reply(client, error: Self.slotNotServed) }
        let master = links[Int(index)]
        guard !master.failed else { return reply(client, error: Self.clusterIsDown) }
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .blocking, hashSlot: Int16(slot), queuedAt: context.loop.now)
        client.nextSequence &+= 1
        scratch.removeAll(keepingCapacity: true)
        if let raw { scratch.append(contentsOf: raw) } else { RESPWriter.appendCommand(arguments, into: &scratch) }
        scratch.withUnsafeBytes { sendBlocking($0, waiter, to: master, asking: false) }
    }

    /// Sends a blocking command on an exclusive link to `master` (after `ASKING` for an ASK).
    func sendBlocking(_ bytes: UnsafeRawBufferPointer, _ waiter: BackendLink.Waiter, to master: BackendLink, asking: Bool) {
        guard let client = clients[Int(waiter.client)], client.generation == waiter.generation else { return }
        let link = exclusiveLink(to: master, resp3: client.state.isRESP3)
        link.owner = client.slot
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

    /// An idle exclusive link to `master`'s address, or a new one.
    func exclusiveLink(to master: BackendLink, resp3: Bool) -> BackendLink {
        let key = ExclusiveKey(name: master.name, resp3: resp3)
        if let index = idleExclusive[key]?.popLast() { return links[Int(index)] }
        return links[Int(addLink(host: master.host, port: master.port, address: master.address, resp3: resp3, exclusive: true))]
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
        for index in [client.blockedOn, client.pinnedTo, client.subscribedVia] where index >= 0 {
            let link = links[Int(index)]
            if link.fd >= 0 { failLink(link, .stopping) } else { releaseExclusive(link) }
        }
        client.blockedOn = -1
        client.pinnedTo = -1
        client.subscribedVia = -1
    }

    /// A redirection of a blocking command (it did not run): sent again on an exclusive link to
    /// the node named. TRYAGAIN, CLUSTERDOWN and the rest reach the client as the server sent them.
    func followedBlocking(_ redirect: Redirect, _ waiter: BackendLink.Waiter, from link: BackendLink) -> Bool {
        var again = waiter
        again.hops += 1
        let bytes = Array(UnsafeRawBufferPointer(rebasing: link.stream.bytes[0..<Int(waiter.length)]))
        switch redirect {
        case .moved(let slot, let host, let port):
            link.counters.moved &+= 1
            requestRefresh()
            guard host != "?", let target = self.link(host: host.isEmpty ? link.host : host, port: port) else { return false }
            slotLinks[Int(slot)] = target
            bytes.withUnsafeBytes { sendBlocking($0, again, to: links[Int(target)], asking: false) }
        case .ask(_, let host, let port):
            link.counters.asked &+= 1
            guard host != "?", let target = self.link(host: host.isEmpty ? link.host : host, port: port) else { return false }
            bytes.withUnsafeBytes { sendBlocking($0, again, to: links[Int(target)], asking: true) }
        default:
            return false
        }
        return true
    }

    struct ExclusiveKey: Hashable {
        var name: String
        var resp3: Bool
    }
}
