/// Bytes waiting in one heap block: appended at the end, consumed from the front. The block grows
/// to the largest burst it has held and is then reused, so steady traffic allocates nothing.
/// Owned by one class (a client or a backend link), which calls ``release()`` in its deinit.
struct ByteQueue {
    private var storage: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private var start = 0
    private var end = 0

    var count: Int { end - start }
    var isEmpty: Bool { end == start }

    /// The waiting bytes, in place (valid until the next append or reserve).
    var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage.map { $0 + start }, count: end - start)
    }

    /// Room for at least `extra` more bytes after the waiting ones, moving them to the front or
    /// growing the block; returns where to write them.
    mutating func reserve(_ extra: Int) -> UnsafeMutableRawPointer {
        if capacity - end < extra {
            if start > 0 && capacity - count >= extra {
                if count > 0 { storage!.copyMemory(from: storage! + start, byteCount: count) }
            } else {
                var grown = Swift.max(capacity * 2, 4096)
                while grown - count < extra { grown *= 2 }
                let block = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                if count > 0 { block.copyMemory(from: storage! + start, byteCount: count) }
                storage?.deallocate()
                storage = block
                capacity = grown
            }
            end = count
            start = 0
        }
        return storage! + end
    }

    /// Marks `count` bytes written after a ``reserve(_:)`` as waiting.
    mutating func commit(_ count: Int) { end += count }

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
        if start == end { start = 0; end = 0 }
    }

    mutating func removeAll() { start = 0; end = 0 }

    /// Frees the block (and gives a queue that has grown past `keep` bytes a fresh start).
    mutating func release() {
        storage?.deallocate()
        storage = nil
        capacity = 0
        start = 0
        end = 0
    }

    /// Returns the block when it is empty and larger than `keep`: one huge value must not pin memory.
    mutating func shrink(above keep: Int) {
        if isEmpty && capacity > keep { release() }
    }
}
