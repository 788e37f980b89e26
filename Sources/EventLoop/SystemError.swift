import CLinuxNet
import Glibc

/// A failed syscall: its name and `errno`, rendered with `strerror` for logs and users.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(_ call: String, errno: Int32 = cln_errno()) {
        self.call = call
        self.errno = errno
    }

    /// The C library's text for an errno value, e.g. "Connection refused".
    public static func describe(_ errno: Int32) -> String {
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }

    public var description: String { "\(call): \(SystemError.describe(errno))" }
}
