import RESP
import Config
import Testing

@testable import Proxy

struct HealthCheckExchangeTests {
    // MARK: - Request

    @Test(arguments: RequestArgument.all)
    func request(argument: RequestArgument) throws {
        let exchange = HealthCheckExchange(credentials: argument.credentials)
        #expect(exchange.request == Self.bytes(argument.expected))

        // The request is pipelined commands, each an array of bulk strings, and nothing else.
        var remaining = exchange.request[...]
        var commands: [[String]] = []
        while !remaining.isEmpty {
            let parsed = try #require(try RESPReader().parse(Array(remaining)))
            guard case .array(let arguments?) = parsed.value else {
                Issue.record("not a command: \(parsed.value)")
                return
            }
            commands.append(arguments.map { $0.stringValue ?? "?" })
            remaining = remaining.dropFirst(parsed.consumed)
        }
        #expect(commands == argument.commands)
    }

    // MARK: - Replies

    /// The whole reply in one read.
    @Test(arguments: ReplyArgument.all)
    func replyInOneRead(argument: ReplyArgument) {
        var exchange = HealthCheckExchange(credentials: argument.credentials)
        #expect(exchange.receive(argument.reply) == argument.expected)
    }

    /// The reply one byte at a time: nothing but `needMore` until the verdict, then the
    /// verdict on every later call.
    @Test(arguments: ReplyArgument.all)
    func replyByteByByte(argument: ReplyArgument) {
        var exchange = HealthCheckExchange(credentials: argument.credentials)
        var verdictAt: Int?
        for (index, byte) in argument.reply.enumerated() {
            let progress = exchange.receive([byte])
            if verdictAt == nil, progress != .needMore {
                verdictAt = index
            }
            if verdictAt != nil {
                #expect(progress == argument.expected, "byte \(index)")
            }
        }
        #expect(verdictAt != nil)
        if case .passed = argument.expected {
            // A pass needs the last byte of the ROLE reply.
            #expect(verdictAt == argument.reply.count - argument.trailing - 1)
        }
    }

    /// The reply split into two reads at every possible point.
    @Test(arguments: ReplyArgument.all)
    func replySplitAtEveryPoint(argument: ReplyArgument) {
        for split in 0...argument.reply.count {
            var exchange = HealthCheckExchange(credentials: argument.credentials)
            let first = exchange.receive(Array(argument.reply[..<split]))
            let second = exchange.receive(Array(argument.reply[split...]))
            #expect(second == argument.expected, "split at \(split)")
            if first != .needMore {
                #expect(first == argument.expected, "split at \(split)")
            }
        }
    }

    /// The raw-buffer entry point, which the checker uses, gives the same verdict.
    @Test(arguments: ReplyArgument.all)
    func replyThroughRawBuffer(argument: ReplyArgument) {
        var exchange = HealthCheckExchange(credentials: argument.credentials)
        let progress = argument.reply.withUnsafeBytes { exchange.receive($0) }
        #expect(progress == argument.expected)
    }

    /// After the verdict, more bytes (even garbage) and EOF change nothing.
    @Test(arguments: ReplyArgument.all)
    func verdictIsFinal(argument: ReplyArgument) {
        var exchange = HealthCheckExchange(credentials: argument.credentials)
        _ = exchange.receive(argument.reply)
        #expect(exchange.awaiting == nil)
        #expect(exchange.receive(Self.bytes("+PONG\r\n")) == argument.expected)
        #expect(exchange.receive(Self.bytes("\0garbage\n")) == argument.expected)
        #expect(exchange.receive([]) == argument.expected)
        #expect(exchange.receiveEOF() == argument.expected)
    }

    // MARK: - Progress while waiting

    @Test(
        arguments: [
            (nil, [HealthCheckExchange.Step.ping, .role]),
            (Self.password, [.auth, .ping, .role]),
        ] as [(Credentials?, [HealthCheckExchange.Step])]
    )
    func awaitsEachReplyInTurn(credentials: Credentials?, steps: [HealthCheckExchange.Step]) {
        var exchange = HealthCheckExchange(credentials: credentials)
        let replies = [
            HealthCheckExchange.Step.auth: Self.bytes("+OK\r\n"),
            .ping: Self.bytes("+PONG\r\n"),
            .role: Self.bytes(Self.masterRole),
        ]
        for step in steps {
            #expect(exchange.awaiting == step)
            #expect(exchange.receive([]) == .needMore)
            #expect(exchange.awaiting == step)
            _ = exchange.receive(replies[step]!)
        }
        #expect(exchange.awaiting == nil)
    }

    @Test(
        arguments: [
            (nil, "", "connection closed before the PING reply"),
            (nil, "+PONG\r\n", "connection closed before the ROLE reply"),
            (nil, "+PONG\r\n*3\r\n$6\r\nmas", "connection closed before the ROLE reply"),
            (Self.password, "", "connection closed before the AUTH reply"),
            (Self.password, "+OK\r\n+PO", "connection closed before the PING reply"),
        ] as [(Credentials?, String, String)]
    )
    func connectionClosedEarly(credentials: Credentials?, received: String, detail: String) {
        var exchange = HealthCheckExchange(credentials: credentials)
        #expect(exchange.receive(Self.bytes(received)) == .needMore)
        #expect(exchange.receiveEOF() == .failed(detail: detail))
        #expect(exchange.receive(Self.bytes("+PONG\r\n")) == .failed(detail: detail))
        #expect(exchange.awaiting == nil)
    }

    /// A server that keeps sending one huge incomplete reply fails the check instead of growing the buffer.
    @Test
    func replyLongerThanTheBufferLimit() {
        var exchange = HealthCheckExchange(credentials: nil)
        let half = HealthCheckExchange.maxBufferedBytes / 2
        let bulk = Self.bytes("$\(half)\r\n") + Array(repeating: UInt8(ascii: "x"), count: half) + Self.bytes("\r\n")
        let reply = Self.bytes("*3\r\n") + bulk + bulk + Self.bytes("$10\r\n")
        #expect(reply.count > HealthCheckExchange.maxBufferedBytes)
        var progress = HealthCheckExchange.Progress.needMore
        var fed = 0
        while fed < reply.count && progress == .needMore {
            let end = min(fed + 4096, reply.count)
            progress = exchange.receive(Array(reply[fed..<end]))
            fed = end
        }
        #expect(progress == .failed(detail: "protocol error: reply longer than \(HealthCheckExchange.maxBufferedBytes) bytes"))
    }

    // MARK: - Details

    @Test(arguments: [
        ("short", "short"),
        (String(repeating: "a", count: 80), String(repeating: "a", count: 80)),
        (String(repeating: "a", count: 81), String(repeating: "a", count: 77) + "..."),
        (String(repeating: "é", count: 100), String(repeating: "é", count: 77) + "..."),
        ("bell\u{07}tab\tdel\u{7F}", "bell?tab?del?"),
    ])
    func clip(detail: String, expected: String) {
        #expect(HealthCheckExchange.clip(detail) == expected)
    }
}

// MARK: - Arguments

extension HealthCheckExchangeTests {
    static func bytes(_ string: String) -> [UInt8] {
        Array(string.utf8)
    }

    static let password = Credentials(username: nil, passwordFile: "/etc/ferry/check.secret", password: "s3cret")
    static let user = Credentials(username: "ferry-check", passwordFile: "/etc/ferry/check.secret", password: "s3cret")

    // ROLE replies shaped as in the Redis documentation (https://redis.io/docs/latest/commands/role/).
    static let masterRole =
        "*3\r\n$6\r\nmaster\r\n:3129659\r\n*2\r\n"
        + "*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9001\r\n$7\r\n3129242\r\n"
        + "*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9002\r\n$7\r\n3129543\r\n"
    static let masterRoleOneReplica =
        "*3\r\n$6\r\nmaster\r\n:168\r\n*1\r\n*3\r\n$8\r\n10.0.0.2\r\n$4\r\n7004\r\n$3\r\n168\r\n"
    static let masterRoleNoReplicas = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
    static let replicaRole = "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:9000\r\n$9\r\nconnected\r\n:3167038\r\n"
    static let sentinelRole =
        "*2\r\n$8\r\nsentinel\r\n*4\r\n$13\r\nresque-master\r\n$21\r\nhtml-fragments-master\r\n"
        + "$12\r\nstats-master\r\n$15\r\nmetadata-master\r\n"

    /// What goes on the wire for a given set of credentials.
    struct RequestArgument: Sendable, CustomTestStringConvertible {
        let name: String
        let credentials: Credentials?
        let expected: String
        let commands: [[String]]

        var testDescription: String { self.name }

        static let ping = "*1\r\n$4\r\nPING\r\n"
        static let role = "*1\r\n$4\r\nROLE\r\n"

        static let all: [Self] = [
            Self(name: "no AUTH", credentials: nil, expected: ping + role, commands: [["PING"], ["ROLE"]]),
            Self(
                name: "password only",
                credentials: password,
                expected: "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n" + ping + role,
                commands: [["AUTH", "s3cret"], ["PING"], ["ROLE"]]
            ),
            Self(
                name: "ACL user",
                credentials: user,
                expected: "*3\r\n$4\r\nAUTH\r\n$11\r\nferry-check\r\n$6\r\ns3cret\r\n" + ping + role,
                commands: [["AUTH", "ferry-check", "s3cret"], ["PING"], ["ROLE"]]
            ),
            Self(
                name: "password with spaces, CRLF and UTF-8",
                credentials: Credentials(username: nil, passwordFile: "/x", password: "a b\r\nç"),
                expected: "*2\r\n$4\r\nAUTH\r\n$7\r\na b\r\nç\r\n" + ping + role,
                commands: [["AUTH", "a b\r\nç"], ["PING"], ["ROLE"]]
            ),
        ]
    }

    /// Everything a server sends back for one check, and the verdict.
    struct ReplyArgument: Sendable, CustomTestStringConvertible {
        let name: String
        let credentials: Credentials?
        let reply: [UInt8]
        /// How many bytes at the end of `reply` come after the reply that decides the verdict.
        let trailing: Int
        let expected: HealthCheckExchange.Progress

        init(
            _ name: String,
            _ credentials: Credentials?,
            _ reply: String,
            trailing: String = "",
            _ expected: HealthCheckExchange.Progress
        ) {
            self.name = name
            self.credentials = credentials
            self.reply = bytes(reply + trailing)
            self.trailing = trailing.utf8.count
            self.expected = expected
        }

        var testDescription: String { self.name }

        static let pong = "+PONG\r\n"
        static let ok = "+OK\r\n"

        static let all: [Self] = [
            // Passing checks
            Self("master", nil, pong + masterRole, .passed(role: .master, detail: "master, 2 replicas")),
            Self(
                "master, one replica",
                nil,
                pong + masterRoleOneReplica,
                .passed(role: .master, detail: "master, 1 replica")
            ),
            Self(
                "master, no replicas",
                nil,
                pong + masterRoleNoReplicas,
                .passed(role: .master, detail: "master, 0 replicas")
            ),
            Self(
                "master with password",
                password,
                ok + pong + masterRole,
                .passed(role: .master, detail: "master, 2 replicas")
            ),
            Self(
                "master with ACL user",
                user,
                ok + pong + masterRole,
                .passed(role: .master, detail: "master, 2 replicas")
            ),
            Self(
                "master as simple strings",
                nil,
                pong + "*3\r\n+master\r\n:0\r\n*0\r\n",
                .passed(role: .master, detail: "master, 0 replicas")
            ),
            Self(
                "master without replica list",
                nil,
                pong + "*1\r\n$6\r\nmaster\r\n",
                .passed(role: .master, detail: "master")
            ),
            Self(
                "master with odd replica list",
                nil,
                pong + "*3\r\n$6\r\nmaster\r\n:0\r\n$-1\r\n",
                .passed(role: .master, detail: "master")
            ),
            Self(
                "replica",
                nil,
                pong + replicaRole,
                .passed(role: .replica, detail: "replica of 127.0.0.1:9000 (connected)")
            ),
            Self(
                "replica with password",
                password,
                ok + pong + replicaRole,
                .passed(role: .replica, detail: "replica of 127.0.0.1:9000 (connected)")
            ),
            Self(
                "replica still connecting",
                nil,
                pong + "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:7001\r\n$10\r\nconnecting\r\n:-1\r\n",
                .passed(role: .replica, detail: "replica of 10.0.0.1:7001 (connecting)")
            ),
            Self(
                "replica of an IPv6 master",
                nil,
                pong + "*5\r\n$5\r\nslave\r\n$7\r\nfd00::1\r\n:7001\r\n$4\r\nsync\r\n:0\r\n",
                .passed(role: .replica, detail: "replica of [fd00::1]:7001 (sync)")
            ),
            Self(
                "replica with port as a bulk string",
                nil,
                pong + "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n$4\r\n7001\r\n$9\r\nconnected\r\n:5\r\n",
                .passed(role: .replica, detail: "replica of 10.0.0.1:7001 (connected)")
            ),
            Self(
                "replica without link state",
                nil,
                pong + "*3\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:7001\r\n",
                .passed(role: .replica, detail: "replica of 10.0.0.1:7001")
            ),
            Self(
                "replica without master",
                nil,
                pong + "*1\r\n$5\r\nslave\r\n",
                .passed(role: .replica, detail: "replica")
            ),
            Self(
                "replica spelled replica",
                nil,
                pong + "*5\r\n+replica\r\n+10.0.0.1\r\n:7001\r\n+connected\r\n:5\r\n",
                .passed(role: .replica, detail: "replica of 10.0.0.1:7001 (connected)")
            ),
            Self("sentinel", nil, pong + sentinelRole, .passed(role: .sentinel, detail: "sentinel, 4 masters")),
            Self(
                "sentinel of one",
                nil,
                pong + "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n",
                .passed(role: .sentinel, detail: "sentinel, 1 master")
            ),
            Self(
                "sentinel without list",
                nil,
                pong + "*1\r\n$8\r\nsentinel\r\n",
                .passed(role: .sentinel, detail: "sentinel")
            ),
            Self(
                "extra bytes after ROLE",
                nil,
                pong + masterRole,
                trailing: "+extra\r\n",
                .passed(role: .master, detail: "master, 2 replicas")
            ),
            Self(
                "long host name is clipped",
                nil,
                pong + "*5\r\n$5\r\nslave\r\n$90\r\n" + String(repeating: "h", count: 90)
                    + "\r\n:7001\r\n$9\r\nconnected\r\n:0\r\n",
                .passed(role: .replica, detail: "replica of " + String(repeating: "h", count: 66) + "...")
            ),

            // AUTH failures, with what Redis sends after a failed AUTH, and without it
            Self(
                "wrong password (Redis 6+)",
                user,
                "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                    + "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n",
                .failed(detail: "AUTH: WRONGPASS invalid username-password pair or user is disabled.")
            ),
            Self(
                "wrong password, nothing else sent yet",
                password,
                "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
                .failed(detail: "AUTH: WRONGPASS invalid username-password pair or user is disabled.")
            ),
            Self(
                "wrong password (Redis 5)",
                password,
                "-ERR invalid password\r\n",
                .failed(detail: "AUTH: ERR invalid password")
            ),
            Self(
                "no password configured on the server",
                password,
                "-ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?\r\n" + pong + masterRole,
                .failed(detail: "AUTH: ERR AUTH <password> called without any password configured for the defa...")
            ),
            Self(
                "AUTH answered +FOO",
                password,
                "+FOO\r\n" + pong + masterRole,
                .failed(detail: "AUTH: expected +OK, got +FOO")
            ),
            Self("AUTH answered :1", password, ":1\r\n", .failed(detail: "AUTH: expected +OK, got :1")),
            Self("AUTH answered bulk OK", password, "$2\r\nOK\r\n", .failed(detail: "AUTH: expected +OK, got \"OK\"")),

            // PING failures
            Self(
                "loading",
                nil,
                "-LOADING Redis is loading the dataset in memory\r\n" + masterRole,
                .failed(detail: "PING: -LOADING Redis is loading the dataset in memory")
            ),
            Self(
                "master down",
                nil,
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n",
                .failed(detail: "PING: -MASTERDOWN Link with MASTER is down and replica-serve-stale-data is se...")
            ),
            Self(
                "authentication required",
                nil,
                "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n",
                .failed(detail: "PING: -NOAUTH Authentication required.")
            ),
            Self(
                "authentication required after AUTH passed",
                password,
                ok + "-NOAUTH Authentication required.\r\n",
                .failed(detail: "PING: -NOAUTH Authentication required.")
            ),
            Self(
                "busy script",
                nil,
                "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
                .failed(detail: "PING: -BUSY Redis is busy running a script. You can only call SCRIPT KILL or ...")
            ),
            Self(
                "PING answered bulk PONG",
                nil,
                "$4\r\nPONG\r\n" + masterRole,
                .failed(detail: "PING: expected +PONG, got \"PONG\"")
            ),
            Self(
                "PING answered lowercase",
                nil,
                "+pong\r\n" + masterRole,
                .failed(detail: "PING: expected +PONG, got +pong")
            ),
            Self("PING answered +OK", nil, "+OK\r\n", .failed(detail: "PING: expected +PONG, got +OK")),
            Self("PING answered :1", nil, ":1\r\n", .failed(detail: "PING: expected +PONG, got :1")),
            Self("PING answered null", nil, "$-1\r\n", .failed(detail: "PING: expected +PONG, got $-1")),
            Self(
                "PING answered an array",
                nil,
                "*2\r\n$4\r\npong\r\n$0\r\n\r\n",
                .failed(detail: "PING: expected +PONG, got [\"pong\", \"\"]")
            ),
            Self(
                "error text is sanitised",
                nil,
                "-ERR bad\u{1B}[31m red\r\n",
                .failed(detail: "PING: -ERR bad?[31m red")
            ),

            // ROLE failures
            Self(
                "ROLE unknown (Redis < 2.8.12)",
                nil,
                pong + "-ERR unknown command 'ROLE'\r\n",
                .failed(detail: "ROLE: -ERR unknown command 'ROLE'")
            ),
            Self(
                "ROLE not permitted",
                user,
                ok + pong + "-NOPERM User ferry-check has no permissions to run the 'role' command\r\n",
                .failed(detail: "ROLE: -NOPERM User ferry-check has no permissions to run the 'role' command")
            ),
            Self("ROLE answered +OK", nil, pong + ok, .failed(detail: "ROLE: expected an array, got +OK")),
            Self(
                "ROLE answered bulk",
                nil,
                pong + "$6\r\nmaster\r\n",
                .failed(detail: "ROLE: expected an array, got \"master\"")
            ),
            Self(
                "ROLE answered null array",
                nil,
                pong + "*-1\r\n",
                .failed(detail: "ROLE: expected an array, got *-1")
            ),
            Self(
                "ROLE answered a RESP3 set",
                nil,
                pong + "~1\r\n+master\r\n",
                .failed(detail: "ROLE: expected an array, got ~[+master]")
            ),
            Self("ROLE empty", nil, pong + "*0\r\n", .failed(detail: "ROLE: empty reply")),
            Self(
                "ROLE starts with an integer",
                nil,
                pong + "*1\r\n:1\r\n",
                .failed(detail: "ROLE: expected a role name, got :1")
            ),
            Self(
                "ROLE starts with null",
                nil,
                pong + "*1\r\n$-1\r\n",
                .failed(detail: "ROLE: expected a role name, got $-1")
            ),
            Self(
                "ROLE unknown word",
                nil,
                pong + "*1\r\n$7\r\nprimary\r\n",
                .failed(detail: "ROLE: unknown role \"primary\"")
            ),
            Self(
                "ROLE is case-sensitive",
                nil,
                pong + "*1\r\n$6\r\nMASTER\r\n",
                .failed(detail: "ROLE: unknown role \"MASTER\"")
            ),

            // Not RESP at all
            Self(
                "an HTTP server",
                nil,
                "HTTP/1.1 400 Bad Request\r\n\r\n",
                .failed(detail: "protocol error: unexpected type byte 'H' (0x48)")
            ),
            Self(
                "an SSH server",
                nil,
                "SSH-2.0-OpenSSH_9.2p1\r\n",
                .failed(detail: "protocol error: unexpected type byte 'S' (0x53)")
            ),
            Self("bare LF", nil, "+PONG\n", .failed(detail: "protocol error: line feed without carriage return")),
            Self(
                "malformed ROLE after a good PING",
                nil,
                pong + "*3\r\n$6\r\nmaster\r\n:x\r\n",
                .failed(detail: "protocol error: invalid integer")
            ),
            Self(
                "malformed reply after a failure is never read",
                nil,
                "-LOADING Redis is loading the dataset in memory\r\n\0\0",
                .failed(detail: "PING: -LOADING Redis is loading the dataset in memory")
            ),
            Self(
                "bulk string over the limit",
                nil,
                "$600000\r\n",
                .failed(detail: "protocol error: bulk string of 600000 bytes exceeds the limit of 524288")
            ),
            Self(
                "nested too deep",
                nil,
                pong + String(repeating: "*1\r\n", count: 9),
                .failed(detail: "protocol error: nested deeper than 8 levels")
            ),
        ]
    }
}
