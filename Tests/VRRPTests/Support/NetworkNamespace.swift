import CLinuxNet
import EventLoop
import Glibc

/// Runs `body` with its thread inside the named network namespace (`/run/netns/NAME`, as made
/// by `ip netns add`) and returns its result; the caller waits.
///
/// setns(2) moves only the calling thread, so the body runs on a fresh OS thread made for it,
/// never on a Swift concurrency thread (which would then run other tasks in the wrong
/// namespace). Sockets keep the namespace they were created in, so objects made in `body`
/// (a ``VRRPSocket``, a ``PcapCapture``, …) can be used from any thread afterwards.
func withNetworkNamespace<T>(_ name: String, _ body: () throws -> T) throws -> T {
    let namespace = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
    guard namespace >= 0 else { throw SystemError("open /run/netns/\(name)") }
    defer { close(namespace) }

    return try withoutActuallyEscaping(body) { escapable in
        let handoff = NamespaceHandoff(body: escapable)
        let thread = LoopThread(name: "netns \(name)") {
            guard cln_setns_network(namespace) == 0 else {
                handoff.result = .failure(SystemError("setns(\(name))"))
                return
            }
            handoff.result = Result { try handoff.body() }
        }
        thread.join()
        return try handoff.result!.get()
    }
}

/// Carries the body and its result between the threads; the caller joins before reading.
private final class NamespaceHandoff<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, any Error>?
    init(body: @escaping () throws -> T) { self.body = body }
}
