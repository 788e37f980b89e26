import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking Redis client over one TCP connection, for tests.
///
/// Every socket operation has a timeout (`SO_RCVTIMEO` / `SO_SNDTIMEO`, which on Linux
/// also bounds `connect`), so a test never hangs on a stuck proxy or a SIGSTOPped server.
/// Not thread-safe: use one client per task.
final class RedisClient {
    /// The ways a client call can fail.
    enum ClientError: Error, CustomStringConvertible, Equatable {
        /// The socket call failed with this `errno`.
        case system(call: String, errno: Int32)
        /// Nothing arrived (or could be sent) within the timeout.
        case timedOut
        /// The peer closed the connection before a whole reply arrived.
        case closedByPeer
        /// ``close()`` was already called.
        case closed
        case badAddress(String)

        var description: String {
            switch self {
            case let .system(call, code): "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
            case .timedOut: "timed out"
            case .closedByPeer: "connection closed by peer"
            case .closed: "client already closed"
            case let .badAddress(host): "not an IPv4 address: \(host)"
            }
        }
    }

    let host: String
    let port: Int
    private(set) var timeout: Duration
    private var fd: Int32
    // Bytes received but not yet returned as a reply or by `receive`.
    private var pending: [UInt8] = []

    /// Connects to `host:port` (an IPv4 literal; tests only ever use loopback).
    init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ClientError.badAddress(host) }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.system(call: "socket", errno: errno) }
        self.host = host
        self.port = port
        self.timeout = timeout
        self.fd = fd
        do {
            try setTimeout(timeout)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result != 0 {
                let code = errno
                throw code == EINPROGRESS || code == EAGAIN ? ClientError.timedOut : ClientError.system(call: "connect", errno: code)
            }
        } catch {
            close()
            throw error
        }
    }

    /// Same as ``init(host:port:timeout:)``.
    static func connect(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) throws -> RedisClient {
        try RedisClient(host: host, port: port, timeout: timeout)
    }

    deinit { close() }

    var isClosed: Bool { fd < 0 }

    /// Changes the send and receive timeout for the calls that follow.
    func setTimeout(_ timeout: Duration) throws {
        guard fd >= 0 else { throw ClientError.closed }
        self.timeout = timeout
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // 0 would mean "no timeout"
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw ClientError.system(call: "setsockopt", errno: errno)
            }
        }
    }

    // MARK: - Commands

    /// Sends one command and returns its reply (an error reply is returned, not thrown).
    func command(_ arguments: [String]) throws -> RESPReply {
        try send(RESPReply.encodeCommand(arguments))
        return try readReply()
    }

    /// `command(["SET", "k", "v"])` written as `command("SET", "k", "v")`.
    func command(_ arguments: String...) throws -> RESPReply {
        try command(arguments)
    }

    /// Reads the next whole reply, waiting at most the timeout for each piece of it.
    func readReply() throws -> RESPReply {
        while true {
            if let (reply, consumed) = try RESPDecoder.decode(pending[...]) {
                pending.removeFirst(consumed)
                return reply
            }
            let chunk = try receiveFromSocket(upTo: 64 * 1024)
            if chunk.isEmpty { throw ClientError.closedByPeer }
            pending += chunk
        }
    }

    // MARK: - Raw bytes

    /// Writes all of `bytes` (for pipelining, partial commands, or plain garbage).
    func send(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw ClientError.closed }
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: writing to a closed peer must be an error, not a SIGPIPE that kills the test runner.
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                throw code == EAGAIN || code == EWOULDBLOCK ? ClientError.timedOut : ClientError.system(call: "send", errno: code)
            }
            offset += sent
        }
    }

    /// Writes `text` as UTF-8, e.g. an inline command `"PING\r\n"`.
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Returns up to `maxBytes` bytes: leftovers from earlier reads first, else what one
    /// `recv` brings. An empty result means the peer closed its side (EOF). Throws
    /// ``ClientError/timedOut`` when nothing arrives within the timeout.
    func receive(upTo maxBytes: Int = 64 * 1024) throws -> [UInt8] {
        if !pending.isEmpty {
            let count = min(maxBytes, pending.count)
            let chunk = Array(pending.prefix(count))
            pending.removeFirst(count)
            return chunk
        }
        return try receiveFromSocket(upTo: maxBytes)
    }

    /// Reads and discards data until the peer closes (EOF or reset) or `timeout` passes.
    /// Returns whether the peer closed.
    func waitForPeerClose(timeout: Duration) -> Bool {
        guard fd >= 0 else { return false }
        pending.removeAll()
        let deadline = ContinuousClock.now + timeout
        let saved = self.timeout
        defer { try? setTimeout(saved) }
        while ContinuousClock.now < deadline {
            try? setTimeout(min(deadline - ContinuousClock.now, .milliseconds(100)))
            do {
                if try receiveFromSocket(upTo: 64 * 1024).isEmpty { return true }
            } catch ClientError.timedOut {
                continue
            } catch ClientError.system(_, let code) where code == ECONNRESET {
                return true
            } catch {
                return false
            }
        }
        return false
    }

    /// Half-closes: sends FIN but keeps reading.
    func shutdownWrite() {
        guard fd >= 0 else { return }
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the socket; safe to call more than once.
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    private func receiveFromSocket(upTo maxBytes: Int) throws -> [UInt8] {
        guard fd >= 0 else { throw ClientError.closed }
        var buffer = [UInt8](repeating: 0, count: max(1, maxBytes))
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            let code = errno
            if code == EINTR { continue }
            throw code == EAGAIN || code == EWOULDBLOCK ? ClientError.timedOut : ClientError.system(call: "recv", errno: code)
        }
    }
}
