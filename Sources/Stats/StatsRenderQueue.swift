import NIOCore

/// Runs snapshot + render on the stats server's own event-loop thread, which runs at a lower
/// CPU priority (nice 10) than the data plane: a client hammering the page competes for the
/// CPU at a tenth of a data-plane thread's weight, instead of on equal terms from Swift's
/// shared cooperative threads.
actor StatsRenderQueue {
    private let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    func run<T: Sendable>(_ work: @Sendable () -> T) -> T { work() }
}
