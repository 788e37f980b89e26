/// Bytes read from one side that the other side has not taken yet: a window into a pool block.
struct PendingBytes {
    private(set) var block: UnsafeMutableRawPointer?
    private var start = 0
    private var end = 0

    var isEmpty: Bool { start == end }
    var count: Int { end - start }
    var bytes: UnsafeMutableRawPointer { block! + start }

    /// Takes ownership of `block`, whose bytes `start..<end` are still to be written.
    mutating func adopt(_ block: UnsafeMutableRawPointer, start: Int, end: Int) {
        precondition(self.block == nil && start < end)
        self.block = block
        self.start = start
        self.end = end
    }

    /// Marks `count` bytes as written.
    mutating func consume(_ count: Int) {
        precondition(count <= self.count)
        start += count
    }

    /// Hands the block back once it is empty (or the session is closing).
    mutating func release() -> UnsafeMutableRawPointer? {
        defer { self = PendingBytes() }
        return block
    }
}
