import RESP
import Testing

@testable import Cluster

/// `ClientAuthenticator`, and `AUTH` / `HELLO … AUTH` / `NOAUTH` as `LocalCommands` answers them,
/// against replies captured from real redis-server 7.0.15 instances (cluster-enabled) configured
/// as each `LocalConversation.Server` says (`gen.py auth_scen.py`).
@Suite struct ClientAuthenticatorTests {
    @Test(arguments: AuthCaptures.open + AuthCaptures.requirepass + AuthCaptures.acl)
    func matchesRedis(conversation: LocalConversation) {
        conversation.play()
    }

    static let users = ClientAuthenticator(users: [
        .init(name: Array("alice".utf8), password: Array("apw".utf8)),
        .init(name: Array("bob".utf8), password: Array("a longer password, with spaces".utf8)),
        .init(name: Array("default".utf8), password: Array("d\u{0}pw".utf8)),
        .init(name: Array("bob".utf8), password: Array("second bob".utf8)),  // a repeated name: the first wins
        .init(name: Array("carol".utf8), password: []),
    ])

    @Test(arguments: [
        ("alice", "apw", "alice"), ("bob", "a longer password, with spaces", "bob"), ("default", "d\u{0}pw", "default"),
        ("carol", "", "carol"),
        ("alice", "apw ", nil), ("alice", "ap", nil), ("alice", "APW", nil), ("Alice", "apw", nil), ("alice", "", nil),
        ("alice", "a longer password, with spaces", nil), ("bob", "apw", nil), ("bob", "second bob", nil),
        ("default", "d", nil), ("nobody", "apw", nil), ("", "", nil), ("", "apw", nil), ("carol", "x", nil),
        ("alice\u{0}", "apw", nil),
    ] as [(String, String, String?)])
    func authenticate(user: String, password: String, expected: String?) {
        let result = Self.users.authenticate(user: Array(user.utf8), password: Array(password.utf8))
        #expect(result == expected.map { Array($0.utf8) })
    }

    /// No users: Redis's `default on nopass`. Only `default` exists, and takes any password.
    @Test(arguments: [("default", "", true), ("default", "anything", true), ("DEFAULT", "x", false), ("alice", "x", false)])
    func noUsersConfigured(user: String, password: String, accepted: Bool) {
        let open = ClientAuthenticator()
        #expect(!open.isRequired)
        #expect(open.initialUser == Array("default".utf8))
        #expect(open.authenticate(user: Array(user.utf8), password: Array(password.utf8)) == (accepted ? Array("default".utf8) : nil))
    }

    @Test func configuredUsersStartUnauthenticated() {
        #expect(Self.users.isRequired)
        #expect(Self.users.initialUser == nil)
        #expect(!ClientState(id: 1, authenticator: Self.users).isAuthenticated)
        #expect(ClientState(id: 1, authenticator: ClientAuthenticator()).isAuthenticated)
    }

    /// Redis's `no_auth` commands (`COMMAND INFO`'s flags on 7.0.15: auth, hello, quit, reset).
    @Test(arguments: [
        (["AUTH", "x"], true), (["auth"], true), (["Hello", "3"], true), (["QUIT"], true), (["reset"], true),
        (["PING"], false), (["ECHO", "x"], false), (["CLIENT", "SETNAME", "x"], false), (["SELECT", "0"], false),
        (["CLUSTER", "KEYSLOT", "k"], false), (["GET", "k"], false), (["AUTHX"], false), (["auth\u{0}"], false),
        (["HELL"], false), ([""], false),
    ])
    func allowedBeforeAuthentication(arguments: [String], allowed: Bool) {
        CommandArguments.with(arguments) { arguments in
            #expect(ClientAuthenticator.allowsUnauthenticated(arguments) == allowed)
            #expect(ClientAuthenticator.rejects(arguments, state: ClientState(id: 1, user: nil)) == !allowed)
            #expect(!ClientAuthenticator.rejects(arguments, state: ClientState(id: 1, user: Array("bob".utf8))))
        }
    }

    @Test func noAuthReplyIsRedis() {
        // Captured: `PING` before `AUTH` on the requirepass server.
        let captured = AuthCaptures.requirepass.first { $0.steps[0].arguments == [Array("PING".utf8)] }!
        #expect(ClientAuthenticator.noAuthReply == captured.steps[0].reply)
    }

    @Test(arguments: [
        ("", "", true), ("a", "a", true), ("secret", "secret", true), ("secret", "secreT", false), ("secret", "secre", false),
        ("secre", "secret", false), ("", "x", false), ("x", "", false), ("ab", "abab", false), ("abab", "ab", false),
        ("\u{0}", "", false), ("", "\u{0}", false),
    ])
    func constantTimeEquality(given: String, expected: String, equal: Bool) {
        let result = Array(given.utf8).withUnsafeBytes { ClientAuthenticator.equal($0, Array(expected.utf8)) }
        #expect(result == equal)
    }
}

/// Captured from redis-server 7.0.15 `--cluster-enabled yes`: `open` without authentication,
/// `requirepass` with `requirepass secret`, `acl` with the ACL file of `LocalConversation.Server.acl`.
enum AuthCaptures {
    static let open: [LocalConversation] = [
        .init(.open, id: 780, ["AUTH"], "-ERR wrong number of arguments for 'auth' command\r\n"),
        .init(.open, id: 782, ["AUTH", "x"], "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"),
        .init(.open, id: 784, ["auth", "default", "x"], "+OK\r\n"),
        .init(.open, id: 786, ["AUTH", "default", ""], "+OK\r\n"),
        .init(.open, id: 788, ["AUTH", "DEFAULT", "x"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.open, id: 790, ["AUTH", "alice", "x"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.open, id: 792, ["AUTH", "a", "b", "c"], "-ERR syntax error\r\n"),
        .init(.open, id: 794, ["HELLO", "2", "AUTH", "default", "whatever"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:794\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.open, id: 796, ["HELLO", "2", "AUTH", "alice", "whatever"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.open, id: 798, ["HELLO", "3", "AUTH\u{0}", "default", "x"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:798\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
    ]
    static let requirepass: [LocalConversation] = [
        .init(.requirepass, id: 6, ["PING"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 8, ["PING", "a", "b"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 10, ["PING", "x"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 12, ["ECHO"], "-ERR wrong number of arguments for 'echo' command\r\n"),
        .init(.requirepass, id: 14, ["ECHO", "x"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 16, ["ECHO", "x", "y"], "-ERR wrong number of arguments for 'echo' command\r\n"),
        .init(.requirepass, id: 18, ["CLIENT"], "-ERR wrong number of arguments for 'client' command\r\n"),
        .init(.requirepass, id: 20, ["CLIENT", "FOO"], "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"),
        .init(.requirepass, id: 22, ["CLIENT", "SETNAME", "x"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 24, ["CLIENT", "SETNAME", "a b"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 26, ["CLIENT", "SETNAME"], "-ERR wrong number of arguments for 'client|setname' command\r\n"),
        .init(.requirepass, id: 28, ["CLIENT", "ID"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 30, ["CLIENT", "ID", "x"], "-ERR wrong number of arguments for 'client|id' command\r\n"),
        .init(.requirepass, id: 32, ["CLIENT", "INFO"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 34, ["CLIENT", "GETNAME"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 36, ["SELECT", "0"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 38, ["SELECT", "1"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 40, ["SELECT", "abc"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 42, ["SELECT"], "-ERR wrong number of arguments for 'select' command\r\n"),
        .init(.requirepass, id: 44, ["CLUSTER", "KEYSLOT", "foo"], "-NOAUTH Authentication required.\r\n"),
        .init(.requirepass, id: 46, ["CLUSTER", "KEYSLOT"], "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"),
        .init(.requirepass, id: 48, ["HELLO"], "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"),
        .init(.requirepass, id: 50, ["HELLO", "3"], "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"),
        .init(.requirepass, id: 52, ["HELLO", "4"], "-NOPROTO unsupported protocol version\r\n"),
        .init(.requirepass, id: 54, ["HELLO", "x"], "-ERR Protocol version is not an integer or out of range\r\n"),
        .init(.requirepass, id: 56, ["HELLO", "3", "FOO"], "-ERR Syntax error in HELLO option 'FOO'\r\n"),
        .init(.requirepass, id: 58, ["HELLO", "3", "SETNAME", "a b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
        .init(.requirepass, id: 60, ["HELLO", "3", "AUTH", "default", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 62, ["HELLO", "3", "AUTH", "nobody", "secret"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 64, ["HELLO", "2", "AUTH", "DEFAULT", "secret"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 66, ["HELLO", "3", "AUTH", "default", "secret"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:66\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.requirepass, id: 68, ["AUTH"], "-ERR wrong number of arguments for 'auth' command\r\n"),
        .init(.requirepass, id: 70, ["AUTH", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 72, ["AUTH", "default", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 74, ["AUTH", "a", "b", "c"], "-ERR syntax error\r\n"),
        .init(.requirepass, id: 76, ["AUTH", "secret"], "+OK\r\n"),
        .init(.requirepass, id: 78, ["AUTH", "default", "secret"], "+OK\r\n"),
        .init(.requirepass, id: 80, ["AUTH", "secret "], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 82, ["AUTH", "secre"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 84, ["AUTH", ""], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.requirepass, id: 86, ["RESET"], "+RESET\r\n"),
        .init(.requirepass, id: 88, ["QUIT"], "+OK\r\n"),
        .init(.requirepass, id: 90, [
            .init(["AUTH", "secret"], "+OK\r\n"),
            .init(["CLIENT", "GETNAME"], "$-1\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["CLIENT", "INFO"], "$270\r\nid=90 addr=127.0.0.1:53622 laddr=127.0.0.1:30301 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
            .init(["AUTH", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["AUTH", "x"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .init(["HELLO", "3", "AUTH", "default", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["RESET"], "+RESET\r\n"),
            .init(["PING"], "-NOAUTH Authentication required.\r\n"),
            .init(["CLIENT", "ID"], "-NOAUTH Authentication required.\r\n"),
            .init(["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "n"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:90\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "GETNAME"], "$1\r\nn\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["RESET"], "+RESET\r\n"),
            .init(["CLIENT", "GETNAME"], "-NOAUTH Authentication required.\r\n"),
        ]),
        .init(.requirepass, id: 92, [
            .init(["HELLO", "3", "AUTH", "default", "secret", "FOO"], "-ERR Syntax error in HELLO option 'FOO'\r\n"),
            .init(["PING"], "+PONG\r\n"),
            .init(["CLIENT", "INFO"], "$270\r\nid=92 addr=127.0.0.1:53654 laddr=127.0.0.1:30301 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
        ]),
        .init(.requirepass, id: 94, [
            .init(["HELLO", "3", "SETNAME", "early"], "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"),
            .init(["AUTH", "secret"], "+OK\r\n"),
            .init(["CLIENT", "GETNAME"], "$5\r\nearly\r\n"),
            .init(["CLIENT", "INFO"], "$275\r\nid=94 addr=127.0.0.1:53682 laddr=127.0.0.1:30301 fd=9 name=early age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
        ]),
        .init(.requirepass, id: 96, [
            .init(["HELLO", "3", "SETNAME", "early", "AUTH", "default", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .init(["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b"], "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
            .init(["CLIENT", "GETNAME"], "$5\r\nearly\r\n"),
            .init(["CLIENT", "INFO"], "$275\r\nid=96 addr=127.0.0.1:53698 laddr=127.0.0.1:30301 fd=9 name=early age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=default redir=-1 resp=2\n\r\n"),
        ]),
    ]
    static let acl: [LocalConversation] = [
        .init(.acl, id: 5, ["PING"], "-NOAUTH Authentication required.\r\n"),
        .init(.acl, id: 7, ["AUTH", "apw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 9, ["AUTH", "default", "apw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 11, ["AUTH", "default", ""], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 13, ["AUTH", "alice", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 15, ["AUTH", "Alice", "apw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 17, ["AUTH", "alice", "APW"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 19, ["AUTH", "alice", "apw "], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 21, ["AUTH", "alice", "ap"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 23, ["AUTH", "alice", ""], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 25, ["AUTH", "", "apw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 27, ["AUTH", "alice", "bpw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 29, ["AUTH", "alice", "apw"], "+OK\r\n"),
        .init(.acl, id: 31, ["AUTH", "bob", "bpw"], "+OK\r\n"),
        .init(.acl, id: 33, ["HELLO", "3", "AUTH", "default", "x"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
        .init(.acl, id: 35, ["HELLO"], "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"),
        .init(.acl, id: 37, ["HELLO", "2", "AUTH", "bob", "bpw"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:37\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        .init(.acl, id: 39, [
            .init(["AUTH", "alice", "apw"], "+OK\r\n"),
            .init(["CLIENT", "INFO"], "$268\r\nid=39 addr=127.0.0.1:33608 laddr=127.0.0.1:30302 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=alice redir=-1 resp=2\n\r\n"),
            .init(["AUTH", "bob", "wrong"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .init(["CLIENT", "INFO"], "$268\r\nid=39 addr=127.0.0.1:33608 laddr=127.0.0.1:30302 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=alice redir=-1 resp=2\n\r\n"),
            .init(["HELLO", "3", "AUTH", "bob", "bpw"], "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:39\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "INFO"], "=270\r\ntxt:id=39 addr=127.0.0.1:33608 laddr=127.0.0.1:30302 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=bob redir=-1 resp=3\n\r\n"),
            .init(["RESET"], "+RESET\r\n"),
            .init(["PING"], "-NOAUTH Authentication required.\r\n"),
            .init(["HELLO"], "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"),
            .init(["HELLO", "2", "AUTH", "alice", "apw", "SETNAME", "cli"], "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:39\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            .init(["CLIENT", "INFO"], "$271\r\nid=39 addr=127.0.0.1:33608 laddr=127.0.0.1:30302 fd=9 name=cli age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|info user=alice redir=-1 resp=2\n\r\n"),
        ]),
    ]
}
