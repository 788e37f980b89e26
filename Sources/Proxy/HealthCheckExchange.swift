import RESP
import Config

/// The bytes exchanged in one Redis health check: optional `AUTH`, then `PING` and
/// `ROLE`, pipelined in one write, and the verdict on the replies.
///
/// Pure: the caller connects, writes ``request``, feeds whatever it reads to
/// ``receive(_:)`` until the progress is terminal, and maps the outcome to a
/// ``CheckResult`` (`failed` → L7RSP; a timeout → L7TOUT; connect errors → L4CON/L4TOUT).
///
/// Never log ``request``: it holds the password.
public struct HealthCheckExchange: Sendable {
    /// One command of the check, named as it appears in details (`PING: -LOADING …`).
    public enum Step: String, Sendable, Equatable, CaseIterable {
        case auth = "AUTH"
        case ping = "PING"
        case role = "ROLE"
    }

    /// Where the exchange stands after the bytes received so far.
    public enum Progress: Sendable, Equatable {
        case needMore
        case passed(role: RedisRole, detail: String)
        case failed(detail: String)
    }

    /// `AUTH [user] pass`, `PING`, `ROLE`, RESP-encoded back to back.
    public let request: [UInt8]

    /// The most reply bytes kept while waiting for a complete reply; far more than any
    /// `ROLE` reply (a master with 1,000 replicas answers ~45 KB), so a server streaming
    /// garbage fails the check instead of growing memory. Kept small because the reader
    /// rescans the buffer on every read: at 1 MiB, one flooding server cost the control
    /// loop (which also sends VRRP adverts) most of a second per check in a debug build.
    public static let maxBufferedBytes = 64 * 1024

    /// Details are clipped to this many characters so one odd reply cannot flood logs or the stats page.
    public static let maxDetailLength = 80

    private let steps: [Step]
    private var nextStep = 0
    private var buffer: [UInt8] = []
    private var outcome: Progress?
    private let reader = RESPReader()

    public init(credentials: Credentials?) {
        var commands: [[String]] = []
        var steps: [Step] = []
        if let credentials {
            // Without a username, AUTH authenticates the `default` user (and works before Redis 6).
            commands.append(["AUTH"] + (credentials.username.map { [$0] } ?? []) + [credentials.password])
            steps.append(.auth)
        }
        commands.append(["PING"])
        commands.append(["ROLE"])
        steps += [.ping, .role]
        self.request = commands.flatMap { RESPCommand.encode($0) }
        self.steps = steps
    }

    /// The command whose reply is awaited; `nil` once the exchange has passed or failed.
    /// Lets a timeout say what was missing: `L7TOUT: no reply to ROLE`.
    public var awaiting: Step? {
        self.outcome == nil ? self.steps[self.nextStep] : nil
    }

    /// Feeds newly received bytes (the exchange keeps its own buffer). After `passed` or
    /// `failed`, further calls return the same result.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Progress {
        if let outcome { return outcome }
        self.buffer.append(contentsOf: bytes)
        var consumed = 0
        while self.outcome == nil {
            let parsed: (value: RESPValue, consumed: Int)?
            do {
                parsed = try self.reader.parse(self.buffer[consumed...])
            } catch {
                return self.finish(.failed(detail: "protocol error: " + error.message))
            }
            guard let parsed else { break }
            consumed += parsed.consumed
            self.evaluate(parsed.value)
        }
        if let outcome { return outcome }
        self.buffer.removeFirst(consumed)
        if self.buffer.count > Self.maxBufferedBytes {
            return self.finish(.failed(detail: "protocol error: reply longer than \(Self.maxBufferedBytes) bytes"))
        }
        return .needMore
    }

    /// ``receive(_:)`` for bytes in an array.
    public mutating func receive(_ bytes: [UInt8]) -> Progress {
        bytes.withUnsafeBytes { self.receive($0) }
    }

    /// The server closed the connection: fails the exchange unless it already ended.
    public mutating func receiveEOF() -> Progress {
        if let outcome { return outcome }
        let step = self.steps[self.nextStep]
        return self.finish(.failed(detail: "connection closed before the \(step.rawValue) reply"))
    }

    // MARK: - Verdicts

    private mutating func evaluate(_ reply: RESPValue) {
        let step = self.steps[self.nextStep]
        self.nextStep += 1
        switch step {
        case .auth:
            switch reply {
            case .simpleString("OK"):
                return
            case .error(let text):
                self.finish(.failed(detail: "AUTH: " + text))
            default:
                self.finish(.failed(detail: "AUTH: expected +OK, got \(reply)"))
            }
        case .ping:
            switch reply {
            case .simpleString("PONG"):
                return
            case .error:
                // `-LOADING`, `-MASTERDOWN`, `-NOAUTH`, `-BUSY`: the server's own words say it best.
                self.finish(.failed(detail: "PING: \(reply)"))
            default:
                self.finish(.failed(detail: "PING: expected +PONG, got \(reply)"))
            }
        case .role:
            switch Self.role(from: reply) {
            case .success(let (role, detail)):
                self.finish(.passed(role: role, detail: detail))
            case .failure(let failure):
                self.finish(.failed(detail: "ROLE: " + failure.detail))
            }
        }
    }

    @discardableResult
    private mutating func finish(_ outcome: Progress) -> Progress {
        let clipped: Progress
        switch outcome {
        case .needMore:
            preconditionFailure("needMore is not an outcome")
        case .passed(let role, let detail):
            clipped = .passed(role: role, detail: Self.clip(detail))
        case .failed(let detail):
            clipped = .failed(detail: Self.clip(detail))
        }
        self.outcome = clipped
        self.buffer = []
        return clipped
    }

    struct RoleFailure: Error, Equatable {
        var detail: String
    }

    /// The role named by a `ROLE` reply and a short summary of the rest:
    /// `master, 2 replicas`, `replica of 10.0.0.1:7001 (connected)`, `sentinel, 1 master`.
    static func role(from reply: RESPValue) -> Result<(RedisRole, String), RoleFailure> {
        let elements: [RESPValue]
        switch reply {
        case .array(let array?):
            elements = array
        case .error:
            return .failure(RoleFailure(detail: "\(reply)"))
        default:
            return .failure(RoleFailure(detail: "expected an array, got \(reply)"))
        }
        guard let first = elements.first else {
            return .failure(RoleFailure(detail: "empty reply"))
        }
        switch first {
        case .simpleString(let word):
            return Self.role(word: word, elements)
        case .bulkString(let bytes?):
            return Self.role(word: String(decoding: bytes, as: UTF8.self), elements)
        default:
            return .failure(RoleFailure(detail: "expected a role name, got \(first)"))
        }
    }

    private static func role(word: String, _ elements: [RESPValue]) -> Result<(RedisRole, String), RoleFailure> {
        guard let role = RedisRole(roleReply: word) else {
            return .failure(RoleFailure(detail: "unknown role \(RESPValue.bulkString(Array(word.utf8)))"))
        }
        // Only the role decides the check; the rest is informational, so a
        // missing or odd field shortens the detail rather than failing the check.
        switch role {
        case .master:
            // master, replication offset, [[ip, port, offset], ...]
            guard elements.count > 2, case .array(let replicas?) = elements[2] else {
                return .success((role, "master"))
            }
            return .success((role, "master, " + Self.count(replicas.count, "replica")))
        case .replica:
            // slave, master ip, master port, link state, offset
            guard elements.count > 2, let host = elements[1].stringValue, let port = Self.port(elements[2]) else {
                return .success((role, "replica"))
            }
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            guard elements.count > 3, let state = elements[3].stringValue else {
                return .success((role, "replica of " + address))
            }
            return .success((role, "replica of \(address) (\(state))"))
        case .sentinel:
            // sentinel, [monitored master names]
            guard elements.count > 1, case .array(let masters?) = elements[1] else {
                return .success((role, "sentinel"))
            }
            return .success((role, "sentinel, " + Self.count(masters.count, "master")))
        }
    }

    private static func port(_ value: RESPValue) -> Int64? {
        switch value {
        case .integer(let port):
            return port
        default:
            return value.stringValue.flatMap { Int64($0) }
        }
    }

    private static func count(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
    }

    /// Keeps details printable and short: control characters become `?`, and text
    /// beyond ``maxDetailLength`` characters is cut with `...`.
    static func clip(_ detail: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in detail.unicodeScalars {
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        let printable = String(scalars)
        guard printable.count > Self.maxDetailLength else { return printable }
        return String(printable.prefix(Self.maxDetailLength - 3)) + "..."
    }
}
