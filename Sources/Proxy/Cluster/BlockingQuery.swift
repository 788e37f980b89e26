import CLinuxNet
import EventLoop
import Glibc
import RESP

/// A few commands sent to one node and their replies read back, with one deadline, on the
/// topology thread (never on a loop): `COMMAND`, `INFO server`, `CLUSTER SHARDS`.
enum BlockingQuery {
    /// The replies are large (`COMMAND` lists every command with its key specs and tips).
    private static let reader = RESPReader(maxBulkLength: 64 << 20, maxElements: 1 << 20, maxDepth: 16)

    static func run(_ commands: [[String]], on address: SocketAddress, timeout: Duration) throws(SystemError) -> [RESPValue] {
        let deadline = MonotonicClock.now() &+ timeout.nanoseconds
        let fd: Int32
        switch try TCPSocket.connect(to: address) {
        case .connected(let socket), .inProgress(let socket): fd = socket
        }
        defer { close(fd) }
        try wait(fd, for: Int16(POLLOUT), until: deadline)
        let code = TCPSocket.pendingError(fd)
        guard code == 0 else { throw SystemError("connect", errno: code) }
        let request = commands.flatMap { RESPCommand.encode($0) }
        var sent = 0
        while sent < request.count {
            switch request.withUnsafeBytes({ SocketIO.send(fd, from: $0.baseAddress! + sent, count: request.count - sent) }) {
            case .done(let count): sent += count
            case .wouldBlock, .endOfStream: try wait(fd, for: Int16(POLLOUT), until: deadline)
            case .failed(let code): throw SystemError("write", errno: code)
            }
        }
        var received: [UInt8] = []
        var replies: [RESPValue] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while replies.count < commands.count {
            switch buffer.withUnsafeMutableBytes({ SocketIO.recv(fd, into: $0.baseAddress!, count: $0.count) }) {
            case .done(let count):
                received.append(contentsOf: buffer[0..<count])
                do {
                    while replies.count < commands.count, let (value, used) = try reader.parse(received) {
                        replies.append(value)
                        received.removeFirst(used)
                    }
                } catch {
                    throw SystemError("malformed reply: \(error.message)", errno: EPROTO)
                }
            case .endOfStream: throw SystemError("read", errno: ECONNRESET)
            case .wouldBlock: try wait(fd, for: Int16(POLLIN), until: deadline)
            case .failed(let code): throw SystemError("read", errno: code)
            }
        }
        return replies
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) throws(SystemError) {
        let now = MonotonicClock.now()
        guard now < deadline else { throw SystemError("query", errno: ETIMEDOUT) }
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&entry, 1, Int32(clamping: (deadline - now) / 1_000_000 + 1))
        if result == 0 { throw SystemError("query", errno: ETIMEDOUT) }
        if result < 0 && errno != EINTR { throw SystemError("poll") }
    }
}
