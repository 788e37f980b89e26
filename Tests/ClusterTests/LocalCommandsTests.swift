import Cluster
import RESP
import Testing

/// `LocalCommands` against captured replies of a real redis-server 7.0.15 (cluster-enabled): every
/// expected byte below was read off a raw socket, one fresh connection per `LocalConversation`, by
/// `gen.py` (see the report); the conversation's `id` is the id that server gave the connection.
@Suite struct LocalCommandsTests {
    @Test(arguments: LocalCommandsCaptures.single)
    func singleCommandMatchesRedis(conversation: LocalConversation) {
        conversation.play()
    }

    @Test(arguments: LocalCommandsCaptures.conversations)
    func conversationMatchesRedis(conversation: LocalConversation) {
        conversation.play()
    }

    /// `HELLO`'s `version` is the backends' version, whatever it is: Redis's own bytes with it swapped in.
    @Test(arguments: ["7.2.4", "6.2.14", "255.255.255"])
    func helloReportsTheBackendVersion(version: String) {
        let real = LocalCommandsCaptures.single.first { $0.steps[0].arguments == [Array("HELLO".utf8)] }!
        let expected = String(decoding: real.steps[0].reply, as: UTF8.self)
            .replacing("$6\r\n7.0.15", with: "$\(version.utf8.count)\r\n\(version)")
        var state = ClientState(id: real.id, user: ClientAuthenticator.defaultUserName)
        var context = LocalConversation.context(.open)
        context.serverVersion = Array(version.utf8)
        let (outcome, reply) = LocalConversation.answer(["HELLO"], &state, context)
        #expect(outcome == .replied)
        #expect(String(decoding: reply, as: UTF8.self) == expected)
    }

    /// `CLIENT SETINFO` is Redis 7.2's (7.0 does not have it): expected texts from 7.2's
    /// `clientSetinfoCommand` in networking.c, where the attribute is printed as the client sent it.
    @Test(arguments: [
        (["CLIENT", "SETINFO", "lib-name", "redis-py"], "+OK\r\n"),
        (["client", "setinfo", "LIB-VER", "5.0.1"], "+OK\r\n"),
        (["CLIENT", "SETINFO", "lib-name", ""], "+OK\r\n"),
        (["CLIENT", "SETINFO", "lib-name\u{0}x", "v"], "+OK\r\n"),  // strcasecmp stops at NUL
        (["CLIENT", "SETINFO", "lib-name", "a b"], "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"),
        (["CLIENT", "SETINFO", "LIB-VER", "1\n"], "-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n"),
        (["CLIENT", "SETINFO", "Lib-Ver", "\u{7f}"], "-ERR Lib-Ver cannot contain spaces, newlines or special characters.\r\n"),
        (["CLIENT", "SETINFO", "lib-name", "caf\u{e9}"], "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"),
        (["CLIENT", "SETINFO", "foo", "x"], "-ERR Unrecognized option 'foo'\r\n"),
        (["CLIENT", "SETINFO", "a\r\nb", "x"], "-ERR Unrecognized option 'a  b'\r\n"),
        (["CLIENT", "SETINFO", "lib-nam", "x"], "-ERR Unrecognized option 'lib-nam'\r\n"),
        (["CLIENT", "SETINFO", "lib-name"], "-ERR wrong number of arguments for 'client|setinfo' command\r\n"),
        (["CLIENT", "SETINFO", "lib-name", "x", "y"], "-ERR wrong number of arguments for 'client|setinfo' command\r\n"),
    ])
    func setInfo(arguments: [String], reply: String) {
        var state = ClientState(id: 7, user: ClientAuthenticator.defaultUserName)
        let (outcome, output) = LocalConversation.answer(arguments, &state, LocalConversation.context(.open))
        #expect(outcome == .replied)
        #expect(String(decoding: output, as: UTF8.self) == reply)
    }

    /// The library name and version show in `CLIENT INFO` and survive `RESET` (Redis 7.2 keeps
    /// them: they still describe the client behind the connection); an empty value unsets one.
    @Test func setInfoShowsInClientInfoAndSurvivesReset() {
        let context = LocalConversation.context(.requirepass)
        var state = ClientState(id: 12, authenticator: context.authenticator)
        #expect(LocalConversation.answer(["CLIENT", "SETINFO", "lib-name", "x"], &state, context).1 == ClientAuthenticator.noAuthReply)
        #expect(LocalConversation.answer(["AUTH", "secret"], &state, context).1 == Array("+OK\r\n".utf8))
        _ = LocalConversation.answer(["CLIENT", "SETINFO", "LIB-NAME", "redis-py"], &state, context)
        _ = LocalConversation.answer(["CLIENT", "SETINFO", "lib-ver", "5.0.1"], &state, context)
        let tail = " resp=2 lib-name=redis-py lib-ver=5.0.1\n\r\n"
        #expect(String(decoding: LocalConversation.answer(["CLIENT", "INFO"], &state, context).1, as: UTF8.self).hasSuffix(tail))
        _ = LocalConversation.answer(["RESET"], &state, context)
        #expect(state.libraryName == Array("redis-py".utf8) && state.libraryVersion == Array("5.0.1".utf8))
        _ = LocalConversation.answer(["HELLO", "3", "AUTH", "default", "secret"], &state, context)
        _ = LocalConversation.answer(["CLIENT", "SETINFO", "lib-name", ""], &state, context)
        let info = String(decoding: LocalConversation.answer(["CLIENT", "INFO"], &state, context).1, as: UTF8.self)
        #expect(info.hasPrefix("=") && info.hasSuffix(" resp=3 lib-name= lib-ver=5.0.1\n\r\n"))
    }

    /// Everything else is left to the router, the output untouched: other `CLIENT` and `CLUSTER`
    /// subcommands included (`CLUSTER` replies are `OneNodeCluster`'s).
    @Test(arguments: [
        ["GET", "k"], ["PINGX"], ["PIN"], ["ping\u{0}"], ["CLIENT", "LIST"], ["client", "kill", "id", "1"],
        ["CLIENT", "TRACKING", "on"], ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "REPLY", "OFF"], ["CLIENT", "HELP"],
        ["CLIENT", "PAUSE", "10"], ["CLIENT", "UNPAUSE"], ["CLIENT", "CACHING", "yes"], ["CLIENT", "GETREDIR"],
        ["CLIENT", "TRACKINGINFO"], ["CLIENT", "UNBLOCK", "1"], ["CLIENT", "NO-TOUCH", "on"], ["CLUSTER"],
        ["CLUSTER", "INFO"], ["cluster", "slots"], ["CLUSTER", "KEYSLOTS", "x"], ["COMMAND"], ["MULTI"], ["ACL", "WHOAMI"],
    ])
    func notLocal(arguments: [String]) {
        var state = ClientState(id: 1, user: nil)
        let before = state
        let (outcome, output) = LocalConversation.answer(arguments, &state, LocalConversation.context(.acl))
        #expect(outcome == .notLocal)
        #expect(output.isEmpty)
        #expect(state == before)
    }

    @Test func emptyCommandIsNotLocal() {
        var state = ClientState(id: 1, user: nil)
        var output: [UInt8] = []
        let outcome = LocalCommands.answer(CommandArguments(), state: &state, context: LocalConversation.context(.open), into: &output)
        #expect(outcome == .notLocal && output.isEmpty)
    }

    /// Replies are appended: a pipelined batch shares one output buffer.
    @Test func repliesAppendToTheOutput() {
        var state = ClientState(id: 1, user: ClientAuthenticator.defaultUserName)
        var output = Array("+PONG\r\n".utf8)
        _ = CommandArguments.with(["ECHO", "hi"]) {
            LocalCommands.answer($0, state: &state, context: LocalConversation.context(.open), into: &output)
        }
        #expect(output == Array("+PONG\r\n$2\r\nhi\r\n".utf8))
    }
}

/// One connection's commands and a real server's replies to them, replayed against `LocalCommands`.
struct LocalConversation: Sendable, CustomTestStringConvertible {
    /// The real servers, and the `proxy.auth` users Ferry would need to behave as each does.
    enum Server: String, Sendable {
        /// No `requirepass`, no ACL users: Ferry with no users.
        case open
        /// `requirepass secret`: Ferry with user `default`.
        case requirepass
        /// ACL `user default off`, `alice` (`apw`) and `bob` (`bpw`): Ferry with those two users.
        case acl

        var authenticator: ClientAuthenticator {
            func user(_ name: String, _ password: String) -> ClientAuthenticator.User {
                .init(name: Array(name.utf8), password: Array(password.utf8))
            }
            switch self {
            case .open: return ClientAuthenticator()
            case .requirepass: return ClientAuthenticator(users: [user("default", "secret")])
            case .acl: return ClientAuthenticator(users: [user("alice", "apw"), user("bob", "bpw")])
            }
        }
    }

    struct Step: Sendable {
        let arguments: [[UInt8]]
        let reply: [UInt8]
        init(_ arguments: [String], _ reply: String) {
            self.arguments = arguments.map { Array($0.utf8) }
            self.reply = Array(reply.utf8)
        }
    }

    let server: Server
    let id: UInt64
    let steps: [Step]

    init(_ server: Server, id: UInt64, _ steps: [Step]) {
        self.server = server
        self.id = id
        self.steps = steps
    }

    init(_ server: Server, id: UInt64, _ arguments: [String], _ reply: String) {
        self.init(server, id: id, [Step(arguments, reply)])
    }

    var testDescription: String {
        "\(server): " + steps.map { $0.arguments.map { Self.printable($0) }.joined(separator: " ") }.joined(separator: " / ")
    }

    /// Ferry's side of the connection: its own address, descriptor and clock.
    static func context(_ server: Server) -> LocalContext {
        LocalContext(
            serverVersion: Array("7.0.15".utf8), authenticator: server.authenticator,
            clientAddress: Array("10.0.0.9:61000".utf8), localAddress: Array("10.0.0.1:7000".utf8), descriptor: 42,
            ageSeconds: 3605, idleSeconds: 2)
    }

    static func answer(_ arguments: [String], _ state: inout ClientState, _ context: LocalContext) -> (LocalOutcome, [UInt8]) {
        answer(arguments.map { Array($0.utf8) }, &state, context)
    }

    static func answer(_ arguments: [[UInt8]], _ state: inout ClientState, _ context: LocalContext) -> (LocalOutcome, [UInt8]) {
        var output: [UInt8] = []
        let outcome = CommandArguments.with(arguments) { LocalCommands.answer($0, state: &state, context: context, into: &output) }
        return (outcome, output)
    }

    /// Plays the steps on one `ClientState`, as on one connection, and compares every reply.
    func play() {
        let context = Self.context(server)
        var state = ClientState(id: id, authenticator: context.authenticator)
        for (index, step) in steps.enumerated() {
            let (outcome, reply) = Self.answer(step.arguments, &state, context)
            let isQuit = String(decoding: step.arguments[0], as: UTF8.self).lowercased() == "quit"
            #expect(outcome == (isQuit ? .replyThenClose : .replied), "step \(index)")
            let isInfo = step.arguments.map { String(decoding: $0, as: UTF8.self).lowercased() } == ["client", "info"]
            let expected = isInfo && step.reply.first != UInt8(ascii: "-") ? Self.ferryInfo(step.reply, context) : step.reply
            if reply != expected {
                Issue.record("step \(index): got \(Self.printable(reply)), want \(Self.printable(expected))")
            }
        }
    }

    /// Redis's `CLIENT INFO` reply with Ferry's own fields swapped in: the connection's addresses,
    /// descriptor and times from the context, zero for Redis's buffer and memory figures, and
    /// Redis 7.2's `lib-name=` `lib-ver=` after `resp=` (never set in these conversations).
    static func ferryInfo(_ real: [UInt8], _ context: LocalContext) -> [UInt8] {
        let verbatim = real.first == UInt8(ascii: "=")
        let header = real.firstIndex(of: UInt8(ascii: "\n"))! + 1
        // The payload, without the blob's CRLF, the line's own "\n" and a verbatim string's "txt:".
        let line = String(decoding: real[(header + (verbatim ? 4 : 0))..<(real.count - 3)], as: UTF8.self)
        let own: [String: String] = [
            "addr": String(decoding: context.clientAddress, as: UTF8.self),
            "laddr": String(decoding: context.localAddress, as: UTF8.self), "fd": "\(context.descriptor)",
            "age": "\(context.ageSeconds)", "idle": "\(context.idleSeconds)",
        ]
        let zeroed: Set = ["qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"]
        let fields = line.split(separator: " ").map { field -> String in
            let key = String(field.prefix { $0 != "=" })
            return own[key].map { "\(key)=\($0)" } ?? (zeroed.contains(key) ? "\(key)=0" : String(field))
        }
        let ferry = fields.joined(separator: " ") + " lib-name= lib-ver=\n"
        let payload = (verbatim ? "txt:" : "") + ferry
        return Array(((verbatim ? "=" : "$") + "\(payload.utf8.count)\r\n" + payload + "\r\n").utf8)
    }

    static func printable(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
    }
}

/// Captured from redis-server 7.0.15 `--cluster-enabled yes`, no authentication (`gen.py local_scen.py`).
enum LocalCommandsCaptures {
    static let single: [LocalConversation] = [
        .init(.open, id: 580, ["PING"], "+PONG\r\n"),
        .init(.open, id: 582, ["ping", "hello"], "$5\r\nhello\r\n"),
        .init(.open, id: 584, ["PiNg", ""], "$0\r\n\r\n"),
        .init(.open, id: 586, ["PING", "a", "b"], "-ERR wrong number of arguments for 'ping' command\r\n"),
        .init(.open, id: 588, ["ECHO"], "-ERR wrong number of arguments for 'echo' command\r\n"),
        .init(.open, id: 590, ["ECHO", "x"], "$1\r\nx\r\n"),
        .init(.open, id: 592, ["echo", ""], "$0\r\n\r\n"),
        .init(.open, id: 594, ["ECHO", "a\u{0}\r\nb"], "$5\r\na\u{0}\r\nb\r\n"),
        .init(.open, id: 596, ["ECHO", "x", "y"], "-ERR wrong number of arguments for 'echo' command\r\n"),
        .init(.open, id: 598, ["SELECT", "0"], "+OK\r\n"),
        .init(.open, id: 600, ["SELECT", "00"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 602, ["SELECT", "-0"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 604, ["SELECT", "1"], "-ERR SELECT is not allowed in cluster mode\r\n"),
        .init(.open, id: 606, ["select", "-1"], "-ERR SELECT is not allowed in cluster mode\r\n"),
        .init(.open, id: 608, ["SELECT", "abc"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 610, ["SELECT", "2147483647"], "-ERR SELECT is not allowed in cluster mode\r\n"),
        .init(.open, id: 612, ["SELECT", "2147483648"], "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
        .init(.open, id: 614, ["SELECT", "-2147483648"], "-ERR SELECT is not allowed in cluster mode\r\n"),
        .init(.open, id: 616, ["SELECT", "-2147483649"], "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
        .init(.open, id: 618, ["SELECT", "9223372036854775807"], "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
        .init(.open, id: 620, ["SELECT", "-9223372036854775808"], "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
        .init(.open, id: 622, ["SELECT", "-9223372036854775809"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 624, ["SELECT", "99999999999999999999"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 626, ["SELECT", "+1"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 628, ["SELECT", "1.0"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 630, ["SELECT", "0x1"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 632, ["SELECT", ""], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 634, ["SELECT", " 0"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 636, ["SELECT", "0\u{0}"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 638, ["SELECT", "-"], "-ERR value is not an integer or out of range\r\n"),
        .init(.open, id: 640, ["SELECT"], "-ERR wrong number of arguments for 'select' command\r\n"),
        .init(.open, id: 642, ["SELECT", "0", "1"], "-ERR wrong number of arguments for 'select' command\r\n"),
        .init(.open, id: 644, ["CLIENT"], "-ERR wrong number of arguments for 'client' command\r\n"),
        .init(.open, id: 646, ["CLIENT", "foo"], "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 648, ["client", "foo\r\nbar"], "-ERR unknown subcommand 'foo  bar'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 650, ["CLIENT", "fo\u{0}o"], "-ERR unknown subcommand 'fo'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 652, ["CLIENT", "ab\n"], "-ERR unknown subcommand 'ab '. Try CLIENT HELP.\r\n"),
        .init(.open, id: 654, ["CLIENT", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], "-ERR unknown subcommand 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 656, ["CLIENT", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"], "-ERR unknown subcommand 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 658, ["CLIENT", "setname\u{0}", "x"], "-ERR unknown subcommand 'setname'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 660, ["CLIENT", "id\u{0}"], "-ERR unknown subcommand 'id'. Try CLIENT HELP.\r\n"),
        .init(.open, id: 662, ["CLIENT", ""], "-ERR unknown subcommand ''. Try CLIENT HELP.\r\n"),
        .init(.open, id: 664, ["CLIENT", "GETNAME"], "$-1\r\n"),
        .init(.open, id: 666, ["client", "getname", "x"], "-ERR wrong number of arguments for 'client|getname' command\r\n"),
        .init(.open, id: 668, ["CLIENT", "SETNAME"], "-ERR wrong number of arguments for 'client|setname' command\r\n"),
        .init(.open, id: 670, ["CLIENT", "SETNAME", "a", "b"], "-ERR wrong number of arguments for 'client|setname' command\r\n"),
        .init(.open, id: 672, ["CLIENT", "SETNAME", "a b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 674, ["CLIENT", "SETNAME", "a\u{7f}b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 676, ["CLIENT", "SETNAME", "a\nb"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 678, ["CLIENT", "SETNAME", "a\u{0}b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 680, ["CLIENT", "SETNAME", "\u{0}"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 682, ["CLIENT", "SETNAME", "caf\u{e9}"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 684, ["CLIENT", "SETNAME", "!~"], "+OK\r\n"),
        .init(.open, id: 686, ["CLIENT", "SETNAME", ""], "+OK\r\n"),
        .init(.open, id: 688, ["CLIENT", "ID"], ":688\r\n"),
        .init(.open, id: 690, ["Client", "Id"], ":690\r\n"),
        .init(.open, id: 692, ["CLIENT", "ID", "x"], "-ERR wrong number of arguments for 'client|id' command\r\n"),
        .init(.open, id: 694, ["CLIENT", "INFO"], "$271\r\nid=694 addr=127.0.0.1:33054 laddr=127.0.0.1:30300 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
        .init(.open, id: 696, ["CLIENT", "INFO", "x"], "-ERR wrong number of arguments for 'client|info' command\r\n"),
        .init(.open, id: 698, ["CLUSTER", "KEYSLOT", "foo"], ":12182\r\n"),
        .init(.open, id: 700, ["cluster", "keyslot", ""], ":0\r\n"),
        .init(.open, id: 702, ["CLUSTER", "KEYSLOT", "{user1000}.following"], ":3443\r\n"),
        .init(.open, id: 704, ["CLUSTER", "KEYSLOT", "foo{}{bar}"], ":8363\r\n"),
        .init(.open, id: 706, ["CLUSTER", "KEYSLOT", "x"], ":16287\r\n"),
        .init(.open, id: 708, ["CLUSTER", "KEYSLOT"], "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"),
        .init(.open, id: 710, ["CLUSTER", "KEYSLOT", "a", "b"], "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"),
        .init(.open, id: 712, ["HELLO"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:712\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.open, id: 714, ["HELLO", "2"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:714\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.open, id: 716, ["hello", "3"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:716\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.open, id: 718, ["HELLO", "4"], "-NOPROTO unsupported protocol version\r\n"),
        .init(.open, id: 720, ["HELLO", "1"], "-NOPROTO unsupported protocol version\r\n"),
        .init(.open, id: 722, ["HELLO", "0"], "-NOPROTO unsupported protocol version\r\n"),
        .init(.open, id: 724, ["HELLO", "-1"], "-NOPROTO unsupported protocol version\r\n"),
        .init(.open, id: 726, ["HELLO", "abc"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 728, ["HELLO", "03"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 730, ["HELLO", " 3"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 732, ["HELLO", "3 "], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 734, ["HELLO", "3\u{0}"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 736, ["HELLO", ""], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 738, ["HELLO", "9223372036854775808"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 740, ["HELLO", "SETNAME", "x"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.open, id: 742, ["HELLO", "3", "AUTH"], "-ERR Syntax error in HELLO option 'AUTH'\r\n"),
        .init(.open, id: 744, ["HELLO", "3", "AUTH", "a"], "-ERR Syntax error in HELLO option 'AUTH'\r\n"),
        .init(.open, id: 746, ["HELLO", "3", "FOO"], "-ERR Syntax error in HELLO option 'FOO'\r\n"),
        .init(.open, id: 748, ["HELLO", "3", "a\r\nb"], "-ERR Syntax error in HELLO option 'a  b'\r\n"),
        .init(.open, id: 750, ["HELLO", "3", "a\u{0}b"], "-ERR Syntax error in HELLO option 'a'\r\n"),
        .init(.open, id: 752, ["HELLO", "3", "xx\n"], "-ERR Syntax error in HELLO option 'xx '\r\n"),
        .init(.open, id: 754, ["HELLO", "3", "SETNAME", "a b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.open, id: 756, ["HELLO", "3", "SETNAME"], "-ERR Syntax error in HELLO option 'SETNAME'\r\n"),
        .init(.open, id: 758, ["HELLO", "3", "setname", "x", "auth", "alice"], "-ERR Syntax error in HELLO option 'auth'\r\n"),
        .init(.open, id: 760, ["HELLO", "2", "SETNAME", "nm"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:760\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.open, id: 762, ["RESET"], "+RESET\r\n"),
        .init(.open, id: 764, ["reset", "x"], "-ERR wrong number of arguments for 'reset' command\r\n"),
        .init(.open, id: 766, ["QUIT"], "+OK\r\n"),
        .init(.open, id: 768, ["quit", "x", "y"], "+OK\r\n"),
    ]
    static let conversations: [LocalConversation] = [
        .init(.open, id: 770, [
            .init(["HELLO", "3"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:770\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["PING", "x"], "$1\r\nx\r\n"),
            .init(["CLIENT", "GETNAME"], "_\r\n"),
            .init(["CLIENT", "INFO"], "=275\r\ntxt:id=770 addr=127.0.0.1:33692 laddr=127.0.0.1:30300 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=3\n\r\n"),
            .init(["CLIENT", "ID"], ":770\r\n"),
            .init(["HELLO"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:770\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["HELLO", "2"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:770\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "$-1\r\n"),
            .init(["CLIENT", "INFO"], "$271\r\nid=770 addr=127.0.0.1:33692 laddr=127.0.0.1:30300 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
        ]),
        .init(.open, id: 772, [
            .init(["CLIENT", "SETNAME", "ab"], "+OK\r\n"),
            .init(["CLIENT", "GETNAME"], "$2\r\nab\r\n"),
            .init(["CLIENT", "INFO"], "$273\r\nid=772 addr=127.0.0.1:33704 laddr=127.0.0.1:30300 fd=9 name=ab age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
            .init(["CLIENT", "SETNAME", "a b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
            .init(["CLIENT", "GETNAME"], "$2\r\nab\r\n"),
            .init(["CLIENT", "SETNAME", ""], "+OK\r\n"),
            .init(["CLIENT", "GETNAME"], "$-1\r\n"),
            .init(["client", "setname", "!~"], "+OK\r\n"),
            .init(["client", "getname"], "$2\r\n!~\r\n"),
        ]),
        .init(.open, id: 774, [
            .init(["HELLO", "3", "SETNAME", "n1"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:774\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "$2\r\nn1\r\n"),
            .init(["HELLO", "2", "SETNAME", "a", "SETNAME", "b"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:774\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "$1\r\nb\r\n"),
            .init(["HELLO", "3", "SETNAME", "c", "FOO"], "-ERR Syntax error in HELLO option 'FOO'\r\n"),
            .init(["CLIENT", "GETNAME"], "$1\r\nc\r\n"),
            .init(["CLIENT", "INFO"], "$272\r\nid=774 addr=127.0.0.1:33724 laddr=127.0.0.1:30300 fd=9 name=c age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
            .init(["HELLO", "3", "SETNAME", ""], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:774\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "_\r\n"),
            .init(["HELLO", "3", "SETNAME\u{0}x", "n0"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:774\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "$2\r\nn0\r\n"),
            .init(["HELLO", "2", "SETNAME", "d", "SETNAME", "e f"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
            .init(["CLIENT", "GETNAME"], "$1\r\nd\r\n"),
        ]),
        .init(.open, id: 776, [
            .init(["HELLO", "3", "SETNAME", "n"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:776\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["RESET"], "+RESET\r\n"),
            .init(["CLIENT", "GETNAME"], "$-1\r\n"),
            .init(["CLIENT", "INFO"], "$271\r\nid=776 addr=127.0.0.1:33732 laddr=127.0.0.1:30300 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["RESET"], "+RESET\r\n"),
        ]),
        .init(.open, id: 778, [
            .init(["PING"], "+PONG\r\n"),
            .init(["QUIT"], "+OK\r\n"),
        ]),
    ]
}
