import EventLoop
import Glibc

/// Why adding, removing or listing an interface address failed.
public enum VirtualAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No interface of that name in the manager's network namespace.
    case noSuchInterface(String)
    /// The kernel refused the request: `errno` is its answer, e.g. EEXIST (already there),
    /// EADDRNOTAVAIL (not there to remove), EPERM (no CAP_NET_ADMIN), EINVAL.
    case kernel(request: String, errno: Int32)
    /// A socket call failed before the kernel could answer.
    case system(SystemError)
    /// The kernel's answer could not be decoded (a bug here, or a kernel ABI surprise).
    case malformedReply(String)

    /// The errno behind the failure, when there is one.
    public var errno: Int32? {
        switch self {
        case .noSuchInterface: ENODEV
        case let .kernel(_, errno): errno
        case let .system(error): error.errno
        case .malformedReply: nil
        }
    }

    public var description: String {
        switch self {
        case let .noSuchInterface(name): "no interface named \(name)"
        case let .kernel(request, errno): "\(request): \(SystemError.describe(errno))"
        case let .system(error): error.description
        case let .malformedReply(detail): "unexpected rtnetlink reply: \(detail)"
        }
    }
}
