import CLinuxNet
import Glibc

/// Thin, typed wrappers over the TCP socket calls the proxy and the health checks make.
/// All sockets are non-blocking and close-on-exec.
public enum TCPSocket {
    /// A listening socket with SO_REUSEPORT, so each data-plane loop can own one on the same port.
    /// TCP_NODELAY and SO_KEEPALIVE set here are inherited by accepted sockets (saves two syscalls per accept).
    public static func listen(on address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = true) throws(SystemError) -> Int32 {
        let fd = cln_tcp_socket(address.family)
        guard fd >= 0 else { throw SystemError("socket") }
        do throws(SystemError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            if reusePort { try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT") }
            try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
            try enableKeepAlive(fd)
            let bound = address.withSockAddr { bind(fd, $0, $1) }
            guard bound == 0 else { throw SystemError("bind \(address)") }
            guard Glibc.listen(fd, backlog) == 0 else { throw SystemError("listen \(address)") }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The result of starting a non-blocking connect.
    public enum ConnectStart {
        case connected(Int32)
        /// Wait for the fd to become writable, then read ``pendingError(_:)``.
        case inProgress(Int32)
    }

    /// Starts a connect with TCP_NODELAY set; immediate failures throw.
    ///
    /// No TCP keepalive towards servers (four setsockopt calls per session, ~2% of a short
    /// session's CPU): a dead server is found by the health checks, whose `on_down` closes its
    /// sessions, and Redis probes its own clients (`tcp-keepalive`, 300 s by default).
    public static func connect(to address: SocketAddress) throws(SystemError) -> ConnectStart {
        let fd = cln_tcp_socket(address.family)
        guard fd >= 0 else { throw SystemError("socket") }
        _ = try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if result == 0 { return .connected(fd) }
        let code = cln_errno()
        if code == EINPROGRESS { return .inProgress(fd) }
        close(fd)
        throw SystemError("connect", errno: code)
    }

    /// Closes with a RST, discarding whatever the kernel still holds to send (SO_LINGER 0).
    /// For a connection the proxy abandons: bytes a client sent that have not reached the
    /// server must not reach it later, when a path that was down comes back (a SET delivered
    /// seconds late overwrites newer, acknowledged writes).
    public static func abort(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    /// SO_ERROR after a non-blocking connect: 0 when it succeeded.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return cln_errno() }
        return value
    }

    static let keepAliveIdle: Int32 = 60

    /// TCP keepalive: first probe after 60 s idle, then every 10 s, 6 probes — dead peers are noticed
    /// within two minutes instead of the kernel's default two hours.
    public static func enableKeepAlive(_ fd: Int32) throws(SystemError) {
        try setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE")
        try setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, keepAliveIdle, "TCP_KEEPIDLE")
        try setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, 10, "TCP_KEEPINTVL")
        try setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, 6, "TCP_KEEPCNT")
    }

    /// Moves an accepted socket's first keepalive probe `offset` seconds (0…30) past the
    /// listener's 60 s. Clients that connect together (a failover, a deploy) would otherwise probe
    /// together every 10 s: bench/soak saw 9,920 probes at once overflow the loopback queue and
    /// the same 4,599 connections lose all six probes and get dropped. One setsockopt per accept.
    public static func spreadKeepAlive(_ fd: Int32, offset: Int32) {
        guard offset > 0 else { return }
        var idle = keepAliveIdle + offset
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The local address of a socket (used to learn an ephemeral port).
    public static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(storage: storage, length: length) : nil
    }

    /// The address of a connected socket's peer.
    public static func peerAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(storage: storage, length: length) : nil
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(SystemError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError("setsockopt(\(label))")
        }
    }
}
