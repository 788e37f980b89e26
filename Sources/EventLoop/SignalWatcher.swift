import CLinuxNet
import Glibc

/// Delivers signals as loop events through a signalfd, so handlers run on the loop like any
/// other event instead of in async-signal context.
///
/// Create it before starting other threads: it blocks the signals in the calling thread, and
/// threads started afterwards inherit that mask, so only the signalfd sees them.
public final class SignalWatcher: EventHandler {
    private let fd: Int32
    private let onSignal: (Int32) -> Void

    public init(loop: EpollLoop, signals: [Int32], onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        var mask = sigset_t()
        cln_sigset_init(&mask)
        for signal in signals { cln_sigset_add(&mask, signal) }
        guard pthread_sigmask(SIG_BLOCK, &mask, nil) == 0 else { throw SystemError("pthread_sigmask") }
        fd = cln_signalfd(&mask)
        guard fd >= 0 else { throw SystemError("signalfd") }
        self.onSignal = onSignal
        let id = loop.add(handler: self)
        try loop.register(fd: fd, events: EpollLoop.readable | EpollLoop.edgeTriggered, handler: id, data: 0)
    }

    deinit { close(fd) }

    public func handleEvent(data: UInt64, events: UInt32) {
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            onSignal(Int32(info.ssi_signo))
        }
    }
}
