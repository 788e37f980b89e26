import Cluster
import EventLoop
import RESP

/// One client connection in cluster mode: its unparsed bytes, its parser and connection state,
/// and its replies, which leave in request order whichever master answers first.
final class ClusterClient {
    let fd: Int32
    let slot: Int32
    let generation: UInt32
    var parser = RequestParser()
    var state: ClientState
    var input: ByteQueue
    var output: ByteQueue
    /// The oldest request without a reply written to ``output``, and the next request's number.
    var headSequence: UInt32 = 0
    var nextSequence: UInt32 = 0
    /// Replies that came before those of earlier requests (another master was faster), parked in
    /// one buffer until their turn: only clients that pipeline across masters use it, and once
    /// grown it allocates nothing.
    private var parked: ByteQueue
    private var parkedReplies: [(sequence: UInt32, offset: Int, length: Int)] = []
    /// The socket has more to read than was read (edge-triggered: until EAGAIN).
    var readable = true
    var writable = true
    /// No more reading: the client closed its side, sent QUIT, or broke the protocol.
    var finished = false
    /// Reading paused because too many replies are pending (backpressure), or until the first slot map.
    var paused = false
    /// Requests arrived before Ferry had a slot map: they wait for it (``ClusterEngine/firstMapWait``).
    var waitingForMap = false
    /// Requests of this client waiting for a master (``ClusterEngine/hold(_:_:)``): while there
    /// are any, its next requests wait behind them, so they run in the order it sent them.
    var held: Int32 = 0
    /// The exclusive link its blocking command waits on (``ClusterEngine/sendBlocking``), or -1:
    /// meanwhile its next requests are not read, as a blocked client's are not on one Redis.
    var blockedOn: Int32 = -1
    /// The exclusive link of its transaction (after WATCH, or MULTI and a first command), or -1.
    var pinnedTo: Int32 = -1
    /// The exclusive link it subscribed on (``ClusterEngine/subscribe``), or -1.
    var subscribedVia: Int32 = -1
    /// Ferry answered its MULTI and has not sent it yet (the first command picks the master).
    var multiAnswered = false
    var clientSeen: UInt64
    var serverSeen: UInt64
    let connectedAt: UInt64
    var flushQueued = false

    init(fd: Int32, slot: Int32, generation: UInt32, state: ClientState, now: UInt64,
         pool: BlockPool) {
        input = ByteQueue(pool: pool)
        output = ByteQueue(pool: pool)
        parked = ByteQueue(pool: pool)
        self.fd = fd
        self.slot = slot
        self.generation = generation
        self.state = state
        clientSeen = now
        serverSeen = now
        connectedAt = now
    }

    deinit {
        input.release()
        output.release()
        parked.release()
    }

    var pendingReplies: Int { Int(nextSequence &- headSequence) }

    /// The address the client connected to (the VIP, when it came through the VIP), for CLUSTER
    /// SLOTS and CLIENT INFO: asked of the socket when needed, not kept for every client.
    var localAddress: SocketAddress? { TCPSocket.localAddress(fd) }
    var peerAddress: SocketAddress? { TCPSocket.peerAddress(fd) }

    /// Every request has its reply written out: a finished client can be closed.
    var drained: Bool { pendingReplies == 0 && output.isEmpty }

    /// Puts the reply to request `sequence` in its place: written at once when it is the oldest
    /// pending one (with any early replies that were waiting behind it), kept otherwise.
    func deliver(_ sequence: UInt32, _ reply: UnsafeRawBufferPointer) {
        guard sequence == headSequence else {
            // Nothing is consumed from `parked` until it empties, so offsets stay valid.
            parkedReplies.append((sequence, parked.count, reply.count))
            parked.append(reply)
            return
        }
        output.append(reply)
        headSequence &+= 1
        while !parkedReplies.isEmpty, let index = parkedReplies.firstIndex(where: { $0.sequence == headSequence }) {
            let entry = parkedReplies.remove(at: index)
            output.append(UnsafeRawBufferPointer(rebasing: parked.bytes[entry.offset..<entry.offset + entry.length]))
            headSequence &+= 1
        }
        if parkedReplies.isEmpty { parked.removeAll() }
    }

    /// Writes what waits; false when the connection failed.
    func flush() -> Bool {
        while !output.isEmpty && writable {
            let pending = output.bytes
            switch SocketIO.send(fd, from: pending.baseAddress!, count: pending.count) {
            case .done(let count): output.consume(count)
            case .wouldBlock, .endOfStream: writable = false
            case .failed: return false
            }
        }
        return true
    }
}
