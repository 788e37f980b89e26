/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let sequence: UInt64
}

/// A min-heap of deadlines with cancellation, owned by one loop. Pure: the caller supplies the time.
struct TimerQueue<Callback> {
    private struct Entry {
        var deadline: UInt64
        var sequence: UInt64
    }

    private var heap: [Entry] = []
    private var callbacks: [UInt64: Callback] = [:]
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { callbacks.isEmpty }

    mutating func schedule(at deadline: UInt64, _ callback: Callback) -> TimerID {
        nextSequence += 1
        callbacks[nextSequence] = callback
        heap.append(Entry(deadline: deadline, sequence: nextSequence))
        siftUp(heap.count - 1)
        return TimerID(sequence: nextSequence)
    }

    /// Cancelled entries stay in the heap and are skipped when they surface.
    mutating func cancel(_ id: TimerID) {
        callbacks[id.sequence] = nil
    }

    /// The earliest live deadline, if any.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.first, callbacks[top.sequence] == nil { popTop() }
        return heap.first?.deadline
    }

    /// Removes and returns the callbacks due at `now`, earliest first.
    mutating func popDue(now: UInt64) -> [Callback] {
        var due: [Callback] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let callback = callbacks.removeValue(forKey: top.sequence) { due.append(callback) }
        }
        return due
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private func earlier(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard earlier(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, earlier(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, earlier(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
