import CLinuxNet
import Glibc

/// Receives the readiness events of the file descriptors it registered with a loop.
public protocol EventHandler: AnyObject {
    /// `data` is the 56-bit value given at registration; `events` the epoll bits.
    func handleEvent(data: UInt64, events: UInt32)
}

/// A handler's place in its loop; registrations carry it in the top byte of the epoll token.
public struct HandlerID: Hashable, Sendable {
    let index: UInt8
}

/// A single-threaded, edge-triggered epoll loop with timers.
///
/// Loop-confined: create it on the thread that runs it and touch it only from there.
/// Other threads reach it through a ``Mailbox`` registered with ``watch(_:handler:)``.
public final class EpollLoop {
    public static let readable = cln_EPOLLIN
    public static let writable = cln_EPOLLOUT
    public static let error = cln_EPOLLERR
    public static let hangup = cln_EPOLLHUP
    public static let readHangup = cln_EPOLLRDHUP
    public static let edgeTriggered = cln_EPOLLET

    /// Time of the last wake-up (``MonotonicClock`` nanoseconds); cheap to read on the hot path.
    public private(set) var now: UInt64

    private let epollFD: Int32
    private var handlers: [EventHandler] = []
    private var timers = TimerQueue<() -> Void>()
    private var soon: [() -> Void] = []
    /// ``AfterBatch`` work queued for after the current batch, and the list being run.
    private var afterBatch: [any AfterBatch] = []
    private var runningAfterBatch: [any AfterBatch] = []
    private var running = false
    private let capacity = 256
    private let scratch: UnsafeMutableRawPointer
    private let tokens: UnsafeMutablePointer<UInt64>
    private let eventBits: UnsafeMutablePointer<UInt32>

    /// Timers fire to the nanosecond (epoll_pwait2) rather than up to a millisecond late.
    private let precise: Bool

    /// `precise: false` lets timers fire up to a millisecond late: the data plane's 100 ms sweeps
    /// do not mind and save kernel time on every wake-up; VRRP's timers need `true`.
    public init(precise: Bool = true) throws(SystemError) {
        self.precise = precise
        let fd = cln_epoll_create()
        guard fd >= 0 else { throw SystemError("epoll_create1") }
        epollFD = fd
        now = MonotonicClock.now()
        scratch = .allocate(byteCount: capacity * cln_epoll_event_size(), alignment: 16)
        tokens = .allocate(capacity: capacity)
        eventBits = .allocate(capacity: capacity)
    }

    deinit {
        close(epollFD)
        scratch.deallocate()
        tokens.deallocate()
        eventBits.deallocate()
    }

    /// Adds a handler; at most 255 per loop.
    public func add(handler: EventHandler) -> HandlerID {
        precondition(handlers.count < 255, "too many handlers on one loop")
        handlers.append(handler)
        return HandlerID(index: UInt8(handlers.count - 1))
    }

    /// Registers `fd` edge-triggered for `events`; `data` (56 bits) comes back with each event.
    public func register(fd: Int32, events: UInt32, handler: HandlerID, data: UInt64) throws(SystemError) {
        let token = UInt64(handler.index) << 56 | (data & 0x00FF_FFFF_FFFF_FFFF)
        guard cln_epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, events, token) == 0 else { throw SystemError("epoll_ctl(ADD)") }
    }

    /// Registers a mailbox's wake-up fd; the handler is called with `data` whenever messages arrive.
    public func watch<Message>(_ mailbox: Mailbox<Message>, handler: HandlerID, data: UInt64) throws(SystemError) {
        try register(fd: mailbox.wakeFD, events: Self.readable | Self.edgeTriggered, handler: handler, data: data)
    }

    @discardableResult
    public func schedule(after delay: Duration, _ callback: @escaping () -> Void) -> TimerID {
        schedule(at: MonotonicClock.now() &+ delay.nanoseconds, callback)
    }

    @discardableResult
    public func schedule(at deadline: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, callback)
    }

    /// Runs `callback` every `interval` (first after one interval) until cancelled; the callback
    /// is stored once, so a periodic sweep allocates nothing per run.
    @discardableResult
    public func schedule(every interval: Duration, _ callback: @escaping () -> Void) -> TimerID {
        precondition(interval > .zero, "a repeating timer needs a positive interval")
        return timers.schedule(at: MonotonicClock.now() &+ interval.nanoseconds, every: interval.nanoseconds, callback)
    }

    public func cancel(_ timer: TimerID) {
        timers.cancel(timer)
    }

    /// Runs `callback` after the current batch of events, before sleeping again.
    public func runSoon(_ callback: @escaping () -> Void) {
        soon.append(callback)
    }

    /// Runs `task` after the current batch of events, before sleeping again, without allocating:
    /// a closure queued with ``runSoon(_:)`` is stored at its generic abstraction, which costs a
    /// 32-byte thunk each time (measured: 0.23 allocations per request when cluster mode flushed
    /// through it).
    public func runAfterBatch(_ task: any AfterBatch) {
        afterBatch.append(task)
    }

    /// Makes ``run()`` return after the current iteration.
    public func stop() {
        running = false
    }

    /// Waits for and dispatches events and timers until ``stop()``.
    public func run() {
        running = true
        while running {
            let timeout = nextTimeout()
            let count = cln_epoll_wait(epollFD, scratch.assumingMemoryBound(to: epoll_event.self), Int32(capacity),
                                       timeout, precise ? 1 : 0, tokens, eventBits)
            now = MonotonicClock.now()
            if count > 0 {
                for index in 0..<Int(count) {
                    let token = tokens[index]
                    handlers[Int(token >> 56)].handleEvent(data: token & 0x00FF_FFFF_FFFF_FFFF, events: eventBits[index])
                }
            }
            if !afterBatch.isEmpty {
                // Swapped and walked by index: new work goes to the other list meanwhile, and no
                // copy keeps `removeAll` from reusing the storage.
                swap(&afterBatch, &runningAfterBatch)
                var index = 0
                while index < runningAfterBatch.count {
                    let task = runningAfterBatch[index]
                    index += 1
                    task.afterBatch()
                }
                runningAfterBatch.removeAll(keepingCapacity: true)
            }
            // One at a time: no array per wake-up.
            while let callback = timers.popDue(now: now) { callback() }
            if !soon.isEmpty {
                let work = soon
                soon.removeAll(keepingCapacity: true)
                for callback in work { callback() }
            }
        }
    }

    /// Nanoseconds until the next timer; -1 = none.
    private func nextTimeout() -> Int64 {
        if !soon.isEmpty || !afterBatch.isEmpty { return 0 }
        guard let deadline = timers.nextDeadline() else { return -1 }
        let current = MonotonicClock.now()
        guard deadline > current else { return 0 }
        return Int64(clamping: deadline - current)
    }
}

/// Work that runs after a batch of events (``EpollLoop/runAfterBatch(_:)``): a class, so queuing
/// it stores a reference and allocates nothing.
public protocol AfterBatch: AnyObject {
    func afterBatch()
}
