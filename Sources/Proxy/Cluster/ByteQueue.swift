/// Blocks of ``blockSize`` bytes recycled per data-plane loop: a client or a link holds one only
/// while bytes wait in it, so 10,000 idle clients hold none, and steady traffic allocates nothing.
final class BlockPool {
    static let blockSize = 16 * 1024
    private var free: [UnsafeMutableRawPointer] = []
    private let maxFree: Int

    init(maxFree: Int = 1024) {
        self.maxFree = maxFree
        free.reserveCapacity(maxFree)
    }

    deinit {
        for block in free { block.deallocate() }
    }

    /// Bytes held by the loop's queues (pool blocks and larger ones), for the loop's memory bound
    /// (``ClusterSettings/maxBufferedBytes``).
    private(set) var bytesInUse = 0

    func take() -> UnsafeMutableRawPointer {
        bytesInUse += Self.blockSize
        return free.popLast() ?? .allocate(byteCount: Self.blockSize, alignment: 16)
    }

    func give(_ block: UnsafeMutableRawPointer) {
        bytesInUse -= Self.blockSize
        if free.count < maxFree { free.append(block) } else { block.deallocate() }
    }

    /// A block larger than the pool's, counted but not pooled.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        bytesInUse += byteCount
        return .allocate(byteCount: byteCount, alignment: 16)
    }

    func deallocate(_ block: UnsafeMutableRawPointer, byteCount: Int) {
        bytesInUse -= byteCount
        block.deallocate()
    }
}

/// Bytes waiting in one block: appended at the end, consumed from the front. The block comes
/// from the loop's ``BlockPool`` and goes back as soon as the queue is empty; a burst larger than
/// a block gets a block of its own, freed when it drains. Owned by one client or link.
struct ByteQueue {
    /// Not retained: the pool is the engine's and outlives every queue of the loop.
    private unowned(unsafe) let pool: BlockPool
    private var storage: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private var start = 0
    private var end = 0

    init(pool: BlockPool) {
        self.pool = pool
    }

    var count: Int { end - start }
    var isEmpty: Bool { end == start }

    /// The waiting bytes, in place (valid until the next append, reserve or consume).
    var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage.map { $0 + start }, count: end - start)
    }

    /// Room for at least `extra` more bytes after the waiting ones, moving them to the front or
    /// into a larger block; returns where to write them.
    mutating func reserve(_ extra: Int) -> UnsafeMutableRawPointer {
        if storage == nil {
            if extra <= BlockPool.blockSize {
                storage = pool.take()
                capacity = BlockPool.blockSize
            } else {
                capacity = Self.size(for: extra)
                storage = pool.allocate(byteCount: capacity)
            }
        } else if capacity - end < extra {
            if capacity - count >= extra {
                if count > 0 { storage!.copyMemory(from: storage! + start, byteCount: count) }
            } else {
                let grown = Self.size(for: count + extra)
                let block = pool.allocate(byteCount: grown)
                if count > 0 { block.copyMemory(from: storage! + start, byteCount: count) }
                giveBack()
                storage = block
                capacity = grown
            }
            end = count
            start = 0
        }
        return storage! + end
    }

    /// How much to read next: what is left of the block (a pool block when there is none yet), at
    /// least 4 KiB, or more when a value being received needs `total` bytes in all. Reading no
    /// more than that keeps a steady stream in one pool block, with no allocation.
    func readSize(total: Int?) -> Int {
        let left = (storage == nil ? BlockPool.blockSize : capacity) - count
        return max((total ?? 0) - count, left >= 4096 ? left : BlockPool.blockSize)
    }

    /// Marks `count` bytes written after a ``reserve(_:)`` as waiting.
    mutating func commit(_ count: Int) {
        end += count
        if end == start { releaseIfEmpty() }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        end += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    mutating func consume(_ count: Int) {
        start += count
        if start == end { releaseIfEmpty() }
    }

    mutating func removeAll() {
        start = 0
        end = 0
        releaseIfEmpty()
    }

    /// Gives the block back when nothing waits in it (after a read that found nothing, too).
    mutating func releaseIfEmpty() {
        guard start == end, storage != nil else { return }
        giveBack()
        storage = nil
        capacity = 0
        start = 0
        end = 0
    }

    /// Gives the block back whatever it holds (the owner is closing).
    mutating func release() {
        start = end
        releaseIfEmpty()
    }

    private mutating func giveBack() {
        guard let block = storage else { return }
        if capacity == BlockPool.blockSize { pool.give(block) } else { pool.deallocate(block, byteCount: capacity) }
    }

    private static func size(for bytes: Int) -> Int {
        var size = BlockPool.blockSize
        while size < bytes { size *= 2 }
        return size
    }
}
