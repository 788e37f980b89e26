#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Finds loopback TCP ports that a test can listen on.
///
/// Redis Cluster also listens on `port + 10000` (the cluster bus), so by default a port
/// is returned only when both it and its bus port bind on 127.0.0.1. Candidates are taken
/// in random order from a range below Linux's ephemeral range (32768–60999), so parallel
/// test runs rarely pick the same ports and outgoing connections never take them; a port
/// is never handed out twice by one test process.
///
/// A free port can still be taken by someone else before the caller binds it; callers that
/// start servers should retry with new ports when a bind fails (``RedisCluster`` does).
enum FreePorts {
    /// Where ports are picked from unless told otherwise.
    static let defaultRange: ClosedRange<Int> = 20000...29999

    /// Ports already handed out by this process, so concurrent tests never share one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// The reasons ``find(_:in:alsoFreeAtOffset:)`` can fail.
    enum Failure: Error, CustomStringConvertible {
        case notEnoughFreePorts(wanted: Int, found: Int, range: ClosedRange<Int>)

        var description: String {
            switch self {
            case let .notEnoughFreePorts(wanted, found, range):
                "only \(found) of \(wanted) free loopback ports found in \(range)"
            }
        }
    }

    /// Returns `count` distinct ports from `range` that are free on 127.0.0.1, each with
    /// `port + offset` free as well (pass `nil` to test the port alone).
    static func find(
        _ count: Int,
        in range: ClosedRange<Int> = defaultRange,
        alsoFreeAtOffset offset: Int? = 10000
    ) throws -> [Int] {
        try handedOut.withLock { taken in
            var found: [Int] = []
            for port in range.shuffled() where found.count < count {
                guard !taken.contains(port) else { continue }
                if let offset, taken.contains(port + offset) || !isFree(port + offset) { continue }
                guard isFree(port) else { continue }
                found.append(port)
                taken.insert(port)
                if let offset { taken.insert(port + offset) }
            }
            guard found.count == count else {
                throw Failure.notEnoughFreePorts(wanted: count, found: found.count, range: range)
            }
            return found
        }
    }

    /// Whether a TCP socket can bind `127.0.0.1:port` right now.
    ///
    /// No `SO_REUSEADDR`: a port with connections lingering in TIME_WAIT then counts as
    /// busy, which errs on the safe side.
    static func isFree(_ port: Int) -> Bool {
        guard (1...65535).contains(port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
