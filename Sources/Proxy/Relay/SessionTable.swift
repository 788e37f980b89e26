import EventLoop

/// A slab of sessions addressed by slot, with a free list. Pointers into it stay valid until
/// the next ``allocate()`` (which may grow it); the worker never holds one across an accept.
final class SessionTable {
    private(set) var storage: UnsafeMutablePointer<RelaySession>
    private(set) var capacity: Int
    private var freeSlots: [Int32] = []
    private(set) var activeCount = 0

    init(initialCapacity: Int = 256) {
        capacity = initialCapacity
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: RelaySession(), count: capacity)
        freeSlots = (0..<Int32(capacity)).reversed()
    }

    deinit {
        storage.deinitialize(count: capacity)
        storage.deallocate()
    }

    func pointer(_ slot: Int32) -> UnsafeMutablePointer<RelaySession> {
        storage + Int(slot)
    }

    func allocate() -> Int32 {
        if freeSlots.isEmpty { grow() }
        activeCount += 1
        return freeSlots.removeLast()
    }

    func free(_ slot: Int32) {
        let session = pointer(slot)
        let generation = EpollToken.next(session.pointee.generation)
        session.pointee = RelaySession()
        session.pointee.generation = generation
        freeSlots.append(slot)
        activeCount -= 1
    }

    private func grow() {
        let newCapacity = capacity * 2
        let bigger = UnsafeMutablePointer<RelaySession>.allocate(capacity: newCapacity)
        bigger.moveInitialize(from: storage, count: capacity)
        (bigger + capacity).initialize(repeating: RelaySession(), count: newCapacity - capacity)
        storage.deallocate()
        freeSlots.append(contentsOf: (Int32(capacity)..<Int32(newCapacity)).reversed())
        storage = bigger
        capacity = newCapacity
    }
}
