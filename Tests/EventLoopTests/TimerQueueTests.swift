import Testing

@testable import EventLoop

/// Every callback due at `now`, in firing order (the loop pops them one at a time).
private func drain<Callback>(_ queue: inout TimerQueue<Callback>, now: UInt64) -> [Callback] {
    var fired: [Callback] = []
    while let callback = queue.popDue(now: now) { fired.append(callback) }
    return fired
}

@Suite struct TimerQueueTests {
    @Test(arguments: [
        [5, 1, 3],
        [1, 1, 1, 2],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        [100],
    ])
    func firesInDeadlineOrderThenInsertionOrder(deadlines: [UInt64]) {
        var queue = TimerQueue<Int>()
        for (index, deadline) in deadlines.enumerated() { _ = queue.schedule(at: deadline, index) }
        let fired = drain(&queue, now: .max)
        let expected = deadlines.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map(\.offset)
        #expect(fired == expected)
        #expect(queue.isEmpty)
    }

    @Test func onlyDueTimersFire() {
        var queue = TimerQueue<String>()
        _ = queue.schedule(at: 10, "a")
        _ = queue.schedule(at: 20, "b")
        #expect(drain(&queue, now: 9).isEmpty)
        #expect(queue.nextDeadline() == 10)
        #expect(drain(&queue, now: 15) == ["a"])
        #expect(queue.nextDeadline() == 20)
        #expect(drain(&queue, now: 20) == ["b"])
        #expect(queue.nextDeadline() == nil)
    }

    @Test func cancelledTimersNeverFireAndDoNotHoldTheNextDeadline() {
        var queue = TimerQueue<String>()
        let early = queue.schedule(at: 1, "early")
        _ = queue.schedule(at: 5, "late")
        queue.cancel(early)
        #expect(queue.nextDeadline() == 5)
        #expect(drain(&queue, now: 10) == ["late"])
        queue.cancel(early)  // cancelling twice is harmless
        #expect(queue.isEmpty)
    }

    /// (first deadline, interval, the times the loop wakes up) → how many times it fired at each.
    @Test(arguments: [
        (10, 10, [9, 10, 15, 20, 30], [0, 1, 0, 1, 1]),
        (10, 10, [25], [1]),              // behind by more than an interval: once, not a burst
        (10, 10, [25, 34, 35], [1, 0, 1]), // ... and then due one interval after that wake-up
        (5, 100, [5, 104, 105, 205], [1, 0, 1, 1]),
    ])
    func repeatingTimerFiresOncePerIntervalWithoutBursts(first: UInt64, interval: UInt64,
                                                         wakeUps: [UInt64], expected: [Int]) {
        var queue = TimerQueue<String>()
        _ = queue.schedule(at: first, every: interval, "tick")
        #expect(wakeUps.map { drain(&queue, now: $0).count } == expected)
        #expect(!queue.isEmpty)
    }

    @Test func repeatingTimerInterleavesWithOneShotsAndStopsWhenCancelled() {
        var queue = TimerQueue<String>()
        let tick = queue.schedule(at: 10, every: 10, "tick")
        _ = queue.schedule(at: 15, "once")
        #expect(drain(&queue, now: 20) == ["tick", "once"])  // deadline 10, woken at 20: once
        #expect(queue.nextDeadline() == 30)
        #expect(drain(&queue, now: 30) == ["tick"])
        queue.cancel(tick)
        #expect(drain(&queue, now: 100).isEmpty)
        #expect(queue.nextDeadline() == nil)
        #expect(queue.isEmpty)
    }
}
