import EventLoop
import Glibc

/// Why a client is refused with a RESP error instead of being served.
enum Refusal: Sendable, Equatable {
    /// `-ERR ferry: no backend available`: nothing routable, or every connect and retry failed.
    case noBackend
    /// `-ERR ferry: out of file descriptors, try again`: a connect failed for a local resource
    /// (`CheckResult.isLocalResourceError`); another server would fail alike.
    case outOfResources

    var reply: [UInt8] {
        switch self {
        case .noBackend: Self.noBackendReply
        case .outOfResources: Self.noResourcesReply
        }
    }

    static let noBackendReply: [UInt8] = Array("-ERR ferry: no backend available\r\n".utf8)
    static let noResourcesReply: [UInt8] = Array("-ERR ferry: out of file descriptors, try again\r\n".utf8)

    /// Writes `reply` and a FIN to `fd`; the caller then drains it with ``drain(_:scratch:)``
    /// until the client goes: draining what it sent avoids a RST that could discard the reply.
    static func send(_ reply: [UInt8], to fd: Int32) {
        _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads and discards what the client sent; true once it has closed (or failed).
    static func drain(_ fd: Int32, scratch: UnsafeMutableRawPointer) -> Bool {
        while true {
            switch SocketIO.recv(fd, into: scratch, count: BufferPool.blockSize) {
            case .done: continue
            case .wouldBlock: return false
            case .endOfStream, .failed: return true
            }
        }
    }
}
