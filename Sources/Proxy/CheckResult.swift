import Config
import Glibc

/// The role a Redis server reports in its `ROLE` reply.
///
/// The raw values are Redis's own words, so `replica` is `"slave"`.
public enum RedisRole: String, Sendable, Equatable, CaseIterable {
    case master
    case replica = "slave"
    case sentinel

    /// The role named by the first element of a `ROLE` reply. Besides Redis's words this
    /// accepts `replica`, which forks that renamed `slave` may send.
    public init?(roleReply word: String) {
        if word == "replica" {
            self = .replica
        } else {
            self.init(rawValue: word)
        }
    }

    /// Whether a server in this role may receive clients for `selection`;
    /// a sentinel never does (it does not serve data).
    public func matches(_ selection: BackendSelection) -> Bool {
        switch (self, selection) {
        case (.master, .master), (.master, .any), (.replica, .replica), (.replica, .any):
            return true
        case (.sentinel, _), (.master, .replica), (.replica, .master):
            return false
        }
    }
}

/// HAProxy's check result codes, which operators already know from its stats page and logs.
public enum CheckCode: String, Sendable, Equatable, CaseIterable {
    /// The TCP connection was accepted (no layer-7 check made).
    case l4ok = "L4OK"
    /// The TCP connection did not complete in time.
    case l4tout = "L4TOUT"
    /// The TCP connection failed (refused, unreachable, reset).
    case l4con = "L4CON"
    /// `PING` and `ROLE` were answered correctly.
    case l7ok = "L7OK"
    /// The server answered, but not with what a healthy Redis says.
    case l7rsp = "L7RSP"
    /// The server accepted the connection but did not answer in time.
    case l7tout = "L7TOUT"

    /// Whether the check counts towards `rise` (true) or `fall` (false).
    public var passed: Bool {
        switch self {
        case .l4ok, .l7ok: return true
        case .l4tout, .l4con, .l7rsp, .l7tout: return false
        }
    }

    /// HAProxy's wording for the code, as on its stats page.
    public var explanation: String {
        switch self {
        case .l4ok: return "Layer4 check passed"
        case .l4tout: return "Layer4 timeout"
        case .l4con: return "Layer4 connection problem"
        case .l7ok: return "Layer7 check passed"
        case .l7rsp: return "Layer7 invalid response"
        case .l7tout: return "Layer7 timeout"
        }
    }
}

/// The outcome of one health check of one server.
public struct CheckResult: Sendable, Equatable {
    public var code: CheckCode
    /// From the start of the connect to the verdict.
    public var duration: Duration
    /// A short human explanation: `master, 1 replica`, `Connection refused`, `PING: -LOADING …`.
    public var detail: String
    /// The role reported by `ROLE`; `nil` unless the check got that far.
    public var role: RedisRole?
    /// The check could not even start for want of a local resource (EMFILE, ENFILE, ENOBUFS,
    /// ENOMEM): it says nothing about the server, so it is shown but counts towards neither
    /// `rise` nor `fall` — else a proxy out of descriptors would take every server DOWN and
    /// keep refusing clients for `rise` intervals after the overload.
    public var isLocalFailure: Bool

    public init(code: CheckCode, duration: Duration, detail: String, role: RedisRole? = nil,
                isLocalFailure: Bool = false) {
        self.code = code
        self.duration = duration
        self.detail = detail
        self.role = role
        self.isLocalFailure = isLocalFailure
    }

    /// Errors that mean this process is short of something, not that the server is.
    public static func isLocalResourceError(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    /// The duration in whole milliseconds, rounded down, as HAProxy shows it.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = self.duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension CheckResult: CustomStringConvertible {
    /// `L7OK in 1ms: master, 1 replica`.
    public var description: String {
        let head = "\(self.code.rawValue) in \(self.milliseconds)ms"
        return self.detail.isEmpty ? head : head + ": " + self.detail
    }
}
