import CLinuxNet
import EventLoop
import Glibc

/// One direction of a relayed session (client → server or server → client): the bytes in
/// flight, the readiness of both ends as edge-triggered epoll reported it, and the FIN state.
struct Flow {
    /// What one call to ``pump(from:to:buffers:)`` moved.
    struct Transfer {
        var read = 0
        var written = 0
    }

    var pending = PendingBytes()
    /// The source may have bytes (or EOF) to read; cleared when a read would block.
    var sourceReadable = false
    /// The sink may accept bytes; cleared when a write would block.
    var sinkWritable = true
    /// Epoll reported the source's FIN or an error, so a short read does not mean drained.
    var sourceHungUp = false
    /// The source sent FIN (read returned 0).
    var sourceClosed = false
    /// We forwarded that FIN to the sink (`shutdown(SHUT_WR)`).
    var sinkShut = false

    /// Moves bytes from `source` to `sink` until one of them would block, keeping at most one
    /// block pending (backpressure: the source is not read while the sink is behind).
    ///
    /// Returns how many bytes were read and written, or the error that ends the session.
    mutating func pump(from source: Int32, to sink: Int32, buffers: BufferPool) -> Result<Transfer, SystemError> {
        var transfer = Transfer()
        if !pending.isEmpty {
            guard sinkWritable else { return .success(transfer) }
            let written = write(sink, pending.bytes, pending.count)
            if written < 0 {
                let code = cln_errno()
                if code == EAGAIN || code == EINTR {
                    sinkWritable = false
                    return .success(transfer)
                }
                return .failure(SystemError("write", errno: code))
            }
            pending.consume(written)
            transfer.written += written
            guard pending.isEmpty else {
                sinkWritable = false
                return .success(transfer)
            }
            buffers.recycle(pending.release()!)
        }

        while sourceReadable && !sourceClosed {
            let count = read(source, buffers.scratch, BufferPool.blockSize)
            if count > 0 {
                transfer.read += count
                var written = 0
                if sinkWritable {
                    written = write(sink, buffers.scratch, count)
                    if written < 0 {
                        let code = cln_errno()
                        guard code == EAGAIN || code == EINTR else { return .failure(SystemError("write", errno: code)) }
                        written = 0
                    }
                    transfer.written += written
                }
                if written < count {
                    // The sink is full: park the rest and stop reading until it drains.
                    pending.adopt(buffers.takeScratch(), start: written, end: count)
                    sinkWritable = false
                    return .success(transfer)
                }
                // A short read means the socket is drained (edge-triggered epoll reports the next
                // arrival), unless a FIN is already queued behind the data: then read on to see it.
                if count < BufferPool.blockSize && !sourceHungUp { sourceReadable = false }
            } else if count == 0 {
                sourceClosed = true
            } else {
                let code = cln_errno()
                if code == EAGAIN {
                    sourceReadable = false
                } else if code != EINTR {
                    return .failure(SystemError("read", errno: code))
                }
            }
        }

        if sourceClosed && pending.isEmpty && !sinkShut {
            sinkShut = true
            _ = shutdown(sink, Int32(SHUT_WR))
        }
        return .success(transfer)
    }

    /// Gives back a pending block when the session closes early.
    mutating func discard(into buffers: BufferPool) {
        if let block = pending.release() { buffers.recycle(block) }
    }
}
