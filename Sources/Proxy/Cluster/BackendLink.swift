import EventLoop
import Glibc
import RESP

/// One pipelined connection from a data-plane loop to one master: the commands of every client
/// of the loop are written onto it in order, and its replies come back in the same order, so the
/// oldest ``Waiter`` owns the next reply (FIFO matching, as predixy and Envoy do).
///
/// A request's bytes stay in ``stream`` until its reply arrives, so a `MOVED` or `ASK` can resend
/// them elsewhere without the client sending again; as replies come in order, the oldest request's
/// bytes are always at the front.
final class BackendLink {
    /// Who waits for one reply.
    struct Waiter {
        var client: Int32
        var generation: UInt32
        /// The client's request number, for replies that must be put back in request order; for a
        /// ``Kind/part``, the number of the ``ClusterEngine/Gather`` it belongs to.
        var sequence: UInt32
        /// Bytes of the request at the front of ``stream``.
        var length: Int32
        /// Redirections followed so far (bounded, so two nodes disagreeing cannot loop).
        var hops: UInt8
        var kind: Kind
        /// The request's hash slot, or -1 for a command without keys: where a held request goes
        /// when it is released (``ClusterEngine/releaseHeld()``).
        var hashSlot: Int16
        /// For a ``Kind/part``: which part of its gather (in the struct's padding: no larger).
        var part: UInt16 = 0
        /// When the request was queued (MonotonicClock ns), for the latency histogram.
        var queuedAt: UInt64
    }

    /// Whose reply it is.
    enum Kind: UInt8 {
        /// A client's request.
        case client
        /// Ferry's `ASKING` before a client's request: its `+OK` is dropped.
        case asking
        /// Ferry's `HELLO` (protocol, AUTH) on a new connection: dropped, or the link fails on an error.
        case handshake
        /// A client's blocking command, alone on an exclusive link: redirections open another
        /// exclusive link; it is never held (a held `BLPOP` would have to find a connection of its own).
        case blocking
        /// A subscribed client's request: written, and forgotten once written (what the server
        /// sends back is forwarded as it comes).
        case pushed
        /// One part of a client's command that several masters answer (split by slot, or sent to
        /// every master): its reply is kept until the others have come, then merged.
        case part
        /// Ferry's `COMMAND GETKEYS` for a client's command whose key specs are incomplete: the
        /// reply routes the command, kept meanwhile in ``ClusterEngine``'s `awaitingKeys`.
        case keys
    }

    enum State: Equatable {
        case idle
        case connecting(since: UInt64)
        case connected
    }

    let index: Int32
    /// Replies in RESP3 (after `HELLO 3`), for clients that asked for it: a client's protocol is
    /// the link's, so replies pass through untouched.
    let resp3: Bool
    /// Sent first on every new connection, one command each (`AUTH`, `HELLO 3`, `CLIENT SETNAME`).
    let handshake: [[UInt8]]
    let host: String
    let port: UInt16
    let address: SocketAddress
    /// `host:port`, as in error messages and MOVED replies.
    let name: String
    var fd: Int32 = -1
    /// Bumped on every new connection, so events for an old socket are recognised as stale.
    var generation: UInt32 = 0
    var state = State.idle
    /// Requests not yet answered: the first `written` bytes are on the wire, the rest wait.
    var stream: ByteQueue
    var written = 0
    var waiters: [Waiter] = []
    var firstWaiter = 0
    var input: ByteQueue
    var scanner = ReplyScanner()
    /// The checks show this master DOWN: requests for it are refused instead of sent.
    var failed = false
    /// Queued in the engine's list of links to write at the end of the current event.
    var flushQueued = false
    var writable = false

    /// With `cluster.connections_per_server` > 1: the other connections to the same master (made
    /// when first needed; -1 until then). Only the first link of a master has them.
    var siblings: [Int32] = []
    /// A connection of one client's own, for a blocking command (``ClusterEngine/sendBlocking``):
    /// pooled per master while idle, never shared while a command blocks on it.
    let exclusive: Bool
    /// The client (slot) whose blocking command or transaction it carries, or -1 while idle.
    var owner: Int32 = -1
    /// Its owner subscribed (``ClusterEngine/subscribe``): what it sends goes unanswered by
    /// waiters, and what the server sends goes to it in arrival order.
    var subscriber = false
    /// Counted per link and summed per master when published.
    var counters = MasterCounters()

    init(index: Int32, host: String, port: UInt16, address: SocketAddress, resp3: Bool, handshake: [[UInt8]],
         pool: BlockPool, exclusive: Bool = false) {
        self.exclusive = exclusive
        stream = ByteQueue(pool: pool)
        input = ByteQueue(pool: pool)
        self.index = index
        self.resp3 = resp3
        self.handshake = handshake
        self.host = host
        self.port = port
        self.address = address
        name = "\(host):\(port)"
        waiters.reserveCapacity(64)
    }

    deinit {
        if fd >= 0 { close(fd) }
        stream.release()
        input.release()
    }

    var inFlight: Int { waiters.count - firstWaiter }

    func enqueue(_ waiter: Waiter) {
        waiters.append(waiter)
    }

    /// Removes and returns the oldest waiter, with its request bytes still at the front of
    /// ``stream`` until ``acknowledge(_:)``.
    func oldestWaiter() -> Waiter? {
        firstWaiter < waiters.count ? waiters[firstWaiter] : nil
    }

    /// The oldest request is answered: drop it and its bytes.
    func acknowledge(_ waiter: Waiter) {
        firstWaiter += 1
        stream.consume(Int(waiter.length))
        written -= Int(waiter.length)
        if firstWaiter == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            firstWaiter = 0
        } else if firstWaiter >= 1024 && firstWaiter * 2 >= waiters.count {
            waiters.removeFirst(firstWaiter)
            firstWaiter = 0
        }
    }

    /// The requests that never reached the wire (none of their bytes written), oldest first, with
    /// their bytes: they can be sent elsewhere without ever running twice.
    func unsentRequests() -> [(waiter: Waiter, bytes: [UInt8])] {
        var unsent: [(waiter: Waiter, bytes: [UInt8])] = []
        var offset = 0
        let bytes = stream.bytes
        for waiter in waiters[firstWaiter...] {
            let end = offset + Int(waiter.length)
            if offset >= written { unsent.append((waiter, Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])))) }
            offset = end
        }
        return unsent
    }

    /// Forgets the connection and everything on it (the caller has answered the waiters).
    func reset() {
        if fd >= 0 { TCPSocket.abort(fd) }
        fd = -1
        state = .idle
        generation = EpollToken.next(generation)
        stream.removeAll()
        written = 0
        waiters.removeAll(keepingCapacity: true)
        firstWaiter = 0
        input.removeAll()
        scanner.reset()
        writable = false
    }

    /// Writes what waits; false when the connection failed.
    func flush() -> Bool {
        while written < stream.count && writable {
            let pending = stream.bytes
            switch SocketIO.send(fd, from: pending.baseAddress! + written, count: pending.count - written) {
            case .done(let count): written += count
            case .wouldBlock, .endOfStream: writable = false
            case .failed: return false
            }
        }
        return true
    }
}
