/// Fixed-size relay blocks, recycled per data-plane loop so steady-state relaying allocates nothing.
///
/// A session holds a block only while bytes are waiting for a slow receiver; bytes that can be
/// written straight through pass via the loop's single `scratch` block.
final class BufferPool {
    static let blockSize = 64 * 1024

    /// Where every read lands first.
    private(set) var scratch: UnsafeMutableRawPointer
    private var free: [UnsafeMutableRawPointer] = []
    private let maxFree: Int
    /// Blocks handed out and not yet recycled (scratch excluded), for stats and tests.
    private(set) var blocksInUse = 0

    init(maxFree: Int = 64) {
        self.maxFree = maxFree
        scratch = Self.allocateBlock()
        free.reserveCapacity(maxFree)
    }

    deinit {
        scratch.deallocate()
        for block in free { block.deallocate() }
    }

    /// Gives the filled scratch block away (to be parked in a session) and installs a fresh one.
    func takeScratch() -> UnsafeMutableRawPointer {
        let filled = scratch
        scratch = free.popLast() ?? Self.allocateBlock()
        blocksInUse += 1
        return filled
    }

    /// Returns a block a session no longer needs.
    func recycle(_ block: UnsafeMutableRawPointer) {
        blocksInUse -= 1
        if free.count < maxFree {
            free.append(block)
        } else {
            block.deallocate()
        }
    }

    var freeBlocks: Int { free.count }

    private static func allocateBlock() -> UnsafeMutableRawPointer {
        .allocate(byteCount: blockSize, alignment: 64)
    }
}
