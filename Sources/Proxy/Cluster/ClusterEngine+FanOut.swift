import Cluster
import EventLoop
import RESP

/// Client commands that several masters answer: a multi-key command split by slot (`MGET`,
/// `MSET`, `DEL`…: ``MultiKeySplitter``), or a keyless one sent to every master (`DBSIZE`, `KEYS`,
/// `FLUSHALL`, `SCRIPT LOAD`…). Each part is a request of its own on its master's link (so
/// MOVED, ASK, TRYAGAIN and `cluster.hold` apply to it alone); the replies wait in a ``Gather``
/// until every part has answered, then ``ReplyMerger`` makes the one reply the client gets, in
/// its place in the client's order.
extension ClusterEngine {
    /// One client command waiting for its parts' replies. Pooled: a plan and a replies buffer,
    /// once grown, serve the next commands without allocating.
    struct Gather {
        var client: Int32 = -1
        var generation: UInt32 = 0
        var sequence: UInt32 = 0
        var rule = ReplyMergeRule.allSucceeded
        var queuedAt: UInt64 = 0
        /// Split by slot: which part has which keys (``ReplyMergeRule/keyOrder`` reads it).
        var plan = SplitPlan()
        var replies = PartReplies()
        /// A `SCAN` of this master (its index in ``ClusterEngine/masterSlots``), or -1.
        var scannedMaster = -1
    }

    /// A multi-key command whose keys span slots: one part per slot.
    func split(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, as command: MultiKeyCommand) {
        let gather = newGather(for: client, rule: command.rule)
        switch splitter.split(arguments, as: command, into: &gathers[Int(gather)].plan) {
        case .oneSlot(let slot):
            freeGathers.append(gather)
            let link = slotLinks[Int(slot)]
            if link >= 0 { send(client, arguments, raw: raw, to: link, hashSlot: Int16(slot)) } else { reply(client, error: Self.slotNotServed) }
        case .invalid:
            // MSET with a key and no value: what one Redis answers (a cluster node would say CROSSSLOT).
            freeGathers.append(gather)
            reply(client, error: Router.arityMessage(for: arguments))
        case .split:
            let parts = gathers[Int(gather)].plan.partCount
            start(gather, parts: parts, for: client)
            var request: [UInt8] = []
            swap(&request, &requestBuffer)
            for part in 0..<parts {
                request.removeAll(keepingCapacity: true)
                gathers[Int(gather)].plan.appendRequest(part: part, from: arguments, into: &request)
                let slot = gathers[Int(gather)].plan.slot(ofPart: part)
                request.withUnsafeBytes { sendPart(part, of: gather, slot: slot, $0, client: client) }
            }
            swap(&request, &requestBuffer)
        }
    }

    /// A keyless command for every master: the same bytes to each, sent to the master of one of
    /// its slots (so a part held through a failover goes to whoever owns that slot then).
    func sendToAllMasters(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?,
                          rule: ReplyMergeRule) {
        guard !masterSlots.isEmpty else { return reply(client, error: Self.slotNotServed) }
        let gather = newGather(for: client, rule: rule)
        start(gather, parts: masterSlots.count, for: client)
        withRequest(arguments, raw: raw) { bytes in
            for (part, slot) in masterSlots.enumerated() { sendPart(part, of: gather, slot: slot, bytes, client: client) }
        }
    }

    /// `SCAN cursor …`: the cursor names a master and its own cursor; the master's reply gets the
    /// cursor that goes on (the same master further, the next one, or 0 after the last). Masters
    /// are numbered by their first slot, which a failover keeps; a resharding that adds or
    /// removes a master during a scan renumbers them (the scan may then repeat or miss keys).
    func scan(_ client: ClusterClient, _ arguments: CommandArguments) {
        guard !masterSlots.isEmpty else { return reply(client, error: Self.slotNotServed) }
        guard let position = ClusterScanCursor.decode(arguments[1], masterCount: masterSlots.count) else {
            return reply(client, error: ClusterScanCursor.invalidCursorMessage)
        }
        let gather = newGather(for: client, rule: .allSucceeded)
        gathers[Int(gather)].scannedMaster = position.masterIndex
        start(gather, parts: 1, for: client)
        var request: [UInt8] = []
        swap(&request, &requestBuffer)
        request.removeAll(keepingCapacity: true)
        ClusterScanCursor.appendServerRequest(arguments, serverCursor: position.serverCursor, into: &request)
        request.withUnsafeBytes { sendPart(0, of: gather, slot: masterSlots[position.masterIndex], $0, client: client) }
        swap(&request, &requestBuffer)
    }

    private func newGather(for client: ClusterClient, rule: ReplyMergeRule) -> Int32 {
        let index: Int32
        if let free = freeGathers.popLast() {
            index = free
        } else {
            index = Int32(gathers.count)
            gathers.append(Gather())
        }
        gathers[Int(index)].client = client.slot
        gathers[Int(index)].generation = client.generation
        gathers[Int(index)].rule = rule
        gathers[Int(index)].queuedAt = context.loop.now
        gathers[Int(index)].scannedMaster = -1
        return index
    }

    /// Takes the client's next reply number for the merged reply, and expects `parts` replies.
    private func start(_ gather: Int32, parts: Int, for client: ClusterClient) {
        gathers[Int(gather)].sequence = client.nextSequence
        client.nextSequence &+= 1
        gathers[Int(gather)].replies.reset(parts: parts)
    }

    /// Sends `bytes` as part `part` to the master of `slot`.
    private func sendPart(_ part: Int, of gather: Int32, slot: UInt16, _ bytes: UnsafeRawBufferPointer, client: ClusterClient) {
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: UInt32(gather),
                                        length: 0, hops: 0, kind: .part, hashSlot: Int16(slot), part: UInt16(part),
                                        queuedAt: context.loop.now)
        let index = slotLinks[Int(slot)]
        guard index >= 0 else { return deliver(waiter, error: Self.slotNotServed) }
        let link = link(index, for: client)
        if link.failed && settings.hold == 0 { return deliver(waiter, error: Self.clusterIsDown) }
        submit(bytes, for: waiter, on: link, client: client)
    }

    /// A part's final reply (after any redirection): kept, and once every part has answered, the
    /// merged reply goes to the client. Stale for a closed client: merged and dropped (the gather
    /// lives until its last part, so a reused client slot never sees it).
    func partAnswered(_ waiter: BackendLink.Waiter, _ reply: UnsafeRawBufferPointer) {
        let index = Int(waiter.sequence)
        var merged: [UInt8] = []
        swap(&merged, &mergeBuffer)
        merged.removeAll(keepingCapacity: true)
        if gathers[index].scannedMaster >= 0 {
            rewriteScanReply(reply, master: gathers[index].scannedMaster, into: &merged)
        } else {
            gathers[index].replies.store(reply, forPart: Int(waiter.part))
            guard gathers[index].replies.isComplete else { return swap(&merged, &mergeBuffer) }
            let rule = gathers[index].rule
            merger.merge(gathers[index].replies, rule: rule, plan: rule == .keyOrder ? gathers[index].plan : nil, into: &merged)
        }
        let (owner, generation, sequence) = (gathers[index].client, gathers[index].generation, gathers[index].sequence)
        freeGathers.append(Int32(index))
        context.counters.frontend.latency.record(nanoseconds: context.loop.now &- gathers[index].queuedAt)
        if let client = clients[Int(owner)], client.generation == generation {
            merged.withUnsafeBytes { client.deliver(sequence, $0) }
            client.serverSeen = context.loop.now
            queueFlush(client)
        }
        swap(&merged, &mergeBuffer)
    }

    private func rewriteScanReply(_ reply: UnsafeRawBufferPointer, master: Int, into output: inout [UInt8]) {
        // A master removed meanwhile (del-node): its reply still ends at the last master.
        let masters = max(masterSlots.count, master + 1)
        switch ClusterScanCursor.appendClientReply(reply, masterIndex: master, masterCount: masters, into: &output) {
        case .rewritten, .error: break
        case .malformed: RESPWriter.appendError(ReplyMerger.unreadableMessage, into: &output)
        case .serverCursorTooLarge: RESPWriter.appendError(ClusterScanCursor.serverCursorTooLargeMessage, into: &output)
        }
    }
}
