import CLinuxNet
import Glibc
import Testing

@testable import Proxy

/// The relay logic against real kernel sockets (socketpairs): no mocks, no timing.
@Suite struct FlowTests {
    /// Two connected socket pairs: the test writes into `sourcePeer` and reads from `sinkPeer`;
    /// the flow relays `source` → `sink`.
    final class Sockets {
        let source: Int32, sourcePeer: Int32, sink: Int32, sinkPeer: Int32

        init(sinkBuffer: Int32? = nil) {
            signal(SIGPIPE, SIG_IGN)
            var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &a) == 0)
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &b) == 0)
            (source, sourcePeer, sink, sinkPeer) = (a[0], a[1], b[0], b[1])
            if var size = sinkBuffer {
                setsockopt(sink, SOL_SOCKET, SO_SNDBUF, &size, 4)
                setsockopt(sinkPeer, SOL_SOCKET, SO_RCVBUF, &size, 4)
            }
        }

        /// Closed by the test already: not closed again (the number may belong to another test by then).
        private var closed: Set<Int32> = []

        deinit { for fd in [source, sourcePeer, sink, sinkPeer] where !closed.contains(fd) { close(fd) } }

        func closeEarly(_ fd: Int32) {
            close(fd)
            closed.insert(fd)
        }

        /// Writes as much of `bytes` as the socket takes; returns how many.
        func feed(_ bytes: ArraySlice<UInt8>) -> Int {
            let count = bytes.withUnsafeBytes { write(sourcePeer, $0.baseAddress, $0.count) }
            return max(0, count)
        }

        func drain() -> [UInt8] {
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(sinkPeer, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                out += chunk[0..<count]
            }
            return out
        }

        /// True once the sink's peer reads end-of-file.
        func sinkPeerSeesEOF() -> Bool {
            var byte: UInt8 = 0
            return read(sinkPeer, &byte, 1) == 0
        }
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) } }

    @Test(arguments: [1, 100, 65535, 65536, 65537, 200_000])
    func relaysBytesIntactAndHoldsNoBlockWhenTheSinkKeepsUp(size: Int) throws {
        let sockets = Sockets()
        let pool = BufferPool()
        let splicePipes = PipePool()
        var flow = Flow()
        let data = Self.pattern(size)
        var sent = 0, received: [UInt8] = []
        while received.count < size {
            sent += sockets.feed(data[sent...])
            flow.sourceReadable = true
            flow.sinkWritable = true
            let transfer = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            #expect(transfer.read <= sent)
            received += sockets.drain()
        }
        #expect(received == data)
        #expect(flow.pending.isEmpty)
        #expect(pool.blocksInUse == 0)
    }

    @Test func aFullSinkParksOneBlockAndStopsReadingTheSource() throws {
        let sockets = Sockets(sinkBuffer: 4096)
        let pool = BufferPool()
        let splicePipes = PipePool()
        var flow = Flow()
        let data = Self.pattern(1_000_000)
        var sent = sockets.feed(data[...])
        flow.sourceReadable = true
        _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
        // Backpressure: one block parked, the source left unread (still readable), the sink marked full.
        #expect(!flow.pending.isEmpty)
        #expect(pool.blocksInUse == 1)
        #expect(flow.sourceReadable)
        #expect(!flow.sinkWritable)
        // A second pump without the sink draining reads nothing more.
        let again = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
        #expect(again.read == 0)
        #expect(pool.blocksInUse == 1)

        // The receiver catches up: everything arrives intact, and the block goes back to the pool.
        var received: [UInt8] = []
        while received.count < data.count {
            received += sockets.drain()
            sent += sockets.feed(data[sent...])
            flow.sinkWritable = true
            flow.sourceReadable = true
            _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            #expect(pool.blocksInUse <= 1)
        }
        #expect(received == data)
        #expect(pool.blocksInUse == 0)
    }

    @Test func finIsForwardedOnlyAfterPendingBytesAreWritten() throws {
        let sockets = Sockets(sinkBuffer: 4096)
        let pool = BufferPool()
        let splicePipes = PipePool()
        var flow = Flow()
        let data = Self.pattern(300_000)
        var sent = sockets.feed(data[...])
        flow.sourceReadable = true
        _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
        var received = sockets.drain()
        while sent < data.count {
            sent += sockets.feed(data[sent...])
            flow.sinkWritable = true
            _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            received += sockets.drain()
        }
        shutdown(sockets.sourcePeer, Int32(SHUT_WR))
        while !flow.sinkShut {
            flow.sinkWritable = true
            flow.sourceReadable = true
            _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            #expect(flow.sinkShut == (flow.sourceClosed && flow.pending.isEmpty))
            received += sockets.drain()
        }
        received += sockets.drain()
        #expect(received == data)
        #expect(sockets.sinkPeerSeesEOF())
    }

    /// With the other direction already finished the session is about to close, and close(2)
    /// sends the FIN: the flow records it as forwarded without a shutdown(2) of its own.
    @Test(arguments: [false, true])
    func emptySourceWithFinShutsTheSinkAtOnce(peerFinished: Bool) throws {
        let sockets = Sockets()
        var flow = Flow()
        shutdown(sockets.sourcePeer, Int32(SHUT_WR))
        flow.sourceReadable = true
        let transfer = try flow.pump(from: sockets.source, to: sockets.sink, buffers: BufferPool(), pipes: PipePool(),
                                     peerFinished: peerFinished).get()
        #expect(transfer.read == 0)
        #expect(flow.sourceClosed && flow.sinkShut)
        if peerFinished {
            var byte: UInt8 = 0
            #expect(read(sockets.sinkPeer, &byte, 1) == -1 && errno == EAGAIN)  // still open: no FIN yet
        } else {
            #expect(sockets.sinkPeerSeesEOF())
        }
    }

    /// A peer gone on either end ends the flow with an error that names that end: a closed sink
    /// (EPIPE on the write), or a source whose peer closed with bytes it never read (ECONNRESET).
    @Test(arguments: [(Flow.Failure.End.sink, EPIPE), (.source, ECONNRESET)])
    func aBrokenPeerEndsTheFlowWithItsEndsError(end: Flow.Failure.End, errno expected: Int32) {
        let sockets = Sockets()
        var flow = Flow()
        switch end {
        case .sink:
            sockets.closeEarly(sockets.sinkPeer)
            _ = sockets.feed(Self.pattern(10)[...])
        case .source:
            var byte: UInt8 = 1
            #expect(write(sockets.source, &byte, 1) == 1)
            sockets.closeEarly(sockets.sourcePeer)
        }
        flow.sourceReadable = true
        let result = flow.pump(from: sockets.source, to: sockets.sink, buffers: BufferPool(), pipes: PipePool())
        guard case .failure(let failure) = result else {
            Issue.record("expected errno \(expected) on the \(end), got \(result)")
            return
        }
        #expect(failure.error.errno == expected)
        #expect(failure.end == end)
    }

    @Test func nothingIsReadWhileTheSourceIsNotReadable() throws {
        let sockets = Sockets()
        var flow = Flow()
        _ = sockets.feed(Self.pattern(10)[...])
        let transfer = try flow.pump(from: sockets.source, to: sockets.sink, buffers: BufferPool(), pipes: PipePool()).get()
        #expect(transfer.read == 0)
        #expect(sockets.drain().isEmpty)
    }
}

@Suite struct BufferPoolTests {
    @Test(arguments: [0, 1, 3, 10])
    func recycledBlocksAreReusedUpToTheCap(maxFree: Int) {
        let pool = BufferPool(maxFree: maxFree)
        let blocks = (0..<5).map { _ in pool.takeScratch() }
        #expect(pool.blocksInUse == 5)
        for block in blocks { pool.recycle(block) }
        #expect(pool.blocksInUse == 0)
        #expect(pool.freeBlocks == min(maxFree, 5))
    }

    @Test func takingTheScratchInstallsAFreshOne() {
        let pool = BufferPool()
        let first = pool.scratch
        let taken = pool.takeScratch()
        #expect(taken == first)
        #expect(pool.scratch != first)
        pool.recycle(taken)
        #expect(pool.takeScratch() != taken)  // the new scratch came from a fresh allocation, the recycled one is next
    }
}

@Suite struct PendingBytesTests {
    @Test(arguments: [(0, 10, [3, 7]), (5, 6, [1]), (100, 65536, [65000, 436])])
    func consumesUntilEmpty(start: Int, end: Int, steps: [Int]) {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 8)
        defer { block.deallocate() }
        var pending = PendingBytes()
        #expect(pending.isEmpty)
        pending.adopt(block, start: start, end: end)
        #expect(pending.count == end - start)
        #expect(pending.bytes == block + start)
        var left = end - start
        for step in steps {
            pending.consume(step)
            left -= step
            #expect(pending.count == left)
        }
        #expect(pending.isEmpty)
        #expect(pending.release() == block)
        #expect(pending.block == nil)
    }
}

extension FlowTests {
    /// Data and FIN queued together arrive as one edge: with the hang-up seen, the flow must read
    /// past the short read to find the FIN, or the session would never finish.
    @Test(arguments: [true, false])
    func dataFollowedByFinInOneEdge(hungUpReported: Bool) throws {
        let sockets = Sockets()
        var flow = Flow()
        _ = sockets.feed(Self.pattern(7)[...])
        shutdown(sockets.sourcePeer, Int32(SHUT_WR))
        flow.sourceReadable = true
        flow.sourceHungUp = hungUpReported
        let transfer = try flow.pump(from: sockets.source, to: sockets.sink, buffers: BufferPool(), pipes: PipePool()).get()
        #expect(transfer.read == 7)
        #expect(sockets.drain() == Self.pattern(7))
        // Without the hang-up flag a short read is taken as "drained": the FIN waits for the next edge.
        #expect(flow.sinkShut == hungUpReported)
    }
}

/// Large transfers move through a pooled pipe with splice(2); small ones are copied.
@Suite struct FlowSpliceTests {
    typealias Sockets = FlowTests.Sockets

    /// Messages of 16 KiB and more: the first is copied (that is how the flow learns they are
    /// large), the following ones are spliced whole; smaller ones are always copied.
    @Test(arguments: [(1_000, false), (16_383, false), (16_384, true), (32_768, true), (60_000, true)])
    func messagesFromTheSpliceThresholdOnAreSplicedAfterTheFirst(size: Int, spliced expected: Bool) throws {
        let sockets = Sockets()
        let pool = BufferPool(), splicePipes = PipePool()
        var flow = Flow()
        for round in 0..<3 {
            let message = Array(FlowTests.pattern(size + round).suffix(size))  // other bytes each round
            try #require(sockets.feed(message[...]) == message.count)
            flow.sourceReadable = true
            flow.sinkWritable = true
            let transfer = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            #expect(sockets.drain() == message, "round \(round): bytes changed on the way")
            #expect(transfer.read == message.count)
            let wanted = round > 0 && expected ? message.count : 0
            #expect(transfer.spliced == wanted, "round \(round): \(transfer.spliced) of \(message.count) bytes spliced")
            // Between messages the flow holds no pipe: an idle session costs no descriptors.
            #expect(flow.pipe == nil && splicePipes.pipesInUse == 0)
        }
        #expect(pool.blocksInUse == 0)
    }

    @Test(arguments: [200_000, 1_000_000])
    func largeTransferIsSplicedIntactThenFallsBackToCopying(size: Int) throws {
        let sockets = Sockets()
        let pool = BufferPool(), splicePipes = PipePool()
        var flow = Flow()
        let data = FlowTests.pattern(size)
        var sent = 0, received: [UInt8] = [], spliced = 0
        while received.count < size {
            sent += sockets.feed(data[sent...])
            flow.sourceReadable = true
            flow.sinkWritable = true
            spliced += try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get().spliced
            received += sockets.drain()
        }
        #expect(received == data)
        // The first block is copied (that is how the flow learns the transfer is large); most of the rest is spliced.
        #expect(spliced >= size / 2, "only \(spliced) of \(size) bytes were spliced")
        // A small message afterwards ends splice mode and returns the pipe.
        _ = sockets.feed(FlowTests.pattern(100)[...])
        flow.sourceReadable = true
        flow.sinkWritable = true
        _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
        #expect(sockets.drain() == FlowTests.pattern(100))
        #expect(flow.pipe == nil)
        #expect(splicePipes.pipesInUse == 0)
        #expect(pool.blocksInUse == 0)
    }

    @Test func splicingKeepsBackpressureAndForwardsFinAfterThePipeDrains() throws {
        let sockets = Sockets(sinkBuffer: 4096)
        let pool = BufferPool(), splicePipes = PipePool()
        var flow = Flow()
        let data = FlowTests.pattern(600_000)
        var sent = sockets.feed(data[...])
        var received: [UInt8] = []
        var sawBlockedPipe = false
        while received.count < data.count {
            flow.sourceReadable = true
            _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            if let pipe = flow.pipe, pipe.count > 0 {
                sawBlockedPipe = true
                #expect(!flow.sinkWritable)
                #expect(pool.blocksInUse == 0)  // bytes in flight live in the pipe, not in a block
            }
            received += sockets.drain()
            if sent < data.count {
                sent += sockets.feed(data[sent...])
            } else if !flow.sourceClosed {
                shutdown(sockets.sourcePeer, Int32(SHUT_WR))
            }
            flow.sinkWritable = true
        }
        while !flow.sinkShut {
            flow.sourceReadable = true
            flow.sinkWritable = true
            _ = try flow.pump(from: sockets.source, to: sockets.sink, buffers: pool, pipes: splicePipes).get()
            received += sockets.drain()
        }
        #expect(received == data)
        #expect(sawBlockedPipe)
        #expect(sockets.sinkPeerSeesEOF())
        #expect(splicePipes.pipesInUse == 0)
    }

    @Test func aPipeStillHoldingBytesIsClosedNotReused() {
        let splicePipes = PipePool()
        var pipe = splicePipes.take()!
        pipe.count = 10
        splicePipes.recycle(pipe)
        #expect(splicePipes.pipesInUse == 0)
        let fresh = splicePipes.take()!
        #expect(fresh.readFD != pipe.readFD || fresh.count == 0)
        splicePipes.recycle(fresh)
    }
}
