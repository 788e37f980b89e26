import CLinuxNet
import Glibc

/// What one non-blocking read, write or splice did. EINTR never comes out (the call is retried),
/// so callers decide only between progress, end of stream, "wait for epoll" and a real error,
/// as swift-nio's `IOResult` lets its channels do.
public enum IOResult: Equatable {
    /// Bytes moved (more than zero).
    case done(Int)
    /// A read returned 0: the peer sent its FIN (or a pipe's writer closed).
    case endOfStream
    /// EAGAIN: nothing to do until epoll reports the descriptor ready again.
    case wouldBlock
    /// Any other errno.
    case failed(Int32)
}

/// Thin wrappers over the data plane's syscalls, returning ``IOResult``; inlined, so they cost
/// what the bare calls cost. Socket reads and writes use recv/send (see `cln_recv`: the short
/// socket path, and MSG_NOSIGNAL for writes to a reset peer).
public enum SocketIO {
    @inline(__always)
    public static func recv(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> IOResult {
        while true {
            let result = cln_recv(fd, buffer, count)
            if result > 0 { return .done(result) }
            if result == 0 { return .endOfStream }
            if let outcome = outcome(of: cln_errno()) { return outcome }
        }
    }

    @inline(__always)
    public static func send(_ fd: Int32, from buffer: UnsafeRawPointer, count: Int) -> IOResult {
        while true {
            let result = cln_send(fd, buffer, count)
            if result >= 0 { return .done(result) }
            if let outcome = outcome(of: cln_errno()) { return outcome }
        }
    }

    /// `splice(2)` between a socket and a pipe, non-blocking.
    @inline(__always)
    public static func splice(from source: Int32, to sink: Int32, count: Int) -> IOResult {
        while true {
            let result = cln_splice(source, sink, count, cln_SPLICE_F_MOVE | cln_SPLICE_F_NONBLOCK)
            if result > 0 { return .done(result) }
            if result == 0 { return .endOfStream }
            if let outcome = outcome(of: cln_errno()) { return outcome }
        }
    }

    /// What `accept4` gave: a client, nothing pending, or an error (EINTR and the errors that
    /// concern only the one aborted connection, ECONNABORTED and EPROTO, are retried).
    public enum Accepted: Equatable {
        case client(Int32)
        case wouldBlock
        case failed(Int32)
    }

    @inline(__always)
    public static func accept(_ listener: Int32) -> Accepted {
        while true {
            let fd = cln_accept4(listener, nil, nil)
            if fd >= 0 { return .client(fd) }
            switch cln_errno() {
            case EAGAIN: return .wouldBlock
            case EINTR, ECONNABORTED, EPROTO: continue
            case let code: return .failed(code)
            }
        }
    }

    /// nil for EINTR (retry), the outcome otherwise.
    @inline(__always)
    private static func outcome(of code: Int32) -> IOResult? {
        switch code {
        case EINTR: nil
        case EAGAIN: .wouldBlock
        default: .failed(code)
        }
    }
}
