import Cluster
import EventLoop
import RESP

/// Where each parsed request goes: answered here, refused, or queued on a master's link. The
/// decision itself is the pure ``Router``'s; this file only carries it out.
extension ClusterEngine {
    static let slotNotServed = "CLUSTERDOWN Hash slot not served"
    static let clusterIsDown = "CLUSTERDOWN The cluster is down"

    /// Runs one request; `raw` is its canonical bytes, forwarded verbatim when present (otherwise
    /// it is re-encoded). The arguments are a parameter, not the engine's property, so reading
    /// them costs no retain and no exclusivity check.
    func dispatch(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?) {
        if !client.state.isAuthenticated && ClientAuthenticator.rejects(arguments, state: client.state) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: ClientAuthenticator.noAuthReply)
            return replyFromScratch(client)
        }
        // Not `guard let view`: binding would copy the view (a dozen retains) for every request.
        guard view != nil else {
            // No slot map yet: what Ferry answers itself still works.
            if !answerLocally(client, arguments) { reply(client, error: Self.slotNotServed) }
            return
        }
        let route = view!.router.route(arguments)
        if client.subscribedVia >= 0 { return sendSubscribed(client, arguments, raw: raw, route: route) }
        if client.pinnedTo >= 0 || client.multiAnswered || route == .unsupported,
           runTransactional(client, arguments, raw: raw, route: route) { return }
        switch route {
        case .local:
            if !answerLocally(client, arguments) { reply(client, error: Router.unsupportedMessage(for: arguments)) }
        case .slot(let slot):
            let link = slotLinks[Int(slot)]
            if link >= 0 { send(client, arguments, raw: raw, to: link, hashSlot: Int16(slot)) } else { reply(client, error: Self.slotNotServed) }
        case .anyMaster:
            if let link = anyMaster() { send(client, arguments, raw: raw, to: link, hashSlot: -1) } else { reply(client, error: Self.slotNotServed) }
        case .unsupported:
            reply(client, error: Router.unsupportedMessage(for: arguments))
        case .crossSlot:
            reply(client, error: Router.crossSlotMessage)
        case .split(let command):
            split(client, arguments, raw: raw, as: command)
        case .allMasters(let rule):
            sendToAllMasters(client, arguments, raw: raw, rule: rule)
        case .scan:
            scan(client, arguments)
        case .subscribe(let slot):
            subscribe(client, arguments, raw: raw, slot: slot)
        case .blocking(let slot):
            // Behind held requests it could overtake them: as if the cluster were down, which it is.
            if client.held > 0 { return reply(client, error: Self.clusterIsDown) }
            sendBlocking(client, arguments, raw: raw, slot: slot)
        case .needsKeys:
            if let link = anyMaster() { askKeys(client, arguments, raw: raw, via: link) } else { reply(client, error: Self.slotNotServed) }
        }
    }

    /// A local command, or Redis's refusal of it.
    func dispatchLocally(_ client: ClusterClient, _ arguments: CommandArguments) {
        if !answerLocally(client, arguments) { reply(client, error: Router.unsupportedMessage(for: arguments)) }
    }

    /// Ferry's own answers: connection commands (``LocalCommands``) and the one-node cluster that
    /// keeps cluster-aware clients on Ferry's address (``OneNodeCluster``). False when it is none.
    private func answerLocally(_ client: ClusterClient, _ arguments: CommandArguments) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        localContext.descriptor = client.fd
        if arguments.count > 1 && arguments.matches(0, "client") {
            // Only CLIENT INFO prints them.
            localContext.clientAddress = Array((client.peerAddress?.description ?? "?").utf8)
            localContext.localAddress = Array((client.localAddress?.description ?? "?").utf8)
        }
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
            RESPWriter.appendSimpleString("OK", into: &scratch)
        } else if arguments.count == 2 && arguments.matches(0, "cluster") {
            let local = client.localAddress
            let cluster = OneNodeCluster(host: local?.host ?? "127.0.0.1", port: local?.port ?? 0)
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

    /// The key specs cannot find this command's keys (`SORT`, `MIGRATE … KEYS`): a master is asked
    /// `COMMAND GETKEYS` with the same arguments, and the command waits for the answer (rare path:
    /// it allocates).
    private func askKeys(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, via index: Int32) {
        let link = link(index, for: client)
        guard !link.failed else { return reply(client, error: Self.clusterIsDown) }
        var command: [UInt8] = []
        if let raw { command.append(contentsOf: raw) } else { RESPWriter.appendCommand(arguments, into: &command) }
        var question: [UInt8] = []
        RESPWriter.appendArrayHeader(arguments.count + 2, into: &question)
        RESPWriter.appendBulk("COMMAND", into: &question)
        RESPWriter.appendBulk("GETKEYS", into: &question)
        for position in 0..<arguments.count { RESPWriter.appendBulk(arguments[position], into: &question) }
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .keys, hashSlot: -1, queuedAt: context.loop.now)
        client.nextSequence &+= 1
        awaitingKeys[Self.awaitingKey(waiter)] = command
        question.withUnsafeBytes { enqueue($0, for: waiter, on: link) }
    }

    static func awaitingKey(_ waiter: BackendLink.Waiter) -> UInt64 { UInt64(UInt32(bitPattern: waiter.client)) << 32 | UInt64(waiter.sequence) }

    /// `COMMAND GETKEYS` answered: route the command it was asked for.
    func keysFound(_ waiter: BackendLink.Waiter, _ reply: UnsafeRawBufferPointer, isError: Bool) {
        guard let command = awaitingKeys.removeValue(forKey: Self.awaitingKey(waiter)),
              let client = clients[Int(waiter.client)], client.generation == waiter.generation, let view else { return }
        var route = Route.anyMaster  // no keys, or arguments GETKEYS rejects: the server answers the command's own error
        if !isError, let (keys, _) = try? RESPReader(maxElements: 1 << 20).parse(Array(reply)) {
            route = view.router.route(keysFromGetKeys: keys)
        }
        var target: Int32 = -1
        var forward = waiter
        forward.kind = .client
        switch route {
        case .slot(let slot):
            target = slotLinks[Int(slot)]
            forward.hashSlot = Int16(slot)
        case .crossSlot:
            scratch.removeAll(keepingCapacity: true)
            RESPWriter.appendError(Router.crossSlotMessage, into: &scratch)
            scratch.withUnsafeBytes { deliver(waiter, $0) }
            return
        default: target = anyMaster() ?? -1
        }
        guard target >= 0 else { return deliver(forward, error: Self.slotNotServed) }
        let destination = link(target, for: client)
        command.withUnsafeBytes { submit($0, for: forward, on: destination, client: client) }
    }

    /// Queues the request on a master's link, to be written with the others after the batch of
    /// events; or holds it while that master is down, or while earlier requests of the client are held.
    func send(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, to index: Int32,
                      hashSlot: Int16) {
        let link = link(index, for: client)
        if link.failed && settings.hold == 0 {
            // What a Redis node answers while its cluster has lost a master (full coverage required).
            return reply(client, error: Self.clusterIsDown)
        }
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .client, hashSlot: hashSlot, queuedAt: context.loop.now)
        client.nextSequence &+= 1
        withRequest(arguments, raw: raw) { submit($0, for: waiter, on: link, client: client) }
    }

    @inline(__always)
    func submit(_ bytes: UnsafeRawBufferPointer, for waiter: BackendLink.Waiter, on link: BackendLink, client: ClusterClient) {
        if link.failed || client.held > 0 {
            hold(waiter, bytes, at: link)
        } else {
            link.counters.commands &+= 1
            enqueue(bytes, for: waiter, on: link)
        }
    }
}
