import Cluster
import RESP
import Testing

@Suite struct RouterTests {
    static let router = Router(table: CommandFixtures.table)
    static let redis6Router = Router(table: CommandFixtures.redis6Table)

    static func route(_ words: [String], _ router: Router = router) -> Route {
        CommandArguments.with(words) { router.route($0) }
    }

    static func slot(_ key: String) -> UInt16 { HashSlot.of(Array(key.utf8)) }

    /// The route `COMMAND GETKEYS`'s answer implies: no keys → any master, one slot → it, more → CROSSSLOT.
    static func expectedRoute(_ reply: RESPValue) -> Route {
        guard case .array(let keys?) = reply else { return .anyMaster }
        let slots = Set(keys.map { HashSlot.of($0.fixtureBytes) })
        return slots.isEmpty ? .anyMaster : slots.count == 1 ? .slot(slots.first!) : .crossSlot
    }

    /// Every fixture case routes where the server's keys say (through `COMMAND GETKEYS` for `.needsKeys`).
    @Test(arguments: CommandFixtures.getKeysCases)
    func routeAgreesWithCommandGetKeys(testCase: CommandFixtures.GetKeysCase) {
        let route = CommandArguments.with(testCase.arguments) { Self.router.route($0) }
        let name = testCase.name
        switch testCase.reply {
        case .error("ERR wrong number of arguments for 'command|getkeys' command"):
            return  // the server could not be asked about a lone name
        case .error("ERR Invalid command specified"), .error("ERR Invalid number of arguments specified for command"):
            // Unknown, or the wrong count: the server answers the error, unless Ferry refuses or answers the name.
            #expect([.anyMaster, .unsupported, .local].contains(route))
            if route != .anyMaster { #expect(["client", "cluster", "waitaof"].contains(name)) }
            return
        default:
            break
        }
        let table = CommandFixtures.table
        let info = CommandArguments.with(testCase.arguments) { table.command(for: $0) }
        let flags = info?.flags ?? []
        if route == .local || route == .unsupported {
            // Decided by name (tested below) or the blocking flag.
            #expect(flags.contains(.blocking) || Self.decidedByName.contains(name) || ["client", "cluster"].contains(name), "\(route)")
            return
        }
        if let info, info.keySpecs.contains(where: { $0.flags.contains(.notKey) }), info.accepts(argumentCount: testCase.arguments.count) {
            // Shard channels: Redis Cluster routes by them, GETKEYS does not list them.
            let slot = HashSlot.of(testCase.arguments[1])
            if ["ssubscribe", "sunsubscribe"].contains(name) {
                let slots = Set(testCase.arguments.dropFirst().map { HashSlot.of($0) })
                #expect(route == (slots.count > 1 ? .crossSlot : .subscribe(slot)))
            } else {
                #expect(route == .slot(slot))
            }
            return
        }
        let expected = Self.expectedRoute(testCase.reply)
        if route == .needsKeys {
            #expect(info?.hasIncompleteSpec == true)
            #expect(Self.router.route(keysFromGetKeys: testCase.reply) == expected)
        } else if KeySpecTests.fallbackFindsKeys.contains(testCase.testDescription) {
            #expect(route == .anyMaster)
        } else if let info, info.name == "cluster|countkeysinslot" || info.name == "cluster|getkeysinslot" {
            let count = testCase.arguments.count
            #expect(route == (info.accepts(argumentCount: count) ? CommandInfo.integerSlot(testCase.arguments[2]) : .anyMaster))
        } else {
            let blocks = info.map { $0.flags.contains(.blocking) } == true
                && (!["xread", "xreadgroup"].contains(name) || testCase.arguments.contains { String(decoding: $0, as: UTF8.self).lowercased() == "block" })
            #expect(route == Self.refined(expected, info, argumentCount: testCase.arguments.count, blocks: blocks))
        }
    }

    /// GETKEYS' answer as cluster mode serves it: keys of several slots are split when
    /// ``MultiKeyCommand`` can split the command, and no keys at all go to every master when the
    /// tips say `all_shards`/`all_nodes` with a reply that merges.
    static func refined(_ route: Route, _ info: CommandInfo?, argumentCount: Int, blocks: Bool = false) -> Route {
        // A wrong number of arguments goes to one master, which answers the arity error.
        guard let info, info.accepts(argumentCount: argumentCount) else { return route }
        switch route {
        case .crossSlot:
            return MultiKeyCommand(info).map { .split($0) } ?? .crossSlot
        case .slot(let slot) where blocks:
            return .blocking(slot)
        case .anyMaster where ["subscribe", "psubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"].contains(info.name):
            return .subscribe(nil)
        case .anyMaster where info.name == "scan":
            return .scan
        case .anyMaster where (info.requestPolicy == .allShards || info.requestPolicy == .allNodes) && info.name != "randomkey":
            return info.mergeRule.map { .allMasters($0) } ?? .anyMaster
        default:
            return route
        }
    }

    /// Names (and `name|sub`) whose route does not come from keys.
    static let decidedByName: Set<String> = [
        "ping", "echo", "quit", "reset", "hello", "auth", "select", "readonly", "readwrite", "watch", "unwatch", "multi",
        "exec", "discard", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor",
        "wait", "sync", "psync", "replconf", "replicaof", "slaveof", "failover", "shutdown", "asking",
    ]

    @Test(arguments: [
        ["PING"], ["ping", "hi"], ["PING", "a", "b"], ["ECHO", "x"], ["QUIT"], ["RESET"], ["HELLO"], ["HELLO", "3"], ["AUTH", "pw"], ["AUTH", "u", "pw"],
        ["SELECT", "0"], ["READONLY"], ["READWRITE"], ["CLIENT", "SETNAME", "n"], ["client", "getname"], ["CLIENT", "ID"],
        ["CLIENT", "INFO"], ["CLIENT", "SETINFO", "LIB-NAME", "x"], ["CLUSTER", "KEYSLOT", "k"], ["CLUSTER", "SLOTS"],
        ["cluster", "shards"], ["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["CLUSTER", "MYID"], [],
    ])
    func local(words: [String]) {
        // PING's arity is -1 in the table although it takes at most one argument: Ferry answers
        // `PING a b` too, and owes the client the arity error.
        #expect(Self.route(words) == .local)
        #expect(Self.route(words, Self.redis6Router) == .local)
    }

    @Test(arguments: [
        ["WATCH", "k"], ["UNWATCH"], ["MULTI"], ["EXEC"], ["DISCARD"],
        ["MONITOR"], ["WAIT", "1", "0"], ["WAITAOF", "1", "1", "0"], ["SYNC"], ["PSYNC", "id", "0"], ["REPLCONF", "ack", "0"],
        ["REPLICAOF", "NO", "ONE"], ["SLAVEOF", "h", "1"], ["FAILOVER"], ["SHUTDOWN"], ["ASKING"],
        ["CLIENT", "REPLY", "OFF"], ["CLIENT", "TRACKING", "ON"], ["CLIENT", "CACHING", "yes"], ["CLIENT", "KILL", "ID", "1"],
        ["CLIENT", "PAUSE", "10"], ["CLIENT", "UNPAUSE"], ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-TOUCH", "on"],
        ["CLIENT", "UNBLOCK", "1"], ["CLIENT", "GETREDIR"], ["CLIENT", "TRACKINGINFO"], ["CLIENT", "NOSUCH"],
        ["CLUSTER", "ADDSLOTS", "1"], ["CLUSTER", "FAILOVER"], ["CLUSTER", "MEET", "h", "1"], ["CLUSTER", "RESET"],
        ["CLUSTER", "SETSLOT", "1", "STABLE"], ["CLUSTER", "REPLICAS", "id"], ["CLUSTER", "LINKS"], ["CLUSTER", "FORGET", "id"],
        ["CLUSTER", "NOSUCH"],
    ])
    func unsupported(words: [String]) {
        #expect(Self.route(words) == .unsupported)
    }

    @Test(arguments: [
        (["SUBSCRIBE", "c"], Route.subscribe(nil)), (["PSUBSCRIBE", "p*"], .subscribe(nil)), (["UNSUBSCRIBE"], .subscribe(nil)),
        (["PUNSUBSCRIBE", "p*"], .subscribe(nil)), (["SSUBSCRIBE", "c"], .subscribe(slot("c"))),
        (["SSUBSCRIBE", "{c}1", "{c}2"], .subscribe(slot("c"))), (["SSUBSCRIBE", "a", "b"], .crossSlot),
        (["SUNSUBSCRIBE"], .subscribe(nil)), (["sunsubscribe", "c"], .subscribe(slot("c"))),
    ])
    func subscriptions(words: [String], route: Route) {
        #expect(Self.route(words) == route)
    }

    /// Blocking commands go to their slot's master on a connection of their own; keys of two
    /// slots get CROSSSLOT, as from a cluster node.
    @Test(arguments: [
        (["BLPOP", "a", "0"], Route.blocking(slot("a"))), (["BRPOP", "{a}1", "{a}2", "0"], .blocking(slot("a"))),
        (["BRPOP", "a", "b", "0"], .crossSlot), (["BLMOVE", "{a}x", "{a}y", "LEFT", "LEFT", "0"], .blocking(slot("a"))),
        (["BLMOVE", "a", "b", "LEFT", "LEFT", "0"], .crossSlot), (["BRPOPLPUSH", "a", "b", "0"], .crossSlot),
        (["BZPOPMIN", "a", "0"], .blocking(slot("a"))), (["BZPOPMAX", "a", "0"], .blocking(slot("a"))),
        (["BLMPOP", "0", "1", "a", "LEFT"], .blocking(slot("a"))), (["BZMPOP", "0", "2", "a", "b", "MIN"], .crossSlot),
        (["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], .blocking(slot("s"))),
        (["xread", "count", "1", "block", "10", "streams", "s", "0"], .blocking(slot("s"))),
        (["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], .blocking(slot("s"))),
        (["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"], .blocking(slot("s"))),
        (["XREAD", "BLOCK", "0", "STREAMS", "s", "t", "0", "0"], .crossSlot),
    ])
    func blocking(words: [String], route: Route) {
        #expect(Self.route(words) == route)
    }

    @Test func routesByKeys() {
        #expect(Self.route(["GET", "foo"]) == .slot(12182))  // CLUSTER KEYSLOT foo
        #expect(Self.route(["set", "{user1000}.following", "x"]) == .slot(3443))
        #expect(Self.route(["MSET", "{t}a", "1", "{t}b", "2"]) == .slot(Self.slot("t")))
        #expect(Self.route(["MSET", "foo", "1", "bar", "2"]) == .split(MultiKeyCommand(layout: .keyValuePairs, rule: .allSucceeded)))
        #expect(Self.route(["MGET", "foo", "bar"]) == .split(MultiKeyCommand(layout: .keys, rule: .keyOrder)))
        #expect(Self.route(["DEL", "foo", "bar"]) == .split(MultiKeyCommand(layout: .keys, rule: .sum)))
        #expect(Self.route(["MSETNX", "foo", "1", "bar", "2"]) == .crossSlot)  // all or nothing: not split
        #expect(Self.route(["SUNIONSTORE", "foo", "bar"]) == .crossSlot)
        #expect(Self.route(["MGET", "foo", "foo"]) == .slot(12182))
        #expect(Self.route(["EVAL", "s", "2", "{a}1", "{a}2", "x", "y"]) == .slot(Self.slot("a")))
        #expect(Self.route(["EVAL", "s", "0"]) == .anyMaster)
        #expect(Self.route(["EVAL", "s", "x"]) == .anyMaster)
        #expect(Self.route(["XREAD", "COUNT", "1", "STREAMS", "{s}1", "{s}2", "0", "0"]) == .slot(Self.slot("s")))
        #expect(Self.route(["XREAD", "STREAMS", "foo", "bar", "0", "0"]) == .crossSlot)
        #expect(Self.route(["XREADGROUP", "GROUP", "block", "c", "STREAMS", "s", ">"]) == .slot(Self.slot("s")))
        #expect(Self.route(["XREAD", "STREAMS", "block", "0"]) == .slot(Self.slot("block")))
        #expect(Self.route(["XREAD", "NOPE", "BLOCK", "0", "STREAMS", "s", "0"]) == .slot(Self.slot("s")))  // a syntax error first
        #expect(Self.route(["ZUNIONSTORE", "{z}d", "2", "{z}a", "{z}b"]) == .slot(Self.slot("z")))
        #expect(Self.route(["ZUNIONSTORE", "d", "2", "a", "b"]) == .crossSlot)
        #expect(Self.route(["OBJECT", "ENCODING", "foo"]) == .slot(12182))
        #expect(Self.route(["MEMORY", "USAGE", "foo"]) == .slot(12182))
        #expect(Self.route(["XINFO", "STREAM", "foo"]) == .slot(12182))
        #expect(Self.route(["SPUBLISH", "foo", "m"]) == .slot(12182))
        #expect(Self.route(["PUBLISH", "foo", "m"]) == .anyMaster)
        #expect(Self.route(["CLUSTER", "COUNTKEYSINSLOT", "16383"]) == .slot(16383))
        #expect(Self.route(["CLUSTER", "GETKEYSINSLOT", "0", "10"]) == .slot(0))
        #expect(Self.route(["CLUSTER", "COUNTKEYSINSLOT", "16384"]) == .anyMaster)
        #expect(Self.route(["CLUSTER", "COUNTKEYSINSLOT", "-1"]) == .anyMaster)
        #expect(Self.route(["CLUSTER", "COUNTKEYSINSLOT", "01"]) == .anyMaster)
        #expect(Self.route(["CLUSTER", "HELP"]) == .anyMaster)
        #expect(Self.route(["CLIENT", "LIST"]) == .anyMaster)
        #expect(Self.route(["KEYS", "*"]) == .allMasters(.concatenate))
        #expect(Self.route(["DBSIZE"]) == .allMasters(.sum))
        #expect(Self.route(["FLUSHALL", "ASYNC"]) == .allMasters(.allSucceeded))
        #expect(Self.route(["SCRIPT", "EXISTS", "a", "b"]) == .allMasters(.logicalAnd))
        #expect(Self.route(["SCRIPT", "LOAD", "return 1"]) == .allMasters(.allSucceeded))
        #expect(Self.route(["SCAN", "0", "MATCH", "a*"]) == .scan)
        #expect(Self.route(["SCAN"]) == .anyMaster)  // arity: the server's own error
        #expect(Self.route(["RANDOMKEY"]) == .anyMaster)  // one key, not a list to concatenate
        #expect(Self.route(["INFO"]) == .anyMaster)  // response_policy:special
        #expect(Self.route(["CONFIG", "GET", "x"]) == .anyMaster)
    }

    @Test func needsKeys() {
        #expect(Self.route(["SORT", "k"]) == .needsKeys)
        #expect(Self.route(["SORT_RO", "k"]) == .needsKeys)
        #expect(Self.route(["MIGRATE", "h", "1", "", "0", "5000", "KEYS", "a", "b"]) == .needsKeys)
        #expect(Self.route(["MIGRATE", "h", "1", "k", "0", "5000"]) == .slot(Self.slot("k")))
        // Redis 6 tables say nothing about movable keys.
        #expect(Self.route(["EVAL", "s", "1", "k"], Self.redis6Router) == .needsKeys)
        #expect(Self.route(["ZUNIONSTORE", "d", "1", "a"], Self.redis6Router) == .needsKeys)
        #expect(Self.route(["MSET", "{t}a", "1", "{t}b", "2"], Self.redis6Router) == .slot(Self.slot("t")))
    }

    /// Redis 6 has no `blocking` flag: the `@blocking` ACL category says it (BLPOP's entry as 6.2 sends it).
    @Test func redis6BlockingCommandsAreKnownByTheirCategory() throws {
        func text(_ words: [String]) -> RESPValue { .array(words.map { .simpleString($0) }) }
        let blpop = try CommandInfo(.array([
            .bulkString(Array("blpop".utf8)), .integer(-3), text(["write", "noscript"]), .integer(1), .integer(-2), .integer(1),
            text(["@write", "@list", "@slow", "@blocking"]),
        ]))
        #expect(blpop.flags == [.write, .noScript, .blocking])
        let router = Router(table: CommandTable(commands: [blpop]))
        #expect(Self.route(["BLPOP", "a", "0"], router) == .blocking(Self.slot("a")))
        #expect(Self.route(["BLPOP", "a", "b", "0"], router) == .crossSlot)
        #expect(Self.route(["BLPOP", "a"], router) == .anyMaster)
    }

    /// Wrong counts and unknown names go to any master, which answers the error and runs nothing.
    @Test(arguments: [
        ["GET"], ["GET", "a", "b"], ["MSET", "a"], ["WATCH"], ["MULTI", "x"], ["BLPOP", "a"], ["ECHO"], ["AUTH"],
        ["SELECT"], ["CLIENT"], ["CLUSTER"], ["CLIENT", "KILL"], ["CLUSTER", "KEYSLOT"], ["OBJECT"], ["OBJECT", "ENCODING"],
        ["OBJECT", "NOPE", "k"], ["NOSUCHCOMMAND", "a"], ["g\u{e9}t", "k"], ["XREAD", "BLOCK", "0"],
    ])
    func anyMaster(words: [String]) {
        #expect(Self.route(words) == .anyMaster)
    }

    @Test func namesAreCaseInsensitive() {
        #expect(Self.route(["gEt", "foo"]) == .slot(12182))
        #expect(Self.route(["pInG"]) == .local)
        #expect(Self.route(["Client", "SetName", "x"]) == .local)
        #expect(Self.route(["mUlTi"]) == .unsupported)
        #expect(Self.route(["xread", "BlOcK", "0", "StReAmS", "s", "0"]) == .blocking(Self.slot("s")))
        #expect(Self.route(["XREAD", "BLOCK\0x", "0", "STREAMS", "s", "0"]) == .blocking(Self.slot("s")))  // strcasecmp stops at NUL
    }

    @Test func keysFromGetKeys() {
        let router = Self.router
        func keys(_ words: [String]) -> RESPValue { .array(words.map { .bulkString(Array($0.utf8)) }) }
        #expect(router.route(keysFromGetKeys: keys(["foo"])) == .slot(12182))
        #expect(router.route(keysFromGetKeys: keys(["{a}1", "{a}2"])) == .slot(Self.slot("a")))
        #expect(router.route(keysFromGetKeys: keys(["foo", "bar"])) == .crossSlot)
        #expect(router.route(keysFromGetKeys: keys([])) == .anyMaster)
        #expect(router.route(keysFromGetKeys: .error("ERR Invalid arguments specified for command")) == .anyMaster)
        #expect(router.route(keysFromGetKeys: .array(nil)) == .anyMaster)
        #expect(router.route(keysFromGetKeys: .array([.integer(1)])) == .anyMaster)
        #expect(router.route(keysFromGetKeys: .simpleString("OK")) == .anyMaster)
    }

    @Test func messages() {
        func message(_ words: [[UInt8]]) -> String { CommandArguments.with(words) { Router.unsupportedMessage(for: $0) } }
        func message(_ words: [String]) -> String { message(words.map { Array($0.utf8) }) }
        #expect(message(["MULTI"]) == "ERR ferry: 'multi' is not supported in cluster mode yet")
        #expect(message(["BLPop", "a", "0"]) == "ERR ferry: 'blpop' is not supported in cluster mode yet")
        #expect(message(["CLIENT", "Kill", "ID", "1"]) == "ERR ferry: 'client|kill' is not supported in cluster mode yet")
        #expect(message(["cluster", "ADDSLOTS", "1"]) == "ERR ferry: 'cluster|addslots' is not supported in cluster mode yet")
        #expect(message([Array("CLIENT".utf8), [0x0D, 0x0A, 0x27, 0x5C, 0x20, 0xFF, 0x41]])
            == #"ERR ferry: 'client|\x0d\x0a\x27\x5c\x20\xffa' is not supported in cluster mode yet"#)
        #expect(message([[UInt8](repeating: 0x61, count: 300)]).count == "ERR ferry: '' is not supported in cluster mode yet".count + 128)
        #expect(message([[UInt8]]()) == "ERR ferry: this command is not supported in cluster mode yet")
        #expect(Router.crossSlotMessage == "CROSSSLOT Keys in request don't hash to the same slot")
    }

    @Test(arguments: [(["MSET", "a", "1", "b"], "ERR wrong number of arguments for 'mset' command"),
                      (["MsEt", "a"], "ERR wrong number of arguments for 'mset' command"),
                      (["M\nSET"], #"ERR wrong number of arguments for 'm\x0aset' command"#)])
    func arityMessages(words: [String], expected: String) {
        #expect(CommandArguments.with(words.map { Array($0.utf8) }) { Router.arityMessage(for: $0) } == expected)
    }
}

extension CommandInfo {
    /// The route of a `CLUSTER COUNTKEYSINSLOT` slot argument, decoded independently (tests only).
    static func integerSlot(_ bytes: [UInt8]) -> Route {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let slot = Int(text), slot >= 0, slot < 16384,
            String(slot) == text
        else { return .anyMaster }
        return .slot(UInt16(slot))
    }
}
