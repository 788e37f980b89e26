import Testing

@testable import EventLoop

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
        let fired = queue.popDue(now: .max)
        let expected = deadlines.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map(\.offset)
        #expect(fired == expected)
        #expect(queue.isEmpty)
    }

    @Test func onlyDueTimersFire() {
        var queue = TimerQueue<String>()
        _ = queue.schedule(at: 10, "a")
        _ = queue.schedule(at: 20, "b")
        #expect(queue.popDue(now: 9).isEmpty)
        #expect(queue.nextDeadline() == 10)
        #expect(queue.popDue(now: 15) == ["a"])
        #expect(queue.nextDeadline() == 20)
        #expect(queue.popDue(now: 20) == ["b"])
        #expect(queue.nextDeadline() == nil)
    }

    @Test func cancelledTimersNeverFireAndDoNotHoldTheNextDeadline() {
        var queue = TimerQueue<String>()
        let early = queue.schedule(at: 1, "early")
        _ = queue.schedule(at: 5, "late")
        queue.cancel(early)
        #expect(queue.nextDeadline() == 5)
        #expect(queue.popDue(now: 10) == ["late"])
        queue.cancel(early)  // cancelling twice is harmless
        #expect(queue.isEmpty)
    }
}
