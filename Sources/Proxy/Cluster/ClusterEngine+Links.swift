import Cluster
import EventLoop
import Glibc
import RESP

/// The backend side: connecting links on demand, reading their replies in FIFO order, following
/// MOVED, ASK and TRYAGAIN, and answering the waiters of a lost connection.
extension ClusterEngine {
    /// Appends a request's bytes to a link, with the waiter that owns its reply.
    func enqueue(_ bytes: UnsafeRawBufferPointer, for waiter: BackendLink.Waiter, on link: BackendLink) {
        if link.fd < 0 && !connect(link) {
            // Nothing was sent: it may wait for the master to come back, or be replaced.
            if mayHold(waiter, on: link) { return hold(waiter, bytes, at: link) }
            link.counters.errors &+= 1
            deliver(waiter, error: "ERR ferry: cannot connect to \(link.name)")
            if link.exclusive { releaseExclusive(link) }
            return
        }
        var waiter = waiter
        waiter.length = Int32(bytes.count)
        link.stream.append(bytes)
        link.enqueue(waiter)
        queueFlush(link)
    }

    func queueFlush(_ link: BackendLink) {
        if !link.flushQueued {
            link.flushQueued = true
            linksToFlush.append(link.index)
        }
    }

    /// Starts a non-blocking connect; false when it failed at once.
    private func connect(_ link: BackendLink) -> Bool {
        let start: TCPSocket.ConnectStart
        do {
            start = try TCPSocket.connect(to: link.address)
        } catch {
            logger.debug("connect failed", metadata: ["server": "\(link.name)", "error": "\(error)"])
            return false
        }
        switch start {
        case .connected(let fd), .inProgress(let fd): link.fd = fd
        }
        link.generation = EpollToken.next(link.generation)
        link.state = .connecting(since: context.loop.now)
        do {
            try context.watch(link.fd, EpollToken(kind: TokenKind.backendLink, slot: link.index, generation: link.generation))
        } catch {
            close(link.fd)
            link.fd = -1
            link.state = .idle
            return false
        }
        if case .connected = start {
            link.state = .connected
            link.writable = true
        }
        link.counters.connects &+= 1
        for command in link.handshake {
            link.stream.append(command)
            link.enqueue(BackendLink.Waiter(client: -1, generation: 0, sequence: 0, length: Int32(command.count),
                                            hops: 0, kind: .handshake, hashSlot: -1, queuedAt: context.loop.now))
        }
        return true
    }

    func linkEvent(_ link: BackendLink, events: UInt32) {
        let failed = events & (EpollLoop.hangup | EpollLoop.error) != 0
        if case .connecting = link.state {
            guard events & EpollLoop.writable != 0 || failed else { return }
            if failed && TCPSocket.pendingError(link.fd) != 0 { return failLink(link, .connect) }
            link.state = .connected
        }
        if events & EpollLoop.writable != 0 || failed {
            link.writable = true
            queueFlush(link)
        }
        if events & (EpollLoop.readable | DataPlaneContext.hangupEvents) != 0 { readReplies(link) }
    }

    private func readReplies(_ link: BackendLink) {
        while link.fd >= 0 {
            let room = link.input.readSize(total: link.scanner.bytesNeeded)
            switch SocketIO.recv(link.fd, into: link.input.reserve(room), count: room) {
            case .done(let count):
                link.input.commit(count)
                context.counters.frontend.bytesOut &+= UInt64(count)
                guard processReplies(link), count == room else { return }  // short read: drained (see readRequests)
            case .endOfStream: return failLink(link, .closed)
            case .wouldBlock:
                link.input.releaseIfEmpty()
                return
            case .failed: return failLink(link, .lost)
            }
        }
    }

    /// Hands every complete reply to its waiter; false when the link failed.
    private func processReplies(_ link: BackendLink) -> Bool {
        while !link.input.isEmpty {
            let bytes = UnsafeRawBufferPointer(link.input.bytes)
            let scanned: ScannedReply
            do {
                guard let complete = try link.scanner.scan(bytes) else { return true }
                scanned = complete
            } catch {
                logger.warning("malformed reply from a master", metadata: ["server": "\(link.name)", "error": "\(error)"])
                failLink(link, .malformed)
                return false
            }
            let reply = UnsafeRawBufferPointer(rebasing: bytes[0..<scanned.length])
            if link.subscriber && isPushed(reply, scanned, on: link) {
                // A subscriber's confirmations and messages (and its later commands' replies): in arrival order.
                guard forwardPushed(reply, scanned, from: link) else { return false }
            } else if !scanned.isPush {
                guard let waiter = link.oldestWaiter() else {
                    failLink(link, .unexpected)
                    return false
                }
                switch waiter.kind {
                case .client, .part, .blocking:
                    if !(scanned.isError && followed(reply, scanned, waiter, from: link)) { deliver(waiter, reply) }
                case .asking, .pushed:
                    break  // ASKING's +OK (an error would show in the reply to the command that follows)
                case .keys:
                    keysFound(waiter, reply, isError: scanned.isError)
                case .handshake:
                    if scanned.isError {
                        let text = String(decoding: UnsafeRawBufferPointer(rebasing: reply[(scanned.errorText ?? 0..<0)]), as: UTF8.self)
                        logger.error("a master refused Ferry's HELLO/AUTH (backends.auth)",
                                     metadata: ["event": "backend_auth_failed", "server": "\(link.name)", "error": "\(text)"])
                        link.acknowledge(waiter)
                        failLink(link, .refusedHandshake)
                        return false
                    }
                }
                link.acknowledge(waiter)
                if link.exclusive && link.inFlight == 0 {
                    releaseIfIdle(link)
                    if link.fd < 0 { return false }  // closed as the pool was full: nothing left to read
                }
            }
            link.input.consume(scanned.length)
        }
        return true
    }

    /// Follows a redirection or a "try again" error instead of passing it on; false for any
    /// other error, or when the request has been redirected too often.
    private func followed(_ reply: UnsafeRawBufferPointer, _ scanned: ScannedReply, _ waiter: BackendLink.Waiter,
                          from link: BackendLink) -> Bool {
        guard let range = scanned.errorText, waiter.hops < settings.maxHops,
              let redirect = Redirect(error: UnsafeRawBufferPointer(rebasing: reply[range])) else { return false }
        if link.exclusive {
            // A transaction's command for a slot its master does not serve: the server flagged the
            // transaction (EXEC will answer EXECABORT) and the client gets Redis's CROSSSLOT. A
            // blocking command is sent again (it did not run) on an exclusive link to the node
            // named. Other errors reach either as the server sent them.
            guard redirect.isRedirection else { return false }
            if waiter.kind != .blocking {
                deliver(waiter, error: Router.crossSlotMessage)
                return true
            }
        }
        switch redirect {
        case .moved, .ask:
            guard let (target, asking) = redirectTarget(redirect, from: link) else { return false }
            if waiter.kind == .blocking {
                var again = waiter
                again.hops += 1
                let bytes = Array(UnsafeRawBufferPointer(rebasing: link.stream.bytes[0..<Int(waiter.length)]))
                bytes.withUnsafeBytes { sendBlocking($0, again, to: links[Int(target)], asking: asking) }
            } else {
                resend(waiter, from: link, to: self.link(target, resp3: link.resp3), asking: asking)
            }
        case .tryAgain where mayHold(waiter, on: link):
            link.counters.tryAgain &+= 1
            holdAgain(waiter, from: link)
        case .clusterDown, .loading:
            // The node did not run it: it waits for the cluster to be up again, or for `hold`.
            guard mayHold(waiter, on: link) else { return false }
            requestRefresh()
            holdAgain(waiter, from: link)
        case .tryAgain:
            link.counters.tryAgain &+= 1
            // A multi-key request during its slot's migration: the same node, a little later.
            let bytes = Array(UnsafeRawBufferPointer(rebasing: link.stream.bytes[0..<Int(waiter.length)]))
            var retry = waiter
            retry.hops += 1
            let target = link.index
            context.loop.schedule(after: .milliseconds(20 * Int(retry.hops))) { [unowned self] in
                bytes.withUnsafeBytes { enqueue($0, for: retry, on: links[Int(target)]) }
                flushPending()
            }
        }
        return true
    }

    /// Where a MOVED or ASK sends a request from `link`: the (RESP2) link of the node named, and
    /// whether `ASKING` goes first. A MOVED also points its slot there and asks for a new map at
    /// once. Nil for a node without a usable address (`?`).
    private func redirectTarget(_ redirect: Redirect, from link: BackendLink) -> (index: Int32, asking: Bool)? {
        switch redirect {
        case .moved(let slot, let host, let port):
            link.counters.moved &+= 1
            requestRefresh()
            guard host != "?", let target = self.link(host: host.isEmpty ? link.host : host, port: port) else { return nil }
            slotLinks[Int(slot)] = target
            return (target, false)
        case .ask(_, let host, let port):
            link.counters.asked &+= 1
            guard host != "?", let target = self.link(host: host.isEmpty ? link.host : host, port: port) else { return nil }
            return (target, true)
        case .tryAgain, .clusterDown, .loading:
            return nil
        }
    }

    /// Holds the oldest request of `link` again, which the node refused without running it.
    private func holdAgain(_ waiter: BackendLink.Waiter, from link: BackendLink) {
        hold(waiter, UnsafeRawBufferPointer(rebasing: link.stream.bytes[0..<Int(waiter.length)]), at: link)
    }

    /// Sends the oldest request of `link` again to `target` (after `ASKING` for an ASK).
    private func resend(_ waiter: BackendLink.Waiter, from link: BackendLink, to target: BackendLink, asking: Bool) {
        var again = waiter
        again.hops += 1
        // Copied: the target may be the same link, whose buffer the append could move.
        let bytes = Array(UnsafeRawBufferPointer(rebasing: link.stream.bytes[0..<Int(waiter.length)]))
        if asking {
            var ask = again
            ask.kind = .asking
            Self.askingCommand.withUnsafeBytes { enqueue($0, for: ask, on: target) }
        }
        bytes.withUnsafeBytes { enqueue($0, for: again, on: target) }
    }

    static let askingCommand: [UInt8] = Array("*1\r\n$6\r\nASKING\r\n".utf8)

    func deliver(_ waiter: BackendLink.Waiter, _ reply: UnsafeRawBufferPointer) {
        if waiter.kind == .part { return partAnswered(waiter, reply) }
        context.counters.frontend.latency.record(nanoseconds: context.loop.now &- waiter.queuedAt)
        guard let client = clients[Int(waiter.client)], client.generation == waiter.generation else { return }
        client.deliver(waiter.sequence, reply)
        client.serverSeen = context.loop.now
        queueFlush(client)
    }

    func deliver(_ waiter: BackendLink.Waiter, error text: String) {
        guard waiter.kind == .client || waiter.kind == .part || waiter.kind == .blocking || waiter.kind == .keys else { return }
        if waiter.kind == .keys { awaitingKeys[Self.awaitingKey(waiter)] = nil }
        scratch.removeAll(keepingCapacity: true)
        RESPWriter.appendError(text, into: &scratch)
        scratch.withUnsafeBytes { deliver(waiter, $0) }
    }

    /// The connection is gone: every request written on it gets `error`, none is resent (it may
    /// have run); those not written yet wait for a master (`cluster.hold`), or get `error` too.
    /// The next request opens a new connection.
    func failLink(_ link: BackendLink, _ error: Failure) {
        let pending = Array(link.waiters[link.firstWaiter...])
        // Not written: a suffix of the queue, since requests are written in order.
        let unsent = settings.hold > 0 && error != .stopping ? link.unsentRequests() : []
        // While a master is down, held requests try to connect every few ms: those failures lose nothing.
        logger.log(level: pending.count > unsent.count || error != .connect ? .info : .debug, "connection to a master failed",
                   metadata: ["server": "\(link.name)", "error": "\(error)", "waiting": "\(pending.count)", "unsent": "\(unsent.count)"])
        link.reset()
        let text = switch error {
        case .connect, .connectTimeout: "ERR ferry: cannot connect to \(link.name)"
        case .refusedHandshake: "ERR ferry: \(link.name) refused Ferry's authentication (backends.auth)"
        default: "ERR ferry: connection to \(link.name) lost"
        }
        let written = pending.dropLast(unsent.count)
        link.counters.errors &+= UInt64(written.count { $0.kind == .client || $0.kind == .part || $0.kind == .blocking })
        for waiter in written { deliver(waiter, error: text) }
        for (waiter, bytes) in unsent {
            if mayHold(waiter, on: link) {
                bytes.withUnsafeBytes { hold(waiter, $0, at: link) }
            } else {
                if waiter.kind != .handshake && waiter.kind != .asking { link.counters.errors &+= 1 }
                deliver(waiter, error: text)
            }
        }
        if link.exclusive { releaseExclusive(link) }
    }
}

/// Why a link failed.
enum Failure: String {
    case connect = "connect failed", connectTimeout = "connect timeout", closed = "closed by the server",
         lost = "connection lost", malformed = "malformed reply", unexpected = "reply nobody asked for",
         refusedHandshake = "HELLO/AUTH refused", serverDown = "the checks show the server DOWN", stopping
}
