import Cluster
import EventLoop
import RESP

/// Where each parsed request goes: answered here, refused, or queued on a master's link. The
/// decision itself is the pure ``Router``'s; this file only carries it out.
extension ClusterEngine {
    static let slotNotServed = "CLUSTERDOWN Hash slot not served"
    static let clusterIsDown = "CLUSTERDOWN The cluster is down"

    /// Runs the request now in ``arguments``; `raw` is its canonical bytes, forwarded verbatim
    /// when present (otherwise it is re-encoded).
    func dispatch(_ client: ClusterClient, raw: UnsafeRawBufferPointer?) {
        if !client.state.isAuthenticated && ClientAuthenticator.rejects(arguments, state: client.state) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: ClientAuthenticator.noAuthReply)
            return replyFromScratch(client)
        }
        guard let view else {
            // No slot map yet: what Ferry answers itself still works.
            if !answerLocally(client) { reply(client, error: Self.slotNotServed) }
            return
        }
        switch view.router.route(arguments) {
        case .local:
            if !answerLocally(client) { reply(client, error: Router.unsupportedMessage(for: arguments)) }
        case .slot(let slot):
            let link = slotLinks[Int(slot)]
            if link >= 0 { send(client, raw: raw, to: link) } else { reply(client, error: Self.slotNotServed) }
        case .anyMaster:
            if let link = anyMaster() { send(client, raw: raw, to: link) } else { reply(client, error: Self.slotNotServed) }
        case .unsupported:
            reply(client, error: Router.unsupportedMessage(for: arguments))
        case .crossSlot:
            reply(client, error: Router.crossSlotMessage)
        case .needsKeys:
            // `COMMAND GETKEYS` first, then route: not built yet (rare: SORT … BY/GET, MIGRATE … KEYS).
            reply(client, error: "ERR ferry: the keys of this command cannot be found from its key specs; " +
                  "routing it through COMMAND GETKEYS is not supported yet")
        }
    }

    /// Ferry's own answers: connection commands (``LocalCommands``) and the one-node cluster that
    /// keeps cluster-aware clients on Ferry's address (``OneNodeCluster``). False when it is none.
    private func answerLocally(_ client: ClusterClient) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        localContext.descriptor = client.fd
        localContext.clientAddress = client.peerBytes
        localContext.localAddress = client.localBytes
        localContext.ageSeconds = Int64((context.loop.now &- client.connectedAt) / 1_000_000_000)
        switch LocalCommands.answer(arguments, state: &client.state, context: localContext, into: &scratch) {
        case .replied:
            replyFromScratch(client)
            return true
        case .replyThenClose:
            replyFromScratch(client)
            client.finished = true
            return true
        case .notLocal:
            break
        }
        let resp3 = client.state.isRESP3
        if arguments.count == 1 && (arguments.matches(0, "readonly") || arguments.matches(0, "readwrite")) {
            // Ferry reads from masters; a client that asks for replica reads still gets correct data.
            scratch.append(contentsOf: "+OK\r\n".utf8)
        } else if arguments.count == 2 && arguments.matches(0, "cluster") {
            let cluster = OneNodeCluster(host: client.localHost, port: client.localPort)
            if arguments.matches(1, "slots") {
                scratch = cluster.slots(resp3: resp3)
            } else if arguments.matches(1, "shards") {
                scratch = cluster.shards(resp3: resp3)
            } else if arguments.matches(1, "nodes") {
                scratch = cluster.nodes(resp3: resp3)
            } else if arguments.matches(1, "myid") {
                scratch = cluster.myID()
            } else if arguments.matches(1, "info") {
                scratch = cluster.info(coveredSlots: view?.slotMap.coveredSlots ?? 0, resp3: resp3)
            } else {
                return false
            }
        } else {
            return false
        }
        replyFromScratch(client)
        return true
    }

    /// Queues the request on a master's link, to be written with the others at the end of the event.
    private func send(_ client: ClusterClient, raw: UnsafeRawBufferPointer?, to index: Int32) {
        let link = link(index, for: client)
        guard !link.failed else {
            // What a Redis node answers while its cluster has lost a master (full coverage required).
            return reply(client, error: Self.clusterIsDown)
        }
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .client, queuedAt: context.loop.now)
        client.nextSequence &+= 1
        link.counters.commands &+= 1
        if let raw {
            enqueue(raw, for: waiter, on: link)
        } else {
            scratch.removeAll(keepingCapacity: true)
            RESPWriter.appendCommand(arguments, into: &scratch)
            scratch.withUnsafeBytes { enqueue($0, for: waiter, on: link) }
        }
    }
}
