/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let sequence: UInt64
}

/// A min-heap of deadlines with cancellation, owned by one loop. Pure: the caller supplies the time.
struct TimerQueue<Callback> {
    private struct Entry {
        var deadline: UInt64
        var sequence: UInt64
        /// Nanoseconds between firings of a repeating timer; 0 = fires once.
        var interval: UInt64 = 0
    }

    private var heap: [Entry] = []
    private var callbacks: [UInt64: Callback] = [:]
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { callbacks.isEmpty }

    /// A timer firing at `deadline`, then, with a non-zero `interval`, every `interval` after it
    /// until cancelled (the callback is stored once: a repeating timer allocates nothing per firing).
    mutating func schedule(at deadline: UInt64, every interval: UInt64 = 0, _ callback: Callback) -> TimerID {
        nextSequence += 1
        callbacks[nextSequence] = callback
        push(Entry(deadline: deadline, sequence: nextSequence, interval: interval))
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

    /// The earliest callback due at `now`, if any, removed unless it repeats: a repeating timer
    /// is due again one interval after its deadline (or after `now`, when it fell behind by more
    /// than an interval, so a stalled loop does not fire a burst).
    mutating func popDue(now: UInt64) -> Callback? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            guard top.interval > 0 else {
                if let callback = callbacks.removeValue(forKey: top.sequence) { return callback }
                continue
            }
            guard let callback = callbacks[top.sequence] else { continue }
            var next = top
            next.deadline = top.deadline &+ top.interval > now ? top.deadline &+ top.interval : now &+ top.interval
            push(next)
            return callback
        }
        return nil
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        siftUp(heap.count - 1)
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
