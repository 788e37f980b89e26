import CLinuxNet
import Cluster
import EventLoop
import Glibc
import Logging
import RESP

/// cluster mode: every client's commands are parsed, routed by slot, and pipelined onto this
/// loop's one connection per master (``BackendLink``); replies return to each client in request
/// order. Redirections are followed here; the client sees one Redis. Loop-confined, run by a
/// ``DataPlaneLoop``. Routing decisions are the pure ``Router``'s; this class only does the I/O.
final class ClusterEngine: SessionEngine, AfterBatch {
    let context: DataPlaneContext
    var settings: ClusterSettings
    var clients: [ClusterClient?] = []
    private var freeClients: [Int32] = []
    private var generations: [UInt32] = []
    var links: [BackendLink] = []
    private var linkByName: [String: Int32] = [:]
    /// Each RESP2 link's RESP3 twin, made when a client that said `HELLO 3` first needs it.
    var resp3Twin: [Int32] = []
    var view: ClusterView?
    /// The link of each slot's master: one array index per request. A MOVED updates it at once.
    var slotLinks = [Int32](repeating: -1, count: HashSlot.count)
    private var nextMaster = 0
    private var nextClientID: UInt64 = 0
    var arguments = CommandArguments()
    /// The blocks clients and links hold while bytes wait in them.
    let blocks = BlockPool()
    /// Ferry's own replies, built here before they are delivered.
    var scratch: [UInt8] = []
    /// Requests Ferry encodes (inline or non-canonical ones, split parts): ``withRequest``.
    var requestBuffer: [UInt8] = []
    var localContext: LocalContext
    var linksToFlush: [Int32] = []
    /// Commands waiting for `COMMAND GETKEYS` to say where they go, by client slot and request number.
    var awaitingKeys: [UInt64: [UInt8]] = [:]
    /// Commands answered by several masters, waiting for their parts (``Gather``), and the free ones.
    var gathers: [Gather] = []
    var freeGathers: [Int32] = []
    var splitter = MultiKeySplitter()
    var merger = ReplyMerger()
    var mergeBuffer: [UInt8] = []
    /// One slot of each master that serves slots, in slot order: where a command for every master
    /// sends its parts, and where a command without keys goes (``anyMaster()``).
    var masterSlots: [UInt16] = []
    /// Exclusive links (blocking commands) with nothing on them, per master and protocol.
    var idleExclusive: [ExclusiveKey: [Int32]] = [:]
    /// Requests waiting for a master (``hold(_:_:at:)``), oldest first.
    var held: [HeldRequest] = []
    var retryScheduled = false
    /// Servers the checks show DOWN (`host:port`).
    private var failedServers: Set<String> = []
    var clientsToFlush: [Int32] = []
    /// A flush is due after the current batch of events (``afterBatch()``).
    private var flushScheduled = false
    /// The most the buffers held since memory was last given back (``returnFreedMemory()``).
    private var highWater = 0
    /// Asks the control side for a new slot map now (after a MOVED).
    let requestRefresh: @Sendable () -> Void
    var logger: Logger { context.logger }

    init(context: DataPlaneContext, settings: ClusterSettings, view: ClusterView?,
         requestRefresh: @escaping @Sendable () -> Void) {
        self.context = context
        self.settings = settings
        self.requestRefresh = requestRefresh
        localContext = LocalContext(serverVersion: Array("7.0.0".utf8), authenticator: settings.authenticator)
        scratch.reserveCapacity(4096)
        if let view { install(view) }
    }

    deinit {
        // Clients and links give their blocks back to `blocks`, which must still be there.
        clients.removeAll()
        links.removeAll()
    }

    // MARK: Topology

    /// Adopts a new slot map: links for its masters (existing connections are kept), and each
    /// slot pointed at its master's link.
    func install(_ view: ClusterView) {
        self.view = view
        localContext.serverVersion = view.serverVersion
        let shardLinks = view.slotMap.masters.map { link(host: $0.master.host, port: $0.master.port) ?? -1 }
        for slot in 0..<HashSlot.count {
            let shard = Int(view.slotMap.owner[slot])
            slotLinks[slot] = shard >= 0 ? shardLinks[shard] : -1
        }
        var seen = Set<Int>()
        masterSlots = view.slotMap.ranges.filter { seen.insert($0.shard).inserted }.map { $0.slots.lowerBound }
        releaseHeld()
        // Clients that connected before the first map waited for it: serve them now.
        for case let client? in clients where client.waitingForMap {
            client.waitingForMap = false
            readRequests(client)
        }
    }

    /// The (RESP2) link to `host:port`, made on first use; nil when the address does not parse.
    func link(host: String, port: UInt16) -> Int32? {
        let name = "\(host):\(port)"
        if let index = linkByName[name] { return index }
        guard let address = SocketAddress(host: host, port: port) else { return nil }
        let index = addLink(host: host, port: port, address: address, resp3: false)
        linkByName[name] = index
        return index
    }

    /// The link a client's commands for the master of RESP2 link `index` take: one of the
    /// master's `connections_per_server` links (always the same for a client, so its commands
    /// run in order), speaking the client's protocol.
    @inline(__always)
    func link(_ index: Int32, for client: ClusterClient) -> BackendLink {
        var index = index
        if settings.connectionsPerServer > 1 { index = sibling(of: index, Int(client.slot) % settings.connectionsPerServer) }
        return link(index, resp3: client.state.isRESP3)
    }

    /// Connection `number` to the master of `index` (0 is `index` itself).
    private func sibling(of index: Int32, _ number: Int) -> Int32 {
        guard number > 0 else { return index }
        let first = links[Int(index)]
        if first.siblings.isEmpty { first.siblings = Array(repeating: -1, count: settings.connectionsPerServer - 1) }
        if first.siblings[number - 1] < 0 {
            first.siblings[number - 1] = addLink(host: first.host, port: first.port, address: first.address, resp3: false)
        }
        return first.siblings[number - 1]
    }

    /// The RESP2 link `index`, or its RESP3 twin.
    func link(_ index: Int32, resp3: Bool) -> BackendLink {
        guard resp3 else { return links[Int(index)] }
        if resp3Twin[Int(index)] < 0 {
            let plain = links[Int(index)]
            resp3Twin[Int(index)] = addLink(host: plain.host, port: plain.port, address: plain.address, resp3: true)
        }
        return links[Int(resp3Twin[Int(index)])]
    }

    /// One more connection to `host:port` (the only place links are made).
    func addLink(host: String, port: UInt16, address: SocketAddress, resp3: Bool, exclusive: Bool = false) -> Int32 {
        let index = Int32(links.count)
        let link = BackendLink(index: index, host: host, port: port, address: address, resp3: resp3,
                               handshake: settings.handshake(resp3: resp3), pool: blocks, exclusive: exclusive)
        link.failed = failedServers.contains(link.name)
        links.append(link)
        resp3Twin.append(-1)
        return index
    }

    /// The next master for a command without keys: round-robin over those that serve slots (not
    /// a failed-over node the map still lists, nor a new one without slots yet).
    func anyMaster() -> Int32? {
        guard !masterSlots.isEmpty else { return nil }
        nextMaster = (nextMaster + 1) % masterSlots.count
        let index = slotLinks[Int(masterSlots[nextMaster])]
        return index >= 0 ? index : nil
    }

    // MARK: SessionEngine

    func start(client fd: Int32) {
        let slot: Int32
        if let free = freeClients.popLast() {
            slot = free
        } else {
            slot = Int32(clients.count)
            clients.append(nil)
            generations.append(0)
        }
        nextClientID += 1
        let client = ClusterClient(
            fd: fd, slot: slot, generation: generations[Int(slot)],
            state: ClientState(id: nextClientID, authenticator: settings.authenticator), now: context.loop.now, pool: blocks)
        clients[Int(slot)] = client
        do {
            try context.watch(fd, EpollToken(kind: TokenKind.client, slot: slot, generation: client.generation))
        } catch {
            logger.error("cannot watch client socket", metadata: ["error": "\(error)"])
            closeClient(client)
            return
        }
        readRequests(client)
        flushPending()
    }

    func handle(_ token: EpollToken, events: UInt32) {
        context.dirty = true  // commands and replies move the counters: publish them at the next sweep
        if !flushScheduled {
            // Once per batch of events, not per event: the requests of every client that spoke in
            // the batch leave in one write per master (-c 50: 2.00 → 1.63 writes per request).
            flushScheduled = true
            context.loop.runAfterBatch(self)
        }
        if token.kind == TokenKind.client {
            guard let client = clients[Int(token.slot)], client.generation == token.generation else { return }
            if client.blockedOn >= 0 && events & (DataPlaneContext.hangupEvents | EpollLoop.hangup | EpollLoop.error) != 0 {
                // Gone while blocked: its blocking connection is reset, so the server pops nothing for it
                // (Redis frees a client at EOF too, whatever it has pending).
                return closeClient(client)
            }
            if events & (EpollLoop.writable | EpollLoop.hangup | EpollLoop.error) != 0 {
                client.writable = true
                if !client.flush() { return closeClient(client) }
                resumeIfDrained(client)
            }
            if events & (EpollLoop.readable | DataPlaneContext.hangupEvents) != 0 {
                client.readable = true
                readRequests(client)
            }
            finishIfDone(client)
        } else if token.kind == TokenKind.backendLink {
            let link = links[Int(token.slot)]
            guard link.fd >= 0, link.generation == token.generation else { return }
            linkEvent(link, events: events)
        }
    }

    /// The batch of events is over: write what it queued.
    func afterBatch() {
        flushScheduled = false
        flushPending()
    }

    func handle(_ message: WorkerMessage) {
        switch message {
        case .clusterView(let view):
            install(view)
            markFailed()
        case .failedServers(let names):
            failedServers = names
            markFailed()
        default:
            break
        }
    }

    /// Marks the links of servers the checks show DOWN. Their open connections are reset: the
    /// clients waiting on a stopped or unreachable master get an error now instead of waiting for
    /// it, and the RST makes the server drop the requests it has not read yet.
    private func markFailed() {
        for link in links {
            link.failed = failedServers.contains(link.name)
            if link.failed && link.fd >= 0 { failLink(link, .serverDown) }
        }
        releaseHeld()
        flushPending()
    }

    func closeAll() {
        for case let client? in clients { closeClient(client) }
        for link in links where link.fd >= 0 { failLink(link, .stopping) }
    }

    func willPublish(_ counters: inout WorkerCounters) {
        counters.masters.removeAll(keepingCapacity: true)
        for link in links where link.fd >= 0 || link.counters != MasterCounters() {
            // (A link never used, made for a node an early map named master, is not a master to show.)
            var linkCounters = link.counters
            linkCounters.inFlight = link.inFlight
            counters.masters[link.name, default: MasterCounters()].add(linkCounters)
        }
    }

    func sweep(now: UInt64) {
        for case let client? in clients {
            if client.waitingForMap && now &- client.connectedAt >= Self.firstMapWait {
                client.waitingForMap = false
                readRequests(client)
            }
            // A finished client has sent its FIN (or QUIT): client_fin bounds how long its replies may take.
            if let expiry = settings.timeouts.expiry(.open(halfClosed: client.finished), clientSeen: client.clientSeen,
                                                     serverSeen: client.serverSeen, now: now),
               expiry != .serverIdle || client.pendingReplies > 0 {  // server_idle: only while waiting for a reply
                logger.debug("closing session", metadata: ["reason": "\(expiry.rawValue)"])
                closeClient(client)
            }
        }
        for link in links {
            if case .connecting(let since) = link.state, settings.timeouts.connect > 0, now &- since > settings.timeouts.connect {
                failLink(link, .connectTimeout)
            }
        }
        flushPending()
        returnFreedMemory()
    }

    /// After a burst (clients that pipelined without reading, then left), gives the freed
    /// buffers back to the system: malloc keeps freed 16 KiB blocks in its heap otherwise.
    private func returnFreedMemory() {
        highWater = max(highWater, blocks.bytesInUse)
        if highWater - blocks.bytesInUse >= Self.trimThreshold {
            _ = cln_malloc_trim()
            highWater = blocks.bytesInUse
        }
    }

    static let trimThreshold = 16 << 20

    /// How long a client's requests wait for the first slot map before they are answered CLUSTERDOWN.
    static let firstMapWait: UInt64 = 2_000_000_000

    func closeClient(_ client: ClusterClient) {
        guard clients[Int(client.slot)] === client else { return }
        abandonExclusive(client)
        close(client.fd)
        clients[Int(client.slot)] = nil
        generations[Int(client.slot)] = EpollToken.next(client.generation)
        freeClients.append(client.slot)
        context.sessionEnded()
    }
}
