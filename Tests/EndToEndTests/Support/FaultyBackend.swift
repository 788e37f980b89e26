import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately misbehaving "Redis" on a free loopback port, for fault injection: it can play a
/// healthy master, fall silent, answer garbage, flood, or reset a session in the middle of a reply.
///
/// The behaviour can be changed while it runs and applies to every connection from its next
/// bytes on, so a server can pass health checks, receive clients, and then fail under them.
/// One thread accepts; each connection gets its own thread (tests open only a handful).
final class FaultyBackend: Sendable {
    /// What the server does with the bytes it receives.
    enum Behaviour: Sendable, Equatable {
        /// `PING` → `+PONG`, `ROLE` → master, `INFO` → `tcp_port:PORT`, `GET k` → `$5 hello`,
        /// anything else → `+OK`.
        case master
        /// Reads and discards everything, never answers (a wedged process with a live kernel).
        case silent
        /// Answers the first bytes of every connection with `bytes`, then reads and ignores the rest.
        case reply([UInt8])
        /// Answers the first bytes with `prefix`, then sends `chunk` over and over until the peer goes.
        case flood(prefix: [UInt8], chunk: [UInt8])
        /// Health checks (`PING`, `ROLE`, `INFO`) as ``master``; any other command: reads one chunk of
        /// it, sends `$1000` and 500 of the 1000 bytes, then closes with a RST (SO_LINGER 0).
        case resetMidStream
    }

    private struct State {
        var behaviour: Behaviour
        var stopped = false
        var accepting = true
        var accepted = 0
        var resets = 0
        var connections: Set<Int32> = []
    }

    let port: Int
    private let listener: Int32
    private let state: Mutex<State>

    /// Listens on a free `127.0.0.1` port; `backlog` is passed to `listen` (see ``accepting``).
    init(_ behaviour: Behaviour, backlog: Int32 = 64) throws {
        state = Mutex(State(behaviour: behaviour))
        var lastError: Int32 = 0
        for _ in 0..<5 {
            let port = try FreePorts.find(1, alsoFreeAtOffset: nil)[0]
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = Self.loopback(port)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 && listen(fd, backlog) == 0 {
                self.port = port
                listener = fd
                let thread = Thread { [self] in acceptLoop() }
                thread.start()
                return
            }
            lastError = errno
            close(fd)
        }
        throw RedisClient.ClientError.system(call: "bind/listen", errno: lastError)
    }

    deinit { stop() }

    var behaviour: Behaviour {
        get { state.withLock { $0.behaviour } }
        set { state.withLock { $0.behaviour = newValue } }
    }

    /// Whether new connections are accepted. While `false`, connections wait in the listen queue;
    /// once it is full (`backlog` + 1 on Linux) the kernel drops SYNs and a connect hangs.
    var accepting: Bool {
        get { state.withLock { $0.accepting } }
        set { state.withLock { $0.accepting = newValue } }
    }

    /// Connections accepted so far (health checks included).
    var accepted: Int { state.withLock { $0.accepted } }

    /// Sessions ended with a RST by ``Behaviour/resetMidStream``.
    var resets: Int { state.withLock { $0.resets } }

    /// Stops accepting and closes every connection; safe to call more than once.
    func stop() {
        let connections = state.withLock { state -> Set<Int32> in
            guard !state.stopped else { return [] }
            state.stopped = true
            return state.connections
        }
        // shutdown (not close) wakes the threads blocked on these sockets; they close them.
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// While not ``accepting``: opens connections until one no longer completes its handshake
    /// (the queue is full), at most `limit`. The caller keeps them open.
    func fillListenQueue(limit: Int = 16) -> [RedisClient] {
        var clients: [RedisClient] = []
        while clients.count < limit, let client = try? RedisClient(port: port, timeout: .milliseconds(300)) {
            clients.append(client)
        }
        return clients
    }

    // MARK: - Serving

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            // Poll first, so a change of `accepting` takes effect within 20 ms.
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 20) >= 0 || errno == EINTR else { return }
            guard ready.revents != 0, accepting else { continue }
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // not inherited by the ferry or redis-server a test starts next
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.accepted += 1
                state.connections.insert(fd)
                return true
            }
            guard admitted else {
                close(fd)
                return
            }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        var closed = false
        defer {
            state.withLock { _ = $0.connections.remove(fd) }
            if !closed { close(fd) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var buffer: [UInt8] = []
        var answeredFirstBytes = false
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !isStopped {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            buffer += chunk[0..<count]
            switch behaviour {
            case .silent:
                buffer.removeAll()
            case .reply(let bytes):
                buffer.removeAll()
                if !answeredFirstBytes { guard Self.send(fd, bytes) else { return } }
                answeredFirstBytes = true
            case .flood(let prefix, let body):
                guard Self.send(fd, prefix) else { return }
                while !isStopped, Self.send(fd, body) {}
                return
            case .master:
                guard answerCommands(fd, &buffer, resetData: false) else { return }
            case .resetMidStream:
                guard answerCommands(fd, &buffer, resetData: true) else {
                    closed = true  // answerCommands closed it with a RST
                    return
                }
            }
        }
    }

    /// Answers every whole command in `buffer` like a master; with `resetData`, a data command
    /// (not PING/ROLE/INFO) gets half a reply and a RST instead. Returns `false` once the
    /// connection is over (a failed send, or the RST, after which `fd` is closed).
    private func answerCommands(_ fd: Int32, _ buffer: inout [UInt8], resetData: Bool) -> Bool {
        while true {
            let command: [String]
            if let (reply, consumed) = try? RESPDecoder.decode(buffer[...]) {
                buffer.removeFirst(consumed)
                command = reply.array?.compactMap(\.string) ?? []
            } else if resetData, !buffer.isEmpty, !Self.startsWithCheckCommand(buffer) {
                command = ["<partial>"]  // part of a larger request: enough to fail on
            } else {
                return true
            }
            let name = command.first?.uppercased() ?? ""
            if resetData && !["PING", "ROLE", "INFO"].contains(name) {
                _ = Self.send(fd, Array("$1000\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 500))
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                close(fd)
                state.withLock { $0.resets += 1 }
                return false
            }
            let reply: String
            switch name {
            case "PING": reply = "+PONG\r\n"
            case "ROLE": reply = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
            case "INFO":
                let text = "# Server\r\ntcp_port:\(port)\r\n"
                reply = "$\(text.utf8.count)\r\n\(text)\r\n"
            case "GET": reply = "$5\r\nhello\r\n"
            default: reply = "+OK\r\n"
            }
            guard Self.send(fd, Array(reply.utf8)) else { return false }
        }
    }

    private static func startsWithCheckCommand(_ buffer: [UInt8]) -> Bool {
        let head = String(decoding: buffer.prefix(24), as: UTF8.self).uppercased()
        return ["PING", "ROLE", "INFO"].contains { head.contains($0) } || buffer.count < 16
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }
}
