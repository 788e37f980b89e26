import CLinuxNet
import Glibc
import Synchronization

/// Messages for a loop from other threads: a locked queue plus an eventfd that wakes the loop.
///
/// The only way to reach a loop-confined object from another thread.
public final class Mailbox<Message: Sendable>: Sendable {
    /// The eventfd that wakes the owning loop (a loop with a private descriptor table must keep it).
    public let wakeFD: Int32
    private let queue = Mutex<[Message]>([])

    public init() throws(SystemError) {
        let fd = cln_eventfd()
        guard fd >= 0 else { throw SystemError("eventfd") }
        wakeFD = fd
    }

    deinit { close(wakeFD) }

    public func send(_ message: Message) {
        queue.withLock { $0.append(message) }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Takes every queued message; called by the owning loop when woken.
    public func receive() -> [Message] {
        var counter: UInt64 = 0
        _ = read(wakeFD, &counter, 8)
        return queue.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
    }
}
