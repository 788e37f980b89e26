import Cluster
import EventLoop
import RESP

/// Clients' side of cluster mode: reading and parsing requests (with backpressure), Ferry's own
/// replies, and writing what waits, once per batch of events.
extension ClusterEngine {
    /// Reads and runs requests until the socket is drained, the client is finished, or too many
    /// replies are pending (then the client waits until they are written: backpressure).
    func readRequests(_ client: ClusterClient) {
        while !client.finished {
            runBufferedRequests(client)
            guard !client.finished, !client.paused, client.readable else { return }
            let room = client.input.readSize(total: client.parser.bytesNeeded)
            switch SocketIO.recv(client.fd, into: client.input.reserve(room), count: room) {
            case .done(let count):
                client.input.commit(count)
                client.clientSeen = context.loop.now
                context.counters.frontend.bytesIn &+= UInt64(count)
                // A short read emptied the socket; epoll (edge-triggered) reports what comes next,
                // so the recv that would only say EAGAIN is saved.
                if count < room { client.readable = false }
            case .endOfStream:
                client.finished = true  // FIN: answer what was asked, then close
                client.input.releaseIfEmpty()
            case .wouldBlock:
                client.readable = false
                client.input.releaseIfEmpty()
            case .failed:
                closeClient(client)
                return
            }
        }
    }

    /// Parses and dispatches every complete request already read.
    private func runBufferedRequests(_ client: ClusterClient) {
        // The spans live in a local while the requests run (swapped back after): reading a
        // class's property would retain its arrays for every request.
        var arguments = CommandArguments(capacity: 0)  // no allocation: only holds the place
        swap(&arguments, &self.arguments)
        defer { swap(&arguments, &self.arguments) }
        client.paused = false
        if view == nil && context.loop.now &- client.connectedAt < Self.firstMapWait {
            // Ferry has just started and has not read the slot map yet: the requests wait for it
            // (at most `firstMapWait`) rather than fail.
            client.waitingForMap = !client.input.isEmpty
            if client.waitingForMap { client.paused = true }
            return
        }
        while !client.finished && !client.input.isEmpty {
            if client.blockedOn >= 0 {
                client.paused = true  // blocked: the next request waits, as on one Redis
                return
            }
            if client.pendingReplies >= settings.maxPendingReplies || client.output.count >= settings.maxUnreadReplyBytes
                || (blocks.bytesInUse >= settings.maxBufferedBytes && !client.drained) {
                client.paused = true
                return
            }
            let bytes = client.input.bytes
            switch client.parser.parse(bytes, into: &arguments) {
            case .needMore:
                return
            case .skipped(let consumed):
                client.input.consume(consumed)
            case .error(let text):
                reply(client, error: text)
                client.finished = true
                client.input.removeAll()
            case .command(let consumed):
                context.counters.frontend.commands &+= 1
                let raw = client.parser.lastIsCanonical ? UnsafeRawBufferPointer(rebasing: bytes[0..<consumed]) : nil
                dispatch(client, arguments, raw: raw)
                client.input.consume(consumed)
            }
        }
    }

    /// A reply Ferry makes itself, in its place in the client's order.
    func reply(_ client: ClusterClient, error text: String) {
        scratch.removeAll(keepingCapacity: true)
        RESPWriter.appendError(text, into: &scratch)
        replyFromScratch(client)
    }

    func reply(_ client: ClusterClient, simple text: StaticString) {
        scratch.removeAll(keepingCapacity: true)
        RESPWriter.appendSimpleString(text, into: &scratch)
        replyFromScratch(client)
    }

    /// Calls `body` with a request's bytes: as the client sent them when canonical, else
    /// re-encoded into a buffer of their own. Not `scratch`: Ferry's own replies (an error for a
    /// connect that failed) are written there while `body` runs.
    func withRequest(_ arguments: CommandArguments, raw: UnsafeRawBufferPointer?, _ body: (UnsafeRawBufferPointer) -> Void) {
        if let raw { return body(raw) }
        var buffer: [UInt8] = []
        swap(&buffer, &requestBuffer)  // a local while `body` runs: no overlapping access
        buffer.removeAll(keepingCapacity: true)
        RESPWriter.appendCommand(arguments, into: &buffer)
        buffer.withUnsafeBytes(body)
        swap(&buffer, &requestBuffer)
    }

    func replyFromScratch(_ client: ClusterClient) {
        let sequence = client.nextSequence
        client.nextSequence &+= 1
        context.counters.frontend.latency.record(nanoseconds: 0)
        scratch.withUnsafeBytes { client.deliver(sequence, $0) }
        queueFlush(client)
    }

    func queueFlush(_ client: ClusterClient) {
        if !client.flushQueued {
            client.flushQueued = true
            clientsToFlush.append(client.slot)
        }
    }

    /// Writes every client and link that has something new, once per batch of events: the
    /// commands of many clients leave in one write per master.
    func flushPending() {
        var index = 0
        while index < linksToFlush.count {
            let link = links[Int(linksToFlush[index])]
            link.flushQueued = false
            if link.state == .connected && !link.flush() { failLink(link, .lost) }
            index += 1
        }
        linksToFlush.removeAll(keepingCapacity: true)
        index = 0
        while index < clientsToFlush.count {
            let slot = Int(clientsToFlush[index])
            index += 1
            guard let client = clients[slot] else { continue }
            client.flushQueued = false
            if !client.flush() {
                closeClient(client)
                continue
            }
            resumeIfDrained(client)
            finishIfDone(client)
        }
        clientsToFlush.removeAll(keepingCapacity: true)
    }

    /// Reads a paused client again once half of what paused it has been written.
    func resumeIfDrained(_ client: ClusterClient) {
        if client.paused && client.pendingReplies < settings.maxPendingReplies / 2
            && client.output.count < settings.maxUnreadReplyBytes / 2 {
            readRequests(client)
        }
    }

    /// Closes a client that will send no more once every reply it is owed has been written.
    func finishIfDone(_ client: ClusterClient) {
        if client.finished && client.drained && clients[Int(client.slot)] === client { closeClient(client) }
    }
}
