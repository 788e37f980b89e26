import Cluster
import Foundation
import RESP
import Testing

/// The replies of a real redis-server 7.0.15, captured by `Fixtures/make-fixtures.py`.
enum CommandFixtures {
    /// Limits far above the default: `COMMAND` nests nine levels deep and the cases are thousands.
    static let reader = RESPReader(maxBulkLength: 1 << 20, maxElements: 1 << 16, maxDepth: 16)

    static func value(_ name: String) -> RESPValue {
        let directory = String(#filePath.prefix(upTo: #filePath.lastIndex(of: "/")!))
        let bytes = FileManager.default.contents(atPath: directory + "/Fixtures/" + name).map(Array.init) ?? []
        guard let (value, consumed) = try! reader.parse(bytes), consumed == bytes.count else {
            fatalError("fixture \(name) is missing or not one RESP value")
        }
        return value
    }

    /// The raw reply of `COMMAND` (RESP2).
    static let commandReply = value("command-7.0.resp")
    /// The table built from it.
    static let table = try! CommandTable(reply: commandReply)
    /// The same reply cut as Redis 6 sends it: name, arity, flags, keys, ACL categories; no tips,
    /// key specs or subcommands.
    static let redis6Table = try! CommandTable(reply: .array(commandReply.fixtureElements.map { .array(Array($0.fixtureElements.prefix(7))) }))

    /// Every command and subcommand: (name as the client types it, e.g. `["object", "encoding"]`, info).
    static let allCommands: [(words: [String], info: CommandInfo)] = table.commands.flatMap { command in
        [([command.name], command)] + command.subcommands.map { ($0.name.split(separator: "|").map(String.init), $0) }
    }

    /// The arguments given to `COMMAND GETKEYS` and the server's reply.
    struct GetKeysCase: Sendable, CustomTestStringConvertible {
        let arguments: [[UInt8]]
        let reply: RESPValue
        var testDescription: String { arguments.map { RESPValue.bulkString($0).description }.joined(separator: " ") }
        var name: String { String(decoding: arguments[0], as: UTF8.self).lowercased() }
    }

    static let getKeysCases: [GetKeysCase] = value("getkeys-7.0.resp").fixtureElements.map { pair in
        GetKeysCase(arguments: pair.fixtureElements[0].fixtureElements.map { $0.fixtureBytes }, reply: pair.fixtureElements[1])
    }
}

extension RESPValue {
    /// The elements of an array (tests only).
    var fixtureElements: [RESPValue] {
        if case .array(let elements?) = self { return elements }
        return []
    }

    /// The bytes of a bulk string (tests only).
    var fixtureBytes: [UInt8] {
        if case .bulkString(let bytes?) = self { return bytes }
        return []
    }
}

@Suite struct CommandTableTests {
    let table = CommandFixtures.table

    /// `COMMAND COUNT` answered 240 and the reply lists 126 subcommands (redis-server 7.0.15).
    @Test func countsMatchTheServer() {
        #expect(table.count == 240)
        #expect(table.commands.reduce(0) { $0 + $1.subcommands.count } == 126)
        #expect(CommandFixtures.redis6Table.count == 240)
    }

    /// Every command and subcommand is found by its name in any ASCII case.
    @Test(arguments: CommandFixtures.allCommands.map(\.words))
    func everyNameIsFoundInAnyCase(words: [String]) throws {
        for spelling in [words, words.map { $0.uppercased() }, words.map(Self.alternatingCase)] {
            let found = try #require(CommandArguments.with(spelling) { table.command(for: $0) })
            #expect(found.name == words.joined(separator: "|"))
            #expect(table.command(named: spelling[0])?.name == words[0])
        }
        if words.count == 2 {
            #expect(table.command(named: words[0])?.subcommand(named: words[1].uppercased())?.name == words.joined(separator: "|"))
        }
    }

    @Test(arguments: [
        "", "gett", "ge", "get ", " get", "get\0", "g\u{e9}t", "GET\u{0130}", "object|encoding", "encoding",
        "\u{c7}ET",  // 0xC3 0x87: not ASCII, must not fold to "get"
        "setinfo", "waitaof", "nosuchcommand",
    ])
    func unknownNamesAreNotFound(name: String) {
        #expect(table.command(named: name) == nil)
    }

    @Test func subcommandResolution() {
        func resolve(_ words: [String]) -> String? { CommandArguments.with(words) { table.command(for: $0)?.name } }
        #expect(resolve(["OBJECT", "ENCODING", "k"]) == "object|encoding")
        #expect(resolve(["xinfo", "Stream", "s"]) == "xinfo|stream")
        #expect(resolve(["MEMORY", "usage", "k"]) == "memory|usage")
        #expect(resolve(["cluster", "SLOTS"]) == "cluster|slots")
        #expect(resolve(["CONFIG", "get", "x"]) == "config|get")
        // As Redis's lookupCommand: the parent alone, an unknown subcommand is unknown.
        #expect(resolve(["object"]) == "object")
        #expect(resolve(["object", "nope"]) == nil)
        #expect(resolve(["client", "setinfo", "lib-name", "x"]) == nil)  // Redis 7.2's, not 7.0's
        #expect(resolve(["get", "k"]) == "get")
        #expect(resolve(["nosuch", "k"]) == nil)
        #expect(resolve([]) == nil)
    }

    /// Spot checks against the `COMMAND INFO` text of the same server.
    @Test func fieldsAreParsed() throws {
        let get = try #require(table.command(named: "GET"))
        #expect(get.arity == 2 && get.flags == [.readonly, .fast])
        #expect((get.firstKey, get.lastKey, get.keyStep) == (1, 1, 1))
        #expect(get.aclCategories == ["@read", "@string", "@fast"])
        #expect(get.requestPolicy == nil && get.responsePolicy == nil && get.tips == [])
        #expect(get.keySpecs == [KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0), flags: [.readOnly, .access])])

        let auth = try #require(table.command(named: "auth"))
        #expect(auth.flags == [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy])
        let xread = try #require(table.command(named: "xread"))
        #expect(xread.flags == [.readonly, .blocking, .movableKeys] && xread.arity == -4)
        #expect(xread.keySpecs.first?.beginSearch == .keyword(Array("streams".utf8), startFrom: 1))
        #expect(xread.keySpecs.first?.findKeys == .range(lastKey: -1, keyStep: 1, limit: 2))
        let mset = try #require(table.command(named: "mset"))
        #expect((mset.firstKey, mset.lastKey, mset.keyStep) == (1, -1, 2))
        #expect(mset.requestPolicy == .multiShard && mset.responsePolicy == .allSucceeded)
        let keys = try #require(table.command(named: "keys"))
        #expect(keys.requestPolicy == .allShards && keys.responsePolicy == nil && keys.tips == .nondeterministicOutputOrder)
        let dbsize = try #require(table.command(named: "dbsize"))
        #expect(dbsize.requestPolicy == .allShards && dbsize.responsePolicy == .aggregateSum)
        #expect(table.command(named: "randomkey")?.tips == .nondeterministicOutput)
        #expect(table.command(named: "script")?.subcommand(named: "load")?.requestPolicy == .allNodes)
        let zunionstore = try #require(table.command(named: "zunionstore"))
        #expect(zunionstore.keySpecs == [
            KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0), flags: [.overwrite, .update]),
            KeySpec(beginSearch: .index(2), findKeys: .keyNumber(keyNumberIndex: 0, firstKey: 1, keyStep: 1), flags: [.readOnly, .access]),
        ])
        #expect(table.command(named: "sort")?.keySpecs.last == KeySpec(beginSearch: .unknown, findKeys: .unknown, flags: [.overwrite, .update]))
        #expect(table.command(named: "migrate")?.keySpecs.last?.flags == [.readWrite, .access, .delete, .incomplete])
        #expect(table.command(named: "set")?.keySpecs.first?.flags == [.readWrite, .access, .update, .variableFlags])
        #expect(table.command(named: "spublish")?.keySpecs.first?.flags == .notKey)
        #expect(table.command(named: "memory")?.subcommand(named: "usage")?.firstKey == 2)
    }

    /// Every flag, key spec flag and tip name the server sends is one the table knows.
    @Test func everyNameTheServerSendsIsKnown() {
        var flagNames = Set<String>(), specFlagNames = Set<String>(), tipNames = Set<String>()
        func collect(_ entry: RESPValue) {
            let fields = entry.fixtureElements
            fields[2].fixtureElements.forEach { flagNames.insert($0.stringValue!) }
            fields[7].fixtureElements.forEach { tipNames.insert($0.stringValue!) }
            for spec in fields[8].fixtureElements {
                let pairs = spec.fixtureElements
                let flags = pairs[pairs.firstIndex { $0.stringValue == "flags" }! + 1]
                flags.fixtureElements.forEach { specFlagNames.insert($0.stringValue!) }
            }
            fields[9].fixtureElements.forEach(collect)
        }
        CommandFixtures.commandReply.fixtureElements.forEach(collect)
        #expect(flagNames.count == 19 && specFlagNames.count == 11 && tipNames.count == 12)
        for name in flagNames { #expect(CommandFlags(name: name) != [], "\(name)") }
        for name in specFlagNames { #expect(KeySpec.Flags(name: name) != [], "\(name)") }
        for name in tipNames {
            let parts = name.split(separator: ":").map(String.init)
            if parts[0] == "request_policy" {
                #expect(RequestPolicy(rawValue: parts[1]) != nil, "\(name)")
            } else if parts[0] == "response_policy" {
                #expect(ResponsePolicy(rawValue: parts[1]) != nil, "\(name)")
            } else {
                #expect(CommandTips(name: name) != [], "\(name)")
            }
        }
    }

    /// Redis 6 sends seven fields; Redis 5 six. The legacy key range is kept.
    @Test func redis6EntriesParse() throws {
        let table = CommandFixtures.redis6Table
        let mset = try #require(table.command(named: "MSET"))
        #expect(mset.keySpecs.isEmpty && mset.subcommands.isEmpty && mset.tips == [] && mset.requestPolicy == nil)
        #expect((mset.arity, mset.firstKey, mset.lastKey, mset.keyStep) == (-3, 1, -1, 2))
        #expect(mset.aclCategories == ["@write", "@string", "@slow"])
        let redis5 = try CommandTable(reply: .array(CommandFixtures.commandReply.fixtureElements.map { .array(Array($0.fixtureElements.prefix(6))) }))
        #expect(redis5.command(named: "get")?.aclCategories == [] && redis5.command(named: "get")?.flags == [.readonly, .fast])
        // Redis 6 status replies, not bulk strings.
        let status = try CommandInfo(.array([.simpleString("GET"), .integer(2), .array([.simpleString("readonly")]), .integer(1), .integer(1), .integer(1)]))
        #expect(status.name == "get" && status.flags == .readonly)
    }

    /// `COMMAND INFO` over RESP3 (sets and maps) gives the same entries as over RESP2.
    @Test func resp3RepliesGiveTheSameTable() throws {
        let resp3 = try CommandTable(reply: CommandFixtures.value("command-info-7.0-resp3.resp"))
        #expect(resp3.count == 12)
        for command in resp3.commands {
            #expect(command == table.command(named: command.name), "\(command.name)")
        }
        #expect(resp3.command(named: "object")?.subcommands.count == 5)
    }

    @Test func nullEntriesOfCommandInfoAreSkipped() throws {
        let table = try CommandTable(reply: .array([.bulkString(nil), CommandFixtures.commandReply.fixtureElements[0], .null]))
        #expect(table.count == 1)
    }

    @Test(arguments: [
        RESPValue.integer(1), .array(nil), .bulkString(Array("x".utf8)),
        .array([.array([.bulkString(Array("get".utf8)), .integer(2)])]),  // too short
        .array([.array([.integer(1), .integer(2), .array([]), .integer(1), .integer(1), .integer(1)])]),  // name
        .array([.array([.bulkString(Array("get".utf8)), .bulkString(Array("2".utf8)), .array([]), .integer(1), .integer(1), .integer(1)])]),
        .array([.array([.bulkString(Array("get".utf8)), .integer(2), .integer(0), .integer(1), .integer(1), .integer(1)])]),  // flags
        .array([.array([.bulkString(Array("get".utf8)), .integer(2), .array([]), .integer(1), .integer(1), .integer(1), .array([]), .array([]), .integer(0)])]),  // specs
        .array([.array([.bulkString(Array("get".utf8)), .integer(2), .array([]), .integer(1), .integer(1), .integer(1), .array([]), .array([]), .array([.array([.integer(1)])])])]),  // spec shape
        .array([.array([.bulkString(Array("get".utf8)), .integer(2), .array([]), .integer(1), .integer(1), .integer(1), .array([]), .array([]), .array([]), .integer(0)])]),  // subcommands
    ])
    func malformedRepliesThrow(reply: RESPValue) {
        #expect(throws: CommandTableError.self) { try CommandTable(reply: reply) }
    }

    /// Unknown types and missing fields make a spec `.unknown`, so its keys are asked for.
    @Test func unknownSpecPartsBecomeUnknown() throws {
        func spec(_ begin: [RESPValue], _ find: [RESPValue]) throws -> KeySpec? {
            let entry = RESPValue.array([
                .bulkString(Array("x".utf8)), .integer(-2), .array([]), .integer(1), .integer(1), .integer(1), .array([]), .array([]),
                .array([.array([.simpleString("flags"), .array([.simpleString("RO")]), .simpleString("begin_search"), .array(begin),
                                .simpleString("find_keys"), .array(find)])]),
            ])
            return try CommandInfo(entry).keySpecs.first
        }
        let range: [RESPValue] = [.simpleString("type"), .simpleString("range"), .simpleString("spec"),
                                  .array([.simpleString("lastkey"), .integer(0), .simpleString("keystep"), .integer(1), .simpleString("limit"), .integer(0)])]
        let index: [RESPValue] = [.simpleString("type"), .simpleString("index"), .simpleString("spec"), .array([.simpleString("index"), .integer(1)])]
        #expect(try spec(index, range) == KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0), flags: .readOnly))
        #expect(try spec([.simpleString("type"), .simpleString("future"), .simpleString("spec"), .array([])], range)?.beginSearch == .unknown)
        #expect(try spec([.simpleString("type"), .simpleString("index"), .simpleString("spec"), .array([])], range)?.beginSearch == .unknown)
        #expect(try spec([.simpleString("type"), .simpleString("keyword"), .simpleString("spec"), .array([.simpleString("keyword"), .simpleString("K")])], range)?.beginSearch == .unknown)
        #expect(try spec(index, [.simpleString("type"), .simpleString("keynum"), .simpleString("spec"), .array([])])?.findKeys == .unknown)
        #expect(try spec(index, [])?.findKeys == .unknown)
    }

    /// Duplicate names: the first wins; a large table still finds every name.
    @Test func nameIndexEdgeCases() {
        let table = CommandTable(commands: [CommandInfo(name: "a", arity: 1), CommandInfo(name: "a", arity: 2)])
        #expect(table.command(named: "A")?.arity == 1)
        let names = (0..<5000).map { "cmd\($0)" }
        let large = CommandTable(commands: names.map { CommandInfo(name: $0, arity: 1) })
        #expect(names.allSatisfy { large.command(named: $0.uppercased())?.name == $0 })
        #expect(large.command(named: "cmd5000") == nil)
        #expect(CommandTable(commands: []).command(named: "get") == nil)
    }

    @Test func arity() throws {
        let get = try #require(table.command(named: "get"))
        #expect(!get.accepts(argumentCount: 1) && get.accepts(argumentCount: 2) && !get.accepts(argumentCount: 3))
        let mset = try #require(table.command(named: "mset"))
        #expect(!mset.accepts(argumentCount: 2) && mset.accepts(argumentCount: 3) && mset.accepts(argumentCount: 100))
    }

    private static func alternatingCase(_ word: String) -> String {
        String(word.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
    }
}
