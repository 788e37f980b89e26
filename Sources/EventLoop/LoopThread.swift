import CLinuxNet
import Glibc

/// A named OS thread for one loop. The body builds its loop-confined objects on the new thread.
public final class LoopThread: Sendable {
    private let thread: pthread_t

    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            _ = cln_set_thread_name(String(box.name.prefix(15)))
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(SystemError.describe(result))")
        thread = handle
    }

    /// Waits for the thread's body to return.
    public func join() {
        pthread_join(thread, nil)
    }
}
